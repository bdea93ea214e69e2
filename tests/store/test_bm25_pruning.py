"""Dynamic pruning (MaxScore) gives exactly the exhaustive top-k: same positions, same float32
scores, same tie order — with and without an allowed set, with the index's idf and with weights
passed in (as a segment of a larger index gets them)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from assistant.ingest.pipeline import bundled_corpus_dir
from assistant.store.bm25 import Bm25Index, MaxScore, term_maxima
from tests.conftest import EXTRA_DIR


def corpus_lines() -> list[str]:
    folders = [bundled_corpus_dir()] + ([EXTRA_DIR] if EXTRA_DIR.is_dir() else [])
    return [line.strip() for folder in folders for path in sorted(folder.glob("*.txt"))
            for line in path.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 4]


def synthetic_texts(rng: random.Random, count: int) -> list[str]:
    """Zipf-distributed characters (a few very common bigrams, a long tail), with exact duplicates
    so that many chunks tie."""
    alphabet = "的知识产权支持企业专利保护质押融资商标服务创新发展国家省市申请奖励资金"
    weights = [1 / (i + 1) for i in range(len(alphabet))]
    texts: list[str] = []
    while len(texts) < count:
        if texts and rng.random() < 0.2:
            texts.append(rng.choice(texts))
            continue
        texts.append("".join(rng.choices(alphabet, weights, k=rng.randint(1, 60))))
    return texts


def random_query(rng: random.Random, index: Bm25Index, texts: list[str]) -> list[str]:
    source = index.query_terms(rng.choice(texts))
    terms = rng.sample(source, min(len(source), rng.randint(1, 18))) if source else []
    terms += rng.choices(index.terms, k=rng.randint(0, 3))  # any term, common or rare
    terms += rng.sample(terms, min(len(terms), rng.randint(0, 2)))  # repeats count again
    if rng.random() < 0.2:
        terms.append("未知词")  # unknown terms are skipped
    rng.shuffle(terms)
    return terms


def random_allowed(rng: random.Random, n_docs: int) -> np.ndarray | None:
    kind = rng.random()
    if kind < 0.4:
        return None
    if kind < 0.6:  # a few documents' contiguous chunk ranges, as the retriever passes them
        spans = []
        for _ in range(rng.randint(1, 4)):
            first = rng.randrange(n_docs)
            spans.append(np.arange(first, min(n_docs, first + rng.randint(1, 200))))
        return np.unique(np.concatenate(spans))
    share = rng.choice([0.001, 0.01, 0.1, 0.5, 0.9])
    chosen = np.flatnonzero(np.random.default_rng(rng.randrange(2**32)).random(n_docs) < share)
    if rng.random() < 0.2:  # unsorted with repeats is accepted too
        chosen = np.random.default_rng(0).permutation(np.r_[chosen, chosen[: len(chosen) // 3]])
    return chosen


def assert_same_top(index: Bm25Index, terms: list[str], k: int, allowed: np.ndarray | None,
                    weights: np.ndarray | None) -> None:
    expected = index.top_terms(terms, k, allowed, weights, prune=False)
    pruned = index.top_terms(terms, k, allowed, weights)
    assert np.array_equal(pruned[0], expected[0]), (terms, k)
    assert np.array_equal(pruned[1], expected[1]), (terms, k)
    assert pruned[1].dtype == expected[1].dtype == np.float32


def check_many(index: Bm25Index, texts: list[str], seed: int, queries: int) -> int:
    """Random queries against the exhaustive path; returns how many the pruning answered itself."""
    rng = random.Random(seed)
    pruned = 0
    for _ in range(queries):
        terms = random_query(rng, index, texts)
        k = rng.choice([1, 3, 10, 50, 200])
        allowed = random_allowed(rng, index.n_docs)
        weights = None
        if rng.random() < 0.3:  # a whole index's idf, not this index's: bounds must follow the weights
            weights = np.array([rng.uniform(0, 8) for _ in terms], dtype=np.float32)
        assert_same_top(index, terms, k, allowed, weights)
        known = [(index.vocab[t], float(index.idf[index.vocab[t]] if weights is None else weights[i]))
                 for i, t in enumerate(terms) if t in index.vocab]
        sorted_allowed = None if allowed is None else np.unique(allowed)
        if known and MaxScore(index, known, k, sorted_allowed).run() is not None:
            pruned += 1
    return pruned


@pytest.fixture(autouse=True)
def prune_small_indexes(monkeypatch) -> None:
    """These corpora are small: prune even where scoring every chunk would be faster."""
    monkeypatch.setattr(MaxScore, "MIN_POSTINGS", 0)


@pytest.fixture(scope="module")
def real_index() -> tuple[Bm25Index, list[str]]:
    lines = corpus_lines()
    texts = lines * 3  # every line three times: chunks repeated across places tie, as at scale
    return Bm25Index.build(texts, "bigram"), texts


def test_pruned_top_equals_exhaustive_on_the_real_corpus(real_index) -> None:
    index, texts = real_index
    pruned = check_many(index, texts, seed=1, queries=400)
    assert pruned > 150  # the pruning itself answered many of the 400 queries, not only the fallback


def test_pruned_top_equals_exhaustive_on_synthetic_texts() -> None:
    for seed in range(3):
        texts = synthetic_texts(random.Random(seed), 3000)
        index = Bm25Index.build(texts, "bigram", batch=700)  # several build batches
        check_many(index, texts, seed=seed, queries=150)


def test_dev_questions_prune_to_the_exhaustive_top(real_index) -> None:
    """The queries the retriever asks (dev questions, expanded), k = 50."""
    from assistant.understanding.question import analyse_question
    from tests.conftest import SHARED

    index, _ = real_index
    questions = [line for line in (SHARED / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line]
    import json

    for question in (json.loads(q)["question"] for q in questions):
        terms = index.query_terms(analyse_question(question).expanded)
        assert_same_top(index, terms, 50, None, None)


def test_maxima_survive_save_and_load(tmp_path, real_index) -> None:
    index, _ = real_index
    index.save(tmp_path / "bm25")
    loaded = Bm25Index.load(tmp_path / "bm25", "bigram")
    assert np.array_equal(loaded.maxweights, index.maxweights)
    assert np.array_equal(loaded.maxweights, term_maxima(np.asarray(index.weights), index.indptr, step=997))
    (tmp_path / "bm25" / "maxweights.npy").unlink()  # an index written before the maxima were recorded
    assert np.array_equal(Bm25Index.load(tmp_path / "bm25", "bigram").maxweights, index.maxweights)


def test_tf_parts_probe_the_postings(real_index) -> None:
    index, _ = real_index
    term = index.vocab["产权"]
    positions = np.arange(index.n_docs)
    start, end = index.indptr[term], index.indptr[term + 1]
    expected = np.zeros(index.n_docs, dtype=np.float32)
    expected[index.postings[start:end]] = index.weights[start:end]
    assert np.array_equal(index.tf_parts(term, positions), expected)
