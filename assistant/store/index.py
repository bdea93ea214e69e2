"""Saving and loading an index atomically, with a manifest that guards against mismatch.

Layout of an index directory::

    DIR/CURRENT                 name of the live version (replaced atomically)
    DIR/versions/<name>/        manifest.json: the segments of this version, in order, and the
                                documents each one no longer serves (dead)
    DIR/segments/<name>/        store.sqlite (documents and chunks), dense.faiss (+ dense.npy for an
                                approximate index), bm25/ — written once, never changed

``ingest`` writes one segment; an update writes only a segment of the documents it adds or replaces,
or nothing but a manifest when it removes (see segments.py, updater.py).  A loaded index reads
document texts and chunks from store.sqlite when they are used and maps the BM25 postings and
stored vectors from disk (see tables.py, bm25.py, dense.py).  Format version 2 (one segment inside
the version folder) is still read; format version 1 (everything in JSON lines, bm25s) is refused
with the command that rebuilds it.

A new version is written completely beside the live one and only then named in CURRENT, so an
interrupted build leaves the previous index usable; segments no kept version names are deleted.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.durable import fsync_path, fsync_tree, write_durably
from assistant.models import Chunk
from assistant.store.bm25 import Bm25Index
from assistant.store.dense import NPROBE, DenseIndex
from assistant.store.mentions import CorpusWords
from assistant.store.sentences import SentenceLookup, SentenceVectors
from assistant.store.segments import (
    ChainedChunks,
    LiveDocuments,
    Segment,
    SegmentedBm25,
    SegmentedDense,
    write_clause_bigrams,
)
from assistant.text.tokens import bigram_frequencies
from assistant.store.tables import (ChunkTable, Database, DocumentTable, StoredDocument, TagPositions, position_runs,
                                     write_tables)

__all__ = ["PolicyIndex", "StoredDocument", "Layout", "load_index", "save_index", "save_update"]

FORMAT_VERSION = 3
READABLE_VERSIONS = (2, 3)  # 2: one segment inside the version folder
CURRENT = "CURRENT"
VERSIONS = "versions"
SEGMENTS = "segments"


class IndexProblem(RuntimeError):
    """Base of index problems; the message says what is wrong and how to fix it."""


class IndexNotFoundError(IndexProblem):
    pass


class IndexCorruptError(IndexProblem):
    pass


class IndexMismatchError(IndexProblem):
    pass


@dataclass
class Layout:
    """Where each document's chunks sit: the chunks of a document are contiguous positions."""

    doc_ids: list[str]  # by first position
    first: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, spans: Mapping[str, tuple[int, int]]) -> Layout:
        ordered = sorted(spans.items(), key=lambda item: item[1][0])
        return cls([d for d, _ in ordered], np.array([s[0] for _, s in ordered], dtype=np.int64),
                   np.array([s[1] for _, s in ordered], dtype=np.int64))

    def doc_at(self, positions: Iterable[int]) -> list[str]:
        """The document of each chunk position."""
        found = np.searchsorted(self.first, np.fromiter(positions, dtype=np.int64), side="right") - 1
        return [self.doc_ids[i] for i in found]

    @cached_property
    def ordinal(self) -> dict[str, int]:
        return {d: i for i, d in enumerate(self.doc_ids)}

    def first_of(self, doc_id: str) -> int:
        return int(self.first[self.ordinal[doc_id]])

    def positions(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Every chunk position of these documents, ascending."""
        ordinal = self.ordinal
        spans = sorted((int(self.first[ordinal[d]]), int(self.count[ordinal[d]])) for d in doc_ids if d in ordinal)
        if not spans:
            return np.array([], dtype=np.int64)
        return np.concatenate([np.arange(first, first + count, dtype=np.int64) for first, count in spans])


@dataclass
class PolicyIndex:
    manifest: dict[str, Any]
    documents: Mapping[str, StoredDocument]  # a dict when built, a DocumentTable (lazy) when loaded
    chunks: Sequence[Chunk]  # a list when built, a ChunkTable (lazy) when loaded
    dense: DenseIndex
    bm25: Bm25Index
    version: str = ""  # the version directory it was loaded from or saved as
    segments: list[Segment] = field(default_factory=list, repr=False, compare=False)  # when loaded
    sentences: SentenceVectors | None = field(default=None, repr=False, compare=False)  # when built
    _words: CorpusWords | None = field(default=None, repr=False, compare=False)
    _layout: Layout | None = field(default=None, repr=False, compare=False)
    _bigrams: tuple[int, Counter[str]] | None = field(default=None, repr=False, compare=False)
    _tags: TagPositions | None = field(default=None, repr=False, compare=False)

    @property
    def sentence_lookup(self) -> SentenceLookup:
        """Sentence vectors by (doc_id, start, end), from the segment serving each document."""
        if self.segments:
            return SentenceLookup([(s.sentences, s.dead) for s in self.segments])
        return SentenceLookup([(self.sentences, frozenset())])

    def mentions(self, word: str) -> bool:
        """Whether ``word`` stands anywhere in the text of a document this index serves — exactly
        ``word in " ".join(texts)`` — reading only the documents that may hold it (store/mentions.py)."""
        if self._words is None:
            self._words = CorpusWords(self.documents, self.segments, str(self.manifest.get("bm25_tokenizer", "")))
        return self._words.mentions(word)

    @property
    def layout(self) -> Layout:
        """Chunk positions per document (read from the table when loaded, else from the chunks once)."""
        if self._layout is None:
            if isinstance(self.documents, (DocumentTable, LiveDocuments)):
                spans = self.documents.spans() if isinstance(self.documents, LiveDocuments) else self.documents.spans
            else:
                spans = {}
                for position, chunk in enumerate(self.chunks):
                    first, count = spans.get(chunk.doc_id, (position, 0))
                    spans[chunk.doc_id] = (first, count + 1)
            self._layout = Layout.of(spans)
        return self._layout

    @property
    def model(self) -> str:
        return str(self.manifest["model"])

    def tagged_positions(self, kind: str, tags: Iterable[str], within: np.ndarray | None = None) -> np.ndarray:
        """Positions (ascending) of the live chunks tagged at indexing with any of ``tags`` of ``kind`` (need,
        trait or region: tables.chunk_tags), only among ``within`` (positions, e.g. those of the documents
        that matter) when given: each segment looks up only the runs of those positions in its chunk_tags
        table, so the cost follows them, not the corpus.  A built index, or a segment stored before that
        table existed, reads its chunks' own tags once."""
        tags = list(tags)
        if within is not None:
            within = np.asarray(within, dtype=np.int64)
            if len(within) > 1 and not bool(np.all(within[1:] > within[:-1])):
                within = np.unique(within)
        if self.segments:
            return np.concatenate([s.offset + s.tagged(kind, tags, within) for s in self.segments]).astype(np.int64)
        if self._tags is None:
            self._tags = TagPositions(self.chunks)
        return self._tags.find(kind, tags, None if within is None else position_runs(within))

    def clause_bigrams(self) -> tuple[int, Counter[str]]:
        """(searchable clauses, bigram -> how many of them hold it), once per version: read from
        each segment (written at indexing), not counted from every clause at each load."""
        if self._bigrams is None:
            if not self.segments:
                self._bigrams = (len(self.chunks), bigram_frequencies(c.text for c in self.chunks))
            else:
                size, frequency = 0, Counter()
                for segment in self.segments:
                    count, found = segment.clause_bigrams()
                    size += count
                    frequency.update(found)
                self._bigrams = (size, +frequency)  # bigrams only dead clauses held are dropped
        return self._bigrams

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """The chunks of one document, in order."""
        return [self.chunks[int(p)] for p in self.layout.positions([doc_id])]

    def live_chunks(self) -> Iterator[tuple[int, Chunk]]:
        """(position, chunk) of every chunk a search can return, in position order (chunks of
        documents removed or replaced since their segment was written are left out)."""
        if not any(s.dead for s in self.segments):
            yield from enumerate(self.chunks)
            return
        for segment in self.segments:
            live = range(segment.size) if segment.live is None else segment.live
            for local in live:
                yield segment.offset + int(local), segment.chunks[int(local)]

    @property
    def searchable_chunks(self) -> int:
        """How many chunks a search can return."""
        return len(self.chunks) - self.dead_chunks

    @property
    def dead_chunks(self) -> int:
        """Positions of documents removed or replaced, still on disk until the segments are merged."""
        return sum(s.size - (s.size if s.live is None else len(s.live)) for s in self.segments)


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


def _new_name() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]


