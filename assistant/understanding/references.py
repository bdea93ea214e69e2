"""Documents and parts of documents a question names.

A document is named by its title (``《浙江省专利条例》``), by place + kind (``浙江条例``, ``浙江专利条例``,
``武汉方案``, ``浦东那个若干规定``) or by a distinctive part of its title.  A part is named by its
article (``第十条`` = ``第10条``), its box (``专栏3``) or its numbering (``二、(三) 2.``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.numbers import article_number, number_value
from assistant.text.tokens import bigrams

# The kinds of document as their titles end (条例, 规定, 方案 …), longest first.
DOCUMENT_KINDS = ("实施意见", "若干规定", "行动计划", "工作方案", "管理办法", "实施细则", "条例", "规定", "办法", "规划",
                  "方案", "计划", "意见", "通知", "决定", "细则", "解读")
_KIND_ALIASES = {"规划": ("规划", "计划"), "计划": ("计划", "规划"), "意见": ("意见",), "通知": ("通知", "解读")}
_QUOTED_TITLE = re.compile(r"《([^》]{2,60})》")
# a title shorter than this (an upload titled "s") names no document by appearing inside a question's words
MIN_NAMED_TITLE_CHARS = 3


@dataclass(frozen=True)
class DocumentName:
    """What a question can call one document."""

    doc_id: str
    title: str
    places: tuple[str, ...]  # 浙江, 浙江省, 浦东新区, 浦东 …
    kind: str | None  # 条例, 规定 …
    number: str | None = None  # its document number (文号), e.g. 国发〔2021〕20号

    def places_in(self, text: str) -> tuple[str, ...]:
        return tuple(p for p in self.places if p in text)

    def named_in(self, text: str) -> float:
        """How surely the text names this document: 0 (not at all) to 1 (by title)."""
        title = self.title.strip("《》“”\"")
        if len(title) >= MIN_NAMED_TITLE_CHARS and title in text:
            return 1.0
        if self.number and _plain_number(self.number) in _plain_number(text):
            return 1.0
        place = any(p in text for p in self.places)
        kind_words = _KIND_ALIASES.get(self.kind or "", (self.kind,) if self.kind else ())
        kind = any(k in text for k in kind_words)
        if place and kind:
            return 0.8
        core = title
        for p in sorted(self.places, key=len, reverse=True):
            core = core.replace(p, "")
        grams = set(bigrams(core))
        if len(grams) >= 3:
            share = len(grams & set(bigrams(text))) / len(grams)
            if share >= 0.75:
                return 0.6 + 0.2 * place
        return 0.0


def _places_of(jurisdiction: str | None, jurisdiction_full: str | None) -> tuple[str, ...]:
    if jurisdiction == "国家":
        return ("国家", "全国", "国务院")
    names = [n for n in (jurisdiction, jurisdiction_full) if n]
    for name in list(names):
        stem = re.sub(r"(新区|自治区|自治州|地区|区|县|市|省)$", "", name)
        if len(stem) >= 2:
            names.append(stem)
    return tuple(dict.fromkeys(names))


def _plain_number(text: str) -> str:
    """A document number however its year is bracketed (〔2021〕, [2021], （2021）, 2021) and spaced."""
    return re.sub(r"[〔〕\[\]()（）【】\s]", "", text)


def document_name(doc_id: str, title: str, jurisdiction: str | None, jurisdiction_full: str | None,
                  number: str | None = None) -> DocumentName:
    core = re.sub(r"[(（][^()（）]*[)）]$", "", title.strip("《》“”\" "))
    kind = next((k for k in DOCUMENT_KINDS if k in core[-8:]), None)
    base = next((k for k in ("条例", "规定", "办法", "规划", "方案", "计划", "意见", "通知", "决定", "细则", "解读")
                 if kind and k in kind), kind)
    return DocumentName(doc_id, title, _places_of(jurisdiction, jurisdiction_full), base,
                        number if number and len(_plain_number(number)) >= 5 else None)


def named_documents(text: str, names: list[DocumentName]) -> list[str]:
    """The documents a text names, surest first; none when the naming is ambiguous."""
    scored = [(name.named_in(text), name.doc_id) for name in names]
    scored = [(s, d) for s, d in scored if s > 0]
    if not scored:
        return []
    by_id = {n.doc_id: n for n in names}
    best = max(s for s, _ in scored)
    top = [d for s, d in scored if s == best]
    if len(top) > 1 and best < 1.0:
        # 浙江 + 条例 naming two Zhejiang regulations (or 淄博 + 十四五规划 naming one of two Zibo plans):
        # among documents named by the same place, keep those whose title shares most with the text
        shares = {d: len(set(bigrams(by_id[d].title)) & set(bigrams(text))) for d in top}
        groups: dict[tuple[str, ...], list[str]] = {}
        for d in top:
            groups.setdefault(by_id[d].places_in(text), []).append(d)
        top = [d for group in groups.values() for d in group if shares[d] == max(shares[g] for g in group)]
    named_places = {by_id[d].places_in(text) for d in top}
    others = [d for s, d in sorted(scored, reverse=True)
              if d not in top and s >= 0.8 and by_id[d].places_in(text) not in named_places]
    return [*top, *others]


def quoted_titles(text: str) -> list[str]:
    """Titles the question quotes in 《》 (which may be documents the corpus does not hold)."""
    return _QUOTED_TITLE.findall(text)


@dataclass(frozen=True)
class PartReference:
    kind: str  # article / box / numbering
    label: str  # 第十条 / 专栏3 / 二、 (三) 2.


_BOX = re.compile(r"专栏\s*(\d+|[一二三四五六七八九十]+)")
_NUMBERING = re.compile(r"([一二三四五六七八九十]+、)\s*(?:[(（]([一二三四五六七八九十]+)[)）])?\s*(?:(\d+)[.．、])?")


def part_reference(text: str) -> PartReference | None:
    """The article, box or numbered part a question names, in the document's own numbering."""
    number = article_number(text)
    if number:
        return PartReference("article", f"第{number}条")
    box = _BOX.search(text)
    if box:
        raw = box.group(1)
        value = raw if raw.isdigit() else str(int(number_value(raw) or 0))
        return PartReference("box", f"专栏{value}")
    numbering = _NUMBERING.search(text)
    if numbering and (numbering.group(2) or numbering.group(3)):
        label = numbering.group(1)
        if numbering.group(2):
            label += f" ({numbering.group(2)})"
        if numbering.group(3):
            label += f" {numbering.group(3)}."
        return PartReference("numbering", label)
    return None


def section_matches(path: str, reference: PartReference) -> bool:
    """True if a section path (``第二章 第十条``, ``专栏3``, ``二、 (三) 2.``) is the referenced part."""
    if reference.kind == "article":
        return path.split(" ")[-1] == reference.label or path.endswith(" " + reference.label) or path == reference.label
    if reference.kind == "box":
        return path == reference.label or path.startswith(reference.label + " ")
    return path == reference.label

