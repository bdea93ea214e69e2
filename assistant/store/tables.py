"""Documents and chunks kept in SQLite and read when asked for, so a loaded index does not hold
every text in memory.

``DocumentTable`` is a read-only mapping doc_id -> StoredDocument: the ids, sources, hashes and
metadata are read at load (small); a document's text and sections are read on first use.
``ChunkTable`` is a read-only sequence of Chunk by position.  Both keep a bounded cache of what
was read.  A version's database is never written after it is saved, so it is opened read-only and
immutable; each thread (and each forked worker) gets its own connection.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from dataclasses import asdict, dataclass
from typing import Any, overload

import numpy as np

from assistant.models import Chunk, DocumentMetadata, ParsedDocument, Period, Section
from assistant.text.tokens import uncovered_pairs



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
        return cls(doc_id=data["doc_id"], source=data["source"], content_hash=data["content_hash"], text=data["text"],
                   metadata=metadata_from_dict(data["metadata"]), sections=[Section(**s) for s in data["sections"]])


def metadata_from_dict(data: dict[str, Any]) -> DocumentMetadata:
    meta = dict(data)
    meta["period"] = Period(**meta["period"]) if meta.get("period") else None
    return DocumentMetadata(**meta)


class LazyDocument(StoredDocument):
    """A stored document whose text and sections are read from its table on use."""

    def __init__(self, doc_id: str, source: str, content_hash: str, metadata: DocumentMetadata,
                 table: DocumentTable):  # noqa: D107 - the dataclass fields are set here, text/sections are read
        self.doc_id, self.source, self.content_hash, self.metadata = doc_id, source, content_hash, metadata
        self._table = table

    @property  # type: ignore[override]
    def text(self) -> str:
        return self._table.body(self.doc_id)[0]

    @property  # type: ignore[override]
    def sections(self) -> list[Section]:
        return self._table.body(self.doc_id)[1]


SCHEMA = """
CREATE TABLE documents (ordinal INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, head TEXT NOT NULL,
                        text TEXT NOT NULL, sections TEXT NOT NULL, first INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE TABLE chunks (position INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE chunk_tags (kind TEXT NOT NULL, tag TEXT NOT NULL, position INTEGER NOT NULL,
                         PRIMARY KEY (kind, tag, position)) WITHOUT ROWID;
CREATE TABLE loose_bigrams (bigram TEXT NOT NULL, ordinal INTEGER NOT NULL, PRIMARY KEY (bigram, ordinal)) WITHOUT ROWID;
"""
TEXT_BATCH = 64  # document texts per query while reading them one after another
READ_BATCH = 2_000  # chunks per query while iterating
RUNS_PER_QUERY = 4_000  # position ranges per tag query (two bound variables each)
NEED_TAG, TRAIT_TAG, REGION_TAG = "need", "trait", "region"
TAG_KINDS = (NEED_TAG, TRAIT_TAG, REGION_TAG)


def chunk_tags(chunk: Chunk) -> Iterator[tuple[str, str]]:
    """(kind, tag) of what indexing tagged a chunk with: the needs it serves, the traits it names and
    the gazetteer code of every region one of its sentences is confined to (the chunk_tags table)."""
    for need in chunk.needs:
        yield NEED_TAG, need
    for trait in chunk.traits:
        yield TRAIT_TAG, trait
    for code in dict.fromkeys(code for span in chunk.regions for code in span.codes):
        yield REGION_TAG, code


def check_tag_kind(kind: str) -> None:
    if kind not in TAG_KINDS:
        raise ValueError(f"unknown tag kind {kind!r}: one of {', '.join(TAG_KINDS)}")


def position_runs(positions: np.ndarray) -> np.ndarray:
    """The runs of consecutive positions in ``positions`` (ascending, unique), one row (first, end) each."""
    positions = np.asarray(positions, dtype=np.int64)
    if not len(positions):
        return np.zeros((0, 2), dtype=np.int64)
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    return np.column_stack([positions[np.r_[0, breaks]], positions[np.r_[breaks, len(positions)] - 1] + 1])


def within_runs(positions: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """The positions that fall inside one of the runs (rows (first, end), ascending, not overlapping)."""
    if not len(runs) or not len(positions):
        return positions[:0]
    run = np.searchsorted(runs[:, 0], positions, side="right") - 1
    return positions[(run >= 0) & (positions < runs[np.maximum(run, 0), 1])]


class TagPositions:
    """(kind, tag) -> positions, made by reading every chunk once (a freshly built index, or a stored
    one written before the chunk_tags table)."""

    def __init__(self, chunks: Iterable[Chunk]):
        found: dict[tuple[str, str], list[int]] = {}
        for position, chunk in enumerate(chunks):
            for key in chunk_tags(chunk):
                found.setdefault(key, []).append(position)
        self._positions = {key: np.array(positions, dtype=np.int64) for key, positions in found.items()}

    def find(self, kind: str, tags: Iterable[str], runs: np.ndarray | None = None) -> np.ndarray:
        """As ``ChunkTable.tagged``."""
        check_tag_kind(kind)
        parts = [self._positions[(kind, tag)] for tag in dict.fromkeys(tags) if (kind, tag) in self._positions]
        found = np.unique(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)
        return found if runs is None else within_runs(found, runs)


def loose_bigrams(text: str, clauses: Iterable[tuple[int, int, str]]) -> set[str]:
    """The pairs of CJK characters of a document's text that BM25 sees in none of its clauses ((start, end,
    text) each): those outside every clause holding its stretch of the document verbatim (a rewritten clause,
    as a table row is, holds none) — title lines, headings, a preamble, the joints between clauses."""
    return uncovered_pairs(text, [(start, end) for start, end, clause in clauses if text[start:end] == clause])


def write_tables(path: Path, documents: Iterable[Any], chunks: Iterable[Chunk]) -> None:
    """Write the documents (StoredDocument) and the chunks, in position order, to a new database, with the
    chunks' tags (chunk_tags) and the documents' text no clause holds (loose_bigrams: see store/mentions.py)."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        spans: dict[str, list[int]] = {}
        clauses: dict[str, list[tuple[int, int, str]]] = {}
        batch: list[tuple[int, str]] = []
        tags: list[tuple[str, str, int]] = []
        position = -1
        for position, chunk in enumerate(chunks):
            span = spans.setdefault(chunk.doc_id, [position, 0])
            if span[0] + span[1] != position:
                raise ValueError(f"the chunks of {chunk.doc_id} are not contiguous")
            span[1] += 1
            clauses.setdefault(chunk.doc_id, []).append((chunk.start, chunk.end, chunk.text))
            batch.append((position, json.dumps(chunk.to_dict(), ensure_ascii=False)))
            tags.extend((kind, tag, position) for kind, tag in chunk_tags(chunk))
            if len(batch) >= 10_000:
                connection.executemany("INSERT INTO chunks VALUES (?, ?)", batch)
                connection.executemany("INSERT INTO chunk_tags VALUES (?, ?, ?)", tags)
                batch.clear()
                tags.clear()
        connection.executemany("INSERT INTO chunks VALUES (?, ?)", batch)
        connection.executemany("INSERT INTO chunk_tags VALUES (?, ?, ?)", tags)
        rows = []
        for ordinal, doc in enumerate(documents):
            head = {"source": doc.source, "content_hash": doc.content_hash, "metadata": asdict(doc.metadata)}
            first, count = spans.get(doc.doc_id, (position + 1, 0))
            rows.append((ordinal, doc.doc_id, json.dumps(head, ensure_ascii=False), doc.text,
                         json.dumps([s.__dict__ for s in doc.sections], ensure_ascii=False), first, count))
            connection.executemany("INSERT INTO loose_bigrams VALUES (?, ?)",
                                   ((pair, ordinal) for pair in sorted(loose_bigrams(doc.text, clauses.pop(doc.doc_id, ())))))
        connection.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        connection.commit()
    finally:
        connection.close()


