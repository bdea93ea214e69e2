"""FAISS inner-product search over L2-normalised chunk vectors.

The index type follows the corpus size, chosen at build time: below ``exact_max`` chunks an exact
``IndexFlatIP``; above it an inverted-file index with 8-bit scalar-quantised codes (``IVF…,SQ8``:
a quarter of the memory of the vectors, ``nprobe`` of its lists searched per query).  The float
vectors of an approximate index are kept beside it (``dense.npy``, memory-mapped), so a search
restricted to a few thousand chunks is exact, and vectors can be reused without the quantisation.
"""

from __future__ import annotations

import math
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

EXACT_MAX = 50_000  # default: exact search up to this many chunks
NPROBE = 48


def read_rows(vectors: np.ndarray, rows: np.ndarray, fd: int | None = None) -> np.ndarray:
    """These rows (ascending) of the stored vectors as float32.  From a memory-mapped file (``fd``
    open on it) they are read with ``pread``, run by run: pages of a mapping stay in the process's
    resident memory once touched (with the neighbours the kernel maps around each fault), so
    scattered rows read through the map would leave most of the file resident after a few hundred
    filtered searches."""
    if fd is None or not isinstance(vectors, np.memmap) or vectors.dtype != np.float32 \
            or not vectors.flags.c_contiguous or len(rows) == 0:
        return np.asarray(vectors[rows], dtype=np.float32)
    out = np.empty((len(rows), vectors.shape[1]), dtype=np.float32)
    row_bytes = vectors.shape[1] * 4
    starts = np.r_[0, np.flatnonzero(np.diff(rows) != 1) + 1]  # runs of consecutive rows
    ends = np.r_[starts[1:], len(rows)]
    view = memoryview(out).cast("B")
    for start, end in zip(starts.tolist(), ends.tolist()):
        wanted = (end - start) * row_bytes
        got = os.preadv(fd, [view[start * row_bytes:end * row_bytes]], vectors.offset + int(rows[start]) * row_bytes)
        if got != wanted:
            raise OSError(f"{vectors.filename}: read {got} of {wanted} bytes")
    return out


@dataclass(frozen=True)
class DensePlan:
    """How the dense index is built and searched (from the settings)."""

    exact_max: int = EXACT_MAX
    nprobe: int = NPROBE


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    faiss.normalize_L2(vectors)
    return vectors


def list_count(n: int) -> int:
    """Inverted lists for n vectors: about 4·√n."""
    return max(16, int(4 * math.sqrt(n)))


