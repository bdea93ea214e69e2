"""Hybrid retrieval: FAISS and BM25 fused by reciprocal rank."""
