"""Hybrid retrieval with Milvus behind it: dense and BM25 candidates searched in Milvus under the
filters, fused by reciprocal rank with the place lift exactly as the embedded retriever fuses them."""

from __future__ import annotations

import numpy as np

from assistant.embedding.encoder import Encoder
from assistant.retrieval.retriever import Filters, HybridRetriever, ScoredChunk
from assistant.store.index import PolicyIndex
from assistant.store.milvus import Hit, MilvusStore, expression
from assistant.understanding.question import QuestionAnalysis, analyse_question


class MilvusRetriever(HybridRetriever):
    def __init__(self, index: PolicyIndex, encoder: Encoder, store: MilvusStore, rrf_k: int = 60,
                 candidates: int = 50, place_weight: float = 1.0, sentence_weight: float = 1.0):
        super().__init__(index, encoder, rrf_k, candidates, place_weight, sentence_weight)
        self.store = store
        store.sync(index)  # the collection follows the index version this retriever serves

    def _positions(self, hits: list[Hit]) -> list[int]:
        layout = self.index.layout
        return [layout.first_of(hit.doc_id) + hit.ordinal for hit in hits if hit.doc_id in self.index.documents]

    def run(self, question: str, top_k: int = 5, filters: Filters | None = None,
            analysis: QuestionAnalysis | None = None, vector: np.ndarray | None = None) -> list[ScoredChunk]:
        filters = filters or Filters()
        query = analysis or analyse_question(question)
        where = expression(filters.doc_ids, filters.jurisdictions, filters.statuses)
        vector = self.embed(query) if vector is None else vector
        dense = self._positions(self.store.search_dense(vector, self.candidates, where))
        sparse = self._positions(self.store.search_sparse(self.index.bm25.query_vector(query.expanded),
                                                          self.candidates, where))
        return self.fuse(dense, sparse, query, top_k, vector)
