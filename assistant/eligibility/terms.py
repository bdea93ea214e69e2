"""What a clause sets for a company, read from its text with offsets: the conditions (``上年度销售收入不超过2亿元``,
``拥有发明专利3件以上``, ``注册成立一年以上``, ``对初次认定为国家高新技术企业的``), the benefit (``给予企业20万元奖励``,
``每件资助3000元``, ``最高不超过50万元``, ``按…的5%给予奖励``) and the 申报 deadline (``2017年9月22日前``).

A bounded quantity (text/thresholds.py) is a condition when the words nearest before it in its phrase name a
company attribute (text/company.py), a cap when they grant something (奖励, 资助, 最高 …).  Amounts are the
money a sentence grants; ``分别给予A和B`` gives one amount per item it lists.  Every term keeps the offsets of its
own sentence, so the answer can quote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from assistant.text.company import (AGE, ATTRIBUTES, BY_FIELD, LACKS, RD_SPEND, Attribute, nearest_attribute,
                                    qualifications_named)
from assistant.text.numbers import COUNT, DATE, DURATION, MONEY, PERCENT, find_quantities
from assistant.text.sentences import spans
from assistant.text.thresholds import AT_LEAST, AT_MOST, OVER, UNDER, Threshold, thresholds

QUALIFICATION, EXCLUSION, LOCATION, STATED = "qualification", "funded_before", "location", "stated"
# 在东莞市内注册, 在广东省境内注册, 在天河区依法登记注册, 落户天河区: the place a company must be registered in
REGISTERED_IN = re.compile(r"(?:在|于)(?P<where>[^，。；,;在于]{2,14}?)(?:市内|省内|区内|县内|境内|行政区域内|辖区内|内)?"
                           r"(?:依法)?(?:注册|登记|设立|成立)|落户(?:于|到|在)?(?P<to>[^，。；,;]{2,10}?)(?:的|，|,|$)")
INCLUSIVE = re.compile(r"^[（(]含")
TIER = re.compile(r"的(企业|单位|项目)?[，,]\s*(其)?(比例|占比|比重)")  # 销售收入在2亿元以上的企业，比例不低于3%: a tier, no bar
GRANTS = re.compile(r"奖励|资助|补贴|补助|奖补|贴息|扶持|给予|支持|拨付|最高|上限|限额|额度|减按|减半|减免|退还|返还")
PER_ITEM = re.compile(r"(每件|每个|每项|每家|每户|每人|每次|单件|单个|每(认定|获得|授权|新增|取得)?\s*\d*\s*[件个项])[^，。；,;]{0,8}$")
GRANT_AFTER = re.compile(r"^[的）)]?(一次性)?(奖励|资助|补贴|补助|奖补|扶持|支持|经费)")
PER_ITEM_AFTER = re.compile(r"^/(件|个|项)")
CAP_BEFORE = re.compile(r"(最高|最多|上限|不超过|不高于|封顶)[^，。；,;]{0,6}$")
YEARLY = re.compile(r"(每年|年度|年)[^，。；,;]{0,8}$")
SEPARATELY = re.compile(r"分别")
LIST_SPLIT = re.compile(r"[、和及与或]")
REQUIRES = re.compile(r"(须|需|应|必须|要求|属于|为|是|具有|具备|取得|获得|获|认定为|评为|列入|入选|通过|拥有)[^，。；,;]{0,10}$")
GRANTED_TO = re.compile(r"对[^。；;]{0,60}的")  # 对初次认定为国家高新技术企业的，…
PREFERRED = re.compile(r"^[^。；;]{0,12}(优先|同等条件下|鼓励)")
EXCLUDES = re.compile(r"(已|曾|已经)(获得|获|享受|得到|列入|纳入)[^。；;]{0,30}(资助|奖励|扶持|支持|补贴|补助)[^。；;]{0,12}"
                      r"(不再|不予|不得|不重复)|不得重复申报|不重复(资助|奖励|支持|享受)|就高不重复|不予重复")
DEADLINE_WORDS = re.compile(r"截止|截至|止|之前|以前|前|至")
WINDOW_WORDS = re.compile(r"申报|受理|填报|提交|报送|截止|截至")
NOT_WINDOW = re.compile(r"授权|公告日|申请日|生效日|购置|销售时间|成立|注册")  # dates a condition bounds, not the window
_YEAR_OF = re.compile(r"((?:19|20)\d{2})\s*年")
_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号])?")
PHRASE_END = re.compile(r"[，,；;。：:\n]")
WORDS_BEFORE = 24  # characters before a threshold searched for the attribute it bounds


@dataclass(frozen=True)
class Condition:
    field: str  # a profile field, QUALIFICATION or EXCLUSION
    relation: str | None  # >=, >, <=, < (quantities only)
    value: float | None  # yuan, days, a count or a percent
    text: str  # the bounding words, e.g. "不超过2亿元"
    start: int  # the sentence's offsets in the text read
    end: int
    name: str = ""  # the qualification named
    when: tuple[tuple[str, str, float], ...] = ()  # a tier's selector: it applies when these (field, relation, value) hold

    @property
    def label(self) -> str:
        if self.field == QUALIFICATION:
            return self.name
        if self.field == EXCLUSION:
            return "未获同类资助"
        if self.field == LOCATION:
            return "注册地"
        if self.field == STATED:
            return self.name
        if self.field.endswith("_share"):
            return f"{BY_FIELD[self.field.replace('_share', '_yuan') if 'spend' in self.field else 'rd_staff'].label}占比"
        return BY_FIELD[self.field].label if self.field in BY_FIELD else self.field


@dataclass(frozen=True)
class Amount:
    value: float  # yuan
    per_item: str | None = None  # a profile field counted (每件发明专利), or None for a fixed sum
    item: str = ""  # what the amount is for when a sentence lists several (分别给予)
    text: str = ""


@dataclass(frozen=True)
class Benefit:
    start: int  # the sentence's offsets
    end: int
    amounts: tuple[Amount, ...] = ()
    cap: float | None = None  # yuan
    share: float | None = None  # percent of a base
    base: str | None = None  # the profile field the share is of


@dataclass(frozen=True)
class Deadline:
    day: date
    start: int
    end: int


@dataclass
class Terms:
    conditions: list[Condition] = field(default_factory=list)
    benefits: list[Benefit] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    unread: list[tuple[int, int]] = field(default_factory=list)  # sentences bounding something not understood


def _phrase_before(text: str, start: int, limit: int = WORDS_BEFORE) -> str:
    window = text[max(0, start - limit):start]
    cut = max((m.end() for m in PHRASE_END.finditer(window)), default=0)
    return window[cut:]


def _nearest(words: str, kinds: tuple[str, ...]) -> Attribute | None:
    return nearest_attribute(words, lambda attribute: attribute.kind in kinds)


def _bounded_attribute(sentence: str, threshold: Threshold) -> str | None:
    """The profile field a threshold bounds, or None (a cap, a period, a fee …)."""
    before = _phrase_before(sentence, threshold.start)
    if threshold.kind == PERCENT:
        share = re.search(r"(.+)占.*$", before)
        if not share:
            return None
        part = _nearest(share.group(1), (MONEY, COUNT))
        if part is not None and part.field in ("rd_spend_yuan", "rd_staff"):
            return "rd_spend_share" if part.field == "rd_spend_yuan" else "rd_staff_share"
        return None
    if threshold.kind == DURATION:
        return AGE.field if AGE.words.search(before) else None
    if threshold.kind == MONEY and GRANTS.search(before[-10:]):
        return None  # 奖励最高不超过20万元: a cap, not a condition
    kinds = (MONEY,) if threshold.kind == MONEY else (COUNT,)
    attribute = _nearest(before, kinds)
    if attribute is None and threshold.kind == COUNT:
        after = sentence[threshold.end:threshold.end + 8].lstrip("的（含）()")
        attribute = next((a for a in ATTRIBUTES if a.kind == COUNT and a.words.match(after)), None)
    if attribute is None or re.search(r"增长|增加|新增|增幅|同比", before):
        return None
    return attribute.field


def _is_condition_text(sentence: str, position: int) -> bool:
    """Whether a qualification named at ``position`` is required (对…的, 须为, 属于 …), not preferred or a grantor."""
    if PREFERRED.search(sentence):
        return False
    before = sentence[:position]
    granted = GRANTED_TO.search(sentence)
    return bool(REQUIRES.search(before) or (granted and granted.start() <= position < granted.end()))


def _amounts(sentence: str, used: set[tuple[int, int]]) -> tuple[list[Amount], float | None]:
    """The sums a sentence grants, and its cap (最高不超过50万元)."""
    amounts: list[Amount] = []
    cap: float | None = None
    money = [q for q in find_quantities(sentence) if q.kind == MONEY and q.value and (q.start, q.end) not in used]
    for quantity in money:
        before = _phrase_before(sentence, quantity.start, 16)
        if CAP_BEFORE.search(before) and amounts:
            cap = quantity.value if cap is None else min(cap, quantity.value)
            continue
        if not (GRANTS.search(before) or GRANT_AFTER.search(sentence[quantity.end:])):
            continue
        per = None
        if PER_ITEM.search(before) or PER_ITEM_AFTER.match(sentence[quantity.end:]):
            counted = _nearest(sentence[:quantity.start], (COUNT,))
            per = counted.field if counted else "item"
        elif CAP_BEFORE.search(before) and YEARLY.search(before):
            cap = quantity.value if cap is None else min(cap, quantity.value)
            continue
        amounts.append(Amount(quantity.value, per, text=quantity.text))
    if len(amounts) >= 2 and SEPARATELY.search(sentence):
        head = sentence[:SEPARATELY.search(sentence).start()]
        items = [piece for piece in LIST_SPLIT.split(re.split(r"[，,]", head.rstrip("，, "))[-1]) if piece.strip()]
        if len(items) >= len(amounts):
            items = items[-len(amounts):]
            amounts = [Amount(a.value, a.per_item, items[k].strip(), a.text) for k, a in enumerate(amounts)]
    return amounts, cap


def _share(sentence: str) -> tuple[float | None, str | None]:
    for quantity in find_quantities(sentence):
        if quantity.kind != PERCENT or quantity.value is None:
            continue
        before = _phrase_before(sentence, quantity.start, 30)
        if re.search(r"按|给予|贴息|补贴|补助|奖励|减按|资助", before + sentence[quantity.end:quantity.end + 6]) \
                and "占" not in before:
            base = _nearest(before, (MONEY,))
            return quantity.value, base.field if base else None
    return None, None


def _dates(sentence: str, year: int | None) -> list[date]:
    found = []
    for quantity in find_quantities(sentence):
        if quantity.kind != DATE:
            continue
        named = _YEAR_OF.search(quantity.text)
        at = _MONTH_DAY.search(quantity.text)
        if named:
            year = int(named.group(1))  # a later date without a year is in this one (8月7日至9月15日)
        the_year = year
        if the_year is None or not at:
            continue
        month, day = int(at.group(1)), int(at.group(2) or 28)
        try:
            found.append(date(the_year, month, day))
        except ValueError:
            continue
    return found


def _inclusive(sentence: str, threshold: Threshold) -> str:
    """The threshold's relation, made inclusive by a （含） after it (低于20万元（含20万元）)."""
    if INCLUSIVE.match(sentence[threshold.end:]):
        return {UNDER: AT_MOST, OVER: AT_LEAST}.get(threshold.relation, threshold.relation)
    return threshold.relation


