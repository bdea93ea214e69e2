"""What a document says about its own legal standing: when it takes effect, when it was adopted or
published, how long it is valid, whether it is in force, what it repeals, where it comes from.

Read, in this order of trust, from labelled fields (front matter; a ``效力信息`` block; ``键：值``
lines of the header such as ``施行日期：…``, ``发文字号：…``, ``来源：…``), from the adoption lines
legislatures print under a title (``2015年9月25日 …会议通过``, ``2016年1月1日 施行``) and from
the text (``本条例自2016年1月1日起施行``, ``《…》同时废止``, ``有效期5年``).  Whether a document
is in force on a given day is judged later, with the other documents, by
``assistant.validity``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.ingest.dates import ANY_DATE, add_years, dates_in, first_date
from assistant.ingest.numbering import chinese_to_int
from assistant.models import AMENDED, IN_FORCE, NOT_YET_IN_FORCE, REPEALED

# Field labels: front matter keys (any case) and Chinese labels of 效力信息 blocks and page headers.
# A label matches when the key equals one of these or, for Chinese labels, contains it.
_LABELS: dict[str, tuple[str, ...]] = {
    "title": ("title", "标题", "名称", "文件名称", "法规名称"),
    "issuer": ("issuer", "制定机关", "发文机关", "发布机关", "颁布机关", "发文单位", "制定单位"),
    "publisher": ("publisher", "发布单位", "转载"),
    "number": ("number", "doc_number", "发文字号", "文号", "公告号"),
    "effective_date": ("effective_date", "effective", "施行日期", "生效日期", "实施日期", "施行时间", "生效时间"),
    "promulgated_date": ("promulgated_date", "promulgated", "公布日期", "发布日期", "通过日期", "印发日期",
                         "成文日期", "颁布日期", "公布时间"),
    "expiry_date": ("expiry_date", "expires", "失效日期", "有效期至", "废止日期"),
    "status": ("status", "效力状态", "时效性", "时效状态"),
    "repeals": ("repeals", "废止文件"),
    "source": ("source", "url", "来源", "原文链接", "原文地址", "信息来源"),
    "date": ("date", "日期"),
}
_STATUS_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (AMENDED, re.compile(r"部分(失效|废止)|已?修改|已?修正|已?修订|amended", re.IGNORECASE)),
    (REPEALED, re.compile(r"废止|失效|作废|repealed|expired|revoked", re.IGNORECASE)),
    (NOT_YET_IN_FORCE, re.compile(r"尚未(施行|生效)|未生效|待生效|not.yet", re.IGNORECASE)),
    (IN_FORCE, re.compile(r"有效|施行|in.force|current|valid", re.IGNORECASE)),
]
_KEY_VALUE = re.compile(r"^\s*(?:[-*+]\s+|\|\s*)?(?:\*\*)?(?P<key>[\u4e00-\u9fa5／/A-Za-z_]{1,12}?)(?:\*\*)?\s*"
                        r"(?:[:：]|\|)\s*(?P<value>.+?)\s*\|?\s*$")
_BLOCK_HEADING = re.compile(r"^\s*(?:#{1,6}\s*)?[【\[]?\s*效力信息\s*[】\]]?\s*[:：]?\s*$")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_HEADER_LINES = 30
_SELF = r"(?:条例|规定|办法|细则|决定|意见|通知|规划|方案|措施|规则|公告|指引|指南|纲要|计划|制度|修正案)"
# 2015年9月25日 浙江省第十二届人民代表大会常务委员会第二十三次会议通过 (several to a line, in brackets)
_STEP = re.compile(rf"(?P<date>{ANY_DATE})(?P<who>(?:(?!(?:19|20)\d{{2}}\s*年)[^。；\n]){{0,80}}?)"
                   r"(?P<act>通过|批准|公布|发布|印发|修正|修订|施行)")
_SELF_EFFECTIVE = re.compile(
    rf"本[\u4e00-\u9fa5]{{0,6}}?{_SELF}自\s*(?P<when>{ANY_DATE}|公布之日|发布之日|印发之日|颁布之日)\s*起\s*(?:施行|实施|执行|生效|试行)")
_ANNOUNCEMENT = re.compile(r"(?P<by>[\u4e00-\u9fa5]{2,40}?公告)\s*(?:第\s*)?(?P<n>\d{1,4})\s*号")
_VALID_UNTIL = re.compile(rf"有效期(?:至|到|截至)\s*(?P<date>{ANY_DATE})")
_VALID_FOR = re.compile(r"有效期(?:为|是)?\s*(?P<years>\d{1,2}|[一二三四五六七八九十]{1,2})\s*年")
_REPEAL = re.compile(r"(?:同时|予以|一并|即行|相应)?废止")
_TITLE_IN_QUOTES = re.compile(r"《([^《》]{2,80})》")
_CITING = re.compile(r"(根据|依照|依据|按照|违反|参照|适用)$")
# the number or date that follows a repealed title and tells one version from another: 《…》（国科发火[2008]172号）
_VERSION_NOTE = re.compile(r"\s*([(（][^()（）]{2,40}[)）])")
# a term that is the document's own (本办法…有效期5年, 自…起施行，有效期至…), not a certificate's or a licence's
_OWN_TERM = re.compile(r"本(?:办法|规定|细则|通知|措施|意见|方案|政策|条例|决定|规则|实施办法|实施细则|若干措施)|施行|实施|印发|发布|执行")
_OTHER_TERM = re.compile(r"资格|证书|证件|许可证|执照|合同|协议|批准文件|认定|登记|备案|资助期|项目|专利权|商标|期限届满")


@dataclass(frozen=True)
class LegalFacts:
    effective_date: str | None = None
    promulgated_date: str | None = None
    expiry_date: str | None = None
    status: str | None = None
    repeals: tuple[str, ...] = ()
    source: str | None = None
    announcement: str | None = None  # 浙江省…常务委员会公告第30号: a regulation's promulgation number


def _field_for(key: str) -> tuple[str, int] | None:
    """(field, preference) a label names; a lower preference wins (公布日期 over 成文日期)."""
    plain = key.strip().strip("*").replace(" ", "")
    lowered = plain.lower()
    for name, labels in _LABELS.items():
        for k, label in enumerate(labels):
            if lowered == label or (len(label) >= 3 and not label.isascii() and label in plain
                                    and len(plain) <= len(label) + 3):
                return name, k
    return None


def _text_of(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "；".join(_text_of(v) for v in value)
    return " ".join(str(value).split()) if value is not None else ""


def labelled_fields(front_matter: dict[str, Any], raw_text: str) -> dict[str, Any]:
    """Fields named by a label: front matter first, then a 效力信息 block, then header lines.

    Values stay as written (dates, status words); ``repeals`` is a list of titles or doc_ids."""
    found: dict[str, Any] = {}
    for key, value in front_matter.items():
        name = (_field_for(str(key)) or ("", 0))[0]
        if name and name not in found and _text_of(value):
            found[name] = [_text_of(v) for v in value] if name == "repeals" and isinstance(value, list) else value
    lines = raw_text.split("\n")
    block: list[str] = []
    for k, line in enumerate(lines):
        if _BLOCK_HEADING.match(line):
            for later in lines[k + 1:]:
                if _HEADING.match(later):
                    break
                block.append(later)
    header = [ln for ln in lines if ln.strip()][:_HEADER_LINES]
    preference: dict[str, int] = {}
    for line in [*block, *header]:
        for part in re.split(r"\s{2,}|\t", line.strip()):
            pair = _KEY_VALUE.match(part)
            if not pair:
                continue
            named = _field_for(pair.group("key"))
            value = re.split(r"\s+[\u4e00-\u9fa5]{2,6}\s*[:：]", pair.group("value"))[0].strip("|* ")
            if not named or not value or (named[0] in found and named[0] not in preference):
                continue  # front matter already gave it
            name, rank = named
            if rank < preference.get(name, len(_LABELS[name])):
                found[name], preference[name] = value, rank
    if isinstance(found.get("repeals"), str):
        found["repeals"] = [t for t in re.split(r"[；;、,，]\s*", found["repeals"]) if t.strip()]
    return found


def status_of(value: str) -> str | None:
    """in_force / amended / repealed / not_yet_in_force from a status word (现行有效, 已废止 …)."""
    for status, pattern in _STATUS_WORDS:
        if pattern.search(value):
            return status
    return None


def adoption_steps(raw_text: str) -> list[tuple[str, str]]:
    """(ISO date, act) of the adoption lines under a title: 通过, 批准, 公布, 施行, 修正 …"""
    steps = []
    for line in [ln.strip() for ln in raw_text.split("\n") if ln.strip()][:_HEADER_LINES]:
        if len(line) > 300 or "。" in line:
            continue
        for found in _STEP.finditer(line):
            if dates_in(found.group("who")):
                continue
            if value := first_date(found.group("date")):
                steps.append((value, found.group("act")))
    return steps


def announcement_number(raw_text: str) -> str | None:
    """The promulgation announcement named in the adoption lines (…常务委员会公告第30号公布)."""
    for line in [ln.strip() for ln in raw_text.split("\n") if ln.strip()][:_HEADER_LINES]:
        if len(line) <= 300 and "。" not in line and _STEP.search(line) and (found := _ANNOUNCEMENT.search(line)):
            return f"{found.group('by')}第{found.group('n')}号"
    return None


def repealed_titles(text: str) -> list[str]:
    """Titles a document repeals: 《…》 named before 废止 in the same sentence (not 依照《…》)."""
    titles: list[str] = []
    for sentence in re.split(r"[。；;\n]", text):
        repeal = _REPEAL.search(sentence)
        if not repeal or re.search(r"(不|未|应当|可以|予以撤销)$", sentence[:repeal.start()].rstrip()):
            continue
        for found in _TITLE_IN_QUOTES.finditer(sentence[: repeal.start()]):
            if not _CITING.search(sentence[: found.start()].rstrip()):
                note = _VERSION_NOTE.match(sentence, found.end())
                titles.append(found.group(1).strip() + (note.group(1) if note else ""))
    return list(dict.fromkeys(titles))


def _self_effective(text: str, promulgated: str | None, date: str | None) -> str | None:
    """The date of the text's own 本…自…起施行 sentence (the last one: the final article)."""
    found = list(_SELF_EFFECTIVE.finditer(text))
    if not found:
        return None
    when = found[-1].group("when")
    if when == "印发之日":  # issued: the document's own (signing) date
        return date or promulgated
    return first_date(when) or promulgated or date


