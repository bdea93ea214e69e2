"""BM25 over Chinese tokens: postings on disk, built in bounded memory, memory-mapped when loaded.

The scoring is Lucene's variant, as bm25s computes it (k1 = 1.5, b = 0.75, every query token
counted, including repeats): ``idf(t) · tf / (tf + k1 · (1 − b + b · len / avglen))`` with
``idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))``.  The postings of a term hold the chunk positions
that contain it and the term-frequency part of the score, so a query touches only the postings of
its own tokens and the top hits are taken without sorting every chunk.

Building reads the texts in batches: each batch's (term, chunk, tf) triples go to a scratch file,
then the postings are laid out term by term straight into memory-mapped arrays, so peak memory is
one batch plus the vocabulary, whatever the number of chunks.

Files: ``terms.json`` (the vocabulary, in id order), ``indptr.npy``, ``postings.npy`` (int32 chunk
positions), ``weights.npy`` (float32 term-frequency parts), ``lengths.npy`` (tokens per chunk),
``stats.json``.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from assistant.text.tokens import get_tokenizer, strip_query_filler

K1 = 1.5
B = 0.75
EMPTY = "∅"  # the token of a text with none, so every chunk has a length
BATCH = 20_000  # texts tokenised per batch while building
ARRAYS = ("indptr", "postings", "weights", "lengths")


def idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)


def top_positions(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores above zero, best first, ties by position (as a stable sort of
    every score would give) — without sorting every score."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        values = scores[positive]
        kth = np.partition(values, len(values) - k)[len(values) - k]
        positive = positive[values >= kth]  # ties at the k-th score all stay, then the order decides
    order = np.lexsort((positive, -scores[positive]))
    return positive[order][:k]


class Bm25Index:
    def __init__(self, tokenizer: str, terms: list[str], arrays: dict[str, np.ndarray], folder: Path | None = None,
                 average_length: float | None = None):
        self.tokenizer_name = tokenizer
        self.tokenize: Callable[[str], list[str]] = get_tokenizer(tokenizer)
        self.terms = terms
        self.vocab = {term: i for i, term in enumerate(terms)}
        self.indptr = arrays["indptr"]
        self.postings = arrays["postings"]
        self.weights = arrays["weights"]
        self.lengths = arrays["lengths"]
        self.n_docs = len(self.lengths)
        self.idf = idf(np.diff(self.indptr), self.n_docs)
        # the average chunk length the term-frequency parts were normalised by
        self.average_length = float(average_length if average_length is not None else np.mean(self.lengths))
        self.folder = folder  # where the arrays live, if they are memory-mapped

    @classmethod
    def build(cls, texts: Iterable[str], tokenizer: str, batch: int = BATCH,
              average_length: float | None = None) -> Bm25Index:
        """Index the texts in order (chunk position = order); memory stays bounded by ``batch``.
        ``average_length``: the length normalisation's average chunk length (default: these texts');
        a segment added to a larger index is normalised by the whole index's average."""
        tokenize = get_tokenizer(tokenizer)
        scratch = Path(tempfile.mkdtemp(prefix="bm25-"))
        vocab: dict[str, int] = {}
        df: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        parts = 0
        texts = iter(texts)
        while True:
            chunk = [t for _, t in zip(range(batch), texts)]
            if not chunk:
                break
            term_ids: list[int] = []
            base = sum(len(x) for x in lengths)
            counts = np.empty(len(chunk), dtype=np.int64)
            for row, text in enumerate(chunk):
                tokens = tokenize(text) or [EMPTY]
                counts[row] = len(tokens)
                term_ids.extend(vocab.setdefault(t, len(vocab)) for t in tokens)
            rows = np.repeat(np.arange(len(chunk), dtype=np.int64), counts)
            keys, tf = np.unique(np.asarray(term_ids, dtype=np.int64) * len(chunk) + rows, return_counts=True)
            part_terms = keys // len(chunk)  # sorted by term, then by chunk
            np.save(scratch / f"terms{parts}.npy", part_terms.astype(np.int32))
            np.save(scratch / f"docs{parts}.npy", (keys % len(chunk) + base).astype(np.int32))
            np.save(scratch / f"tf{parts}.npy", tf.astype(np.int32))
            df.append(np.bincount(part_terms))
            lengths.append(counts.astype(np.int32))
            parts += 1
        if not parts:
            raise ValueError("nothing to index")
        total_df = np.zeros(len(vocab), dtype=np.int64)
        for part in df:
            total_df[: len(part)] += part
        all_lengths = np.concatenate(lengths)
        avg = float(average_length or all_lengths.mean())
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(total_df, out=indptr[1:])
        nnz = int(indptr[-1])
        postings = np.lib.format.open_memmap(scratch / "postings.npy", mode="w+", dtype=np.int32, shape=(nnz,))
        weights = np.lib.format.open_memmap(scratch / "weights.npy", mode="w+", dtype=np.float32, shape=(nnz,))
        fill = indptr[:-1].copy()
        for part in range(parts):  # batches in chunk order, each sorted by (term, chunk)
            terms_part = np.load(scratch / f"terms{part}.npy")
            docs_part = np.load(scratch / f"docs{part}.npy")
            tf = np.load(scratch / f"tf{part}.npy").astype(np.float64)
            starts = np.flatnonzero(np.r_[True, terms_part[1:] != terms_part[:-1]])
            offset = np.arange(len(terms_part)) - np.repeat(starts, np.diff(np.r_[starts, len(terms_part)]))
            dest = fill[terms_part] + offset
            postings[dest] = docs_part
            norm = K1 * ((1 - B) + B * all_lengths[docs_part] / avg)
            weights[dest] = (tf / (norm + tf)).astype(np.float32)
            fill += np.bincount(terms_part, minlength=len(vocab))
            for name in ("terms", "docs", "tf"):
                (scratch / f"{name}{part}.npy").unlink()
        postings.flush()
        weights.flush()
        np.save(scratch / "indptr.npy", indptr)
        np.save(scratch / "lengths.npy", all_lengths)
        terms = list(vocab)
        index = cls(tokenizer, terms, {"indptr": indptr, "postings": np.load(scratch / "postings.npy", mmap_mode="r"),
                                       "weights": np.load(scratch / "weights.npy", mmap_mode="r"),
                                       "lengths": all_lengths}, folder=scratch, average_length=avg)
        weakref.finalize(index, shutil.rmtree, scratch, True)
        return index

    def query_terms(self, query: str) -> list[str]:
        """The query's tokens as BM25 counts them: fillers stripped, repeats kept, unknown ones too."""
        return self.tokenize(strip_query_filler(query))

    def _token_ids(self, query: str) -> list[int]:
        return [self.vocab[t] for t in self.query_terms(query) if t in self.vocab]

    def document_frequencies(self, terms: Sequence[str]) -> np.ndarray:
        """How many chunks hold each term (0 for a term this index does not know)."""
        ids = [self.vocab.get(t, -1) for t in terms]
        return np.array([self.indptr[i + 1] - self.indptr[i] if i >= 0 else 0 for i in ids], dtype=np.int64)

    def _weighted_ids(self, terms: Sequence[str], weights: np.ndarray | None) -> list[tuple[int, float]]:
        """(term id, idf) of each known term; ``weights`` (one per term) replace this index's idf,
        as when this index is one segment of a larger one."""
        return [(self.vocab[t], float(self.idf[self.vocab[t]] if weights is None else weights[i]))
                for i, t in enumerate(terms) if t in self.vocab]

    def term_scores(self, terms: Sequence[str], weights: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every chunk for these query terms (zeros when none is known)."""
        scores = np.zeros(self.n_docs, dtype=np.float32)
        for term, weight in self._weighted_ids(terms, weights):
            start, end = self.indptr[term], self.indptr[term + 1]
            scores[self.postings[start:end]] += np.float32(weight) * self.weights[start:end]
        return scores

    def top_terms(self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None,
                  weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of the k best-scoring chunks with a score above zero, best first
        (ties by position), optionally among ``allowed`` positions only; ``weights`` as in
        ``term_scores``."""
        scores = self.term_scores(terms, weights)
        if allowed is not None:
            kept = np.zeros_like(scores)
            kept[allowed] = scores[allowed]
            scores = kept
        best = top_positions(scores, k)
        return best, scores[best]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros when no query token is known)."""
        return self.term_scores(self.query_terms(query))

    def top(self, query: str, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """Positions of the k best-scoring chunks with a score above zero, best first, optionally
        among ``allowed`` positions only."""
        return self.top_terms(self.query_terms(query), k, allowed)[0]

    def term_key(self, term: str) -> int:
        """A term's id independent of this vocabulary (for stores outside the index: 32-bit hash)."""
        return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little") % (2**32 - 1)

    def document_vector(self, text: str) -> dict[int, float]:
        """A chunk's BM25 term-frequency parts as a sparse vector keyed by ``term_key`` (with the
        query vector's inner product it gives this index's score)."""
        tokens = self.tokenize(text) or [EMPTY]
        norm = K1 * ((1 - B) + B * len(tokens) / self.average_length)
        counts = Counter(tokens)
        return {self.term_key(t): float(np.float32(tf / (norm + tf))) for t, tf in counts.items()}

    def query_vector(self, query: str) -> dict[int, float]:
        """The query's idf weights (repeated tokens count again) as a sparse vector keyed by ``term_key``."""
        weights: dict[int, float] = {}
        for term in self._token_ids(query):
            key = self.term_key(self.terms[term])
            weights[key] = weights.get(key, 0.0) + float(self.idf[term])
        return weights

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))
        (folder / "terms.json").write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")
        (folder / "stats.json").write_text(json.dumps({"n_docs": self.n_docs, "k1": K1, "b": B,
                                                       "tokenizer": self.tokenizer_name,
                                                       "average_length": self.average_length}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, tokenizer: str) -> Bm25Index:
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        stats = json.loads((folder / "stats.json").read_text(encoding="utf-8"))
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
        arrays["indptr"] = np.asarray(arrays["indptr"])  # small: one entry per term
        if len(arrays["lengths"]) != stats["n_docs"] or len(arrays["indptr"]) != len(terms) + 1 \
                or not math.isclose(stats["k1"], K1) or not math.isclose(stats["b"], B):
            raise ValueError(f"BM25 files in {folder} do not agree with each other")
        return cls(tokenizer, terms, arrays, folder=folder, average_length=stats.get("average_length"))
