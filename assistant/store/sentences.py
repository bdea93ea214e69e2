"""Sentence vectors: every candidate sentence of every clause (text/sentences.py) with its own vector.

At indexing each sentence and each ；-rule of a clause (a table row: its statement) is embedded as a
passage ``<document title> <clause heading> <sentence>``, so the reader can weigh how close a
sentence, not only its clause, is to the question.  A segment stores them beside its clause vectors:

    sentences.npy        float16, one row per sentence (memory-mapped when loaded, read by row)
    sentence_keys.npy    int64 (n, 2): start and end of the sentence in its document's served text
    sentence_docs.json   doc_id -> [first row, count]; a document's rows are ordered by start

Rows of a document are found by its offsets, so they follow the document through add, replace
(its rows in the new segment, the old segment's are dead with it) and remove.  A segment written
before sentence vectors existed has none; the reader then goes without that feature.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.models import Chunk
from assistant.text.sentences import candidate_spans

VECTORS = "sentences.npy"
KEYS = "sentence_keys.npy"
DOCS = "sentence_docs.json"
STORED_DTYPE = np.float16  # cosine within 1e-3 of float32; half the disk and page cache


def sentence_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """Document offsets of the candidate sentences of a clause (a table row is one statement)."""
    if chunk.kind == "table_row":
        return [(chunk.start, chunk.end)]
    return [(chunk.start + start, chunk.start + end) for start, end in candidate_spans(chunk.text)]


def sentence_passage(title: str, chunk: Chunk, start: int, end: int) -> str:
    """What is embedded for one sentence: its document title, its clause heading, the sentence."""
    text = chunk.text if chunk.kind == "table_row" else chunk.text[start - chunk.start:end - chunk.start]
    return " ".join(part for part in (title, chunk.heading, text) if part)


@dataclass(frozen=True)
class SentenceEntry:
    doc_id: str
    start: int
    end: int
    passage: str


def sentence_entries(documents: Iterable[tuple[str, str, Sequence[Chunk]]]) -> list[SentenceEntry]:
    """(doc_id, title, chunks) -> every sentence, each document's ordered by start, each span once."""
    entries = []
    for doc_id, title, chunks in documents:
        seen: dict[tuple[int, int], SentenceEntry] = {}
        for chunk in chunks:
            for start, end in sentence_spans(chunk):
                seen.setdefault((start, end), SentenceEntry(doc_id, start, end, sentence_passage(title, chunk, start, end)))
        entries.extend(seen[key] for key in sorted(seen))
    return entries


class SentenceVectors:
    """The sentence vectors of one segment (or of a built index), looked up by document offsets."""

    def __init__(self, docs: Mapping[str, tuple[int, int]], keys: np.ndarray, vectors: np.ndarray):
        self.docs = dict(docs)
        self.keys = keys
        self.vectors = vectors

    @classmethod
    def build(cls, entries: list[SentenceEntry], vectors: np.ndarray) -> SentenceVectors:
        docs: dict[str, tuple[int, int]] = {}
        for row, entry in enumerate(entries):
            first, count = docs.get(entry.doc_id, (row, 0))
            docs[entry.doc_id] = (first, count + 1)
        keys = np.array([(e.start, e.end) for e in entries], dtype=np.int64).reshape(-1, 2)
        return cls(docs, keys, np.asarray(vectors, dtype=STORED_DTYPE))

    def __len__(self) -> int:
        return len(self.keys)

    def row(self, doc_id: str, start: int, end: int) -> int | None:
        """The row of the sentence at start:end of the document, or None."""
        first, count = self.docs.get(doc_id, (0, 0))
        if not count:
            return None
        starts = self.keys[first:first + count, 0]
        at = int(np.searchsorted(starts, start, side="left"))
        while at < count and starts[at] == start:
            if self.keys[first + at, 1] == end:
                return first + at
            at += 1
        return None

    def rows(self, rows: list[int]) -> np.ndarray:
        """The vectors of these rows as float32 (only those pages are read)."""
        if not rows:
            return np.zeros((0, self.vectors.shape[1] if self.vectors.ndim == 2 else 0), dtype=np.float32)
        return np.asarray(self.vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def save(self, folder: Path) -> None:
        np.save(folder / VECTORS, np.asarray(self.vectors, dtype=STORED_DTYPE))
        np.save(folder / KEYS, self.keys)
        (folder / DOCS).write_text(json.dumps(self.docs), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> SentenceVectors | None:
        """The segment's sentence vectors (memory-mapped), or None for a segment written without them."""
        if not (folder / DOCS).is_file():
            return None
        docs = {d: (int(v[0]), int(v[1])) for d, v in json.loads((folder / DOCS).read_text(encoding="utf-8")).items()}
        keys = np.load(folder / KEYS)
        vectors = np.load(folder / VECTORS, mmap_mode="r")
        if len(keys) != len(vectors) or sum(c for _, c in docs.values()) != len(keys):
            raise ValueError(f"{folder.name}: {len(vectors)} sentence vectors for {len(keys)} sentence keys")
        return cls(docs, keys, vectors)


class SentenceLookup:
    """Sentence vectors over the segments of an index version: a document's vectors are read from the
    segment that serves it (the last one holding it where it is not dead)."""

    def __init__(self, parts: list[tuple[SentenceVectors | None, frozenset[str]]]):
        self.parts = parts  # per segment, in order: its vectors and its dead documents

    def serving_part(self, doc_id: str) -> int | None:
        """The last part holding the document where it is not dead (None: no part serves it)."""
        for part in range(len(self.parts) - 1, -1, -1):
            vectors, dead = self.parts[part]
            if vectors is not None and doc_id not in dead and doc_id in vectors.docs:
                return part
        return None

    def vectors(self, keys: list[tuple[str, int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """(vectors as float32, found mask) for (doc_id, start, end) keys; missing rows are zero."""
        found = np.zeros(len(keys), dtype=bool)
        where: dict[int, list[tuple[int, int]]] = {}
        serving: dict[str, int | None] = {}  # doc_id -> the part that serves it, found once per document
        for i, (doc_id, start, end) in enumerate(keys):
            if doc_id not in serving:
                serving[doc_id] = self.serving_part(doc_id)
            part = serving[doc_id]
            row = None if part is None else self.parts[part][0].row(doc_id, start, end)
            if row is not None:
                where.setdefault(part, []).append((i, row))
                found[i] = True
        dimension = next((v.vectors.shape[1] for v, _ in self.parts if v is not None and len(v)), 0)
        out = np.zeros((len(keys), dimension), dtype=np.float32)
        for part, pairs in where.items():
            out[[i for i, _ in pairs]] = self.parts[part][0].rows([r for _, r in pairs])
        return out, found
