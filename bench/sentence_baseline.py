"""The rule-free sentence reader: the comparison row of every reader figure (issue 21).

Every sentence of every live document (split at 。！？； and line ends) is a candidate, embedded as
``passage: <document title> <sentence>`` by the same e5 model; dense and character-bigram BM25 ranks
are fused by reciprocal rank (k = 60); the answer is the top two sentences, cut at 200 characters;
it never abstains.  It answers through the same JSON contract (``assistant.models.Answer``), so the
same scorer reads both.  Sentence vectors are cached by the index version's documents.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from assistant.embedding.encoder import Encoder
from assistant.models import Answer, Citation, Turn
from assistant.store.index import PolicyIndex
from assistant.text.tokens import bigrams

SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")  # as issue 21 describes it: no ASCII stops
RRF_K = 60
DEPTH = 50  # hits taken from each ranking before fusion
ANSWER_SENTENCES = 2
ANSWER_CHARS = 200
BM25_K1, BM25_B = 1.5, 0.75


class SentenceBaseline:
    def __init__(self, index: PolicyIndex, encoder: Encoder, cache_dir: Path):
        self.index, self.encoder = index, encoder
        self.rows: list[tuple[str, int, int]] = []  # (doc_id, start, end) in the served text
        texts = []
        for doc_id in sorted(index.documents):
            document = index.documents[doc_id]
            for match in SENTENCE.finditer(document.text):
                sentence = match.group(0).strip()
                if len(sentence) < 2:
                    continue
                start = document.text.index(sentence, match.start())
                self.rows.append((doc_id, start, start + len(sentence)))
                texts.append(f"{document.metadata.title} {sentence}")
        key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        cached = cache_dir / f"baseline-sentences-{key}.npy"
        if cached.exists():
            self.vectors = np.load(cached)
        else:
            self.vectors = encoder.encode_passages(texts)
            cache_dir.mkdir(parents=True, exist_ok=True)
            np.save(cached, self.vectors)
        self.tokens = [Counter(bigrams(t)) for t in texts]
        self.lengths = np.array([sum(c.values()) for c in self.tokens], dtype=np.float64)
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for row, counts in enumerate(self.tokens):
            for term, count in counts.items():
                self.postings[term].append((row, count))

    def bm25(self, question: str) -> np.ndarray:
        scores = np.zeros(len(self.rows))
        average = self.lengths.mean() if len(self.lengths) else 1.0
        for term in set(bigrams(question)):
            posting = self.postings.get(term, [])
            idf = math.log(1 + (len(self.rows) - len(posting) + 0.5) / (len(posting) + 0.5))
            for row, count in posting:
                norm = count + BM25_K1 * (1 - BM25_B + BM25_B * self.lengths[row] / average)
                scores[row] += idf * count * (BM25_K1 + 1) / norm
        return scores

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        dense = self.vectors @ self.encoder.encode_queries([question])[0]
        fused: dict[int, float] = defaultdict(float)
        for ranking in (np.argsort(-dense)[:DEPTH], np.argsort(-self.bm25(question))[:DEPTH]):
            for rank, row in enumerate(ranking):
                fused[int(row)] += 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda row: -fused[row])[:5]
        citations = []
        for row in best:
            doc_id, start, end = self.rows[row]
            document = self.index.documents[doc_id]
            citations.append(Citation(doc_id=doc_id, title=document.metadata.title, section="", start=start, end=end,
                                      quote=document.text[start:end], score=round(fused[row], 6)))
        text = "".join(c.quote for c in citations[:ANSWER_SENTENCES])[:ANSWER_CHARS]
        return Answer(question=question, answer=text, abstained=False, citations=citations)
