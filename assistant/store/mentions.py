"""Whether a word stands anywhere in the documents an index serves, without joining their texts.

``PolicyIndex.mentions(word)`` gives exactly the answer of ``word in " ".join(texts)`` over the texts of
the documents the index serves (the abstention check: does any document say 官费, name this title?), but
reads only the documents that may hold the word:

* BM25 with the default tokenizer indexes every pair of adjacent CJK characters of each clause, so a
  document holding the word inside one of its clauses is among the documents of the postings of every
  such pair of the word;
* what a document's text holds outside its clauses — title lines, headings, a preamble, the characters
  joining two clauses, the raw cells of a table whose rows became rewritten clauses — is recorded at
  indexing as the pairs it holds, per document (the ``loose_bigrams`` table, ``tables.loose_bigrams``);
  a segment written before that table reads its chunks once to make the same record in memory.

The documents holding every pair of the word (in a clause or loose; rarest pair first, stopping once
few are left, a few of them read early while many are) are the candidates, and a substring check on
their texts alone decides.  A word with no
pair of CJK characters (one character, Latin letters, digits), a word holding a space (in the joined
text it may span two documents), an index tokenised by jieba or one built in memory (not loaded) is
answered by a scan that reads one text at a time, never all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from assistant.store.segments import LiveDocuments, Segment
from assistant.store.tables import ChunkTable, DocumentTable, loose_bigrams
from assistant.text.tokens import cjk_pairs

FEW = 8  # candidate documents left after which rarer pairs stop narrowing them
SEPARATOR = " "  # what stood between two documents' texts when they were joined


def scan(texts: Iterable[str], word: str) -> bool:
    """``word in SEPARATOR.join(texts)``, reading one text at a time."""
    if not word:
        return True
    keep = len(word) - 1
    tail, first = "", True
    for text in texts:
        window = tail + (text if first else SEPARATOR + text)
        if word in window:
            return True
        tail, first = (window[-keep:] if keep else ""), False
    return False


def _text_of(documents: Mapping[str, Any], doc_id: str) -> str:
    return documents.text(doc_id) if isinstance(documents, DocumentTable) else documents[doc_id].text


class SegmentWords:
    """Where the pairs of a word stand in one segment: the documents of its clauses' BM25 postings, and
    those whose loose text holds them."""

    def __init__(self, segment: Segment):
        self.segment = segment
        ordered = sorted((first, doc_id) for doc_id, (first, count) in segment.spans.items() if count > 0)
        self.firsts = np.array([first for first, _ in ordered], dtype=np.int64)
        self.doc_ids = [doc_id for _, doc_id in ordered]
        self._loose: dict[str, set[str]] | None = None  # a segment written before loose_bigrams

    def frequency(self, pair: str) -> int:
        """How many clauses of the segment hold the pair (its BM25 postings)."""
        bm25 = self.segment.bm25
        term = bm25.vocab.get(pair)
        return 0 if term is None else int(bm25.indptr[term + 1] - bm25.indptr[term])

    def holders(self, pair: str) -> set[str]:
        """Every document of the segment (dead ones too) whose text holds the pair."""
        bm25 = self.segment.bm25
        term = bm25.vocab.get(pair)
        found: set[str] = set()
        if term is not None:
            positions = np.asarray(bm25.postings[int(bm25.indptr[term]):int(bm25.indptr[term + 1])], dtype=np.int64)
            ordinals = np.unique(np.searchsorted(self.firsts, positions, side="right") - 1)
            found = {self.doc_ids[i] for i in ordinals.tolist()}
        return found | self._loose_holders(pair)

    def _loose_holders(self, pair: str) -> set[str]:
        documents = self.segment.documents
        stored = documents.loose_holders(pair) if isinstance(documents, DocumentTable) else None
        if stored is not None:
            return stored
        if self._loose is None:
            self._loose = self._read_loose()
        return self._loose.get(pair, set())

    def _read_loose(self) -> dict[str, set[str]]:
        """The loose pairs of every document, from its text and its chunks read once."""
        chunks = self.segment.chunks
        read = chunks.clauses() if isinstance(chunks, ChunkTable) else \
            ((c.doc_id, c.start, c.end, c.text) for c in chunks)
        clauses: dict[str, list[tuple[int, int, str]]] = {}
        for doc_id, start, end, text in read:
            clauses.setdefault(doc_id, []).append((start, end, text))
        found: dict[str, set[str]] = {}
        documents = self.segment.documents
        for doc_id in documents:
            for pair in loose_bigrams(_text_of(documents, doc_id), clauses.pop(doc_id, ())):
                found.setdefault(pair, set()).add(doc_id)
        return found

    def mentions(self, word: str, pairs: list[str]) -> bool:
        """Whether a live document of the segment holds ``word`` (whose CJK pairs are ``pairs``): the documents
        holding every pair, rarest pair first; while many are left, a few of them are read first (a word whose
        pairs are all common is most often there), and the others narrowed by the next pair."""
        candidates: set[str] | None = None
        for pair in sorted(pairs, key=self.frequency):
            held = self.holders(pair) - self.segment.dead
            candidates = held if candidates is None else candidates & held
            if len(candidates) <= FEW:
                break
            probe = sorted(candidates)[:FEW]
            if self._read(probe, word):
                return True
            candidates.difference_update(probe)
        return self._read(sorted(candidates or ()), word)

    def _read(self, doc_ids: list[str], word: str) -> bool:
        """Whether one of these documents' texts holds the word."""
        documents = self.segment.documents
        texts = documents.texts(doc_ids) if isinstance(documents, DocumentTable) else \
            (documents[doc_id].text for doc_id in doc_ids)
        return any(word in text for text in texts)


class CorpusWords:
    """``word in " ".join(texts)`` over the documents an index serves, answered as the module says."""

    def __init__(self, documents: Mapping[str, Any], segments: list[Segment], tokenizer: str):
        self.documents = documents
        self.segments = [SegmentWords(s) for s in segments] if tokenizer == "bigram" else []

    def mentions(self, word: str) -> bool:
        pairs = list(dict.fromkeys(cjk_pairs(word)))
        if not pairs or SEPARATOR in word or not self.segments:
            return scan(self.texts(), word)
        return any(segment.mentions(word, pairs) for segment in self.segments)

    def texts(self) -> Iterator[str]:
        """Every served document's text in the documents' order, one at a time."""
        documents = self.documents
        if isinstance(documents, DocumentTable):
            yield from documents.texts()
        elif isinstance(documents, LiveDocuments):
            for doc_id in documents:
                yield _text_of(documents.where[doc_id].documents, doc_id)
        else:
            for document in documents.values():
                yield document.text
