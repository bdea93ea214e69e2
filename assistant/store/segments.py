"""An index made of segments, so that an update writes only what changed.

A version of the index is a list of immutable segments.  Each segment holds the documents it was
written with: their texts and chunks (``store.sqlite``), their vectors (``dense.faiss``) and their
BM25 postings (``bm25/``).  ``ingest`` writes one segment; ``add`` writes one more segment with the
new or replaced documents and marks the documents it replaces as *dead* in the older segments;
``remove`` only marks documents dead.  Chunk positions run through the segments in order, so
position ``p`` of the whole index is position ``p − offset`` of the segment that holds it; the
positions of dead documents stay addressable but are never searched.

The classes here give a list of segments the interfaces of one index: ``ChainedChunks`` (a
sequence of chunks by position), ``ChainedVectors`` (stored vectors by position),
``SegmentedDense`` and ``SegmentedBm25`` (search over every segment, merged).  BM25 scores stay
those of one index over all the chunks: a query term's idf comes from its document frequency
summed over the segments (as Lucene does, dead chunks count until they are merged away), and a
segment added later is length-normalised by the average chunk length of the whole index when it
was written.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.models import Chunk
from assistant.store.bm25 import Bm25Index, idf
from assistant.store.dense import DenseIndex
from assistant.store.sentences import SentenceVectors
from assistant.store.tables import ChunkSequence, ChunkTable, TagPositions, position_runs
from assistant.text.tokens import bigram_frequencies

CLAUSE_BIGRAMS = "clause_bigrams.json"  # how many clauses hold each bigram (the reader's word rarity)


def write_clause_bigrams(folder: Path, chunks: Iterable[Chunk]) -> None:
    texts = [c.text for c in chunks]
    (folder / CLAUSE_BIGRAMS).write_text(json.dumps({"clauses": len(texts), "frequency": bigram_frequencies(texts)},
                                                    ensure_ascii=False), encoding="utf-8")


@dataclass
class Segment:
    """One loaded segment: what it holds, where its positions start, which documents are dead."""

    path: str  # relative to the index directory
    offset: int  # the whole index's position of this segment's first chunk
    documents: Mapping[str, Any]  # doc_id -> StoredDocument, every document written in it
    spans: dict[str, tuple[int, int]]  # doc_id -> (first local position, count)
    chunks: Sequence[Chunk]
    dense: DenseIndex
    bm25: Bm25Index
    dead: frozenset[str] = frozenset()
    folder: Path | None = None
    _tags: TagPositions | None = field(default=None, repr=False, compare=False)
    sentences: SentenceVectors | None = field(default=None, repr=False, compare=False)  # sentences.py

    @property
    def size(self) -> int:
        return len(self.chunks)

    def clause_bigrams(self) -> tuple[int, Counter[str]]:
        """(live clauses, bigram -> live clauses holding it): stored at indexing (counted from the
        chunks for a segment written before that), the dead documents' clauses taken off."""
        stored = self.folder / CLAUSE_BIGRAMS if self.folder else None
        if stored is not None and stored.is_file():
            data = json.loads(stored.read_text(encoding="utf-8"))
            size, frequency = int(data["clauses"]), Counter(data["frequency"])
        else:
            size, frequency = self.size, bigram_frequencies(c.text for c in self.chunks)
        for doc_id in self.dead:
            first, count = self.spans.get(doc_id, (0, 0))
            dead = bigram_frequencies(self.chunks[i].text for i in range(first, first + count))
            frequency.subtract(dead)
            size -= count
        return size, frequency

    def tagged(self, kind: str, tags: list[str], within: np.ndarray | None = None) -> np.ndarray:
        """Live local positions of the chunks tagged with any of ``tags`` of ``kind``, among the whole
        index's ``within`` positions (None: anywhere), from the segment's chunk_tags table (its chunks read
        once when it has none); only the runs of those positions are looked up."""
        local = self.local(within)
        runs = None if local is None else position_runs(local)
        found = self.chunks.tagged(kind, tags, runs) if isinstance(self.chunks, ChunkTable) else None
        if found is None:
            if self._tags is None:
                self._tags = TagPositions(self.chunks)
            found = self._tags.find(kind, tags, runs)
        return found

    @cached_property
    def live(self) -> np.ndarray | None:
        """Local positions still searched, ascending; None when every chunk is."""
        if not self.dead:
            return None
        mask = np.ones(self.size, dtype=bool)
        for doc_id in self.dead:
            first, count = self.spans.get(doc_id, (0, 0))
            mask[first:first + count] = False
        return np.flatnonzero(mask)

    def local(self, allowed: np.ndarray | None) -> np.ndarray | None:
        """The live local positions among the whole index's ``allowed`` positions (None: all live
        ones, unrestricted)."""
        if allowed is None:
            return self.live
        allowed = np.asarray(allowed, dtype=np.int64)
        inside = allowed[(allowed >= self.offset) & (allowed < self.offset + self.size)] - self.offset
        return inside if self.live is None else np.intersect1d(inside, self.live, assume_unique=False)


