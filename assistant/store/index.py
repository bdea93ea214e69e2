"""Saving and loading a complete index atomically, with a manifest that guards against mismatch.

Layout of an index directory::

    DIR/CURRENT                 name of the live version (replaced atomically)
    DIR/versions/<name>/        manifest.json, documents.jsonl, chunks.jsonl, dense.faiss, bm25/

A new version is written completely beside the live one and only then named in CURRENT, so an
interrupted build leaves the previous index usable.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.durable import fsync_path, fsync_tree, write_durably
from assistant.models import Chunk, DocumentMetadata, ParsedDocument, Period, Section
from assistant.store.bm25 import Bm25Index
from assistant.store.dense import DenseIndex

FORMAT_VERSION = 1
CURRENT = "CURRENT"
VERSIONS = "versions"


class IndexProblem(RuntimeError):
    """Base of index problems; the message says what is wrong and how to fix it."""


class IndexNotFoundError(IndexProblem):
    pass


class IndexCorruptError(IndexProblem):
    pass


class IndexMismatchError(IndexProblem):
    pass


@dataclass
class StoredDocument:
    """A document as the index keeps it (text, metadata and sections; chunks live apart)."""

    doc_id: str
    source: str
    content_hash: str
    text: str
    metadata: DocumentMetadata
    sections: list[Section]

    @classmethod
    def from_parsed(cls, doc: ParsedDocument) -> StoredDocument:
        return cls(doc.doc_id, doc.source, doc.content_hash, doc.text, doc.metadata, doc.sections)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredDocument:
        meta = dict(data["metadata"])
        meta["period"] = Period(**meta["period"]) if meta.get("period") else None
        return cls(
            doc_id=data["doc_id"],
            source=data["source"],
            content_hash=data["content_hash"],
            text=data["text"],
            metadata=DocumentMetadata(**meta),
            sections=[Section(**s) for s in data["sections"]],
        )


@dataclass
class PolicyIndex:
    manifest: dict[str, Any]
    documents: dict[str, StoredDocument]
    chunks: list[Chunk]
    dense: DenseIndex
    bm25: Bm25Index
    version: str = ""  # the version directory it was loaded from or saved as
    _all_text: str | None = field(default=None, repr=False, compare=False)

    def all_text(self) -> str:
        """Every document's cleaned text joined, computed once per loaded version."""
        if self._all_text is None:
            self._all_text = " ".join(d.text for d in self.documents.values())
        return self._all_text

    @property
    def model(self) -> str:
        return str(self.manifest["model"])


