"""Finding the clauses that answer a question: dense + BM25 candidates fused by reciprocal rank."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from assistant.embedding.encoder import Encoder
from assistant.geo import Place, gazetteer
from assistant.models import Chunk
from assistant.understanding.question import QuestionAnalysis, analyse_question
from assistant.store.index import PolicyIndex
from assistant.store.sentences import sentence_spans


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents and/or jurisdictions (short names such as 武汉, 国家)."""

    doc_ids: frozenset[str] = field(default_factory=frozenset)
    jurisdictions: frozenset[str] = field(default_factory=frozenset)
    statuses: frozenset[str] = field(default_factory=frozenset)  # stated legal status (in_force, repealed …)

    def is_empty(self) -> bool:
        return not self.doc_ids and not self.jurisdictions and not self.statuses


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float  # fused reciprocal-rank score
    dense_rank: int | None
    bm25_rank: int | None


def reciprocal_rank_fusion(rankings: list[list[int]], k: int, weights: list[float] | None = None) -> dict[int, float]:
    """Σ weight / (k + rank) over the rankings each item appears in (ranks start at 1)."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


class Retriever(Protocol):
    """What the reader and the service need from a clause search, whatever store is behind it."""

    index: PolicyIndex

    def documents_for(self, analysis: QuestionAnalysis) -> set[str]: ...

    def run(self, question: str, top_k: int = 5, filters: Filters | None = None,
            analysis: QuestionAnalysis | None = None, vector: np.ndarray | None = None) -> list[ScoredChunk]: ...

    def embed(self, analysis: QuestionAnalysis) -> np.ndarray: ...


class PlaceDocuments:
    """Documents by the place they govern, made once per index version, so a question's places are
    looked up by division code instead of walking every document."""

    def __init__(self, documents: Mapping[str, Any]):
        self.by_code: dict[str, set[str]] = {}
        self.national: set[str] = set()
        self.by_jurisdiction: dict[str, set[str]] = {}
        for doc_id, document in documents.items():
            meta = document.metadata
            if meta.region_code:
                self.by_code.setdefault(meta.region_code, set()).add(doc_id)
            if meta.level == "national":
                self.national.add(doc_id)
            if meta.jurisdiction:
                self.by_jurisdiction.setdefault(meta.jurisdiction, set()).add(doc_id)
        self.codes = sorted(self.by_code)

    def _codes_near(self, place: Place) -> set[str]:
        """Division codes of documents that may contain the place or lie inside it."""
        near = {place.code, place.province_code, place.city_code or place.code}
        prefix = {"province": place.code[:2], "city": place.code[:4]}.get(place.level)
        if prefix:
            begin = bisect_left(self.codes, prefix)
            end = bisect_left(self.codes, prefix + "\uffff")
            near.update(self.codes[begin:end])
        return near & self.by_code.keys()

    def covering(self, analysis: QuestionAnalysis) -> set[str]:
        places = gazetteer()
        matched: set[str] = set()
        for place in analysis.places:
            for code in self._codes_near(place):
                region = places.by_code(code)
                if region and (place.within(region) or region.within(place)):
                    matched |= self.by_code[code]
        if analysis.national:
            matched |= self.national
        return matched


class HybridRetriever:
    """Dense and BM25 candidates fused by reciprocal rank; a place the question names lifts the
    documents of that jurisdiction by one extra first-rank vote.  Only candidates are touched after
    the two searches: BM25 keeps its top hits without sorting every chunk, and fusion and the lift
    work on at most twice ``candidates`` chunks."""

    def __init__(self, index: PolicyIndex, encoder: Encoder, rrf_k: int = 60, candidates: int = 50,
                 place_weight: float = 1.0, sentence_weight: float = 1.0):
        self.index = index
        self.encoder = encoder
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.place_weight = place_weight
        self.sentence_weight = sentence_weight  # the vote of the sentence-level ranking (0: clauses only)
        self.places = PlaceDocuments(index.documents)

    def documents_for(self, analysis: QuestionAnalysis) -> set[str]:
        """Documents whose jurisdiction covers a place the question names (南宁 -> the Guangxi plan),
        or national documents when the question says 国家/全国."""
        return self.places.covering(analysis)

    def allowed_positions(self, filters: Filters) -> np.ndarray | None:
        if filters.is_empty():
            return None
        chosen: list[set[str]] = []
        if filters.doc_ids:
            chosen.append(set(filters.doc_ids))
        if filters.jurisdictions:
            chosen.append(set().union(*(self.places.by_jurisdiction.get(j, set()) for j in filters.jurisdictions)))
        doc_ids = set.intersection(*chosen) if chosen else set(self.index.documents)
        if filters.statuses:
            doc_ids = {d for d in doc_ids if (self.index.documents[d].metadata.status or "") in filters.statuses}
        return self.index.layout.positions(doc_ids)

    def embed(self, analysis: QuestionAnalysis) -> np.ndarray:
        """The question's vector as the dense search uses it (the reader weighs sentences with it too)."""
        return self.encoder.encode_queries([analysis.expanded])[0]

    def run(self, question: str, top_k: int = 5, filters: Filters | None = None,
            analysis: QuestionAnalysis | None = None, vector: np.ndarray | None = None) -> list[ScoredChunk]:
        """The clauses for a question, best first; ``vector``: its embedding, when the caller has it."""
        allowed = self.allowed_positions(filters or Filters())
        if allowed is not None and len(allowed) == 0:
            return []
        query = analysis or analyse_question(question)
        query_vector = self.embed(query) if vector is None else vector
        dense_ids, _ = self.index.dense.search(query_vector, self.candidates, allowed)
        dense_list = [int(i) for i in dense_ids]
        bm25_ids = [int(i) for i in self.index.bm25.top(query.expanded, self.candidates, allowed)]
        return self.fuse(dense_list, bm25_ids, query, top_k, query_vector)

    def by_sentences(self, positions: list[int], vector: np.ndarray) -> list[int]:
        """The candidate clauses ranked by their best sentence's cosine with the question (each
        sentence has its own vector, store/sentences.py); clauses without stored sentences last."""
        chunks = [self.index.chunks[p] for p in positions]
        keys, owners = [], []
        for i, chunk in enumerate(chunks):
            for start, end in sentence_spans(chunk):
                keys.append((chunk.doc_id, start, end))
                owners.append(i)
        if not keys:
            return []
        vectors, found = self.index.sentence_lookup.vectors(keys)
        similarity = np.where(found, vectors @ np.asarray(vector, dtype=np.float32), -np.inf)
        best = np.full(len(positions), -np.inf)
        np.maximum.at(best, np.asarray(owners), similarity)
        order = [i for i in np.argsort(-best, kind="stable") if np.isfinite(best[i])]
        return [positions[i] for i in order]

    def fuse(self, dense_list: list[int], bm25_ids: list[int], query: QuestionAnalysis,
             top_k: int, vector: np.ndarray | None = None) -> list[ScoredChunk]:
        """Reciprocal-rank fusion of the dense and BM25 rankings of chunk positions and, given the
        question's vector, of those candidates ranked by their best sentence; then the place lift."""
        rankings, weights = [dense_list, bm25_ids], [1.0, 1.0]
        if vector is not None and self.sentence_weight > 0:
            rankings.append(self.by_sentences(list(dict.fromkeys(dense_list + bm25_ids)), vector))
            weights.append(self.sentence_weight)
        fused = reciprocal_rank_fusion(rankings, self.rrf_k, weights)
        lifted = self.documents_for(query)
        if lifted:
            bonus = self.place_weight / (self.rrf_k + 1)
            items = list(fused)
            for item, doc_id in zip(items, self.index.layout.doc_at(items)):
                if doc_id in lifted:
                    fused[item] += bonus
        dense_rank = {item: r for r, item in enumerate(dense_list, start=1)}
        bm25_rank = {item: r for r, item in enumerate(bm25_ids, start=1)}
        best = sorted(fused, key=lambda i: (-fused[i], i))[:top_k]
        return [
            ScoredChunk(self.index.chunks[i], round(fused[i], 6), dense_rank.get(i), bm25_rank.get(i)) for i in best
        ]