def merge_best(found: list[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (position, score) pairs of several segments' results, best first, ties by position."""
    if not found:
        return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
    positions = np.concatenate([p for p, _ in found]).astype(np.int64)
    scores = np.concatenate([s for _, s in found]).astype(np.float32)
    order = np.lexsort((positions, -scores))[:k]
    return positions[order], scores[order]


class ChainedChunks(ChunkSequence):
    """The chunks of every segment by the whole index's position (dead ones included)."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        self.offsets = [s.offset for s in segments]
        self.count = sum(s.size for s in segments)

    def _chunk(self, position: int) -> Chunk:
        segment = self.segments[bisect.bisect_right(self.offsets, position) - 1]
        return segment.chunks[position - segment.offset]

    def __iter__(self) -> Iterator[Chunk]:
        for segment in self.segments:
            yield from segment.chunks


class ChainedVectors:
    """The stored float vectors of every segment, read by the whole index's positions."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        self.offsets = np.array([s.offset for s in segments], dtype=np.int64)
        self.count = sum(s.size for s in segments)
        self.shape = (self.count, segments[0].dense.dimension)
        self.dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.count

    def rows(self, positions: np.ndarray | list[int]) -> np.ndarray:
        """The vectors of these whole-index positions (any order, repeats allowed), each segment's read
        through its ``DenseIndex.rows``."""
        positions = np.asarray(positions, dtype=np.int64).reshape(-1)
        if len(positions) and (int(positions.min()) < 0 or int(positions.max()) >= self.count):
            raise IndexError(f"chunk positions outside 0..{self.count - 1}")
        rows = np.empty((len(positions), self.shape[1]), dtype=np.float32)
        where = np.searchsorted(self.offsets, positions, side="right") - 1
        for s in np.unique(where):
            picked = np.flatnonzero(where == s)
            rows[picked] = self.segments[s].dense.rows(positions[picked] - self.offsets[s])
        return rows

    def __getitem__(self, positions: Any) -> np.ndarray:
        if isinstance(positions, slice):
            return self.rows(np.arange(*positions.indices(self.count)))
        if np.isscalar(positions):
            position = int(positions) + (self.count if int(positions) < 0 else 0)
            if not 0 <= position < self.count:
                raise IndexError(positions)
            return self.rows([position])[0]
        return self.rows(positions)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[np.arange(self.count)]
        return whole if dtype is None else whole.astype(dtype)


class SegmentedDense:
    """Nearest chunks over every segment's dense index, merged by score."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        self.vectors = ChainedVectors(segments)

    @property
    def dimension(self) -> int:
        return self.segments[0].dense.dimension

    def rows(self, positions: np.ndarray | list[int]) -> np.ndarray:
        """As ``DenseIndex.rows``, by the whole index's positions."""
        return self.vectors.rows(positions)

    @property
    def ntotal(self) -> int:
        return self.vectors.count

    @property
    def approximate(self) -> bool:
        return any(s.dense.approximate for s in self.segments)

    @property
    def kind(self) -> str:
        return "+".join(s.dense.kind for s in self.segments)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "vectors": self.ntotal, "dimension": self.dimension,
                "segments": [s.dense.describe() for s in self.segments]}

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        found = []
        for segment in self.segments:
            local = segment.local(allowed)
            if local is not None and len(local) == 0:
                continue
            ids, scores = segment.dense.search(query, k, local)
            found.append((ids + segment.offset, scores))
        return merge_best(found, k)


class SegmentedBm25:
    """BM25 over every segment with the whole index's term statistics, merged by score."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        first = segments[0].bm25
        self.tokenizer_name = first.tokenizer_name
        self.tokenize = first.tokenize
        self.n_docs = sum(s.bm25.n_docs for s in segments)
        self.average_length = float(sum(s.bm25.average_length * s.bm25.n_docs for s in segments) / self.n_docs)

    def query_terms(self, query: str) -> list[str]:
        return self.segments[0].bm25.query_terms(query)

    def document_frequencies(self, terms: Sequence[str]) -> np.ndarray:
        return np.sum([s.bm25.document_frequencies(terms) for s in self.segments], axis=0)

    def weights(self, terms: Sequence[str]) -> np.ndarray:
        """Each query term's idf over the whole index."""
        return idf(self.document_frequencies(terms), self.n_docs)

    def top_terms(self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None,
                  weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        weights = self.weights(terms) if weights is None else weights
        found = []
        for segment in self.segments:
            local = segment.local(allowed)
            if local is not None and len(local) == 0:
                continue
            ids, scores = segment.bm25.top_terms(terms, k, local, weights)
            found.append((ids + segment.offset, scores))
        return merge_best(found, k)

    def top(self, query: str, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
        return self.top_terms(self.query_terms(query), k, allowed)[0]

    def term_scores(self, terms: Sequence[str], weights: np.ndarray | None = None) -> np.ndarray:
        weights = self.weights(terms) if weights is None else weights
        parts = []
        for segment in self.segments:
            scores = segment.bm25.term_scores(terms, weights)
            if segment.live is not None:
                kept = np.zeros_like(scores)
                kept[segment.live] = scores[segment.live]
                scores = kept
            parts.append(scores)
        return np.concatenate(parts)

    def scores(self, query: str) -> np.ndarray:
        return self.term_scores(self.query_terms(query))

    def holding(self, term: str, positions: np.ndarray) -> np.ndarray:
        """Whether each of these chunks (ascending whole-index positions) holds the term."""
        positions = np.asarray(positions, dtype=np.int64)
        held = np.zeros(len(positions), dtype=bool)
        for segment in self.segments:
            begin, end = np.searchsorted(positions, [segment.offset, segment.offset + segment.size])
            if end > begin:
                held[begin:end] = segment.bm25.holding(term, positions[begin:end] - segment.offset)
        return held

    def term_key(self, term: str) -> int:
        return self.segments[0].bm25.term_key(term)

    def document_vector(self, text: str) -> dict[int, float]:
        return self.segments[-1].bm25.document_vector(text)

    def query_vector(self, query: str) -> dict[int, float]:
        terms = self.query_terms(query)
        frequencies = self.document_frequencies(terms)
        weights: dict[int, float] = {}
        for term, frequency, weight in zip(terms, frequencies, idf(frequencies, self.n_docs)):
            if frequency > 0:  # a term no segment knows is left out, as one index leaves it out
                key = self.term_key(term)
                weights[key] = weights.get(key, 0.0) + float(weight)
        return weights


class LiveDocuments(Mapping[str, Any]):
    """doc_id -> the live StoredDocument, from whichever segment holds it, in doc_id order."""

    def __init__(self, segments: list[Segment]):
        self.where: dict[str, Segment] = {}
        for segment in segments:
            for doc_id in segment.documents:
                if doc_id not in segment.dead:
                    self.where[doc_id] = segment
        self.order = sorted(self.where)

    def __getitem__(self, doc_id: str) -> Any:
        return self.where[doc_id].documents[doc_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)

    def spans(self) -> dict[str, tuple[int, int]]:
        """doc_id -> (first position in the whole index, chunk count)."""
        spans = {}
        for doc_id in self.order:
            segment = self.where[doc_id]
            first, count = segment.spans[doc_id]
            spans[doc_id] = (first + segment.offset, count)
        return spans
