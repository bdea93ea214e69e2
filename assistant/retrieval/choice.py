"""Choosing the retriever the ``store`` setting names: embedded FAISS + BM25, or Milvus."""

from __future__ import annotations

from assistant.embedding.encoder import Encoder
from assistant.retrieval.retriever import HybridRetriever, Retriever
from assistant.settings import Settings
from assistant.store.index import PolicyIndex


def make_retriever(settings: Settings, index: PolicyIndex, encoder: Encoder) -> Retriever:
    """The retriever the ``store`` setting names: embedded FAISS + BM25 (default), or Milvus."""
    if settings.store == "embedded":
        return HybridRetriever(index, encoder, settings.rrf_k, settings.candidates, sentence_weight=settings.sentence_rank_weight)
    from assistant.retrieval.milvus import MilvusRetriever  # pymilvus is an optional extra
    from assistant.store.milvus import MilvusStore

    store = MilvusStore(settings.store, index.dense.dimension, settings.dense_exact_max_chunks)
    return MilvusRetriever(index, encoder, store, settings.rrf_k, settings.candidates,
                           sentence_weight=settings.sentence_rank_weight)
