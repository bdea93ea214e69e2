"""Candidate answers: the sentences of the retrieved clauses, with their offsets in the document.

A sentence ends at 。！？； or a line break; a table row is one candidate (its statement). Offsets
refer to the document's served text, so a candidate can be cited tighter than its clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import Chunk
from assistant.retrieval.retriever import ScoredChunk
from assistant.text.numbers import Quantity, find_quantities

RULE_CHARS = 160  # a sentence split by ； is also read whole up to this length
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
_PHRASE = re.compile(r"[^，,：:、。！？；!?;\n]+[，,：:、。！？；!?;]?")
_ANNOTATION = re.compile(r"^[(（](牵头单位|责任单位|[^()（）]{0,40}(牵头|负责))")
_LEAD_NUMBER = re.compile(r"^(第[一二三四五六七八九十百零〇]+条\s*|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.．、]|[①-⑳])\s*")


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


def _spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    spans = []
    for match in pattern.finditer(text):
        start, end = match.span()
        while start < end and text[start] in " \t\u3000":
            start += 1
        while end > start and text[end - 1] in " \t\u3000":
            end -= 1
        if end - start >= 2:
            spans.append((start, end))
    return spans


def sentences_of(chunk: Chunk, rank: int = 0) -> list[Candidate]:
    """The sentences of a clause (a table row is one statement)."""
    if chunk.kind == "table_row":
        return [Candidate(chunk, rank, chunk.text, chunk.start, chunk.end, tuple(find_quantities(chunk.text)))]
    found = []
    for start, end in _spans(chunk.text, _SENTENCE):
        text = chunk.text[start:end]
        if _ANNOTATION.match(text) and len(text) < 160:
            continue  # the (牵头单位…) annotation is read by the who-leads answer, not quoted as a sentence
        lead = _LEAD_NUMBER.match(text)
        if lead and end - start - lead.end() >= 4:  # cite "专利的申请…", not the article number before it
            start += lead.end()
            text = chunk.text[start:end]
        found.append(Candidate(chunk, rank, text, chunk.start + start, chunk.start + end,
                               tuple(find_quantities(text))))
    return found + _whole_rules(chunk, rank, found)


def _whole_rules(chunk: Chunk, rank: int, parts: list[Candidate]) -> list[Candidate]:
    """A short sentence split by ； ("有约定的，从其约定；没有约定的，由…承担。") is also read whole:
    its parts answer together what neither answers alone."""
    rules = []
    group: list[Candidate] = []
    for part in parts:
        group.append(part)
        if part.text.endswith(("；", ";")):
            continue
        if len(group) > 1 and group[-1].end - group[0].start <= RULE_CHARS:
            start, end = group[0].start - chunk.start, group[-1].end - chunk.start
            text = chunk.text[start:end]
            rules.append(Candidate(chunk, rank, text, group[0].start, group[-1].end, tuple(find_quantities(text))))
        group = []
    return rules


def candidates_from(hits: list[ScoredChunk]) -> list[Candidate]:
    return [c for rank, hit in enumerate(hits) for c in sentences_of(hit.chunk, rank)]


def phrases_of(candidate: Candidate) -> list[tuple[int, int]]:
    """Comma-level pieces of a sentence, as offsets within the sentence."""
    return _spans(candidate.text, _PHRASE) if candidate.exact else [(0, len(candidate.text))]
