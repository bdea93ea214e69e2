"""Intent-aware answers: the answer first, in a line or two, then the supporting clauses, cited.

Every statement of an answer is taken from a retrieved clause and carries that clause's number;
every citation quotes the document's cleaned text exactly at its offsets.
"""

from __future__ import annotations

import re
from datetime import date

from assistant.answer.abstain import Abstention
from assistant.answer.sentences import best_phrases, best_sentences, question_terms, score_piece, shorten
from assistant.answer.templates import render
from assistant.models import Answer, Chunk, Citation
from assistant.question import FIGURE, LOCATE, SUPPORT, WHO_LEADS, QuestionAnalysis, unit_matches
from assistant.retrieval.retriever import ScoredChunk
from assistant.ingest.structure import PREAMBLE
from assistant.store.index import PolicyIndex, StoredDocument

_YEAR_LEAD = re.compile(r"(到|至|截至)?\s*((?:19|20)\d{2})\s*年(末|底)?")
ENUMERATION = re.compile(r"哪些|哪几|有几|几项|几个|都有|列举|which")


def body_text(chunk: Chunk) -> str:
    """A clause without its own number and heading sentence (1.推动…。) when it has more to say."""
    text = chunk.text
    marker = re.match(r"^\s*(第[一二三四五六七八九十百]+条|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.．])", text)
    if marker and chunk.heading:
        rest = text[marker.end():]
        if rest.startswith(chunk.heading) and len(rest) > len(chunk.heading) + 20:
            return rest[len(chunk.heading):].lstrip("。：: ")
    return text


def period_note(document: StoredDocument, today: date) -> str:
    period = document.metadata.period
    if not period:
        return ""
    ended = "，规划期已结束" if period.end_year < today.year else ""
    return f"（规划期{period.start_year}—{period.end_year}年{ended}）"


