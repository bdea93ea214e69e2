"""Recognising the numbering Chinese policy documents use: 第X章, 第X条, 一、, (一), 1., (1), 专栏N, #."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL = "零〇一二两三四五六七八九十百千"


def chinese_to_int(text: str) -> int:
    """'十九' -> 19, '二十一' -> 21, '一百零五' -> 105; raises ValueError for anything else."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (digit or 1) * _CN_UNITS[ch]
            digit = 0
    return total + digit


def int_to_chinese(value: int) -> str:
    digits = "零一二三四五六七八九"
    if value < 10:
        return digits[value]
    if value < 20:
        return "十" + (digits[value % 10] if value % 10 else "")
    if value < 100:
        return digits[value // 10] + "十" + (digits[value % 10] if value % 10 else "")
    return str(value)


@dataclass(frozen=True)
class Marker:
    """A numbering marker found at the start of a line (or of an inline item)."""

    kind: str  # chapter, part, article, question, cn_item, paren_cn, arabic, paren_arabic, circled, box, markdown
    number: int  # for markdown: the heading level; for an unnumbered question: 0
    token: str  # normalised path token, e.g. "二、", "(四)", "4.", "第三条", "专栏8"
    rest: str  # text after the marker on the same line
    length: int  # characters the marker itself occupies (including leading spaces)
    heading_level: int = 0  # the Markdown heading level (## 二、… -> 2) when the marker opens a heading


_FW = "（）．"  # full-width forms normalised in path tokens
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("markdown", re.compile(r"^(\s*)(#{1,6})\s+")),
    ("chapter", re.compile(rf"^(\s*)第([{CN_NUMERAL}\d]+)章[\s\u3000]*")),
    ("part", re.compile(rf"^(\s*)第([{CN_NUMERAL}\d]+)节[\s\u3000]*")),
    ("article", re.compile(rf"^(\s*)第([{CN_NUMERAL}\d]+)条[\s\u3000]*")),
    # 问：… / 1.问：… / 问题一：… / Q1: … — a question of a Q&A document (its answer follows)
    ("question", re.compile(rf"^(\s*)(?:(\d{{1,2}}|[{CN_NUMERAL}]{{1,3}})\s*[.．、]\s*)?"
                            rf"(?:问题?\s*(\d{{1,2}}|[{CN_NUMERAL}]{{1,3}})?|Q\s*(\d{{1,2}})?)\s*[:：]\s*(?=\S)")),
    ("box", re.compile(r"^(\s*)专栏\s*(\d+)[\s\u3000:：]*")),
    ("cn_item", re.compile(rf"^(\s*)([{CN_NUMERAL}]+)[、]\s*")),
    ("paren_cn", re.compile(rf"^(\s*)[(（]([{CN_NUMERAL}]+)[)）]\s*")),
    ("paren_arabic", re.compile(r"^(\s*)[(（](\d{1,2})[)）]\s*")),
    ("arabic", re.compile(r"^(\s*)(\d{1,2})\s*[.．、](?![\d.．])\s*")),
    ("circled", re.compile(r"^(\s*)([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])\s*")),
]
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _number(kind: str, raw: str) -> int:
    if kind == "circled":
        return _CIRCLED.index(raw) + 1
    if kind == "markdown":
        return len(raw)
    if kind == "question" and not raw:
        return 0
    return int(raw) if raw.isdigit() else chinese_to_int(raw)


def _token(kind: str, number: int, raw: str) -> str:
    return {
        "chapter": f"第{raw}章",
        "part": f"第{raw}节",
        "article": f"第{raw}条",
        "question": f"问{number}" if number else "问",
        "box": f"专栏{number}",
        "cn_item": f"{raw}、",
        "paren_cn": f"({raw})",
        "paren_arabic": f"({number})",
        "arabic": f"{number}.",
        "circled": raw,
        "markdown": "",
    }[kind]


def match_marker(line: str) -> Marker | None:
    """The numbering marker a line starts with, if any."""
    for kind, pattern in _PATTERNS:
        found = pattern.match(line)
        if not found:
            continue
        raw = next((g for g in found.groups()[1:] if g), "")
        rest = line[found.end():]
        if kind == "markdown":  # ## 二、资助标准 numbers its section exactly as 二、资助标准 would
            inner = match_marker(rest)
            if inner and inner.kind != "markdown":
                return Marker(inner.kind, inner.number, inner.token, inner.rest, found.end() + inner.length,
                              heading_level=len(raw))
        if kind in ("arabic", "cn_item") and not rest.strip():
            return None  # a bare "3." or "二、" line is a table cell or list debris, not a heading
        try:
            number = _number(kind, raw)
        except ValueError:
            continue
        return Marker(kind, number, _token(kind, number, raw), rest, found.end())
    return None


# Inline markers: an item that starts mid-line right after a sentence end or a closing bracket, as
# in pages captured onto one long line ("…按职责分工负责）（二）进一步提升…", "…。问：《条例》…？答：").
_INLINE = re.compile(
    rf"(?<=[。！？；!?;）)])\s*(?=第[{CN_NUMERAL}]+[章条]|[{CN_NUMERAL}]+、|[(（][{CN_NUMERAL}]+[)）]|\d{{1,2}}[.．](?!\d)"
    rf"|问题?[{CN_NUMERAL}\d]{{0,3}}[:：])"
)
RUN_IN_HEADING_MAX_CHARS = 30  # a part heading run into its first item is at most this long
# A part heading run straight into its first item: "一、持续提升投资建设便利度（一）优化再造…"
_HEADING_THEN_FIRST_ITEM = re.compile(rf"[{CN_NUMERAL}]+、[^。！？；!?;（(）)\n]{{2,{RUN_IN_HEADING_MAX_CHARS}}}(?=[(（][{CN_NUMERAL}]+[)）])")


def inline_marker_positions(line: str) -> list[int]:
    """Offsets inside a line where an inline numbering marker may start (the structure parser still
    accepts a marker only where it continues its sequence)."""
    cuts = {m.end() for m in _INLINE.finditer(line)}
    for start in [0, *sorted(cuts)]:
        heading = _HEADING_THEN_FIRST_ITEM.match(line, start)
        if heading:
            cuts.add(heading.end())
    return sorted(c for c in cuts if 0 < c < len(line))
