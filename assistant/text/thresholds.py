"""Numeric conditions: a clause's threshold (``营业收入不超过2亿元``, ``成立一年以上``, ``不低于…的20%``)
against a figure the user states about themselves (``去年营收3亿元``, ``注册才8个月``).

A threshold is a quantity (text/numbers.py) with the relation its words give it (不超过 / 以下 ->
at most, 不低于 / 以上 / 至少 -> at least, 低于 / 未满 -> under, 超过 / 高于 -> over).  Durations are
compared in days (一年 = 365, 八个月 = 240), sums in yuan (3亿 = 300000000).  A stated figure with
no unit of its kind ("营收3亿" has none, but 亿 says it is a sum) takes the kind its scale implies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.numbers import COUNT, DURATION, MONEY, PERCENT, Quantity, find_quantities, number_value

AT_LEAST, OVER, AT_MOST, UNDER = ">=", ">", "<=", "<"
MEETS, FAILS, CHECK = "符合", "不符合", "需核实"
COMPARED_KINDS = (MONEY, COUNT, PERCENT, DURATION)
LOOK_BEFORE = 8  # characters before a quantity searched for the words that bound it
DAYS = (("工作日", 1.0), ("小时", 1 / 24), ("星期", 7.0), ("周", 7.0), ("个月", 30.0), ("月", 30.0), ("年", 365.0),
        ("日", 1.0), ("天", 1.0))
_BEFORE = [  # words before a quantity, nearest first wins
    (re.compile(r"(不超过|不高于|不多于|不大于|最多|最高|至多|不得超过|未超过)$"), AT_MOST),
    (re.compile(r"(不低于|不少于|不小于|至少|最低|达到|满)$"), AT_LEAST),
    (re.compile(r"(低于|少于|小于|未满|不满|不足|未达到)$"), UNDER),
    (re.compile(r"(超过|高于|大于|多于)$"), OVER),
]
_AFTER = [(re.compile(r"(及以上|以上|（含）以上|\(含\)以上)"), AT_LEAST), (re.compile(r"(及以下|以下|以内|之内|内)"), AT_MOST)]
_SCALED = re.compile(r"(?P<n>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)\s*(?P<scale>[万亿])(?![件个项家人户名次条])")
_SCALES = {"万": 1e4, "亿": 1e8}


@dataclass(frozen=True)
class Threshold:
    kind: str
    value: float  # yuan, days, a count or a percentage
    relation: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Figure:
    """A figure the question states (the user's own), in the same units as thresholds."""

    kind: str
    value: float
    text: str
    start: int = -1  # offsets in the question (-1: not known)
    end: int = -1


@dataclass(frozen=True)
class Comparison:
    verdict: str  # 符合 / 不符合 / 需核实
    figure: Figure
    threshold: Threshold


def days(quantity_text: str, value: float) -> float:
    """A duration in days: 一年 -> 365, 八个月 -> 240, 十五个工作日 -> 15."""
    for unit, factor in DAYS:
        if unit in quantity_text:
            return value * factor
    return value


def _normalised(quantity: Quantity) -> float | None:
    if quantity.value is None:
        return None
    return days(quantity.text, quantity.value) if quantity.kind == DURATION else quantity.value


def _relation(text: str, quantity: Quantity) -> str | None:
    for pattern, relation in _AFTER:
        if pattern.search(quantity.text):
            return relation
    before = text[max(0, quantity.start - LOOK_BEFORE):quantity.start]
    for pattern, relation in _BEFORE:
        if pattern.search(before):
            return relation
    following = text[quantity.end:quantity.end + 4]
    for pattern, relation in _AFTER:
        if pattern.match(following):
            return relation
    return None


def thresholds(text: str) -> list[Threshold]:
    """The bounded quantities of a sentence, in text order."""
    found = []
    for quantity in find_quantities(text):
        if quantity.kind not in COMPARED_KINDS:
            continue
        relation = _relation(text, quantity)
        value = _normalised(quantity)
        if relation is not None and value is not None:
            found.append(Threshold(quantity.kind, value, relation, quantity.text, quantity.start, quantity.end))
    return found


def stated_figures(question: str) -> list[Figure]:
    """The figures a question states, each with its kind (a scaled bare number is a sum of money)."""
    figures = []
    taken: list[tuple[int, int]] = []
    for quantity in find_quantities(question):
        value = _normalised(quantity)
        if quantity.kind in COMPARED_KINDS and value is not None:
            figures.append(Figure(quantity.kind, value, quantity.text, quantity.start, quantity.end))
            taken.append((quantity.start, quantity.end))
    for match in _SCALED.finditer(question):
        if any(match.start() < e and s < match.end() for s, e in taken):
            continue
        value = number_value(match.group("n"))
        if value is not None:
            figures.append(Figure(MONEY, value * _SCALES[match.group("scale")], match.group(0), *match.span()))
    return figures


def holds(value: float, threshold: Threshold) -> bool:
    return {AT_LEAST: value >= threshold.value, OVER: value > threshold.value,
            AT_MOST: value <= threshold.value, UNDER: value < threshold.value}[threshold.relation]


def compare(question: str, sentence: str) -> Comparison | None:
    """The user's figure against the sentence's threshold of the same kind (the first such pair):
    符合 or 不符合; 需核实 when the question states a figure the sentence bounds twice in
    contradiction (e.g. one bound met, another failed) — the clause needs a closer look."""
    figures = stated_figures(question)
    bounds = thresholds(sentence)
    for figure in figures:
        same = [t for t in bounds if t.kind == figure.kind]
        if not same:
            continue
        verdicts = {holds(figure.value, t) for t in same}
        verdict = MEETS if verdicts == {True} else FAILS if verdicts == {False} else CHECK
        deciding = next((t for t in same if not holds(figure.value, t)), same[0])
        return Comparison(verdict, figure, deciding)
    return None


def comparable(question: str, sentence: str) -> bool:
    """True if the sentence bounds a quantity of a kind the question states a figure of."""
    kinds = {f.kind for f in stated_figures(question)}
    return bool(kinds) and any(t.kind in kinds for t in thresholds(sentence))