def write_segment(index: PolicyIndex, index_dir: Path) -> dict[str, Any]:
    """Write a built (in-memory) index as a new segment; returns its manifest entry."""
    segments = index_dir / SEGMENTS
    segments.mkdir(parents=True, exist_ok=True)
    name = _new_name()
    staging = segments / f".{name}.partial"
    staging.mkdir()
    write_tables(staging / "store.sqlite", index.documents.values(), index.chunks)
    index.dense.save(staging / "dense.faiss")
    (staging / "bm25").mkdir()
    index.bm25.save(staging / "bm25")
    write_clause_bigrams(staging, index.chunks)
    if index.sentences is not None:
        index.sentences.save(staging)
    fsync_tree(staging)  # every file of the segment is on disk before a manifest names it
    os.replace(staging, segments / name)
    fsync_path(segments)
    return {"path": f"{SEGMENTS}/{name}", "chunks": len(index.chunks), "dense": index.dense.describe(), "dead": []}


def _publish(index_dir: Path, manifest: dict[str, Any]) -> str:
    """Write a version naming the manifest's segments, switch CURRENT to it, delete what no kept
    version needs; returns the version's name."""
    versions = index_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    name = _new_name()
    staging = versions / f".{name}.partial"
    staging.mkdir()
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    fsync_tree(staging)
    os.replace(staging, versions / name)
    fsync_path(versions)
    previous = version_name(index_dir)
    pointer = index_dir / f".{CURRENT}.{name}.tmp"
    write_durably(pointer, (name + "\n").encode("utf-8"))
    os.replace(pointer, index_dir / CURRENT)
    fsync_path(index_dir)  # the switch itself survives a crash
    _remove_stale_versions(index_dir, keep={name, previous or name})
    return name