class DenseIndex:
    def __init__(self, index: faiss.Index, vectors: np.ndarray | None = None, nprobe: int = NPROBE):
        self.index = index
        self.nprobe = nprobe
        ivf = self._ivf()
        if ivf is not None:
            ivf.nprobe = nprobe
            ivf.make_direct_map()  # reconstruct(i) by position
        self._vectors = vectors
        self._vectors_fd: int | None = None  # open on the memory-mapped vectors' file (see read_rows)

    def _ivf(self) -> Any:
        return self.index if isinstance(self.index, faiss.IndexIVF) else None

    @property
    def approximate(self) -> bool:
        return self._ivf() is not None

    @property
    def kind(self) -> str:
        return "ivf_sq8" if self.approximate else "flat"

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    @property
    def vectors(self) -> np.ndarray:
        """The stored float vectors, one row per chunk position (a view or a memory map, no copy)."""
        if self._vectors is None:  # the flat index holds them
            n, d = self.index.ntotal, self.index.d
            self._vectors = faiss.rev_swig_ptr(self.index.get_xb(), n * d).reshape(n, d)
        return self._vectors

    def rows(self, positions: np.ndarray | list[int]) -> np.ndarray:
        """The stored float vectors of these chunk positions (any order, repeats allowed), one row each: the
        one way stored rows are read.  From a memory-mapped file they are read with ``pread`` in position
        order (``read_rows``), so reading them leaves no pages of the file resident."""
        positions = np.asarray(positions, dtype=np.int64).reshape(-1)
        total = int(self.index.ntotal)
        if len(positions) and (int(positions.min()) < 0 or int(positions.max()) >= total):
            raise IndexError(f"chunk positions outside 0..{total - 1}")
        if len(positions) < 2 or bool(np.all(positions[1:] >= positions[:-1])):
            return read_rows(self.vectors, positions, self._vectors_fd)
        order = np.argsort(positions, kind="stable")
        out = np.empty((len(positions), self.dimension), dtype=np.float32)
        out[order] = read_rows(self.vectors, positions[order], self._vectors_fd)
        return out

    def describe(self) -> dict[str, Any]:
        """What the manifest records."""
        ivf = self._ivf()
        return {"kind": self.kind, "vectors": int(self.index.ntotal), "dimension": self.dimension,
                **({"lists": int(ivf.nlist), "nprobe": int(ivf.nprobe)} if ivf is not None else {})}

    @classmethod
    def build(cls, vectors: np.ndarray, plan: DensePlan | None = None) -> DenseIndex:
        plan = plan or DensePlan()
        vectors = normalised(vectors)
        n, d = vectors.shape
        if n <= plan.exact_max:
            index = faiss.IndexFlatIP(d)
            index.add(vectors)
            return cls(index, nprobe=plan.nprobe)
        lists = list_count(n)
        index = faiss.index_factory(d, f"IVF{lists},SQ8", faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(n, size=min(n, 64 * lists), replace=False)
        index.train(vectors[np.sort(sample)])
        for begin in range(0, n, 100_000):
            index.add(vectors[begin:begin + 100_000])
        return cls(index, vectors, nprobe=plan.nprobe)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(chunk positions, cosine scores) of the k nearest chunks, optionally among ``allowed`` only."""
        vector = normalised(query.reshape(1, -1))
        if allowed is not None:
            if len(allowed) == 0:
                return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
            if self.approximate and len(allowed) <= EXACT_MAX:  # few enough to compare with every one
                return self._exact_among(vector[0], np.asarray(allowed, dtype=np.int64), k)
            params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)),
                                               nprobe=self.nprobe) if self.approximate else \
                faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
            k = min(k, len(allowed), self.index.ntotal)
            scores, ids = self.index.search(vector, k, params=params)
        else:
            scores, ids = self.index.search(vector, min(k, self.index.ntotal))
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def _exact_among(self, vector: np.ndarray, allowed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        allowed = np.sort(allowed)
        scores = self.rows(allowed) @ vector
        k = min(k, len(allowed))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(allowed) else np.arange(len(allowed))
        best = best[np.lexsort((allowed[best], -scores[best]))]
        return allowed[best], scores[best]

    def save(self, path: Path) -> None:
        """The FAISS index at ``path``; for an approximate index the float vectors beside it."""
        faiss.write_index(self.index, str(path))
        if self.approximate:
            np.save(path.with_suffix(".npy"), np.asarray(self.vectors, dtype=np.float32))

    @classmethod
    def load(cls, path: Path, nprobe: int = NPROBE) -> DenseIndex:
        """The index saved at ``path``; ``nprobe`` as the manifest records it."""
        index = faiss.read_index(str(path))
        vectors = None
        if isinstance(index, faiss.IndexIVF):
            vectors = np.load(path.with_suffix(".npy"), mmap_mode="r")
            if vectors.shape != (index.ntotal, index.d):
                raise ValueError(f"{path.with_suffix('.npy')} holds {vectors.shape} vectors for {index.ntotal}")
        dense = cls(index, vectors, nprobe=nprobe)
        if vectors is not None:  # opened now: stays readable if a later version's write removes the file
            dense._vectors_fd = os.open(path.with_suffix(".npy"), os.O_RDONLY)
            weakref.finalize(dense, os.close, dense._vectors_fd)
        return dense