class AnswerComposer:
    def __init__(self, index: PolicyIndex, today: date):
        self.index = index
        self.today = today

    # -- citations ------------------------------------------------------------------------
    def citation(self, chunk: Chunk, score: float, start: int | None = None, end: int | None = None) -> Citation:
        document = self.index.documents[chunk.doc_id]
        start = chunk.start if start is None else start
        end = chunk.end if end is None else end
        return Citation(doc_id=chunk.doc_id, title=document.metadata.title, section=chunk.section,
                        heading=chunk.heading, quote=document.text[start:end], start=start, end=end,
                        score=score)

    def _doc(self, chunk: Chunk) -> StoredDocument:
        return self.index.documents[chunk.doc_id]

    def _ordered(self, first: list[ScoredChunk], hits: list[ScoredChunk]) -> list[ScoredChunk]:
        ids = {h.chunk.chunk_id for h in first}
        return [*first, *(h for h in hits if h.chunk.chunk_id not in ids)]

    # -- entry point ----------------------------------------------------------------------
    def run(self, analysis: QuestionAnalysis, hits: list[ScoredChunk], abstention: Abstention | None) -> Answer:
        if abstention is not None:
            return self.abstain(analysis, hits, abstention)
        if analysis.intent == WHO_LEADS:
            answer = self.who_leads(analysis, hits)
            if answer:
                return answer
        if analysis.intent == FIGURE:
            answer = self.figure(analysis, hits)
            if answer:
                return answer
        if analysis.intent == SUPPORT:
            return self.support(analysis, hits)
        return self.locate(analysis, hits)

    def _answer(self, analysis: QuestionAnalysis, text: str, citations: list[Citation], abstained: bool = False) -> Answer:
        return Answer(question=analysis.text, answer=text, abstained=abstained, citations=citations)

    # -- intents --------------------------------------------------------------------------
    def abstain(self, analysis: QuestionAnalysis, hits: list[ScoredChunk], abstention: Abstention) -> Answer:
        nearest = hits[:2]
        shown = [{"title": self._doc(h.chunk).metadata.title, "section": h.chunk.section, "heading": h.chunk.heading,
                  "n": n} for n, h in enumerate(nearest, start=1)]
        text = render("abstain.j2", reason=abstention.reason, nearest=shown)
        return self._answer(analysis, text, [self.citation(h.chunk, h.score) for h in nearest], abstained=True)

    def who_leads(self, analysis: QuestionAnalysis, hits: list[ScoredChunk]) -> Answer | None:
        with_units = [h for h in hits if h.chunk.responsibility]
        if not with_units:
            return None
        terms = question_terms(analysis.expanded)  # the measure whose heading matches best, rank breaking ties
        best = max(with_units, key=lambda h: score_piece(h.chunk.heading, terms) - 0.5 * hits.index(h))
        chunk = best.chunk
        resp = chunk.responsibility
        assert resp is not None
        document = self._doc(chunk)
        annotation = document.text[resp.start:resp.end]
        narrative = "牵头单位" not in annotation and "责任单位" not in annotation
        role = None
        if analysis.units:
            unit = analysis.units[-1]
            kind = "lead" if any(unit_matches(unit, u) for u in resp.lead) else (
                "responsible" if any(unit_matches(unit, u) for u in resp.responsible) else "absent")
            role = {"unit": unit, "role": kind}
        ordered = self._ordered([best], hits)
        citations = [self.citation(h.chunk, h.score) for h in ordered]
        if not (chunk.start <= resp.start and resp.end <= chunk.end):  # a split clause: cite the annotation too
            citations.insert(1, self.citation(chunk, best.score, resp.start, resp.end))
        measure = {"title": document.metadata.title, "section": chunk.section, "heading": chunk.heading,
                   "period_note": period_note(document, self.today), "n": 1}
        text = render("who_leads.j2", measure=measure, lead=resp.lead, responsible=resp.responsible,
                      notes=resp.notes, narrative=narrative, role=role)
        return self._answer(analysis, text, citations)

    def _row_statement(self, chunk: Chunk) -> str:
        row = chunk.row or {}
        names = list(row)
        main = chunk.heading
        values = "，".join(f"{name}{row[name] or '（空）'}" for name in names[1:]
                          if row[name] != main and name not in ("类别", "属性"))
        kind = f"（{row['属性']}指标）" if row.get("属性") else ""
        return f"{main}：{values}{kind}"

    def _figure_statements(self, chunk: Chunk, question: str) -> tuple[float, list[str]]:
        if chunk.kind == "table_row":
            score = sum(p.score for p in best_phrases(chunk.heading, question, limit=1, need_digit=False))
            return score + 0.5, [self._row_statement(chunk)]
        phrases = best_phrases(chunk.text, question)
        statements = []
        for phrase in phrases:
            text = phrase.text
            if not _YEAR_LEAD.search(text):
                before = list(_YEAR_LEAD.finditer(chunk.text[: phrase.start]))
                if before:
                    year = before[-1]
                    text = f"{'到' if not year.group(1) else year.group(1)}{year.group(2)}年{year.group(3) or ''}，{text}"
            statements.append(text)
        return max((p.score for p in phrases), default=0.0), statements

    def figure(self, analysis: QuestionAnalysis, hits: list[ScoredChunk]) -> Answer | None:
        scored = []
        for rank, hit in enumerate(hits[:5]):
            score, statements = self._figure_statements(hit.chunk, analysis.expanded)
            if statements:
                scored.append((score - 0.3 * rank, hit, statements))
        if not scored:
            return None
        scored.sort(key=lambda item: -item[0])
        top_score, best, statements = scored[0]
        chosen = [(best, statements)]
        for score, hit, more in scored[1:]:
            if score >= top_score * 0.8 and hit.chunk.section != best.chunk.section and len(chosen) < 2:
                chosen.append((hit, more[:1]))
        ordered = self._ordered([h for h, _ in chosen], hits)
        citations = [self.citation(h.chunk, h.score) for h in ordered]
        lines = [{"text": text, "n": n} for n, (_, texts) in enumerate(chosen, start=1) for text in texts[:3]]
        document = self._doc(best.chunk)
        source = {"title": document.metadata.title, "section": best.chunk.section,
                  "period_note": period_note(document, self.today)}
        return self._answer(analysis, render("figure.j2", statements=lines, source=source), citations)

    def support(self, analysis: QuestionAnalysis, hits: list[ScoredChunk]) -> Answer:
        substantive = [h for h in hits if h.chunk.section != PREAMBLE] or hits
        hits = self._ordered(substantive, hits)
        citations = [self.citation(h.chunk, h.score) for h in hits]
        groups: dict[str, dict] = {}
        for n, hit in enumerate(substantive[:4], start=1):
            chunk = hit.chunk
            document = self._doc(chunk)
            group = groups.setdefault(chunk.doc_id, {"title": document.metadata.title, "level": document.metadata.level,
                                                     "period_note": period_note(document, self.today), "measures": []})
            sentences = best_sentences(body_text(chunk), analysis.expanded, limit=3 if n == 1 else 2)
            offer = "".join(p.text for p in sentences)
            units = ""
            if chunk.responsibility:
                r = chunk.responsibility
                units = ("牵头：" + "、".join(r.lead)) if r.lead else ("负责：" + "、".join(r.responsible[:4]))
            group["measures"].append({"heading": chunk.heading, "section": chunk.section,
                                      "offer": shorten(offer or chunk.text, 200 if n == 1 else 150), "units": units,
                                      "n": n})
        return self._answer(analysis, render("support.j2", groups=list(groups.values())), citations)

    def _siblings(self, hits: list[ScoredChunk]) -> list[ScoredChunk]:
        """When several hits are items of one numbered part (三、 (一), 三、 (三)…), all its items,
        in document order: a question asking what a part lists gets the whole list."""
        parents: dict[tuple[str, str], set[str]] = {}
        for hit in hits[:5]:
            chunk = hit.chunk
            if chunk.kind == "clause" and " " in chunk.section:
                key = (chunk.doc_id, chunk.section.rsplit(" ", 1)[0])
                parents.setdefault(key, set()).add(chunk.section)
        if not parents:
            return []
        (doc_id, parent), sections = max(parents.items(), key=lambda item: len(item[1]))
        if len(sections) < 2:
            return []
        hit_by_section = {h.chunk.section: h for h in hits if h.chunk.doc_id == doc_id}
        seen: set[str] = set()
        items = []
        for chunk in self.index.chunks:
            if chunk.doc_id == doc_id and chunk.section.rsplit(" ", 1)[0] == parent and chunk.section not in seen \
                    and chunk.section.count(" ") == parent.count(" ") + 1:
                seen.add(chunk.section)
                items.append(chunk)
        if len(items) > 8:
            return []
        return [hit_by_section.get(c.section) or ScoredChunk(c, 0.0, None, None) for c in items]

    def locate(self, analysis: QuestionAnalysis, hits: list[ScoredChunk]) -> Answer:
        listed = self._siblings(hits) if ENUMERATION.search(analysis.text) else []
        shown = listed or [h for h in hits if h.chunk.section != PREAMBLE][:5] or hits[:5]
        hits = self._ordered(shown, hits)
        citations = [self.citation(h.chunk, h.score) for h in hits]
        places = []
        for n, hit in enumerate(shown, start=1):
            chunk = hit.chunk
            sentences = best_sentences(body_text(chunk), analysis.expanded, limit=1)
            quote = sentences[0].text if sentences else chunk.text
            places.append({"title": self._doc(chunk).metadata.title, "section": chunk.section,
                           "heading": chunk.heading if chunk.heading not in quote else "", "quote": shorten(quote, 110),
                           "n": n})
        return self._answer(analysis, render("locate.j2", places=places), citations)