class Database:
    """Read-only connections to one version's database, one per thread and process."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                               check_same_thread=False)
            local.pid = os.getpid()
        return local.connection

    def rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        return self.connection().execute(sql, args).fetchall()


class BoundedCache(OrderedDict):
    """Least recently used entries dropped beyond ``size`` (guarded by the owner's lock)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class ChunkSequence(Sequence[Chunk]):
    """Chunks read by position (``count`` of them); a subclass reads one chunk in ``_chunk``."""

    count: int

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, position: int) -> Chunk: ...

    @overload
    def __getitem__(self, position: slice) -> list[Chunk]: ...

    def __getitem__(self, position: int | slice) -> Chunk | list[Chunk]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(self.count))]
        position = int(position)
        if position < 0:
            position += self.count
        if not 0 <= position < self.count:
            raise IndexError(position)
        return self._chunk(position)

    def _chunk(self, position: int) -> Chunk:
        raise NotImplementedError


class ChunkTable(ChunkSequence):
    def __init__(self, database: Database, count: int, cache_size: int = 50_000):
        self.database = database
        self.count = count
        self._cache = BoundedCache(cache_size)
        self._lock = threading.Lock()
        self._has_tags: bool | None = None

    def _chunk(self, position: int) -> Chunk:
        with self._lock:
            chunk = self._cache.get(position)
        if chunk is None:
            rows = self.database.rows("SELECT data FROM chunks WHERE position = ?", (position,))
            chunk = Chunk.from_dict(json.loads(rows[0][0]))
            with self._lock:
                self._cache.put(position, chunk)
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        for begin in range(0, self.count, READ_BATCH):
            end = min(begin + READ_BATCH, self.count)
            with self._lock:
                cached = [self._cache.get(i) for i in range(begin, end)]
            if all(c is not None for c in cached):
                yield from cached
                continue
            rows = self.database.rows("SELECT position, data FROM chunks WHERE position >= ? AND position < ? "
                                      "ORDER BY position", (begin, end))
            chunks = [Chunk.from_dict(json.loads(data)) for _, data in rows]
            with self._lock:
                for position, chunk in zip(range(begin, end), chunks):
                    self._cache.put(position, chunk)
            yield from chunks

    def clauses(self) -> Iterator[tuple[str, int, int, str]]:
        """(doc_id, start, end, text) of every chunk in position order, read a batch at a time without making
        or keeping Chunk objects."""
        for begin in range(0, self.count, READ_BATCH):
            yield from self.database.rows(
                "SELECT json_extract(data, '$.doc_id'), json_extract(data, '$.start'), json_extract(data, '$.end'), "
                "json_extract(data, '$.text') FROM chunks WHERE position >= ? AND position < ? ORDER BY position",
                (begin, begin + READ_BATCH))

    def tagged(self, kind: str, tags: Iterable[str], runs: np.ndarray | None = None) -> np.ndarray | None:
        """Positions (ascending) of the chunks tagged with any of ``tags`` of ``kind``, from the chunk_tags
        table — only inside ``runs`` (rows (first, end) of positions, ascending) when given, each run read as
        a range of the table's key (kind, tag, position), so the cost follows the runs, not the table.
        None when the database predates that table."""
        check_tag_kind(kind)
        if self._has_tags is None:
            self._has_tags = bool(self.database.rows(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunk_tags'"))
        if not self._has_tags:
            return None
        wanted = list(dict.fromkeys(tags))
        if not wanted or (runs is not None and not len(runs)):
            return np.array([], dtype=np.int64)
        tagged = f"kind = ? AND tag IN ({', '.join('?' * len(wanted))})"
        if runs is None:
            rows = self.database.rows(f"SELECT DISTINCT position FROM chunk_tags WHERE {tagged} ORDER BY position",
                                      (kind, *wanted))
            return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        found = []
        for begin in range(0, len(runs), RUNS_PER_QUERY):
            part = runs[begin:begin + RUNS_PER_QUERY]
            rows = self.database.rows(
                f"WITH run(lo, hi) AS (VALUES {', '.join(['(?, ?)'] * len(part))}) SELECT chunk_tags.position "
                f"FROM run JOIN chunk_tags ON {tagged} AND position >= run.lo AND position < run.hi",
                (*part.ravel().tolist(), kind, *wanted))
            found.append(np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows)))
        return np.unique(np.concatenate(found))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class DocumentTable(Mapping[str, Any]):
    """doc_id -> StoredDocument (texts and sections read on first use, the last ``cache_size`` kept)."""

    def __init__(self, database: Database, cache_size: int = 256):
        self.database = database
        self._bodies = BoundedCache(cache_size)
        self._lock = threading.Lock()
        self.spans: dict[str, tuple[int, int]] = {}
        self._documents: dict[str, Any] = {}
        self._by_ordinal: dict[int, str] = {}
        self._has_loose: bool | None = None
        for doc_id, head, first, count, ordinal in database.rows(
                "SELECT doc_id, head, first, count, ordinal FROM documents ORDER BY ordinal"):
            self._by_ordinal[ordinal] = doc_id
            data = json.loads(head)
            self._documents[doc_id] = LazyDocument(doc_id, data["source"], data["content_hash"],
                                                   metadata_from_dict(data["metadata"]), self)
            self.spans[doc_id] = (first, count)

    def text(self, doc_id: str) -> str:
        """A document's text, read alone (its sections are not parsed, nothing is cached)."""
        with self._lock:
            body = self._bodies.get(doc_id)
        return body[0] if body is not None else self.database.rows(
            "SELECT text FROM documents WHERE doc_id = ?", (doc_id,))[0][0]

    def texts(self, doc_ids: Iterable[str] | None = None) -> Iterator[str]:
        """The texts of these documents (in no particular order), or of every document in order, read a batch
        at a time and not kept."""
        if doc_ids is None:
            ordinals = list(self._by_ordinal)  # ascending
            for begin in range(0, len(ordinals), TEXT_BATCH):
                yield from (row[0] for row in self.database.rows(
                    "SELECT text FROM documents WHERE ordinal >= ? AND ordinal <= ? ORDER BY ordinal",
                    (ordinals[begin], ordinals[min(begin + TEXT_BATCH, len(ordinals)) - 1])))
            return
        wanted = list(doc_ids)
        for begin in range(0, len(wanted), TEXT_BATCH):
            part = wanted[begin:begin + TEXT_BATCH]
            yield from (row[0] for row in self.database.rows(
                f"SELECT text FROM documents WHERE doc_id IN ({', '.join('?' * len(part))})", tuple(part)))

    def loose_holders(self, bigram: str) -> set[str] | None:
        """The documents whose text holds ``bigram`` outside every clause (loose_bigrams); None when the
        database predates that table."""
        if self._has_loose is None:
            self._has_loose = bool(self.database.rows(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'loose_bigrams'"))
        if not self._has_loose:
            return None
        rows = self.database.rows("SELECT ordinal FROM loose_bigrams WHERE bigram = ?", (bigram,))
        return {self._by_ordinal[row[0]] for row in rows}

    def body(self, doc_id: str) -> tuple[str, list[Section]]:
        with self._lock:
            body = self._bodies.get(doc_id)
        if body is None:
            text, sections = self.database.rows("SELECT text, sections FROM documents WHERE doc_id = ?", (doc_id,))[0]
            body = (text, [Section(**s) for s in json.loads(sections)])
            with self._lock:
                self._bodies.put(doc_id, body)
        return body

    def __getitem__(self, doc_id: str) -> Any:
        return self._documents[doc_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._documents)

    def __len__(self) -> int:
        return len(self._documents)
