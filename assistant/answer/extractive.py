"""Extractive answers: the best clauses quoted, each with a faithful citation."""

from __future__ import annotations

from assistant.answer.templates import render
from assistant.models import Answer, Citation
from assistant.retrieval.retriever import ScoredChunk
from assistant.store.index import PolicyIndex

EXCERPT_CHARS = 160
CLAUSES_IN_ANSWER = 3


def make_citation(index: PolicyIndex, hit: ScoredChunk) -> Citation:
    """A citation whose quote is exactly the document's cleaned text at its offsets."""
    chunk = hit.chunk
    document = index.documents[chunk.doc_id]
    return Citation(
        doc_id=chunk.doc_id,
        title=document.metadata.title,
        section=chunk.section,
        heading=chunk.heading,
        quote=document.text[chunk.start:chunk.end],
        start=chunk.start,
        end=chunk.end,
        score=hit.score,
    )


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ExtractiveComposer:
    def __init__(self, index: PolicyIndex):
        self.index = index

    def run(self, question: str, hits: list[ScoredChunk]) -> Answer:
        citations = [make_citation(self.index, hit) for hit in hits]
        shown = [
            {"n": n, "title": c.title, "section": c.section, "heading": c.heading, "excerpt": excerpt(hit.chunk.text)}
            for n, (c, hit) in enumerate(zip(citations, hits), start=1)
        ][:CLAUSES_IN_ANSWER]
        text = render("extractive.j2", question=question, citations=shown)
        return Answer(question=question, answer=text, abstained=not citations, citations=citations)