def _tier(sentence: str, start: int, end: int, clause: str) -> list[Condition]:
    """``最近一年销售收入在2亿元以上的企业，比例不低于3%``, under a clause on the R&D share: the share's bar for
    companies the selector picks."""
    if not RD_SPEND.words.search(clause):
        return []
    bounds = thresholds(sentence)
    selector = tuple((name, _inclusive(sentence, t), t.value) for t in bounds if t.kind == MONEY
                     if (name := _bounded_attribute(sentence, t)) is not None)
    sums = [q for q in find_quantities(sentence) if q.kind == MONEY and q.value is not None]
    if len(sums) >= 2 and re.match(r"^(至|到|-|—|～|~)", sentence[sums[0].end:sums[1].start]):
        attribute = _nearest(_phrase_before(sentence, sums[0].start), (MONEY,))  # 在5,000万元至2亿元（含）
        if attribute is not None:
            upper = AT_MOST if INCLUSIVE.match(sentence[sums[1].end:]) else UNDER
            selector = ((attribute.field, OVER, sums[0].value), (attribute.field, upper, sums[1].value))
    bar = [t for t in bounds if t.kind == PERCENT]
    if not selector or not bar:
        return []
    return [Condition("rd_spend_share", bar[-1].relation, bar[-1].value, bar[-1].text, start, end, when=selector)]