def _own_terms(text: str) -> list[str]:
    """The sentences that state the document's own term: they name it (本办法) or its taking effect,
    and no certificate, qualification, licence or contract comes before the 有效期 they state
    (``其资格自颁发证书之日起有效期为三年`` is a certificate's term, not the 办法's)."""
    own = []
    for sentence in re.split(r"[。；;\n]", text):
        at = sentence.find("有效期")
        if at >= 0 and _OWN_TERM.search(sentence) and not _OTHER_TERM.search(sentence[:at]):
            own.append(sentence)
    return own


def _expiry(text: str, start: str | None) -> str | None:
    for sentence in _own_terms(text):
        if until := _VALID_UNTIL.search(sentence):
            return first_date(until.group("date"))
        if (span := _VALID_FOR.search(sentence)) and start:
            raw = span.group("years")
            return add_years(start, int(raw) if raw.isdigit() else chinese_to_int(raw))
    return None


def legal_facts(text: str, raw_text: str, fields: dict[str, Any], date: str | None) -> LegalFacts:
    """The legal facts of one document; ``fields`` from :func:`labelled_fields`, ``date`` its signing date."""
    steps = adoption_steps(raw_text)
    adopted = [d for d, act in steps if act != "施行"]
    promulgated = first_date(_text_of(fields.get("promulgated_date"))) or (max(adopted) if adopted else None)
    effective = (first_date(_text_of(fields.get("effective_date")))
                 or next((d for d, act in steps if act == "施行"), None)
                 or _self_effective(text, promulgated, date))
    expiry = first_date(_text_of(fields.get("expiry_date"))) or _expiry(text, effective or promulgated or date)
    stated = status_of(_text_of(fields["status"])) if fields.get("status") else None
    repeals = [*(fields.get("repeals") or []), *repealed_titles(text)]
    source = _text_of(fields.get("source")) or None
    return LegalFacts(effective, promulgated, expiry, stated,
                      tuple(dict.fromkeys(t.strip("《》 ") for t in repeals if t.strip("《》 "))), source,
                      announcement_number(raw_text))
