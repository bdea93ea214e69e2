"""Short document names for places with little room: citation chips, terminal citations, MCP listings.

``武汉市推进国家知识产权强市建设示范城市建设工作方案(2022—2025年)`` becomes ``武汉工作方案``,
``“十四五”国家知识产权保护和运用规划`` becomes ``国家十四五规划``, ``浙江省专利条例`` stays
``浙江专利条例``.  Names that would collide within one index get the period or year added.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from assistant.models import DocumentMetadata
from assistant.understanding.references import DOCUMENT_KINDS

if TYPE_CHECKING:
    from assistant.store.index import PolicyIndex

SHORT_CORE_CHARS = 4  # a title core this short is kept whole (专利条例)
FALLBACK_CHARS = 10  # a title with no recognisable kind is cut to this length
_TRAILING_BRACKETS = re.compile(r"[(（][^()（）]*[)）]$")
_FIVE_YEAR_PLAN = re.compile(r"^十[一二三四五六七八九]五$")


def _core(metadata: DocumentMetadata) -> str:
    """The title without quotes, a trailing (period), the leading 关于 and the place names."""
    title = metadata.title.strip().strip("《》“”\" ")
    title = _TRAILING_BRACKETS.sub("", title)
    title = re.sub(r"^(深入实施|关于)", "", title)
    for place in sorted({metadata.jurisdiction_full or "", metadata.jurisdiction or ""}, key=len, reverse=True):
        if place and place != "国家":
            title = title.replace(place, "")
    return title.replace("“", "").replace("”", "").strip()


def short_title(metadata: DocumentMetadata) -> str:
    """A short name: place + kind of document (+ 十X五 for five-year plans)."""
    place = metadata.jurisdiction or ""
    core = _core(metadata)
    if place and core and len(core) <= SHORT_CORE_CHARS:
        return place + core
    kind = next((k for k in DOCUMENT_KINDS if core.endswith(k)), None)
    if place and kind:
        label = metadata.period.label if metadata.period else ""
        return place + (label if _FIVE_YEAR_PLAN.match(label) else "") + kind
    title = metadata.title.strip()
    return title if len(title) <= FALLBACK_CHARS else title[:FALLBACK_CHARS] + "…"


def _distinguisher(metadata: DocumentMetadata) -> str:
    if metadata.period:
        return f"（{metadata.period.start_year}—{metadata.period.end_year}）"
    return f"（{metadata.date[:4]}）" if metadata.date else ""


def short_titles(documents: Iterable[tuple[str, DocumentMetadata]]) -> dict[str, str]:
    """doc_id -> short name for a set of documents; colliding names get their period or year."""
    pairs = list(documents)
    names = {doc_id: short_title(meta) for doc_id, meta in pairs}
    counts = Counter(names.values())
    for doc_id, meta in pairs:
        if counts[names[doc_id]] > 1:
            names[doc_id] += _distinguisher(meta)
    counts = Counter(names.values())
    return {doc_id: name if counts[name] == 1 else meta.title for (doc_id, meta), name in zip(pairs, names.values())}


def index_short_titles(index: PolicyIndex) -> dict[str, str]:
    """doc_id -> short name for every document of an index."""
    return short_titles((doc.doc_id, doc.metadata) for doc in index.documents.values())
