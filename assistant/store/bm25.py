"""BM25 over Chinese tokens: postings on disk, built in bounded memory, memory-mapped when loaded.

The scoring is Lucene's variant, as bm25s computes it (k1 = 1.5, b = 0.75, every query token
counted, including repeats): ``idf(t) · tf / (tf + k1 · (1 − b + b · len / avglen))`` with
``idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))``.  The postings of a term hold the chunk positions
that contain it and the term-frequency part of the score, so a query touches only the postings of
its own tokens and the top hits are taken without sorting every chunk.  With many postings the top
hits come from dynamic pruning (``MaxScore``): the long lists of common terms are probed for a few
candidates instead of read, with exactly the exhaustive path's results.

Building reads the texts in batches: each batch's (term, chunk, tf) triples go to a scratch file,
then the postings are laid out term by term straight into memory-mapped arrays, so peak memory is
one batch plus the vocabulary, whatever the number of chunks.

Files: ``terms.json`` (the vocabulary, in id order), ``indptr.npy``, ``postings.npy`` (int32 chunk
positions), ``weights.npy`` (float32 term-frequency parts), ``maxweights.npy`` (each term's largest
term-frequency part: the pruning's bounds), ``lengths.npy`` (tokens per chunk), ``stats.json``.
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


def term_maxima(weights: np.ndarray, indptr: np.ndarray, step: int = 1 << 24) -> np.ndarray:
    """Each term's largest term-frequency part (the bound dynamic pruning multiplies by a weight),
    read in slices so a memory-mapped array is streamed once."""
    maxima = np.zeros(len(indptr) - 1, dtype=np.float32)
    for begin in range(0, int(indptr[-1]), step):
        end = min(begin + step, int(indptr[-1]))
        first = int(np.searchsorted(indptr, begin, side="right")) - 1  # the term the slice starts in
        last = int(np.searchsorted(indptr, end, side="left"))  # one past the term it ends in
        bounds = np.clip(indptr[first:last], begin, end) - begin
        part = np.asarray(weights[begin:end])
        nonempty = bounds < len(part)
        starts = bounds[nonempty]
        if len(starts):
            np.maximum.at(maxima, np.arange(first, last)[nonempty], np.maximum.reduceat(part, starts))
    return maxima


def kth_largest(values: np.ndarray, k: int) -> float:
    """The k-th largest value (0 when there are fewer than k)."""
    if len(values) < k:
        return 0.0
    return float(np.partition(values, len(values) - k)[len(values) - k])


class MaxScore:
    """Exact top-k by dynamic pruning (MaxScore), for one query on one index.

    A term's bound is the most it can add to a chunk's score: its weight times its largest
    term-frequency part (``maxweights``, recorded at build; the weight is whatever the caller
    passes, so a segment is bounded by the whole index's idf).

    1. Seed: the rarest terms' postings give partial scores; the best few hundred of those chunks
       are scored exactly, and the k-th best exact score is a floor θ under the final k-th score.
    2. Split: the commonest terms whose bounds sum to less than θ are *non-essential* — a chunk
       holding none of the other (essential) terms cannot reach θ, so it cannot be in the top k.
    3. The essential terms' postings (the short lists) are read whole: every chunk they hold is a
       candidate with a partial score.  Candidates whose partial score plus the non-essential
       bounds falls under θ are dropped; the others probe the non-essential terms' long lists by
       binary search, most valuable term first, dropping again after each.
    4. The survivors are scored in float32 in the query's term order, exactly as the exhaustive
       path sums them, so positions, scores and ties agree with it bit for bit.

    ``run`` returns ``None`` (the caller scores every chunk) when that is cheaper: the query's
    postings are fewer than ``MIN_POSTINGS`` (the pruning's fixed cost is about a millisecond), or
    the essential postings would be more than ``READ_SHARE`` of them (the bounds do not prune).
    """

    MARGIN = 1e-4  # relative slack on bounds and floors, far above float32 rounding of ~20 terms
    READ_SHARE = 0.5
    MIN_POSTINGS = 100_000  # below this many postings in the query, scoring every chunk is faster
    SPLIT = 0.4
    SEED_SHARE = 0.02  # the seed reads rare postings up to this share of the chunks (at least one term)
    SEED_EXACT = 2  # chunks scored exactly in the seed, per result asked for

    def __init__(self, index: Bm25Index, weighted: list[tuple[int, float]], k: int, allowed: np.ndarray | None):
        self.index = index
        self.weighted = weighted
        self.k = k
        self.allowed = allowed  # ascending, unique
        ids = np.array([t for t, _ in weighted], dtype=np.int64)
        self.terms, inverse = np.unique(ids, return_inverse=True)
        self.term_weight = np.bincount(inverse, weights=[float(np.float32(w)) for _, w in weighted])
        self.occurrence = inverse  # the unique term of each query occurrence
        self.df = (index.indptr[self.terms + 1] - index.indptr[self.terms]).astype(np.int64)
        self.bound = self.term_weight * index.maxweights[self.terms].astype(np.float64) * (1 + self.MARGIN)

    def run(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self.df.sum() < self.MIN_POSTINGS:
            return None
        theta = self._seed()
        by_df = np.lexsort((-self.terms, -self.df))  # commonest first
        covered = np.cumsum(self.bound[by_df])
        floor = theta * (1 - self.MARGIN)
        # the prefix whose bounds sum below SPLIT·θ (any share below θ is safe; a lower one reads
        # more postings and leaves fewer candidates to probe)
        n_optional = int(np.searchsorted(covered, self.SPLIT * floor, side="left"))
        optional, essential = by_df[:n_optional], by_df[n_optional:]
        reading = int(self.df[essential].sum())
        candidates: np.ndarray | None = None
        if self.allowed is not None and len(self.allowed) * 4 <= reading:
            candidates, partial, optional = self.allowed, np.zeros(len(self.allowed)), by_df
        elif reading > self.READ_SHARE * self.df.sum():
            return None
        optional = optional[np.argsort(-self.bound[optional], kind="stable")]  # most valuable first
        rest = np.r_[np.cumsum(self.bound[optional][::-1])[::-1], 0.0]
        if candidates is None:
            # a chunk whose essential part is no more than θ less the optional bounds cannot reach θ
            # (nor can one whose essential part is 0: the optional bounds alone stay under θ)
            candidates, partial = self._read(essential, max(0.0, floor - rest[0]) * (1 - self.MARGIN))
        else:
            keep = partial + rest[0] >= floor
            candidates, partial = candidates[keep], partial[keep]
        # the candidates the essential terms rate highest, scored exactly, raise the floor
        floor = max(theta, self._floor(candidates, partial)) * (1 - self.MARGIN)
        known: dict[int, np.ndarray] = {}  # probed terms' parts for the candidates, kept for the exact sum
        for step, term in enumerate(optional):
            parts = self.index.tf_parts(int(self.terms[term]), candidates)
            partial = partial + self.term_weight[term] * parts
            keep = partial + rest[step + 1] >= floor
            candidates, partial = candidates[keep], partial[keep]
            known = {t: p[keep] for t, p in known.items()}
            known[int(term)] = parts[keep]
        return self._exact(candidates, known)

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """One unique query term's postings (inside ``allowed``) and their weighted parts."""
        index = self.index
        start, end = index.indptr[self.terms[term]], index.indptr[self.terms[term] + 1]
        postings = index.postings[start:end]
        parts = index.weights[start:end]
        if self.allowed is not None and len(self.allowed):
            inside = np.minimum(np.searchsorted(self.allowed, postings), len(self.allowed) - 1)
            kept = self.allowed[inside] == postings
            postings, parts = postings[kept], parts[kept]
        elif self.allowed is not None:
            postings, parts = postings[:0], parts[:0]
        return postings, np.float32(self.term_weight[term]) * parts

    def _read(self, terms: np.ndarray, least: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Chunks holding any of these terms (ascending) with their partial scores — only those
        whose partial score is above ``least`` (≥ 0)."""
        if not len(terms):
            return np.array([], dtype=self.index.postings.dtype), np.array([], dtype=np.float64)
        if int(self.df[terms].sum()) * 16 < self.index.n_docs:  # few: sort them
            read = [self._postings(int(t)) for t in terms]
            candidates, inverse = np.unique(np.concatenate([p for p, _ in read]), return_inverse=True)
            sums = np.bincount(inverse, weights=np.concatenate([w for _, w in read]), minlength=len(candidates))
            kept = sums > least
            return candidates[kept], sums[kept]
        sums = np.zeros(self.index.n_docs, dtype=np.float32)  # many: add them up by position, no sort
        for term in terms:
            np.add.at(sums, *self._postings(int(term)))
        candidates = np.flatnonzero(sums > least).astype(self.index.postings.dtype)
        return candidates, sums[candidates].astype(np.float64)

    def _seed(self) -> float:
        """A floor under the final k-th score: the k-th best exact score among the chunks the
        rarest terms rate highest."""
        by_rarity = np.lexsort((self.terms, self.df))
        enough = self.SEED_SHARE * self.index.n_docs
        count = max(1, int(np.searchsorted(np.cumsum(self.df[by_rarity]), enough, side="right")))
        return self._floor(*self._read(by_rarity[:count]))

    def _floor(self, candidates: np.ndarray, partial: np.ndarray) -> float:
        """The k-th best exact score among the candidates with the best partial scores (0 when
        fewer than k score above zero): a floor under the final k-th score."""
        wanted = self.SEED_EXACT * self.k
        if len(candidates) > wanted:
            candidates = candidates[np.sort(np.argpartition(-partial, wanted)[:wanted])]
        return kth_largest(self._exact(candidates)[1].astype(np.float64), self.k)

    def _exact(self, candidates: np.ndarray, known: dict[int, np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """The candidates' scores summed as the exhaustive path sums them; the k best above zero.
        ``known``: term-frequency parts already probed for these candidates, by unique term."""
        known = known or {}
        parts = [known[term] if term in known else self.index.tf_parts(int(self.terms[term]), candidates)
                 for term in range(len(self.terms))]
        scores = np.zeros(len(candidates), dtype=np.float32)
        for (_, weight), term in zip(self.weighted, self.occurrence):
            scores += np.float32(weight) * parts[term]
        positive = scores > 0
        candidates, scores = candidates[positive], scores[positive]
        best = np.lexsort((candidates, -scores))[: self.k]
        return candidates[best], scores[best]


class Bm25Index:
    def __init__(self, tokenizer: str, terms: list[str], arrays: dict[str, np.ndarray], folder: Path | None = None,
                 average_length: float | None = None):
        self.tokenizer_name = tokenizer
        self.tokenize: Callable[[str], list[str]] = get_tokenizer(tokenizer)
        self.terms = terms
        self.vocab = {term: i for i, term in enumerate(terms)}
        self.indptr = arrays["indptr"]
        # plain arrays over the memory maps: slicing a np.memmap costs ~20 µs of Python each time
        self.postings = np.asarray(arrays["postings"])
        self.weights = np.asarray(arrays["weights"])
        self.lengths = arrays["lengths"]
        # each term's largest term-frequency part: times a term's weight, the most it adds to a score
        self.maxweights = np.asarray(arrays["maxweights"]) if "maxweights" in arrays \
            else term_maxima(self.weights, self.indptr)
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
        maxweights = term_maxima(weights, indptr)
        del postings, weights
        np.save(scratch / "indptr.npy", indptr)
        np.save(scratch / "lengths.npy", all_lengths)
        terms = list(vocab)
        index = cls(tokenizer, terms, {"indptr": indptr, "postings": np.load(scratch / "postings.npy", mmap_mode="r"),
                                       "weights": np.load(scratch / "weights.npy", mmap_mode="r"),
                                       "lengths": all_lengths, "maxweights": maxweights},
                    folder=scratch, average_length=avg)
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
        return self._exhaustive_scores(self._weighted_ids(terms, weights))

    def _exhaustive_scores(self, weighted: list[tuple[int, float]]) -> np.ndarray:
        scores = np.zeros(self.n_docs, dtype=np.float32)
        for term, weight in weighted:
            start, end = self.indptr[term], self.indptr[term + 1]
            scores[self.postings[start:end]] += np.float32(weight) * self.weights[start:end]
        return scores

    def top_terms(self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None,
                  weights: np.ndarray | None = None, prune: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of the k best-scoring chunks with a score above zero, best first
        (ties by position), optionally among ``allowed`` positions only; ``weights`` as in
        ``term_scores``.  Taken by dynamic pruning (``MaxScore``) when it pays: the same positions
        and scores as scoring every chunk (``prune=False``)."""
        weighted = self._weighted_ids(terms, weights)
        if allowed is not None:
            allowed = np.asarray(allowed).astype(self.postings.dtype, copy=False)  # one dtype: no copy in searches
            if len(allowed) > 1 and not bool(np.all(allowed[1:] > allowed[:-1])):
                allowed = np.unique(allowed)
        if k <= 0 or not weighted:
            return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
        if prune and all(w >= 0 for _, w in weighted):
            found = MaxScore(self, weighted, k, allowed).run()
            if found is not None:
                return found
        scores = self._exhaustive_scores(weighted)
        if allowed is not None:
            kept = np.zeros_like(scores)
            kept[allowed] = scores[allowed]
            scores = kept
        best = top_positions(scores, k)
        return best, scores[best]

    def tf_parts(self, term: int, positions: np.ndarray) -> np.ndarray:
        """The term's term-frequency part in each of these chunks (ascending positions; 0 where
        absent), found by binary search in its sorted postings: pages of a long memory-mapped list
        are probed, not read through."""
        start, end = int(self.indptr[term]), int(self.indptr[term + 1])
        postings = self.postings[start:end]
        positions = positions.astype(postings.dtype, copy=False)  # else searchsorted copies the whole list
        at = np.minimum(np.searchsorted(postings, positions), end - start - 1)
        hit = postings[at] == positions
        parts = np.zeros(len(positions), dtype=np.float32)
        parts[hit] = self.weights[start:end][at[hit]]
        return parts

    def holding(self, term: str, positions: np.ndarray) -> np.ndarray:
        """Whether each of these chunks (ascending positions) holds the term (none, for a term this index does
        not know), by binary search in its postings."""
        term_id = self.vocab.get(term)
        if term_id is None or not len(positions):
            return np.zeros(len(positions), dtype=bool)
        return self.tf_parts(term_id, np.asarray(positions)) > 0

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
        for name in ARRAYS + ("maxweights",):
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
        if (folder / "maxweights.npy").exists():  # absent from indexes built before it was recorded
            arrays["maxweights"] = np.load(folder / "maxweights.npy")
        if len(arrays["lengths"]) != stats["n_docs"] or len(arrays["indptr"]) != len(terms) + 1 \
                or not math.isclose(stats["k1"], K1) or not math.isclose(stats["b"], B):
            raise ValueError(f"BM25 files in {folder} do not agree with each other")
        return cls(tokenizer, terms, arrays, folder=folder, average_length=stats.get("average_length"))
