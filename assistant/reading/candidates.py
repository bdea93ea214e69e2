"""Candidate answers: the sentences of the retrieved clauses, with their offsets in the document.

A sentence ends at 。！？； or a line break; a table row is one candidate (its statement). Offsets
refer to the document's served text, so a candidate can be cited tighter than its clause.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.models import Chunk
from assistant.retrieval.retriever import ScoredChunk
from assistant.text.numbers import Quantity, find_quantities
from assistant.text.sentences import PHRASE, candidate_spans, spans


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    rank: int  # the clause's rank in retrieval (0 = best)
    text: str  # the sentence as the document has it
    start: int  # offsets in the document's served text (for a table row: the row's offsets)
    end: int
    quantities: tuple[Quantity, ...]

    @property
    def exact(self) -> bool:
        """True if ``text`` is the document's text at start:end (table rows are statements)."""
        return self.chunk.kind != "table_row"


def sentences_of(chunk: Chunk, rank: int = 0) -> list[Candidate]:
    """The candidate sentences of a clause (text/sentences.py; a table row is one statement)."""
    if chunk.kind == "table_row":
        return [Candidate(chunk, rank, chunk.text, chunk.start, chunk.end, tuple(find_quantities(chunk.text)))]
    return [Candidate(chunk, rank, chunk.text[start:end], chunk.start + start, chunk.start + end,
                      tuple(find_quantities(chunk.text[start:end]))) for start, end in candidate_spans(chunk.text)]


def candidates_from(hits: list[ScoredChunk]) -> list[Candidate]:
    return [c for rank, hit in enumerate(hits) for c in sentences_of(hit.chunk, rank)]


def phrases_of(candidate: Candidate) -> list[tuple[int, int]]:
    """Comma-level pieces of a sentence, as offsets within the sentence."""
    return spans(candidate.text, PHRASE) if candidate.exact else [(0, len(candidate.text))]
