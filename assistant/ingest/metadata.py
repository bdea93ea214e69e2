"""Document metadata read from the text itself: title, issuer, number, date, jurisdiction, period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.geo import NATIONAL, gazetteer
from assistant.ingest.dates import CN_DATE, ISO_DATE, PACKED_DATE, dates_in, first_date
from assistant.ingest.legal import labelled_fields, legal_facts
from assistant.models import DocumentMetadata, Period
from assistant.text.signoff import BODY_SUFFIX, is_body_line, sign_off

_DOC_TYPES = r"(规划|方案|计划|意见|办法|条例|规定|通知|决定|细则|纲要|措施|规则|行动计划|实施意见|若干规定|指引|指南|解读)"
_YEAR_RANGE = re.compile(r"[(（]?\s*((?:19|20)\d{2})\s*[-—–~～至到]+\s*((?:19|20)\d{2})\s*年?\s*[)）]?")
_FIVE_YEAR = {"十一五": 2006, "十二五": 2011, "十三五": 2016, "十四五": 2021, "十五五": 2026, "十六五": 2031}
_WRAPPER = re.compile(r"^(?P<issuer>.{2,60}?)关于印发\s*[《<]?(?P<title>[^》>]{4,80})[》>]?\s*(的通知)?$")
_DOC_NUMBER = re.compile(r"(?P<prefix>[\u4e00-\u9fa5]{1,12}(?:字)?)\s*[〔［\[【(（]\s*(?P<year>(?:19|20)\d{2})\s*[〕］\]】)）]?\s*(?P<serial>\d{1,5})\s*号?")
_PUBLISHED_AT = re.compile(r"(来源|发布机构)\s*[:：]\s*(?P<org>[^\s]{2,40}?)(\s|发布时间|$)")

_NATIONAL_ISSUERS = re.compile(r"^(国务院|中共中央|全国人民代表大会|国家[\u4e00-\u9fa5]{1,12}局|[\u4e00-\u9fa5]{1,6}部$)")


def _header_lines(text: str, limit: int = 40) -> list[str]:
    return [ln.strip() for ln in text.split("\n")[:limit] if ln.strip()]


_QUESTION = re.compile(r"(?:^|[。！？!?\n])\s*(?:[一二三四五六七八九十]+、|\d{1,2}[.、．]|问\s*[:：])[^。！？!?\n]{2,80}[？?]")
_SHORT_NAME = re.compile("《" + _DOC_TYPES + "》")
_QUOTED_TITLE = re.compile(r"《([^《》]{4,80})》")
# a title line run into its document number, as pages captured onto few lines have it:
# 国务院办公厅关于…的实施意见国办发〔2020〕24号
_TRAILING_NUMBER = re.compile(r"[\u4e00-\u9fa5]{1,10}\s*[〔［\[]\s*(?:19|20)\d{2}\s*[〕］\]]\s*\d{1,5}\s*号$")
_TITLE_END = re.compile(_DOC_TYPES + r"\s*([(（].{0,20}[)）])?$")


def without_trailing_number(line: str) -> str:
    """The title of a line that runs on into its document number, cut where the title ends in a kind of
    document (…的实施意见 | 国办发〔2020〕24号); the line itself otherwise."""
    found = _TRAILING_NUMBER.search(line)
    if not found:
        return line
    for cut in range(found.end() - 1, found.start() - 1, -1):  # the shortest number prefix that leaves a title
        if line[cut] in "〔［[" or not _TITLE_END.search(line[:cut]):
            continue
        return line[:cut].strip()
    return line


@dataclass(frozen=True)
class TitleChoice:
    title: str
    inferred: bool  # not read from a title line: the interpreted document's name or the file name


def interpreted_title(text: str) -> str | None:
    """``《…》解读`` for an untitled interpretation: a text that asks questions (or says 解读) about a
    document it calls by its kind (《通知》, 《条例》) and names in full once (《关于…的通知》)."""
    shorts = [m.group(1) for m in _SHORT_NAME.finditer(text)]
    if not shorts:
        return None
    short = max(set(shorts), key=shorts.count)
    if shorts.count(short) < 2 or (len(_QUESTION.findall(text)) < 2 and "解读" not in text):
        return None
    for found in _QUOTED_TITLE.finditer(text):
        if found.group(1) != short and found.group(1).endswith(short):
            return f"《{found.group(1)}》解读"
    return None


def find_title(text: str, fallback: str) -> TitleChoice:
    """The document's own title (not the 关于印发…的通知 wrapper) from its title line; without one,
    the interpreted document's name (《…》解读) or else ``fallback`` (the file name), both marked
    inferred.  A body sentence is never taken for a title."""
    lines = _header_lines(text)
    joined_wrapper = None
    for k, line in enumerate(lines):
        markdown = re.match(r"^#\s+(.+)$", line)
        if markdown:
            return TitleChoice(markdown.group(1).strip(), False)
        if "关于印发" in line:
            candidate = line
            for extra in lines[k + 1:k + 4]:  # wrappers broken over several lines
                if "》" in candidate or len(candidate) > 90:
                    break
                candidate += extra
            wrapper = _WRAPPER.match(candidate.replace(" ", ""))
            if wrapper:
                joined_wrapper = wrapper.group("title")
                break
    if joined_wrapper:
        wanted = re.sub(r"[“”\"]", "", joined_wrapper)
        for line in lines:
            if re.sub(r"[“”\"]", "", line) == wanted and line != joined_wrapper:
                return TitleChoice(line, False)
        return TitleChoice(joined_wrapper, False)
    for line in lines[:15]:
        quoted = re.fullmatch(r"《([^《》]+)》", line)
        bare = quoted.group(1).strip() if quoted else without_trailing_number(line)
        if 6 <= len(bare) <= 60 and _TITLE_END.search(bare) \
                and not re.search(r"[。？?！!；;，,]", bare):
            return TitleChoice(bare, False)
    interpreted = interpreted_title(text)
    return TitleChoice(interpreted or fallback, True)


def find_number(text: str) -> str | None:
    """The document number, e.g. 国发〔2021〕20号, from the header lines (a broken one repaired)."""
    for line in _header_lines(text, 50):
        trailing = _TRAILING_NUMBER.search(line)
        if len(line) > 40 and not trailing:
            continue
        line = line[len(without_trailing_number(line)):] if trailing and len(line) > 40 else line
        found = _DOC_NUMBER.search(line)
        if found and re.search(r"[〔［\[【]", line) and not re.search(r"[《》]", line):
            return f"{found.group('prefix')}〔{found.group('year')}〕{found.group('serial')}号"
    return None


def signature_block(text: str) -> tuple[list[str], str | None]:
    """(issuing bodies, signing date) of the sign-off at the end of a notice (text/signoff.py); ([], None)
    when the document ends otherwise."""
    found = sign_off(text)
    if found is None:
        return [], None
    values = dates_in(found.date_text)
    return found.bodies, values[0] if values else None


def find_date(text: str, raw_text: str) -> str | None:
    """The signing date: the sign-off's at the end of a notice, else a line holding only a date in
    the header, else the first date of the cleaned header, else the page's publication date (a date
    the text cites, 专利申请日在2016年2月23日及之前, is no signing date when a sign-off gives one)."""
    signed = signature_block(text)[1]
    if signed:
        return signed
    lines = _header_lines(text, 60)
    for line in lines:
        if len(line) <= 16 and (CN_DATE.fullmatch(line) or ISO_DATE.fullmatch(line) or PACKED_DATE.fullmatch(line)):
            return dates_in(line)[0] if dates_in(line) else None
    for source in (lines[:8], _header_lines(raw_text, 12)):
        for line in source:
            if len(line) <= 120 and (values := dates_in(line)):
                return values[0]
    return None


def find_issuer(text: str, title: str) -> tuple[str | None, str | None]:
    """(issuer, publisher): who issued the document, and the site that republished it."""
    lines = _header_lines(text)
    publisher = None
    for line in lines[:6]:
        found = _PUBLISHED_AT.search(line)
        if found and re.search(BODY_SUFFIX + "$", found.group("org")):
            publisher = found.group("org")
    for line in lines:
        if "关于印发" in line:
            issuer = line[: line.find("关于印发")].replace(" ", "")
            if 2 <= len(issuer) <= 40 and re.search(BODY_SUFFIX + "$", issuer):
                return issuer, publisher
    orgs: list[str] = []
    for line in lines[:25]:  # a signature block of issuing bodies, several to a line
        if is_body_line(line):
            orgs.extend(line.split())
        elif orgs:
            break
    if orgs:
        return "、".join(orgs), publisher
    signed = signature_block(text)[0]  # a notice's sign-off at its end
    if signed:
        return "、".join(signed), publisher
    for line in lines[:8]:  # a legislature's adoption line: 2022年3月29日 广东省第十三届人民代表大会常务委员会…通过
        found = re.search(r"日\s*(?P<body>[\u4e00-\u9fa5]{2,10}?)第[\u4e00-\u9fa5]+届(?P<org>人民代表大会常务委员会|人民代表大会)", line)
        if found:
            return found.group("body") + found.group("org"), publisher
    return None, publisher


def find_period(title: str, text: str) -> Period | None:
    """The policy period from the title (2016-2020 / 2022—2025年 / 十四五), else from the header."""
    short_lines = [ln for ln in _header_lines(text, 8) if len(ln) <= 60]
    for source in (title, "\n".join(short_lines)):
        found = _YEAR_RANGE.search(source)
        if found and int(found.group(1)) <= int(found.group(2)):
            return Period(int(found.group(1)), int(found.group(2)), found.group(0).strip("()（）"))
        for label, first in _FIVE_YEAR.items():
            if label in source:
                return Period(first, first + 4, label)
    return None


@dataclass(frozen=True)
class Jurisdiction:
    name: str | None  # short name used in filters: 国家, 广西, 武汉, 浦东新区
    full_name: str | None
    level: str | None  # national / province / city / district
    region_code: str | None


def _is_national(source: str) -> bool:
    return bool(_NATIONAL_ISSUERS.match(source) or re.search(r"^[“\"]?十[一二三四五六]五[”\"]?国家|^全国|^国家", source))


def find_jurisdiction(title: str, issuer: str | None, text: str) -> Jurisdiction:
    """The area a document applies to, from its title, then its issuer, then its header lines.

    The first place named wins, narrowed to a place inside it named next (上海市浦东新区 ->
    浦东新区); a national issuer or title makes the document national.
    """
    places = gazetteer()
    head = "\n".join(ln for ln in _header_lines(text, 12) if len(ln) <= 60)
    for source in (title, issuer or "", head):
        if not source:
            continue
        found = places.find(source)
        if found:
            chosen = found[0]
            for other in found[1:]:
                if other.within(chosen) and other.code != chosen.code:
                    chosen = other
            return Jurisdiction(chosen.name, places.full_name(chosen), chosen.level, chosen.code)
        if _is_national(source):
            return Jurisdiction(NATIONAL, "全国", "national", None)
    return Jurisdiction(None, None, None, None)


def _given(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    return " ".join(str(value).split()) if value is not None and str(value).strip() else None


def extract_metadata(text: str, raw_text: str, fallback_title: str,
                     front_matter: dict[str, Any] | None = None) -> DocumentMetadata:
    """Metadata of one document; ``raw_text`` is the capture before cleaning (page lines help);
    ``front_matter`` the fields of its first YAML block.  Labelled fields (front matter, a 效力信息
    block, ``键：值`` header lines) win over what is inferred from the text."""
    fields = labelled_fields(front_matter or {}, raw_text)
    given_title = _given(fields, "title")
    choice = TitleChoice(given_title, False) if given_title else find_title(text, fallback_title)
    issuer, publisher = find_issuer(raw_text, choice.title)
    issuer = _given(fields, "issuer") or issuer
    jurisdiction = find_jurisdiction(choice.title, issuer, text)
    date = first_date(_given(fields, "date") or "") or find_date(text, raw_text)
    legal = legal_facts(text, raw_text, fields, date)
    publisher = _given(fields, "publisher") or publisher
    if publisher is None and legal.source and legal.source != issuer and re.fullmatch(
            r"[\u4e00-\u9fa5]{2,30}" + BODY_SUFFIX, legal.source):
        publisher = legal.source  # 来源：an organisation that republished the text
    return DocumentMetadata(
        title=choice.title,
        issuer=issuer,
        publisher=publisher,
        number=_given(fields, "number") or find_number(text) or legal.announcement,
        date=date or legal.promulgated_date,
        jurisdiction=jurisdiction.name,
        jurisdiction_full=jurisdiction.full_name,
        level=jurisdiction.level,
        period=find_period(choice.title, text),
        region_code=jurisdiction.region_code,
        effective_date=legal.effective_date,
        promulgated_date=legal.promulgated_date,
        expiry_date=legal.expiry_date,
        status=legal.status,
        repeals=legal.repeals,
        source=legal.source,
        title_inferred=choice.inferred,
    )
