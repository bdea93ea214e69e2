"""A filtered search over an approximate index reads the stored vectors without mapping them in."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from assistant.store.dense import DenseIndex, DensePlan, read_rows


def resident_kb(path: Path) -> int:
    """Resident pages of this process's mappings of ``path`` (from /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if line[:1].isdigit() or line[:1] in "abcdef" and "-" in line.split()[0]:
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_read_rows_equal_the_rows(tmp_path: Path) -> None:
    vectors = np.random.default_rng(0).random((3000, 16)).astype(np.float32)
    np.save(tmp_path / "v.npy", vectors)
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")
    fd = os.open(tmp_path / "v.npy", os.O_RDONLY)
    rng = np.random.default_rng(1)
    try:
        for _ in range(30):
            rows = np.unique(np.r_[rng.integers(0, 3000, rng.integers(1, 200)), np.arange(2990, 3000)])
            assert np.array_equal(read_rows(mapped, rows, fd), vectors[rows])
    finally:
        os.close(fd)
    assert np.array_equal(read_rows(vectors, np.array([5, 6, 9])), vectors[[5, 6, 9]])  # in memory: indexed


def test_filtered_search_is_exact_and_leaves_the_file_unmapped(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(6000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    DenseIndex.build(vectors, DensePlan(exact_max=1000, nprobe=4)).save(tmp_path / "dense.faiss")
    index = DenseIndex.load(tmp_path / "dense.faiss", nprobe=4)
    assert index.approximate
    for _ in range(40):
        allowed = np.unique(rng.integers(0, 6000, 500))
        query = rng.normal(size=32).astype(np.float32)
        ids, scores = index.search(query, 10, allowed)
        unit = query / np.linalg.norm(query)
        expected = allowed[np.lexsort((allowed, -(vectors[allowed] @ unit)))][:10]
        assert np.array_equal(ids, expected)
        assert np.allclose(scores, vectors[ids] @ unit, atol=1e-5)
    assert resident_kb(tmp_path / "dense.npy") == 0
    (tmp_path / "dense.npy").unlink()  # a later version's write removed the file: still readable
    assert len(index.search(rng.normal(size=32).astype(np.float32), 10, np.arange(100))[0]) == 10


def test_rows_in_any_order_equal_the_stored_rows_and_leave_the_file_unmapped(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = DenseIndex.build(vectors[:500])  # the flat index holds its vectors
    DenseIndex.build(vectors, DensePlan(exact_max=1000, nprobe=4)).save(tmp_path / "dense.faiss")
    index = DenseIndex.load(tmp_path / "dense.faiss", nprobe=4)
    assert isinstance(index.vectors, np.memmap)
    for _ in range(20):
        positions = rng.integers(0, 500, rng.integers(1, 300))  # unordered, with repeats
        assert np.array_equal(index.rows(positions), vectors[positions])
        assert np.array_equal(flat.rows(positions), flat.vectors[positions])
    assert index.rows([]).shape == (0, 16) and np.array_equal(index.rows([2999]), vectors[[2999]])
    for bad in ([-1], [3000]):
        with pytest.raises(IndexError):
            index.rows(bad)
    assert resident_kb(tmp_path / "dense.npy") == 0
