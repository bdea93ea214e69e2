"""Quantities in policy text, written in Arabic digits or Chinese numerals.

``十五日内``, ``百分之三十``, ``二十万元``, ``三倍以上``, ``六个月``, ``第十二条``, ``18.5个月``,
``2025年``: each is found with its kind (money, percent, multiple, duration, date, count, article)
and its value, so a question's ``30%`` meets a clause's ``百分之三十``.  Chinese numerals are read
by ``cn2an``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

MONEY, PERCENT, MULTIPLE, DURATION, DATE, COUNT, ARTICLE = (
    "money", "percent", "multiple", "duration", "date", "count", "article")
KINDS = (MONEY, PERCENT, MULTIPLE, DURATION, DATE, COUNT, ARTICLE)

_CN = "零〇一二两三四五六七八九十百千万亿"
NUMBER = rf"(?:\d+(?:\.\d+)?|[{_CN}]+(?:点[零〇一二三四五六七八九]+)?)"
_MORE = r"(?:多|余)?"
_BOUND = r"(?:以上|以下|以内|之内|内|左右)?"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (ARTICLE, re.compile(rf"第(?P<n>{NUMBER})[条章节款项]")),
    (PERCENT, re.compile(rf"百分之(?P<n>{NUMBER}){_BOUND}|(?P<n2>{NUMBER})\s*[%％]|(?P<d>{NUMBER})分之(?P<u>{NUMBER})")),
    (MULTIPLE, re.compile(rf"(?P<n>{NUMBER}){_MORE}倍{_BOUND}")),
    (MONEY, re.compile(rf"(?P<n>{NUMBER}){_MORE}(?P<scale>[万亿千百]*)元{_BOUND}")),
    (DATE, re.compile(rf"(?P<n>(?:19|20)\d{{2}}|[二〇零一三四五六七八九]{{4}})\s*年(?:\s*(?:{NUMBER})\s*月)?(?:\s*(?:{NUMBER})\s*日)?"
                      r"(?:[底末]|以前|之前|前)?|(?<!\d)(?<!\d年)(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})月(?P<day>\d{1,2}|[一二三四五六七八九十]{1,3})[日号]|"
                      r"(?<!\d)(?<!\d年)(?:\d{1,2}|[一二三四五六七八九十]{1,2})月(?:底|末|中旬|上旬|下旬)(?:前|以前|之前)?|"
                      r"(?:今年|明年|当年|本年度?|年度)?(?:年底|年末|年内|上半年|下半年)(?:前|以前|之前)?")),
    (DURATION, re.compile(rf"(?P<n>{NUMBER}){_MORE}(?:个)?(?:工作日|日|天|小时|周|星期|个月|月内|年内|年以上|年以下|年)"
                          rf"{_BOUND}")),
    (COUNT, re.compile(rf"(?P<n>{NUMBER}){_MORE}(?P<scale>[万亿]?)(?:件|项|家|个|人|所|次|名|户|类|批|座|亩|套|部|场|期|条|分(?!之))")),
]


@dataclass(frozen=True)
class Quantity:
    kind: str
    text: str
    start: int
    end: int
    value: float | None


# Longer runs of digits or numerals are not quantities a policy states (the largest, 万亿 sums with
# decimals, stay well under it); they are read as text, so ``九`` × 309 cannot overflow a float.
MAX_NUMBER_CHARS = 24


@lru_cache(maxsize=4096)
def number_value(text: str) -> float | None:
    """The value of a number written in digits or Chinese numerals (二十万 -> 200000); ``None`` for
    what is no number, or is too long to be one a policy states (``MAX_NUMBER_CHARS``)."""
    text = text.strip()
    if not text or len(text) > MAX_NUMBER_CHARS:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    import cn2an  # light, but only needed when Chinese numerals occur

    try:
        value = float(cn2an.cn2an(text.replace("〇", "零"), "smart"))
    except (ValueError, KeyError, IndexError, TypeError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def _value(kind: str, match: re.Match[str]) -> float | None:
    groups = match.groupdict()
    if kind == PERCENT and groups.get("d"):
        whole, part = number_value(groups["d"]), number_value(groups["u"])
        return 100.0 * part / whole if whole and part is not None else None
    raw = groups.get("n") or groups.get("n2")
    value = number_value(raw) if raw else None
    scale = groups.get("scale") or ""
    for ch in scale:
        value = None if value is None else value * {"万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2}[ch]
    return value


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in a text, longest first where two overlap, in text order."""
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:  # earlier kinds win an overlap (第十条 is an article, not a count)
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == DURATION and re.fullmatch(r"(?:19|20)\d{2}年", match.group(0)):
                continue
            if any(start < e and s < end for s, e in taken):
                continue
            raw = match.group("n") if "n" in match.groupdict() and match.group("n") else ""
            if raw and not re.search(r"\d|[一二两三四五六七八九十百千]", raw):
                continue  # 零/万 alone is no number
            taken.append((start, end))
            found.append(Quantity(kind, match.group(0), start, end, _value(kind, match)))
    return sorted(found, key=lambda q: q.start)


def kinds_in(text: str) -> set[str]:
    return {q.kind for q in find_quantities(text)}


def article_number(text: str) -> str | None:
    """``第10条`` / ``第十条`` -> ``十`` (the Chinese numeral the document's numbering uses)."""
    match = re.search(rf"第\s*({NUMBER})\s*条", text)
    if not match:
        return None
    return chinese_numeral(match.group(1))


def chinese_numeral(raw: str) -> str | None:
    """A whole number as regulations write it in their numbering (21 -> 二十一, 十 stays 十)."""
    value = number_value(raw)
    if value is None or value != int(value) or value <= 0:
        return None
    import cn2an

    return str(cn2an.an2cn(str(int(value))))


_BARE = re.compile(rf"(?P<n>{NUMBER})(?P<scale>[万亿千]?)(?![\d年月日号条章节款项])")


def values_in(text: str) -> frozenset[float]:
    """The values a text names, with or without a unit ("不到5万的" -> 50000, "30%" -> 30)."""
    values = {q.value for q in find_quantities(text) if q.value is not None and q.kind not in (DATE, ARTICLE)}
    for match in _BARE.finditer(text):
        if re.search(r"\d|[一二两三四五六七八九十百千]", match.group("n")):
            value = _value(COUNT, match)
            if value is not None:
                values.add(value)
    return frozenset(values)
