"""BM25 over Chinese tokens, backed by bm25s."""

from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np

from assistant.text.tokens import get_tokenizer, strip_query_filler


class Bm25Index:
    def __init__(self, tokenizer: str, model: bm25s.BM25):
        self.tokenizer_name = tokenizer
        self.tokenize = get_tokenizer(tokenizer)
        self.model = model
        self.vocab = set(model.vocab_dict)

    @classmethod
    def build(cls, texts: list[str], tokenizer: str) -> Bm25Index:
        tokenize = get_tokenizer(tokenizer)
        model = bm25s.BM25()
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        model.index([tokenize(t) or ["∅"] for t in texts], show_progress=False)
        return cls(tokenizer, model)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros when no query token is known)."""
        tokens = [t for t in self.tokenize(strip_query_filler(query)) if t in self.vocab]
        if not tokens:
            return np.zeros(self.model.scores["num_docs"], dtype=np.float32)
        return self.model.get_scores(tokens).astype(np.float32)

    def save(self, folder: Path) -> None:
        self.model.save(str(folder))

    @classmethod
    def load(cls, folder: Path, tokenizer: str) -> Bm25Index:
        return cls(tokenizer, bm25s.BM25.load(str(folder)))
