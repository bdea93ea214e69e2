"""The persisted index: documents, chunks, FAISS vectors and BM25, with a manifest."""