def make_manifest(model: str, dimension: int, tokenizer: str, documents: list[StoredDocument],
                  chunks: list[Chunk]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for chunk in chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
    return {
        "format_version": FORMAT_VERSION,
        "model": model,
        "dimension": dimension,
        "bm25_tokenizer": tokenizer,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "chunks": len(chunks),
        "documents": {
            d.doc_id: {"content_hash": d.content_hash, "source": d.source, "chunks": counts.get(d.doc_id, 0)}
            for d in documents
        },
    }


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def save_index(index: PolicyIndex, index_dir: Path) -> Path:
    """Write a new version beside the live one, then switch CURRENT to it; returns the version dir."""
    versions = index_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]
    staging = versions / f".{name}.partial"
    staging.mkdir()
    _write_jsonl(staging / "documents.jsonl", [d.to_dict() for d in index.documents.values()])
    _write_jsonl(staging / "chunks.jsonl", [c.to_dict() for c in index.chunks])
    index.dense.save(staging / "dense.faiss")
    (staging / "bm25").mkdir()
    index.bm25.save(staging / "bm25")
    (staging / "manifest.json").write_text(json.dumps(index.manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    fsync_tree(staging)  # every file and folder of the version is on disk before anything names it
    final = versions / name
    os.replace(staging, final)
    fsync_path(versions)
    previous = version_name(index_dir)
    pointer = index_dir / f".{CURRENT}.{name}.tmp"
    write_durably(pointer, (name + "\n").encode("utf-8"))
    os.replace(pointer, index_dir / CURRENT)
    fsync_path(index_dir)  # the switch itself survives a crash
    index.version = name
    _remove_stale_versions(index_dir, keep={name, previous or name})
    return final


def version_name(index_dir: Path) -> str | None:
    """The name of the live version, or None if there is no index."""
    try:
        return (index_dir / CURRENT).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index directory (readers never wait)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale_versions(index_dir: Path, keep: set[str]) -> None:
    """Delete versions older than the previous one, partial builds and pointer files left by
    interrupted runs (the caller holds the lock, so none of them is being written).  The previous
    version stays, so a reader that picked it up just before the switch can finish."""
    for child in (index_dir / VERSIONS).iterdir():
        if child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)
    for pointer in index_dir.glob(f".{CURRENT}.*.tmp"):  # left by a crash between write and rename
        pointer.unlink(missing_ok=True)


def current_version(index_dir: Path) -> Path:
    pointer = index_dir / CURRENT
    if not index_dir.exists() or not pointer.exists():
        raise IndexNotFoundError(
            f"no index at {index_dir}: build one with `policy-assistant ingest --index {index_dir}`"
        )
    name = pointer.read_text(encoding="utf-8").strip()
    version = index_dir / VERSIONS / name
    if not name or not version.is_dir():
        raise IndexCorruptError(
            f"index at {index_dir} points to a missing version '{name}': rebuild it with "
            f"`policy-assistant ingest --index {index_dir}`"
        )
    return version


def read_manifest(index_dir: Path, version: Path | None = None) -> dict[str, Any]:
    version = version or current_version(index_dir)
    try:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise IndexCorruptError(
            f"index at {index_dir} has an unreadable manifest ({err}); rebuild it with "
            f"`policy-assistant ingest --index {index_dir}`"
        ) from err
    return manifest


def check_compatible(manifest: dict[str, Any], index_dir: Path, model: str) -> None:
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {index_dir} has format version {manifest.get('format_version')}, this program reads "
            f"version {FORMAT_VERSION}: rebuild it with `policy-assistant ingest --index {index_dir}`"
        )
    if manifest.get("model") != model:
        raise IndexMismatchError(
            f"index at {index_dir} was built with embedding model '{manifest.get('model')}' but the settings "
            f"name '{model}': set POLICY_ASSISTANT_MODEL to the index's model, or rebuild with "
            f"`policy-assistant ingest --index {index_dir}`"
        )


def load_index(index_dir: Path, model: str) -> PolicyIndex:
    """Load the live version; fail clearly on a missing, corrupt or mismatched index.  A version
    replaced while it was being read is retried once with the new one."""
    try:
        return _load_version(index_dir, model)
    except IndexCorruptError:
        return _load_version(index_dir, model)


def _load_version(index_dir: Path, model: str) -> PolicyIndex:
    version = current_version(index_dir)
    manifest = read_manifest(index_dir, version)
    check_compatible(manifest, index_dir, model)
    try:
        documents = [StoredDocument.from_dict(d) for d in _read_jsonl(version / "documents.jsonl")]
        chunks = [Chunk.from_dict(c) for c in _read_jsonl(version / "chunks.jsonl")]
        dense = DenseIndex.load(version / "dense.faiss")
        bm25 = Bm25Index.load(version / "bm25", manifest["bm25_tokenizer"])
    except Exception as err:  # noqa: BLE001 - every failure here means a damaged index
        raise IndexCorruptError(
            f"index at {index_dir} is damaged ({err.__class__.__name__}: {err}); rebuild it with "
            f"`policy-assistant ingest --index {index_dir}`"
        ) from err
    if dense.index.ntotal != len(chunks) or dense.dimension != manifest.get("dimension"):
        raise IndexCorruptError(
            f"index at {index_dir} is inconsistent ({dense.index.ntotal} vectors for {len(chunks)} chunks); "
            f"rebuild it with `policy-assistant ingest --index {index_dir}`"
        )
    return PolicyIndex(manifest, {d.doc_id: d for d in documents}, chunks, dense, bm25, version=version.name)
