"""Whether a document's policy period is still running, and which plan replaces which.

Plans usually keep applying after their period ends until a successor replaces them, so ended
plans stay in results, marked, below documents in force and below their successors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from assistant.store.index import PolicyIndex, StoredDocument
from assistant.text.tokens import bigrams

IN_FORCE, ENDED, SUPERSEDED = "in_force", "ended", "superseded"
ENDED_LABEL = "规划期已结束"


@dataclass(frozen=True)
class Validity:
    status: str  # in_force / ended / superseded
    label: str  # shown to users: "" / "规划期已结束（2016—2020年）" / "已被《…》取代"
    successor: str | None = None


def _similar_titles(a: str, b: str) -> bool:
    x, y = set(bigrams(a)), set(bigrams(b))
    return bool(x and y) and len(x & y) / len(x | y) >= 0.4


def successors(index: PolicyIndex) -> dict[str, str]:
    """doc_id -> the doc_id that replaces it: named by ``supersedes`` metadata, or a later plan of
    the same jurisdiction and level whose title is alike and whose period starts after it began."""
    found: dict[str, str] = {}
    documents = list(index.documents.values())
    for newer in documents:
        if newer.metadata.supersedes and newer.metadata.supersedes in index.documents:
            found[newer.metadata.supersedes] = newer.doc_id
    for older in documents:
        if older.doc_id in found or not older.metadata.period:
            continue
        for newer in documents:
            m_old, m_new = older.metadata, newer.metadata
            if newer is older or not m_new.period:
                continue
            if (m_new.region_code, m_new.level) == (m_old.region_code, m_old.level) \
                    and m_new.period.start_year > m_old.period.start_year and _similar_titles(m_old.title, m_new.title):
                current = found.get(older.doc_id)
                if current is None or index.documents[current].metadata.period.start_year > m_new.period.start_year:
                    found[older.doc_id] = newer.doc_id
    return found


def validity(document: StoredDocument, today: date, replaced_by: dict[str, str],
             index: PolicyIndex) -> Validity:
    successor = replaced_by.get(document.doc_id)
    if successor:
        return Validity(SUPERSEDED, f"已被《{index.documents[successor].metadata.title}》取代", successor)
    period = document.metadata.period
    if period and period.end_year < today.year:
        return Validity(ENDED, f"{ENDED_LABEL}（{period.start_year}—{period.end_year}年）")
    return Validity(IN_FORCE, "")
