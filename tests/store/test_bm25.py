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
