"""BM25 against a reference implementation of the formula bm25s uses (Lucene variant)."""

import math

import numpy as np
import pytest

from assistant.store.bm25 import Bm25Index
from assistant.text.tokens import bigrams, jieba_words

DOCS = [
    "支持银行开展知识产权质押融资业务",
    "鼓励保险机构开展专利执行保险",
    "加强知识产权海外维权援助，支持企业走出去",
    "推动商标品牌建设，培育地理标志",
]


def reference_bm25(docs: list[list[str]], query: list[str], k1: float = 1.5, b: float = 0.75) -> np.ndarray:
    n = len(docs)
    avg = sum(len(d) for d in docs) / n
    scores = np.zeros(n)
    for term in set(query):
        df = sum(term in d for d in docs)
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, doc in enumerate(docs):
            tf = doc.count(term)
            scores[i] += idf * tf / (tf + k1 * (1 - b + b * len(doc) / avg))  # Lucene drops (k1 + 1)
    return scores


@pytest.mark.parametrize("tokenizer", ["bigram", "jieba"])
def test_scores_match_reference(tokenizer: str) -> None:
    index = Bm25Index.build(DOCS, tokenizer)
    tokenize = bigrams if tokenizer == "bigram" else jieba_words
    query = "知识产权质押融资支持"
    known = [t for t in tokenize(query) if t in index.vocab]
    expected = reference_bm25([tokenize(d) for d in DOCS], known)
    assert np.allclose(index.scores(query), expected, atol=1e-4)
    assert int(np.argmax(index.scores(query))) == 0


def test_unknown_words_score_zero() -> None:
    index = Bm25Index.build(DOCS, "bigram")
    assert not index.scores("xyz 火星").any()


def test_bigrams() -> None:
    assert bigrams("质押融资 IP 2025年") == ["质押", "押融", "融资", "ip", "2025", "年"]


def test_scores_match_the_bm25s_library_on_the_bundled_corpus() -> None:
    """The reference library itself (bm25s, Lucene variant) on real policy lines: the same scores."""
    bm25s = pytest.importorskip("bm25s")
    from assistant.ingest.pipeline import bundled_corpus_dir

    texts = [line for path in sorted(bundled_corpus_dir().glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 10]
    index = Bm25Index.build(texts, "bigram")
    reference = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    reference.index([bigrams(t) for t in texts], show_progress=False)
    for query in ("知识产权质押融资支持", "商标品牌建设", "专利导航", "海外维权援助"):
        ours = index.scores(query)
        theirs = reference.get_scores([t for t in bigrams(query) if t in index.vocab])
        assert np.allclose(ours, theirs, atol=1e-4), query
        assert ours.argmax() == theirs.argmax() or np.isclose(ours.max(), ours[theirs.argmax()])
