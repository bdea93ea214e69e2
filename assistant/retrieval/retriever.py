"""Finding the clauses that answer a question: dense + BM25 candidates fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.embedding.encoder import Encoder
from assistant.models import Chunk
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
    def __init__(self, index: PolicyIndex, encoder: Encoder, rrf_k: int = 60, candidates: int = 50):
        self.index = index
        self.encoder = encoder
        self.rrf_k = rrf_k
        self.candidates = candidates

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
            query_vector: np.ndarray | None = None) -> list[ScoredChunk]:
        allowed = self.allowed_positions(filters or Filters())
        if allowed is not None and len(allowed) == 0:
            return []
        if query_vector is None:
            query_vector = self.encoder.encode_queries([question])[0]
        dense_ids, _ = self.index.dense.search(query_vector, self.candidates, allowed)
        bm25_scores = self.index.bm25.scores(question)
        if allowed is not None:
            mask = np.full(bm25_scores.shape, -np.inf, dtype=np.float32)
            mask[allowed] = bm25_scores[allowed]
            bm25_scores = mask
        order = np.argsort(-bm25_scores, kind="stable")[: self.candidates]
        bm25_ids = [int(i) for i in order if bm25_scores[i] > 0]
        dense_list = [int(i) for i in dense_ids]
        fused = reciprocal_rank_fusion([dense_list, bm25_ids], self.rrf_k)
        dense_rank = {item: r for r, item in enumerate(dense_list, start=1)}
        bm25_rank = {item: r for r, item in enumerate(bm25_ids, start=1)}
        best = sorted(fused, key=lambda i: (-fused[i], i))[:top_k]
        return [
            ScoredChunk(self.index.chunks[i], round(fused[i], 6), dense_rank.get(i), bm25_rank.get(i)) for i in best
        ]
