"""Whether a document applies on a given day, and which document replaces which — for plans and
for regulations, notices and interpretations alike.

The statuses, best first (``Validity.rank``):

0. ``in_force`` — applies today;
1. ``amended`` — stated as 已修改: the text has been changed since, the current wording may differ;
2. ``not_yet_in_force`` — its 施行日期 is after today (尚未施行); ``ended`` — a plan whose period is
   over (plans usually keep applying until a successor replaces them);
3. ``superseded`` — a later plan, or a later version of the same title, replaces it;
4. ``expired`` — its 有效期 has run out; ``repealed`` — stated as 已废止, or repealed (``《…》同时废止``)
   by a document of the index that is in force today.

A document that a successor will repeal or replace only from a later date stays in force until then.
Answers and matching order documents with :func:`current_first` (or by ``Validity.rank``), so a
repealed or superseded document always comes after what replaced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.models import AMENDED, IN_FORCE, NOT_YET_IN_FORCE, REPEALED, DocumentMetadata
from assistant.store.index import PolicyIndex, StoredDocument
from assistant.text.tokens import bigrams

ENDED, SUPERSEDED, EXPIRED = "ended", "superseded", "expired"
ENDED_LABEL = "规划期已结束"
_RANK = {IN_FORCE: 0, AMENDED: 1, NOT_YET_IN_FORCE: 2, ENDED: 2, SUPERSEDED: 3, EXPIRED: 4, REPEALED: 4}


@dataclass(frozen=True)
class Validity:
    status: str  # in_force / amended / not_yet_in_force / ended / superseded / expired / repealed
    label: str  # shown to users: "" / "尚未施行（自2030年5月1日起施行）" / "已被《…》废止" / "已被《…》取代" …
    successor: str | None = None  # doc_id of the document that repeals or replaces it

    @property
    def rank(self) -> int:
        """0 applies today … 4 no longer applies; lower ranks come first."""
        return _RANK[self.status]

    @property
    def current(self) -> bool:
        return self.status in (IN_FORCE, AMENDED)


@dataclass(frozen=True)
class RepealRef:
    title: str  # as the repealing document names it
    doc_id: str | None  # the indexed document with that title (or id), if there is one


def _cn_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def _plain_title(title: str) -> str:
    """Title without 《》, spaces and a trailing bracketed note (（2015年修正）, (2022-03-29))."""
    title = re.sub(r"[《》\s]", "", title)
    return re.sub(r"[(（][^()（）]*[)）]$", "", title)


def _similar_titles(a: str, b: str) -> bool:
    x, y = set(bigrams(a)), set(bigrams(b))
    return bool(x and y) and len(x & y) / len(x | y) >= 0.4


def _issued(meta: DocumentMetadata) -> str:
    return meta.effective_date or meta.promulgated_date or meta.date or ""


def _by_title(index: PolicyIndex) -> dict[str, str]:
    """Plain title -> the first doc_id (in index order) with that title."""
    titles: dict[str, str] = {}
    for doc_id, document in index.documents.items():
        titles.setdefault(_plain_title(document.metadata.title), doc_id)
    return titles


def resolve(index: PolicyIndex, name: str, titles: dict[str, str] | None = None) -> str | None:
    """The doc_id an indexed document goes by when ``name`` is its doc_id or its title
    (``titles``: :func:`_by_title`, when several names are resolved)."""
    if name in index.documents:
        return name
    wanted = _plain_title(name)
    return (titles if titles is not None else _by_title(index)).get(wanted) if wanted else None


def _plain_number(text: str) -> str:
    """A document number for comparison: brackets and spaces aside (国科发火[2008]172号 = 国科发火〔2008〕172号)."""
    return re.sub(r"[\[\]〔〕()（）【】\s]", "", text)


def earlier_version(index: PolicyIndex, document: StoredDocument, title: str) -> str | None:
    """The indexed earlier version a document repeals under its own title (原《同名办法》（文号）同时废止):
    another document of that title, the one with the number the repeal gives if any, else one issued
    before it; never the document itself."""
    wanted = _plain_title(title)
    note = re.search(r"[(（]([^()（）]+)[)）]\s*$", title)
    others = [d for d in index.documents.values()
              if d.doc_id != document.doc_id and _plain_title(d.metadata.title) == wanted]
    if note:
        numbered = [d for d in others if d.metadata.number and _plain_number(d.metadata.number) in _plain_number(note.group(1))]
        if numbered:
            return numbered[0].doc_id
    earlier = [d for d in others if "" < _issued(d.metadata) < _issued(document.metadata)]
    return earlier[0].doc_id if earlier else None


def resolved_repeals(index: PolicyIndex, document: StoredDocument,
                     titles: dict[str, str] | None = None) -> list[RepealRef]:
    """What a document repeals, each title resolved to an indexed doc_id when present; a repeal of
    its own title is of an earlier version, never of itself."""
    refs = []
    for title in document.metadata.repeals:
        doc_id = resolve(index, title, titles)
        if doc_id == document.doc_id or (doc_id is None and _plain_title(title) == _plain_title(document.metadata.title)):
            doc_id = earlier_version(index, document, title)
        refs.append(RepealRef(title, doc_id))
    return refs


def repealers(index: PolicyIndex) -> dict[str, str]:
    """doc_id -> the doc_id that repeals it (named by title or id in the repealing document)."""
    found: dict[str, str] = {}
    titles = _by_title(index)
    for newer in index.documents.values():
        for ref in resolved_repeals(index, newer, titles):
            if ref.doc_id and ref.doc_id != newer.doc_id:
                found.setdefault(ref.doc_id, newer.doc_id)
    return found


def _replacement_key(older: DocumentMetadata, newer: DocumentMetadata) -> tuple[int, str] | None:
    """How soon ``newer`` follows ``older`` when it replaces it (None when it does not): a later plan
    of the same place and level with a similar title, or a later version of the same title."""
    if (newer.region_code, newer.level) != (older.region_code, older.level):
        return None
    if older.period and newer.period:
        if newer.period.start_year > older.period.start_year and _similar_titles(older.title, newer.title):
            return newer.period.start_year, ""
        return None
    if _plain_title(older.title) == _plain_title(newer.title) and "" < _issued(older) < _issued(newer):
        return 0, _issued(newer)
    return None


def successors(index: PolicyIndex) -> dict[str, str]:
    """doc_id -> the doc_id that replaces it: named by ``supersedes`` metadata, else the next
    document after it that :func:`_replacement_key` finds."""
    found: dict[str, str] = {}
    for newer in index.documents.values():
        if newer.metadata.supersedes and newer.metadata.supersedes in index.documents:
            found[newer.metadata.supersedes] = newer.doc_id
    # only a document of the same place and level can replace another, and only by _replacement_key's
    # two rules: a later plan (both have periods) or a later version of the same title.  Each document
    # is compared with those two groups only, not with every document of its place (issue 26: the
    # national documents of a large index were compared pair by pair)
    plans: dict[tuple, list[StoredDocument]] = {}
    titled: dict[tuple, list[StoredDocument]] = {}
    for document in index.documents.values():
        meta = document.metadata
        place = (meta.region_code, meta.level)
        titled.setdefault((*place, _plain_title(meta.title)), []).append(document)
        if meta.period:
            plans.setdefault(place, []).append(document)
    for older in index.documents.values():
        if older.doc_id in found:
            continue
        meta = older.metadata
        place = (meta.region_code, meta.level)
        candidates = [n for n in titled[(*place, _plain_title(meta.title))] if not (meta.period and n.metadata.period)]
        if meta.period:
            candidates += plans[place]
        keyed = [(key, newer.doc_id) for newer in candidates
                 if newer is not older and (key := _replacement_key(meta, newer.metadata))]
        if keyed:
            found[older.doc_id] = min(keyed)[1]
    return found


def _in_force_on(meta: DocumentMetadata, today: date) -> bool:
    return not meta.effective_date or date.fromisoformat(meta.effective_date) <= today


def validity(document: StoredDocument, today: date, replaced_by: dict[str, str], index: PolicyIndex,
             repealed_by: dict[str, str] | None = None) -> Validity:
    """The status of one document on ``today``; ``replaced_by`` from :func:`successors`,
    ``repealed_by`` from :func:`repealers` (computed once per index)."""
    meta = document.metadata
    if meta.status == REPEALED:
        return Validity(REPEALED, "已废止")
    pending = ""  # a repeal or replacement that takes effect later
    repealer = (repealed_by or {}).get(document.doc_id)
    if repealer:
        other = index.documents[repealer].metadata
        if _in_force_on(other, today):
            return Validity(REPEALED, f"已被《{other.title}》废止", repealer)
        pending = f"《{other.title}》自{_cn_date(other.effective_date)}起施行后废止本文件"
    if meta.effective_date and date.fromisoformat(meta.effective_date) > today:
        return Validity(NOT_YET_IN_FORCE, f"尚未施行（自{_cn_date(meta.effective_date)}起施行）")
    if meta.status == NOT_YET_IN_FORCE and not meta.effective_date:
        return Validity(NOT_YET_IN_FORCE, "尚未施行")
    successor = replaced_by.get(document.doc_id)
    if successor and not pending:
        other = index.documents[successor].metadata
        if _in_force_on(other, today):
            return Validity(SUPERSEDED, f"已被《{other.title}》取代", successor)
        pending = f"《{other.title}》自{_cn_date(other.effective_date)}起施行后取代本文件"
    if meta.expiry_date and date.fromisoformat(meta.expiry_date) < today:
        return Validity(EXPIRED, f"已失效（有效期至{_cn_date(meta.expiry_date)}）")
    if meta.status == AMENDED:
        return Validity(AMENDED, "已修改（现行文本可能不同）")
    period = meta.period
    if period and period.end_year < today.year:
        return Validity(ENDED, f"{ENDED_LABEL}（{period.start_year}—{period.end_year}年）")
    return Validity(IN_FORCE, pending, repealer or successor if pending else None)


def validities(index: PolicyIndex, today: date) -> dict[str, Validity]:
    """The status of every indexed document on ``today``: what answers and matching rank by."""
    replaced_by, repealed_by = successors(index), repealers(index)
    return {doc_id: validity(document, today, replaced_by, index, repealed_by)
            for doc_id, document in index.documents.items()}


def current_first(doc_ids: list[str], states: dict[str, Validity]) -> list[str]:
    """``doc_ids`` reordered so that documents that apply today come first (stable otherwise)."""
    return sorted(doc_ids, key=lambda d: states[d].rank if d in states else 0)
