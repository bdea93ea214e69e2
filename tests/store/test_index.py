"""Index persistence: round trip, clear errors, atomic replacement."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.ingest.pipeline import DocumentIngester, bundled_corpus_dir
from assistant.models import Chunk
from assistant.store.bm25 import Bm25Index
from assistant.store.dense import DenseIndex
from assistant.store.index import (
    CURRENT,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    PolicyIndex,
    StoredDocument,
    current_version,
    load_index,
    make_manifest,
    save_index,
)

MODEL = "test-model"


def small_index(dimension: int = 8, seed: int = 0) -> PolicyIndex:
    """A real index of the Zibo document with random vectors (no model needed)."""
    parsed = DocumentIngester().run([bundled_corpus_dir() / "zibo-ip-service-industry-opinions-2023.txt"]).documents
    chunks: list[Chunk] = [c for d in parsed for c in d.chunks]
    stored = [StoredDocument.from_parsed(d) for d in parsed]
    vectors = np.random.default_rng(seed).normal(size=(len(chunks), dimension)).astype(np.float32)
    return PolicyIndex(
        manifest=make_manifest(MODEL, dimension, "bigram", stored, chunks),
        documents={d.doc_id: d for d in stored},
        chunks=chunks,
        dense=DenseIndex.build(vectors),
        bm25=Bm25Index.build([c.text for c in chunks], "bigram"),
    )


def test_round_trip(tmp_path: Path) -> None:
    index = small_index()
    save_index(index, tmp_path)
    loaded = load_index(tmp_path, MODEL)
    assert loaded.chunks == index.chunks
    assert loaded.documents.keys() == index.documents.keys()
    doc = next(iter(loaded.documents.values()))
    assert doc.metadata == next(iter(index.documents.values())).metadata
    assert doc.sections == next(iter(index.documents.values())).sections
    assert np.allclose(loaded.bm25.scores("版权产业"), index.bm25.scores("版权产业"))
    manifest = json.loads((current_version(tmp_path) / "manifest.json").read_text())
    assert manifest["format_version"] == 3 and manifest["model"] == MODEL and manifest["dimension"] == 8
    assert manifest["dense"] == {"kind": "flat", "vectors": len(index.chunks), "dimension": 8}
    assert [s["dense"] for s in manifest["segments"]] == [manifest["dense"]] and manifest["segments"][0]["dead"] == []
    assert len(manifest["documents"]["zibo-ip-service-industry-opinions-2023"]["content_hash"]) == 64


def test_missing_index_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="policy-assistant ingest"):
        load_index(tmp_path / "nowhere", MODEL)


def test_other_model_is_refused(tmp_path: Path) -> None:
    save_index(small_index(), tmp_path)
    with pytest.raises(IndexMismatchError, match="built with embedding model 'test-model'"):
        load_index(tmp_path, "another-model")


def test_other_format_version_is_refused(tmp_path: Path) -> None:
    version = save_index(small_index(), tmp_path)
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["format_version"] = 99
    (version / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format version 99"):
        load_index(tmp_path, MODEL)


@pytest.mark.parametrize("damage", ["delete_vectors", "truncate_chunks", "garble_manifest", "dangling_pointer"])
def test_corrupt_index_is_reported(tmp_path: Path, damage: str) -> None:
    version = save_index(small_index(), tmp_path)
    segment = tmp_path / json.loads((version / "manifest.json").read_text())["segments"][0]["path"]
    if damage == "delete_vectors":
        (segment / "dense.faiss").unlink()
    elif damage == "truncate_chunks":
        data = (segment / "store.sqlite").read_bytes()
        (segment / "store.sqlite").write_bytes(data[: len(data) // 3])
    elif damage == "garble_manifest":
        (version / "manifest.json").write_text("{not json")
    else:
        shutil.rmtree(version)
    with pytest.raises(IndexCorruptError, match="rebuild"):
        load_index(tmp_path, MODEL)


def test_interrupted_save_leaves_previous_index_usable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = small_index(seed=1)
    save_index(first, tmp_path)

    def crash(self, path):  # the process dies while writing the vectors of the new version
        raise KeyboardInterrupt

    monkeypatch.setattr(DenseIndex, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_index(small_index(seed=2), tmp_path)
    monkeypatch.undo()
    loaded = load_index(tmp_path, MODEL)
    assert np.allclose(loaded.dense.index.reconstruct(0), first.dense.index.reconstruct(0))
    # the next successful save removes the partial version; it keeps the one it replaced for readers
    save_index(small_index(seed=3), tmp_path)
    versions = sorted(p.name for p in (tmp_path / "versions").iterdir())
    assert len(versions) == 2 and not any(name.endswith(".partial") for name in versions)
    assert (tmp_path / CURRENT).read_text().strip() == current_version(tmp_path).name


def test_dense_search_with_allowed_positions() -> None:
    vectors = np.eye(4, dtype=np.float32)
    index = DenseIndex.build(vectors)
    ids, scores = index.search(np.array([1, 0.5, 0, 0], dtype=np.float32), k=4, allowed=np.array([1, 2]))
    assert list(ids) == [1, 2] and scores[0] > scores[1]
