"""The one sentence splitter: sentences of a clause with their offsets, and the spans the reader
reads as candidate answers.

A sentence ends at 。！？；!?; or a line break.  A candidate is a sentence without the (牵头单位…)
annotation and without the article number before it, or a short rule split by ； read whole
("有约定的，从其约定；没有约定的，由…承担。"): ingest embeds these spans, the reader scores them.
"""

from __future__ import annotations

import re

SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
PHRASE = re.compile(r"[^，,：:、。！？；!?;\n]+[，,：:、。！？；!?;]?")
RULE_CHARS = 160  # a sentence split by ； is also read whole up to this length
ANNOTATION_CHARS = 160  # a (牵头单位…) annotation shorter than this is no candidate sentence
MIN_AFTER_NUMBER = 4  # the article number is cut off when this much text follows it
_SPACE = " \t\u3000"
_ANNOTATION = re.compile(r"^[(（](牵头单位|责任单位|[^()（）]{0,40}(牵头|负责))")
_LEAD_NUMBER = re.compile(r"^(第[一二三四五六七八九十百零〇]+条\s*|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.．、]|[①-⑳])\s*")
LEAD_NUMBER = _LEAD_NUMBER  # an item's leading number (第三条, 一、, （二）, 3.)


def spans(text: str, pattern: re.Pattern[str] = SENTENCE) -> list[tuple[int, int]]:
    """(start, end) of each piece of ``text`` the pattern finds, outer blanks trimmed, two characters or more."""
    found = []
    for match in pattern.finditer(text):
        start, end = match.span()
        while start < end and text[start] in _SPACE:
            start += 1
        while end > start and text[end - 1] in _SPACE:
            end -= 1
        if end - start >= 2:
            found.append((start, end))
    return found


def candidate_spans(text: str) -> list[tuple[int, int]]:
    """The spans of a clause's text the reader reads: its sentences (annotation left out, leading
    article number cut off), then each short run of ；-parts read whole."""
    sentences = []
    for start, end in spans(text):
        piece = text[start:end]
        if _ANNOTATION.match(piece) and len(piece) < ANNOTATION_CHARS:
            continue  # the (牵头单位…) annotation is read by the who-leads answer, not quoted as a sentence
        lead = _LEAD_NUMBER.match(piece)
        if lead and end - start - lead.end() >= MIN_AFTER_NUMBER:  # cite "专利的申请…", not the number before it
            start += lead.end()
        sentences.append((start, end))
    return sentences + whole_rules(text, sentences)


def whole_rules(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs of sentences ending in ；, with the sentence that closes them, up to ``RULE_CHARS``:
    their parts answer together what neither answers alone."""
    rules = []
    group: list[tuple[int, int]] = []
    for start, end in sentences:
        group.append((start, end))
        if text[start:end].endswith(("；", ";")):
            continue
        if len(group) > 1 and group[-1][1] - group[0][0] <= RULE_CHARS:
            rules.append((group[0][0], group[-1][1]))
        group = []
    return rules


def clipped(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters at its last phrase mark past half of it (else at
    the limit), with "…" when cut: "在我市进行工商注册和税务登记…", never "…税务登记、独"."""
    text = " ".join(text.split()).rstrip("；;。，,")
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in "，,、")
    return (text[:cut] if cut > limit // 2 else text[:limit]) + "…"
