"""FAISS inner-product search over L2-normalised chunk vectors."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class DenseIndex:
    def __init__(self, index: faiss.Index):
        self.index = index

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        faiss.normalize_L2(vectors)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        return cls(index)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(chunk positions, cosine scores) of the k nearest chunks, optionally among ``allowed`` only."""
        vector = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        faiss.normalize_L2(vector)
        k = min(k, self.index.ntotal)
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
            k = min(k, len(allowed))
        scores, ids = self.index.search(vector, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(faiss.read_index(str(path)))