def _squeezed(text: str) -> tuple[str, list[int]]:
    """The text without blanks (web captures break ``20 万元`` and ``高新 技术企业``), and where each of its
    characters stands in the original."""
    kept, where = [], []
    for position, character in enumerate(text):
        if character in " \t\u3000" or (character in ",，" and 0 < position and text[position - 1].isdigit()
                                         and text[position + 1:position + 4].isdigit()):
            continue  # blanks, and thousands separators (5,000万元)
        kept.append(character)
        where.append(position)
    return "".join(kept), where


def read_terms(text: str, year: int | None = None) -> Terms:
    """The conditions, benefits and deadlines of a text (a clause), each with its sentence's offsets in it;
    ``year``: the document's, for dates written without one (9月22日前)."""
    squeezed, where = _squeezed(text)
    read = _read_squeezed(squeezed, year)
    if len(squeezed) == len(text):
        return read

    def back(start: int, end: int) -> tuple[int, int]:
        return where[start], where[end - 1] + 1 if end > start else where[start]

    return Terms([replace(c, start=back(c.start, c.end)[0], end=back(c.start, c.end)[1]) for c in read.conditions],
                 [Benefit(*back(b.start, b.end), b.amounts, b.cap, b.share, b.base) for b in read.benefits],
                 [Deadline(d.day, *back(d.start, d.end)) for d in read.deadlines],
                 [back(a, b) for a, b in read.unread])


