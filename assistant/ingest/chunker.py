"""Turning clauses into retrieval chunks: long clauses split at sentence ends, heading repeated."""

from __future__ import annotations

import re

from assistant.ingest.responsibility import find_responsibility
from assistant.ingest.structure import Clause
from assistant.models import Chunk

_SENTENCE_END = re.compile(r"[。！？；!?]")
_OPENERS, _CLOSERS = "(（〈《“", ")）〉》”"


def sentence_ends(text: str) -> list[int]:
    """Offsets just after each sentence end that is not inside brackets or quotes."""
    ends = []
    depth = 0
    for k, ch in enumerate(text):
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
        elif depth == 0 and _SENTENCE_END.match(ch):
            ends.append(k + 1)
    return ends


def split_span(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut text[start:end] into consecutive pieces of at most max_chars, at sentence ends if possible."""
    if end - start <= max_chars:
        return [(start, end)]
    body = text[start:end]
    cuts = [e for e in sentence_ends(body) if e < len(body)]
    pieces: list[tuple[int, int]] = []
    begin = 0
    last_cut = 0
    for cut in [*cuts, len(body)]:
        if cut - begin > max_chars and last_cut > begin:
            pieces.append((begin, last_cut))
            begin = last_cut
        last_cut = cut
    pieces.append((begin, len(body)))
    result = []
    for a, b in pieces:  # a single sentence longer than max_chars: cut at commas, then hard
        while b - a > max_chars:
            window = body[a:a + max_chars]
            comma = max(window.rfind("，"), window.rfind(","), window.rfind("、"))
            cut = a + (comma + 1 if comma > max_chars // 3 else max_chars)
            result.append((a, cut))
            a = cut
        result.append((a, b))
    # trailing annotation kept with its sentence: never leave a piece that is only whitespace
    return [(start + a, start + b) for a, b in result if body[a:b].strip()]


def chunk_clauses(doc_id: str, text: str, clauses: list[Clause], max_chars: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    for clause in clauses:
        responsibility = None
        if clause.kind == "clause":
            responsibility = find_responsibility(text[clause.start:clause.end], clause.start)
        spans = [(clause.start, clause.end)] if clause.kind != "clause" else split_span(
            text, clause.start, clause.end, max_chars
        )
        for start, end in spans:
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}#{len(chunks)}",
                    doc_id=doc_id,
                    section=clause.section,
                    heading=clause.heading,
                    start=start,
                    end=end,
                    text=clause.text if clause.text is not None else text[start:end],
                    kind=clause.kind,
                    responsibility=responsibility,
                    row=clause.row,
                )
            )
    return chunks


def passage_text(title: str, chunk: Chunk) -> str:
    """What gets embedded and BM25-indexed: title, section path and heading, units, then the text."""
    lines = [title, f"{chunk.section} {chunk.heading}".strip()]
    if chunk.responsibility:
        lines.append(chunk.responsibility.describe())
    lines.append(chunk.text.replace("\n\n", "\n"))
    return "\n".join(lines)