def save_index(index: PolicyIndex, index_dir: Path) -> Path:
    """Write a built index as the only segment of a new version, then switch CURRENT to it;
    returns the version dir."""
    entry = write_segment(index, index_dir)
    index.manifest["dense"] = entry["dense"]
    index.manifest["segments"] = [entry]
    for doc in index.manifest["documents"].values():
        doc["segment"] = entry["path"]
    index.version = _publish(index_dir, index.manifest)
    return index_dir / VERSIONS / index.version


def save_update(index_dir: Path, previous: PolicyIndex, addition: PolicyIndex | None, gone: set[str],
                merged: set[str] | None = None) -> str:
    """A new version: ``previous``'s segments with the documents in ``gone`` (removed, or replaced by
    ``addition``) marked dead, the segments in ``merged`` (paths) left out — their live documents
    must be in ``addition`` — and ``addition`` written as one more segment.  Returns the version name."""
    merged = merged or set()
    manifest = json.loads(json.dumps(previous.manifest))  # a deep copy
    manifest["format_version"] = FORMAT_VERSION
    manifest["created"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    entries = []
    for segment, entry in zip(previous.segments, segment_entries(previous.manifest, previous.version)):
        if segment.path in merged:
            continue
        dead = set(segment.dead) | {d for d in gone | set(addition.documents if addition else ()) if d in segment.documents}
        if dead >= set(segment.documents):
            continue  # nothing of it is served any more
        entries.append({**entry, "dead": sorted(dead)})
    documents = {d: e for d, e in manifest["documents"].items() if d not in gone}
    for doc_id, entry in documents.items():
        entry.setdefault("segment", previous.segments[0].path if len(previous.segments) == 1 else "")
    if addition is not None:
        entry = write_segment(addition, index_dir)
        entries.append(entry)
        for doc_id, doc in addition.manifest["documents"].items():
            documents[doc_id] = {**doc, "segment": entry["path"]}
    missing = [d for d, e in documents.items() if e["segment"] in merged]
    if missing:
        raise ValueError(f"documents of merged segments left out of the new one: {missing}")
    manifest["documents"] = dict(sorted(documents.items()))
    manifest["segments"] = entries
    manifest["chunks"] = sum(e["chunks"] for e in entries)
    return _publish(index_dir, manifest)


def segment_entries(manifest: dict[str, Any], version: str) -> list[dict[str, Any]]:
    """The segments a manifest names (format 2: the version folder itself is the one segment)."""
    if manifest.get("format_version") == 2:
        return [{"path": f"{VERSIONS}/{version}", "chunks": manifest.get("chunks"), "dense": manifest.get("dense", {}),
                 "dead": []}]
    return list(manifest["segments"])


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
    """Delete versions older than the previous one, segments no kept version names, partial builds
    and pointer files left by interrupted runs (the caller holds the lock, so none of them is being
    written).  The previous version stays, so a reader that picked it up just before the switch
    can finish."""
    needed: set[str] = set()
    for name in keep:
        try:
            needed |= {e["path"] for e in segment_entries(read_manifest(index_dir, index_dir / VERSIONS / name), name)}
        except IndexProblem:
            continue
    for child in (index_dir / VERSIONS).iterdir():
        if child.name not in keep and f"{VERSIONS}/{child.name}" not in needed:
            shutil.rmtree(child, ignore_errors=True)
    if (index_dir / SEGMENTS).is_dir():
        for child in (index_dir / SEGMENTS).iterdir():
            if f"{SEGMENTS}/{child.name}" not in needed:
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
    if manifest.get("format_version") not in READABLE_VERSIONS:
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
    segments: list[Segment] = []
    offset = 0
    for entry in segment_entries(manifest, version.name):
        segment = _load_segment(index_dir, entry, manifest, offset)
        if segment.dense.dimension != manifest.get("dimension"):
            raise IndexCorruptError(
                f"index at {index_dir} is inconsistent ({segment.dense.dimension}-dimensional vectors in "
                f"{entry['path']}); rebuild it with `policy-assistant ingest --index {index_dir}`")
        segments.append(segment)
        offset += segment.size
    if offset != manifest.get("chunks"):
        raise IndexCorruptError(f"index at {index_dir} is inconsistent ({offset} chunks in its segments, "
                                f"{manifest.get('chunks')} in its manifest); rebuild it with "
                                f"`policy-assistant ingest --index {index_dir}`")
    if len(segments) == 1 and not segments[0].dead:  # one segment: its parts are the index's
        only = segments[0]
        return PolicyIndex(manifest, only.documents, only.chunks, only.dense, only.bm25, version=version.name,
                           segments=segments)
    return PolicyIndex(manifest, LiveDocuments(segments), ChainedChunks(segments), SegmentedDense(segments),
                       SegmentedBm25(segments), version=version.name, segments=segments)


def _load_segment(index_dir: Path, entry: dict[str, Any], manifest: dict[str, Any], offset: int) -> Segment:
    folder = index_dir / entry["path"]
    try:
        if not (folder / "store.sqlite").is_file():
            raise FileNotFoundError(f"{entry['path']}/store.sqlite is missing")
        database = Database(folder / "store.sqlite")
        documents = DocumentTable(database)
        chunks = ChunkTable(database, int(database.rows("SELECT count(*) FROM chunks")[0][0]))
        dense = DenseIndex.load(folder / "dense.faiss", int(entry.get("dense", {}).get("nprobe", NPROBE)))
        bm25 = Bm25Index.load(folder / "bm25", manifest["bm25_tokenizer"])
        sentences = SentenceVectors.load(folder)
    except Exception as err:  # noqa: BLE001 - every failure here means a damaged index
        raise IndexCorruptError(
            f"index at {index_dir} is damaged ({err.__class__.__name__}: {err}); rebuild it with "
            f"`policy-assistant ingest --index {index_dir}`"
        ) from err
    if not (dense.index.ntotal == len(chunks) == bm25.n_docs == entry.get("chunks")):
        raise IndexCorruptError(
            f"index at {index_dir} is inconsistent ({dense.index.ntotal} vectors for {len(chunks)} chunks in "
            f"{entry['path']}); rebuild it with `policy-assistant ingest --index {index_dir}`"
        )
    return Segment(entry["path"], offset, documents, dict(documents.spans), chunks, dense, bm25,
                   frozenset(entry.get("dead", ())), folder, sentences=sentences)