def _read_squeezed(text: str, year: int | None) -> Terms:
    terms = Terms()
    for start, end in spans(text):
        sentence = text[start:end]
        used: set[tuple[int, int]] = set()
        bounded_unread = False
        tiered = bool(TIER.search(sentence))
        if tiered:
            terms.conditions += _tier(sentence, start, end, text)
            continue
        for threshold in thresholds(sentence):
            if threshold.kind == MONEY and GRANTS.search(_phrase_before(sentence, threshold.start)[-10:]):
                continue
            name = _bounded_attribute(sentence, threshold)
            if name is None:
                if threshold.kind in (MONEY, COUNT) and not GRANTS.search(sentence[:threshold.start][-12:]):
                    bounded_unread = True
                continue
            used.add((threshold.start, threshold.end))
            terms.conditions.append(Condition(name, _inclusive(sentence, threshold), threshold.value, threshold.text, start, end))
        for match in REGISTERED_IN.finditer(sentence):
            where = (match.group("where") or match.group("to") or "").strip()
            if where:
                terms.conditions.append(Condition(LOCATION, None, None, match.group(0), start, end, where))
        for qualification, status, position, _ in qualifications_named(sentence):
            if status != LACKS and _is_condition_text(sentence, position):
                terms.conditions.append(Condition(QUALIFICATION, None, None, qualification.name, start, end,
                                                  qualification.name))
        if EXCLUDES.search(sentence):
            terms.conditions.append(Condition(EXCLUSION, None, None, EXCLUDES.search(sentence).group(0), start, end))
        amounts, cap = _amounts(sentence, used)
        share, base = _share(sentence)
        if amounts or cap or share:
            terms.benefits.append(Benefit(start, end, tuple(amounts), cap, share, base))
        if DEADLINE_WORDS.search(sentence) and WINDOW_WORDS.search(sentence) and not NOT_WINDOW.search(sentence):
            dates = _dates(sentence, year)
            if dates:
                terms.deadlines.append(Deadline(max(dates), start, end))
        if bounded_unread and not used:
            terms.unread.append((start, end))
    return terms
