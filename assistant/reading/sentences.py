"""Picking the sentences and phrases of a clause that answer a question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import Chunk
from assistant.text.tokens import bigrams, strip_query_filler

# Bigrams every policy sentence shares; they say nothing about what a question is after.
GENERIC = set(bigrams("知识产权 企业 公司 政策 支持 工作 推动 加强 建设 发展 我们 有关 相关 方面 一家 什么 我的 这边 那个"))
_SENTENCE = re.compile(r"[^。！？；!?;]*[。！？；!?;]?")


@dataclass(frozen=True)
class Piece:
    text: str
    start: int  # offset within the clause text
    score: float


def question_terms(question: str) -> dict[str, float]:
    terms: dict[str, float] = {}
    for token in bigrams(strip_query_filler(question)):
        terms[token] = 0.15 if token in GENERIC else 1.0
    return terms


def _pieces(text: str, pattern: re.Pattern[str]) -> list[tuple[str, int]]:
    return [(m.group(0), m.start()) for m in pattern.finditer(text) if m.group(0).strip()]


def score_piece(piece: str, terms: dict[str, float]) -> float:
    tokens = set(bigrams(piece))
    return sum(weight for term, weight in terms.items() if term in tokens)


def best_sentences(text: str, question: str, limit: int = 2, min_share: float = 0.5) -> list[Piece]:
    """The clause's sentences that best match the question, in document order."""
    terms = question_terms(question)
    scored = [Piece(s.strip(), start, score_piece(s, terms)) for s, start in _pieces(text, _SENTENCE)]
    scored = [p for p in scored if not p.text.startswith(("(", "（")) or len(p.text) > 60]  # not the annotation
    if not scored:
        return []
    top = max(p.score for p in scored)
    chosen = sorted((p for p in scored if p.score >= top * min_share), key=lambda p: -p.score)[:limit]
    return sorted(chosen, key=lambda p: p.start)


def body_text(chunk: Chunk) -> str:
    """A clause without its own number and heading sentence (1.推动…。) when it has more to say."""
    text = chunk.text
    marker = re.match(r"^\s*(第[一二三四五六七八九十百]+条|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.．])", text)
    if marker and chunk.heading:
        rest = text[marker.end():]
        if rest.startswith(chunk.heading) and len(rest) > len(chunk.heading) + 20:
            return rest[len(chunk.heading):].lstrip("。：: ")
    return text


def shorten(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
