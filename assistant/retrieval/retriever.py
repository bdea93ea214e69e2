"""Finding the clauses that answer a question: dense + BM25 candidates fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.embedding.encoder import Encoder
from assistant.geo import gazetteer
from assistant.models import Chunk
from assistant.understanding.question import QuestionAnalysis, analyse_question
from assistant.store.index import PolicyIndex


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents and/or jurisdictions (short names such as 武汉, 国家)."""

    doc_ids: frozenset[str] = field(default_factory=frozenset)
    jurisdictions: frozenset[str] = field(default_factory=frozenset)

    def is_empty(self) -> bool:
        return not self.doc_ids and not self.jurisdictions


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


class HybridRetriever:
    """Dense and BM25 candidates fused by reciprocal rank; a place the question names lifts the
    documents of that jurisdiction by one extra first-rank vote."""

    def __init__(self, index: PolicyIndex, encoder: Encoder, rrf_k: int = 60, candidates: int = 50,
                 place_weight: float = 1.0):
        self.index = index
        self.encoder = encoder
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.place_weight = place_weight

    def documents_for(self, analysis: QuestionAnalysis) -> set[str]:
        """Documents whose jurisdiction covers a place the question names (南宁 -> the Guangxi plan),
        or national documents when the question says 国家/全国."""
        places = gazetteer()
        matched = set()
        for doc_id, document in self.index.documents.items():
            code = document.metadata.region_code
            region = places.by_code(code) if code else None
            if region and any(place.within(region) or region.within(place) for place in analysis.places):
                matched.add(doc_id)
            elif document.metadata.level == "national" and analysis.national:
                matched.add(doc_id)
        return matched

    def allowed_positions(self, filters: Filters) -> np.ndarray | None:
        if filters.is_empty():
            return None
        documents = self.index.documents
        keep = [
            pos
            for pos, chunk in enumerate(self.index.chunks)
            if (not filters.doc_ids or chunk.doc_id in filters.doc_ids)
            and (not filters.jurisdictions or documents[chunk.doc_id].metadata.jurisdiction in filters.jurisdictions)
        ]
        return np.array(keep, dtype=np.int64)

    def run(self, question: str, top_k: int = 5, filters: Filters | None = None,
            analysis: QuestionAnalysis | None = None) -> list[ScoredChunk]:
        allowed = self.allowed_positions(filters or Filters())
        if allowed is not None and len(allowed) == 0:
            return []
        query = analysis or analyse_question(question)
        query_vector = self.encoder.encode_queries([query.expanded])[0]
        dense_ids, _ = self.index.dense.search(query_vector, self.candidates, allowed)
        bm25_scores = self.index.bm25.scores(query.expanded)
        if allowed is not None:
            mask = np.full(bm25_scores.shape, -np.inf, dtype=np.float32)
            mask[allowed] = bm25_scores[allowed]
            bm25_scores = mask
        order = np.argsort(-bm25_scores, kind="stable")[: self.candidates]
        bm25_ids = [int(i) for i in order if bm25_scores[i] > 0]
        dense_list = [int(i) for i in dense_ids]
        fused = reciprocal_rank_fusion([dense_list, bm25_ids], self.rrf_k)
        lifted = self.documents_for(query)
        if lifted:
            bonus = self.place_weight / (self.rrf_k + 1)
            for item in fused:
                if self.index.chunks[item].doc_id in lifted:
                    fused[item] += bonus
        dense_rank = {item: r for r, item in enumerate(dense_list, start=1)}
        bm25_rank = {item: r for r, item in enumerate(bm25_ids, start=1)}
        best = sorted(fused, key=lambda i: (-fused[i], i))[:top_k]
        return [
            ScoredChunk(self.index.chunks[i], round(fused[i], 6), dense_rank.get(i), bm25_rank.get(i)) for i in best
        ]
