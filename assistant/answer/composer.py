"""Answers from a reading: the first line answers every facet in the document's own words, each
with its ``[n]``; then at most three short supporting lines.

Every quoted span is the document's served text at the citation's offsets (a sentence or phrase,
tighter than the clause where that is enough); citation numbers run in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from assistant.answer.abstain import Abstention
from assistant.answer.polarity import yes_no_lead
from assistant.reading.learned import LinearModel
from assistant.text.templates import render
from assistant.ingest.structure import PREAMBLE
from assistant.validity import ENDED, ENDED_LABEL, Validity, validities
from assistant.models import Answer, Chunk, Citation
from assistant.reading.candidates import Candidate, phrases_of, sentences_of
from assistant.text.english import NEAREST_FOR_GAP, english_labels, is_english
from assistant.text.signoff import sign_off
from assistant.text.tokens import bigrams
from assistant.text.sentences import PHRASE, spans
from assistant.text.thresholds import Comparison, compare
from assistant.reading.reader import FacetReading, Reading
from assistant.reading.scoring import ScoredCandidate, TermWeights
from assistant.retrieval.retriever import ScoredChunk
from assistant.store.index import PolicyIndex, StoredDocument
from assistant.understanding import answer_types as types
from assistant.understanding.question import QuestionAnalysis, unit_matches

ARTICLE_PATH = re.compile(r"第[一二三四五六七八九十百零〇]+条")
ENUMERATION = re.compile(r"哪些|哪几|有几|几项|几个|都有|列举|which")
_YEAR_LEAD = re.compile(r"(到|至|截至)?\s*((?:19|20)\d{2})\s*年(末|底)?")
FOCUS_CHARS = 90  # a sentence longer than this is quoted from its best phrases (numbers) …
PROSE_FOCUS_CHARS = 150  # … or this, for rules, measures and yes/no
SHORT_SENTENCE = 24  # a sentence this short is a lead: the next one is quoted with it
RULE_CHARS = 160  # a rule split by ； is quoted whole up to this length ("怎么罚", "什么条件")
# a clause this short is quoted whole ("本条例自…起施行。《…》同时废止。", an article of two or three
# sentences): chosen on the folds by document (bench/reader_eval.py; 80: keys 0.758, median 137 characters;
# 160: 0.801 / 155; 200: 0.808 / 168; 240: 0.816 / 174), keeping room under the 200-character median
SHORT_CLAUSE = 200
ISSUER_LINE_WITHIN = 1000  # characters from the start where a document without a sign-off names its issuer …
ISSUER_LINE_CHARS = 120  # … on a line quoted up to this length
_ADOPTION_LINE = re.compile(r"(?m)^[^\n]*(?:19|20)\d{2}\s*年[^\n]*(?:通过|公布|发布|印发|批准)[^\n]*$")
TITLE_WORDS_NAMING = 3  # title bigrams a question shares with a document it asks about ("专利促进项目…通知")
# another sentence of the answering clause scoring this share of the best is quoted too: chosen on the
# folds by document (bench/reader_eval.py; 0.6: keys 0.814, median 168; 0.4: 0.820 / 172; 0.25: 0.824 / 174)
COMPANION_SHARE = 0.25
EXCEPTION_CHARS = 40
_EXCEPTION_SENTENCE = re.compile(r"^\s*但|除外[。；]?$|另有规定|另有约定")
SUPPORT_LINES = 3
LIST_CHARS = 220  # a sentence that opens a list is quoted with its items up to this length
_LIST_OPENER = re.compile(r"(下列|以下)[^，。；]{0,12}[：:]?$|[：:]$")
_LEAD_ARTICLE = re.compile(r"第[一二三四五六七八九十百零〇]+条\s*")  # cut before a quoted list opener
_LIST_ITEM = re.compile(r"\s*(?:[(（][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|\d+[.．、]|[①-⑳])[^\n]*")
NEAREST_SHOWN = 2  # sentences shown with a refusal …
NEAREST_CHARS = 80  # … each cut here
# another clause's sentence scoring this share of the best one is shown as "另见" (folds: 0.7: keys 0.824,
# median 174; 0.5: 0.833 / 181)
MORE_SHARE = 0.5
SEE_ALSO = "另见"
# an answer's "另见" lines stop where they would take it past this many characters (the first line and
# the source lines are never cut): it bounds the longest answers (folds: 320: keys 0.828, median 180; 400:
# 0.833 / 181, as without a budget)
ANSWER_BUDGET = 400
LISTED_DOCUMENTS = 8  # "哪些文件提到…" lists every document, one line each


def standing_note(document: StoredDocument, standing: Validity | None) -> str:
    """The plan period and, unless the document simply applies, its status: （规划期2021—2025年，
    规划期已结束）, （已被《…》废止）, （尚未施行（自…起施行））."""
    parts = []
    period = document.metadata.period
    if period:
        parts.append(f"规划期{period.start_year}—{period.end_year}年")
    if standing is not None and standing.label:
        parts.append(ENDED_LABEL if standing.status == ENDED else standing.label)
    return f"（{'，'.join(parts)}）" if parts else ""


@dataclass
class Citations:
    """Citations numbered in the order the answer first uses them."""

    index: PolicyIndex
    items: list[Citation] = field(default_factory=list)

    def cite(self, chunk: Chunk, score: float, start: int | None = None, end: int | None = None) -> int:
        start = chunk.start if start is None else start
        end = chunk.end if end is None else end
        for n, existing in enumerate(self.items, start=1):
            if existing.doc_id == chunk.doc_id and existing.start <= start and end <= existing.end:
                return n
        document = self.index.documents[chunk.doc_id]
        self.items.append(Citation(doc_id=chunk.doc_id, title=document.metadata.title, section=chunk.section,
                                   heading=chunk.heading, quote=document.text[start:end], start=start, end=end,
                                   score=score))
        return len(self.items)

    def with_rest(self, hits: list[ScoredChunk], top_k: int) -> list[Citation]:
        """The cited spans, then the other retrieved clauses up to ``top_k`` citations in all."""
        for hit in hits:
            if len(self.items) >= top_k:
                break
            if not any(c.doc_id == hit.chunk.doc_id and c.start < hit.chunk.end and hit.chunk.start < c.end
                       for c in self.items):
                self.cite(hit.chunk, hit.score)
        return self.items


class AnswerComposer:
    def __init__(self, index: PolicyIndex, today: date, standing: dict[str, Validity] | None = None,
                 polarity: LinearModel | None = None):
        self.index = index
        self.today = today
        self.polarity = polarity  # the learned yes/no (answer/polarity.py); None: the hand rule
        self.standing = standing if standing is not None else validities(index, today)  # each document's status
        self._title_words: dict[str, frozenset[str]] | None = None  # each title's bigrams, made on first use
        # the answer types' own forms of answer (answer_types.py ``form``); None from one: the best sentence
        # is quoted instead
        self.forms: dict[str, Callable[[FacetReading, QuestionAnalysis, Citations, set[tuple[str, int, int]]],
                                       list[str] | None]] = {
            types.ANNOTATION: self.who_leads, types.DOCUMENT_LIST: self.documents, types.SIGN_OFF: self.issued_by}

    def _doc(self, chunk: Chunk) -> StoredDocument:
        return self.index.documents[chunk.doc_id]

    def note(self, document: StoredDocument) -> str:
        return standing_note(document, self.standing.get(document.doc_id))

    def warning(self, chunk: Chunk) -> str:
        """（已被《…》取代） after a document that no longer or not yet applies; nothing otherwise."""
        standing = self.standing.get(chunk.doc_id)
        return f"（{standing.label}）" if standing is not None and standing.label and standing.status != ENDED \
            and not standing.current else ""

    # -- entry point ----------------------------------------------------------------------
    def run(self, reading: Reading, abstention: Abstention | None, gaps: list[str | None] | None = None) -> Answer:
        """The answer to a reading; ``gaps`` says, per facet, why it has no answer (None: it has)."""
        analysis = reading.analysis
        hits = reading.hits
        if abstention is not None:
            return self.abstain(reading, abstention)
        cites = Citations(self.index)
        lines: list[str] = []
        used: set[tuple[str, int, int]] = set()  # sentences an earlier facet answered with
        gaps = gaps or [None] * len(reading.facets)
        for facet_reading, gap in zip(reading.facets, gaps):
            if gap:
                nearest = self.nearest_for_gap(facet_reading, cites, used) if len(reading.facets) > 1 else None
                lines.append(f"{gap}。" if nearest is None else f"{gap}{NEAREST_FOR_GAP[0]}{nearest}")
                continue
            lines.extend(self.facet_lines(facet_reading, analysis, cites, single=len(reading.facets) == 1, used=used))
        first = [line for line in lines if not line.startswith(("出处", SEE_ALSO, "事项", "（注", "- "))]
        rest = [line for line in lines if line not in first]
        if len(reading.facets) > 1:
            head = "；".join(line.rstrip("。") for line in first)
            text_lines = [head, *dict.fromkeys(rest)]
        else:
            text_lines = [*first, *dict.fromkeys(rest)]
        listing = any(r.facet.kind.form == types.DOCUMENT_LIST for r in reading.facets)
        limit = LISTED_DOCUMENTS if listing else SUPPORT_LINES
        text = "\n".join(within_budget(text_lines[0], text_lines[1:])[:limit + 1]) if text_lines else ""
        citations = cites.with_rest(hits, max(reading.top_k, len(cites.items)))
        if is_english(analysis.text):
            text = english_labels(text)
        return Answer(question=analysis.text, answer=text, abstained=False, citations=citations)

    # -- abstaining -------------------------------------------------------------------------
    def abstain(self, reading: Reading, abstention: Abstention) -> Answer:
        """The refusal: what is missing, then the nearest sentences read (each from its own clause,
        quoted with its exact span), never only a heading."""
        cites = Citations(self.index)
        shown = []
        for scored in self.nearest(reading):
            candidate = scored.candidate
            end = candidate.end if len(candidate.text) <= NEAREST_CHARS or not candidate.exact \
                else candidate.start + NEAREST_CHARS
            quote = row_statement(candidate.chunk) if not candidate.exact else self._doc(candidate.chunk).text[candidate.start:end]
            n = cites.cite(candidate.chunk, scored.score, None if not candidate.exact else candidate.start,
                           None if not candidate.exact else end)
            shown.append({"title": self._doc(candidate.chunk).metadata.title, "section": candidate.chunk.section,
                          "quote": " ".join(quote.split()) + ("…" if end < candidate.end else ""), "n": n})
        text = render("abstain.j2", reason=abstention.reason, nearest=shown)
        return Answer(question=reading.analysis.text, answer=text, abstained=True, citations=cites.items)

    @staticmethod
    def nearest(reading: Reading) -> list[ScoredCandidate]:
        """The best sentences of the first facet, one per clause, outside the title block."""
        chosen: list[ScoredCandidate] = []
        clauses: set[str] = set()
        for scored in (reading.facets[0].ranked if reading.facets else []):
            chunk = scored.candidate.chunk
            if chunk.section == PREAMBLE or chunk.chunk_id in clauses:
                continue
            clauses.add(chunk.chunk_id)
            chosen.append(scored)
            if len(chosen) == NEAREST_SHOWN:
                break
        return chosen

    def nearest_for_gap(self, reading: FacetReading, cites: Citations, used: set[tuple[str, int, int]]) -> str | None:
        """The best sentence read for a part of the question no clause answers surely enough, offered
        as the nearest (another part of the question was answered, so the reader is on topic)."""
        best = answer_candidate(reading, used)
        if best is None or within(quoted_span(best, reading), used):
            return None
        used.add(quoted_span(best, reading))
        return self.statement(best, reading, cites)

    # -- one facet --------------------------------------------------------------------------
    def facet_lines(self, reading: FacetReading, analysis: QuestionAnalysis, cites: Citations,
                    single: bool, used: set[tuple[str, int, int]]) -> list[str]:
        facet, kind = reading.facet, reading.facet.kind
        special = self.forms.get(kind.form)
        if special is not None:  # the type's own answer (an annotation, a list of documents, a sign-off)
            lines = special(reading, analysis, cites, used)
            if lines is not None:
                return lines
        if kind.lists_parts and ENUMERATION.search(facet.text) \
                and not (reading.learned and ARTICLE_PATH.search(reading.best.candidate.chunk.section if reading.best else "")):
            # the parts of one measure are listed; a regulation's list sits inside its article (list_end)
            items = self.siblings(reading.hits)
            if items:
                listed = "；".join(f"{c.heading or c.section} [{cites.cite(c, 0.0)}]" for c in items)
                return [f"共{len(items)}项：{listed}", self.source_line(items[0], cites)]
        best = answer_candidate(reading, used)
        if best is None or within(quoted_span(best, reading), used):
            return []  # no sentence, or the quote of an earlier facet already says it
        used.add(quoted_span(best, reading))
        text = self.statement(best, reading, cites)
        if not kind.numbered:  # "第几条规定…" is answered by its article's number
            companion = companion_of(best, reading)
            if companion is not None and not overlaps(quoted_span(companion, reading), quoted_span(best, reading)):
                pair = sorted([best, companion], key=lambda s: s.candidate.start)
                text = "".join(self.statement(s, reading, cites) for s in pair)
        comparison = compare(f"{facet.text} {analysis.text}", best.candidate.text) if best.candidate.exact else None
        if comparison is not None:  # "营收3亿能申请吗" against "营业收入不超过2亿元": the figures compared
            text = compared(comparison, best.candidate.text) + text
        elif kind.polar:
            text = yes_no_lead(facet.text, best.candidate.text, self.polarity) + text
        elif kind.numbered:
            text = f"{best.candidate.chunk.section.split(' ')[-1]}：{text}"
        lines = [text, self.source_line(best.candidate.chunk, cites)]
        if single and (reading.learned or kind.see_also):
            lines.extend(self.more(reading, best, cites))
        return lines

    def statement(self, scored: ScoredCandidate, reading: FacetReading, cites: Citations) -> str:
        candidate = scored.candidate
        if not candidate.exact:  # a table row: its statement, citing the row
            n = cites.cite(candidate.chunk, scored.score)
            return f"{row_statement(candidate.chunk)} [{n}]"
        start, end = quoted_span(scored, reading)[1:]
        n = cites.cite(candidate.chunk, scored.score, start, end)
        quote = self._doc(candidate.chunk).text[start:end]
        lead = ""
        if reading.facet.quantity_kinds and not _YEAR_LEAD.search(quote):
            before = list(_YEAR_LEAD.finditer(self._doc(candidate.chunk).text[candidate.chunk.start:start]))
            if before:
                year = before[-1]
                lead = f"{year.group(1) or '到'}{year.group(2)}年{year.group(3) or ''}，"
        return f"{lead}{' '.join(quote.split())} [{n}]"

    def source_line(self, chunk: Chunk, cites: Citations) -> str:
        document = self._doc(chunk)
        return f"出处：《{document.metadata.title}》{chunk.section}{self.note(document)}"

    def more(self, reading: FacetReading, best: ScoredCandidate, cites: Citations) -> list[str]:
        """Up to two more sentences from other clauses that answer as well (support, conditions)."""
        lines = []
        used = {best.candidate.chunk.chunk_id}
        floor = max(reading.threshold, MORE_SHARE * best.score) if reading.learned else MORE_SHARE * best.score
        for scored in reading.ranked[1:]:
            chunk = scored.candidate.chunk
            if chunk.chunk_id in used or scored.score < floor or chunk.section == PREAMBLE:
                continue
            used.add(chunk.chunk_id)
            statement = self.statement(scored, reading, cites)
            lines.append(f"{SEE_ALSO}《{self._doc(chunk).metadata.title}》{chunk.section}{self.warning(chunk)}：{statement}")
            if len(lines) == 2:
                break
        return lines

    def siblings(self, hits: list[ScoredChunk]) -> list[Chunk]:
        """When several hits are items of one numbered part (三、 (一), 三、 (三)…), all its items in
        document order: a question asking what a part lists gets the whole list."""
        parents: dict[tuple[str, str], set[str]] = {}
        for hit in hits[:5]:
            chunk = hit.chunk
            if chunk.kind == "clause" and " " in chunk.section:
                parents.setdefault((chunk.doc_id, chunk.section.rsplit(" ", 1)[0]), set()).add(chunk.section)
        if not parents:
            return []
        (doc_id, parent), sections = max(parents.items(), key=lambda item: len(item[1]))
        if len(sections) < 2:
            return []
        items: dict[str, Chunk] = {}
        for chunk in self.index.chunks_of(doc_id):
            if chunk.section.rsplit(" ", 1)[0] == parent \
                    and chunk.section.count(" ") == parent.count(" ") + 1:
                items.setdefault(chunk.section, chunk)
        return list(items.values()) if len(items) <= 8 else []

    # -- who leads (annotations) -------------------------------------------------------------
    def who_leads(self, reading: FacetReading, analysis: QuestionAnalysis, cites: Citations,
                  used: set[tuple[str, int, int]]) -> list[str] | None:
        """The (牵头单位…；责任单位…) annotation of the measure asked about, as the clause lists it; None
        where no annotation says it (the best sentence is quoted then)."""
        hits = reading.hits
        annotated = [h for h in hits[:5] if h.chunk.responsibility]
        if not annotated:
            return None
        terms = reading.terms
        best = max(annotated, key=lambda h: terms.coverage(h.chunk.heading + h.chunk.text) - 0.1 * hits.index(h))
        top = reading.best
        if top is not None and top.candidate.chunk.chunk_id != best.chunk.chunk_id and \
                top.coverage > 1.5 * terms.coverage(best.chunk.text) and top.fit >= 1.0:
            return None  # a sentence elsewhere states who is responsible better than any annotation
        if top is not None and reading.learned and top.score >= reading.threshold and \
                top.candidate.chunk.doc_id != best.chunk.doc_id:
            return None  # the sentence that answers is in another document: that document's words say who
        chunk = best.chunk
        resp = chunk.responsibility
        assert resp is not None
        document = self._doc(chunk)
        annotation = document.text[resp.start:resp.end]
        narrative = "牵头单位" not in annotation and "责任单位" not in annotation
        role = None
        units = [u for u in analysis.units if u in reading.facet.text] or list(analysis.units)
        if units:
            unit = units[-1]
            kind = "lead" if any(unit_matches(unit, u) for u in resp.lead) else (
                "responsible" if any(unit_matches(unit, u) for u in resp.responsible) else "absent")
            role = {"unit": unit, "role": kind}
        if chunk.start <= resp.start and resp.end <= chunk.end:
            n = cites.cite(chunk, best.score)
        else:  # a split clause: cite the annotation itself
            n = cites.cite(chunk, best.score, resp.start, resp.end)
        measure = {"title": document.metadata.title, "section": chunk.section, "heading": chunk.heading,
                   "period_note": self.note(document), "n": n}
        text = render("who_leads.j2", measure=measure, lead=resp.lead, responsible=resp.responsible,
                      notes=resp.notes, narrative=narrative, role=role,
                      annotation=" ".join(annotation.strip().strip("()（）").split()))
        return text.splitlines() or None

    # -- who issued the document ---------------------------------------------------------------
    def issued_by(self, reading: FacetReading, analysis: QuestionAnalysis, cites: Citations,
                  used: set[tuple[str, int, int]]) -> list[str] | None:
        """"这个通知是谁发的？落款日期？": the sign-off of the document asked about (the one the facet names,
        else the one its best sentence is from), quoted; None when that document ends without one."""
        doc_id = self.titled(reading)
        if doc_id is None or doc_id not in self.index.documents:
            return None
        document = self.index.documents[doc_id]
        signed = sign_off(document.text)
        span = (doc_id, signed.start, signed.end) if signed else self.issuer_line(document)
        if span is None:
            return None
        if within(span, used):
            return []  # an earlier part of the question quoted it already
        used.add(span)
        chunks = self.index.chunks_of(doc_id)
        chunk = next((c for c in reversed(chunks) if c.start <= span[1]), chunks[0])
        n = cites.cite(chunk, 0.0, span[1], span[2])
        quote = " ".join(document.text[span[1]:span[2]].split())
        where = "落款" if signed else ("开头" if chunk.section == PREAMBLE else chunk.section)
        return [f"《{document.metadata.title}》的{where}：{quote} [{n}]", f"出处：《{document.metadata.title}》{where}"]

    @staticmethod
    def issuer_line(document: StoredDocument) -> tuple[str, int, int] | None:
        """The line of the document's opening that names its issuer (a legislature's adoption line, a
        发布机构 line), when it has no sign-off."""
        issuer = (document.metadata.issuer or "").split("、")[0]
        at = document.text.find(issuer, 0, ISSUER_LINE_WITHIN) if issuer else -1
        if at < 0 and issuer:  # "2022年3月29日 广东省第十三届人民代表大会常务委员会第四十一次会议通过"
            adopted = _ADOPTION_LINE.search(document.text, 0, ISSUER_LINE_WITHIN)
            at = adopted.start() if adopted else -1
        if at < 0:
            return None
        start = document.text.rfind("\n", 0, at) + 1
        end = document.text.find("\n", at)
        end = len(document.text) if end < 0 else end
        return document.doc_id, start, min(end, start + ISSUER_LINE_CHARS)

    def titled(self, reading: FacetReading) -> str | None:
        """The document a question about a document itself means: the one whose title shares most of the
        question's words (at least ``TITLE_WORDS_NAMING`` bigrams; ties: one read, the better-ranked), else
        the one the facet names, else the first one read."""
        asked = set(bigrams(f"{reading.facet.text} {reading.facet.context}"))
        read = list(dict.fromkeys(h.chunk.doc_id for h in reading.hits))
        if self._title_words is None:  # made once per index version (a composer serves one)
            self._title_words = {d: frozenset(bigrams(doc.metadata.title)) for d, doc in self.index.documents.items()}
        shared = {d: len(asked & words) for d, words in self._title_words.items()}
        named = reading.facet.doc_id
        best = max(shared, key=lambda d: (shared[d], d == named, d in read, -read.index(d) if d in read else 0),
                   default=None)
        if best is not None and shared[best] >= TITLE_WORDS_NAMING:
            return best
        return named or (read[0] if read else None)

    # -- which documents ---------------------------------------------------------------------
    def documents(self, reading: FacetReading, analysis: QuestionAnalysis, cites: Citations,
                  used: set[tuple[str, int, int]]) -> list[str]:
        """"哪些文件提到…": one line per document read, with its best sentence."""
        by_doc: dict[str, ScoredCandidate] = {}
        for scored in reading.ranked:
            doc_id = scored.candidate.chunk.doc_id
            if doc_id not in by_doc:
                by_doc[doc_id] = scored
        if not by_doc:
            return []
        lines = []
        for scored in by_doc.values():
            chunk = scored.candidate.chunk
            statement = self.statement(scored, reading, cites)
            lines.append(f"《{self._doc(chunk).metadata.title}》{chunk.section}{self.warning(chunk)}：{statement}")
        titles = "、".join(f"《{self._doc(s.candidate.chunk).metadata.title}》" for s in by_doc.values())
        return [f"{len(by_doc)}份文件提到：{titles}", *(f"- {line}" for line in lines)]


def within_budget(first: str, supporting: list[str]) -> list[str]:
    """The answer's lines: the first, every source line, and the "另见" lines that keep the whole within
    ``ANSWER_BUDGET`` characters (in their order; a later, shorter one may still fit)."""
    lines, length = [first], len(first)
    for line in supporting:
        if line.startswith(SEE_ALSO) and length + 1 + len(line) > ANSWER_BUDGET:
            continue
        lines.append(line)
        length += 1 + len(line)
    return lines


def answer_candidate(reading: FacetReading, used: set[tuple[str, int, int]]) -> ScoredCandidate | None:
    """The sentence that answers a facet: the best one of the expected type when the facet asks for
    a number, date or deadline; one that an earlier facet of the question did not already use when
    another scores nearly as well ("罚多少? 没有违法所得的呢?")."""
    ranked = reading.ranked
    if reading.facet.quantity_kinds and not reading.learned:  # the learned score weighs the type fit itself
        ranked = [s for s in ranked if s.fit >= 1.0] or ranked
    if not ranked:
        return None
    best = ranked[0]
    if within(quoted_span(best, reading), used):
        fresh = [s for s in ranked[1:6] if not within(quoted_span(s, reading), used)]
        good_enough = reading.threshold if reading.learned else 0.6 * best.score
        if fresh and fresh[0].score >= good_enough:
            return fresh[0]
    return best


def companion_of(best: ScoredCandidate, reading: FacetReading) -> ScoredCandidate | None:
    """A second sentence of the answering clause: for a support question, the clause's next best
    sentence that offers something on the asked topic (a measure lists its help in several
    sentences); otherwise one that scores nearly as well."""
    support = reading.facet.kind.offers
    for scored in reading.ranked[1:12]:
        if scored.candidate.chunk.chunk_id != best.candidate.chunk.chunk_id or scored.candidate.start == best.candidate.start:
            continue
        if (support and scored.fit > 0 and scored.coverage > 0) or scored.score >= COMPANION_SHARE * best.score:
            return scored
    return None


def within(span: tuple[str, int, int], used: set[tuple[str, int, int]]) -> bool:
    """True if an earlier facet's quote already holds this span."""
    doc_id, start, end = span
    return any(d == doc_id and s <= start and end <= e for d, s, e in used)


def overlaps(span: tuple[str, int, int], other: tuple[str, int, int]) -> bool:
    """True if two quotes share text (a list item quoted with its opener, and the opener itself)."""
    return span[0] == other[0] and span[1] < other[2] and other[1] < span[2]


def quoted_span(scored: ScoredCandidate, reading: FacetReading) -> tuple[str, int, int]:
    """The document span a candidate would be quoted with for this facet."""
    candidate = scored.candidate
    start, end = focus(candidate, reading.terms, reading.facet.quantity_kinds or frozenset())
    if candidate.exact and candidate.chunk.end - candidate.chunk.start <= SHORT_CLAUSE:
        sentences = sentences_of(candidate.chunk)  # a short article is one thought: quote it whole
        start, end = min(start, sentences[0].start), max(end, sentences[-1].end)
    if reading.facet.kind.whole_rule:
        end = max(end, rule_end(candidate))
    end = max(end, list_end(candidate))
    start = min(start, list_start(candidate, end))
    return candidate.chunk.doc_id, start, exception_end(candidate.chunk, end)


def list_start(candidate: Candidate, end: int) -> int:
    """An item of a list ("（一）为个人学习、研究…；") is quoted from the sentence that opens its list
    ("在下列情况下使用作品，可以不经著作权人许可…："), when the two lie within ``LIST_CHARS`` of each
    other in one clause: without it the item does not say what it is an item of."""
    if not candidate.exact:
        return candidate.start
    chunk = candidate.chunk
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]+", chunk.text) if m.group(0).strip()]
    offset = candidate.start - chunk.start
    here = next((i for i, (start, line) in enumerate(lines) if start <= offset < start + len(line)), None)
    if here is None or not _LIST_ITEM.fullmatch(lines[here][1]):
        return candidate.start  # the candidate is no numbered item of its own line
    for start, line in reversed(lines[:here]):
        if end - (chunk.start + start) > LIST_CHARS:
            break
        if not _LIST_ITEM.fullmatch(line):
            if _LIST_OPENER.search(line.strip()):
                lead = len(line) - len(line.lstrip())
                number = _LEAD_ARTICLE.match(line[lead:])
                return chunk.start + start + lead + (number.end() if number else 0)
            break  # a line of another kind: the item's list has no opener here
    return candidate.start


def list_end(candidate: Candidate) -> int:
    """A sentence that opens a list ("有下列情形之一的，不得交易：") is quoted with the items that follow
    it in its clause, whole items only, up to ``LIST_CHARS``: the items are the answer."""
    if not candidate.exact or not _LIST_OPENER.search(candidate.text):
        return candidate.end
    chunk = candidate.chunk
    end = candidate.end
    for item in _LIST_ITEM.finditer(chunk.text, candidate.end - chunk.start):
        if chunk.start + item.end() - candidate.start > LIST_CHARS:
            break
        end = chunk.start + item.end()
    return end


def exception_end(chunk: Chunk, end: int) -> int:
    """A quote ending just before its exception ("…交还原单位。当事人另有约定的除外。") takes it along."""
    rest = chunk.text[end - chunk.start:]
    following = re.match(r"[^。！？!?\n]*[。！？!?]?", rest)
    if following and following.end() <= EXCEPTION_CHARS and _EXCEPTION_SENTENCE.search(following.group(0)):
        return end + following.end()
    return end


def rule_end(candidate: Candidate) -> int:
    """Where the rule a sentence starts ends: "没收违法所得，并处…罚款；没有违法所得的，处…罚款。" is one
    rule in parts split by ；, quoted whole when it stays short."""
    if not candidate.exact or not candidate.text.endswith(("；", ";")):
        return candidate.end
    rest = candidate.chunk.text[candidate.end - candidate.chunk.start:]
    tail = re.match(r"[^。！？!?\n]*[。！？!?]?", rest)
    if tail is None or len(candidate.text) + tail.end() > RULE_CHARS:
        return candidate.end
    return candidate.end + tail.end()


def row_statement(chunk: Chunk) -> str:
    row = chunk.row or {}
    names = list(row)
    main = chunk.heading
    values = "，".join(f"{name}{row[name] or '（空）'}" for name in names[1:] if row[name] != main and name not in ("类别", "属性"))
    kind = f"（{row['属性']}指标）" if row.get("属性") else ""
    return f"{main}：{values}{kind}"


def focus(candidate: Candidate, terms: TermWeights, kinds: frozenset[str]) -> tuple[int, int]:
    """Document offsets of the part of a sentence that answers: the whole sentence when short, else
    its best comma-level phrase with the phrase before it when that carries the subject.  A number
    is quoted tightly; a rule or a measure keeps more of its sentence."""
    limit = FOCUS_CHARS if kinds else PROSE_FOCUS_CHARS
    text = candidate.text
    if len(text) <= SHORT_SENTENCE and candidate.end < candidate.chunk.end:
        # "五是大力推动知识产权质押融资工作。": a lead sentence says what follows, so quote the next one too
        rest = candidate.chunk.text[candidate.end - candidate.chunk.start:]
        following = re.match(r"[^。！？；!?;\n]*[。！？；!?;]?", rest)
        if following and following.group(0).strip() and len(text) + len(following.group(0)) <= 2 * FOCUS_CHARS:
            return candidate.start, candidate.end + following.end()
    if len(text) <= limit:
        return candidate.start, candidate.end
    pieces = phrases_of(candidate)
    if len(pieces) <= 1:
        return candidate.start, candidate.end

    def has_kind(s: int, e: int) -> bool:  # a number the question itself names is its condition, not the answer
        return any(q.kind in kinds and s <= q.start and q.end <= e and not terms.names_value([q])
                   for q in candidate.quantities)

    scores = [terms.own_coverage(text[s:e]) + 0.3 * terms.coverage(text[s:e]) + (1.5 if has_kind(s, e) else 0.0)
              for s, e in pieces]
    best = max(range(len(pieces)), key=lambda i: (scores[i], -i))
    first = last = best
    if best > 0 and terms.coverage(text[pieces[best - 1][0]:pieces[best - 1][1]]) > 0:
        first = best - 1
    def worth_adding(i: int) -> bool:
        if kinds:
            return has_kind(*pieces[i]) or pieces[i - 1][1] - pieces[first][0] < 30
        return terms.coverage(text[pieces[i][0]:pieces[i][1]]) > 0 or pieces[i - 1][1] - pieces[first][0] < 60

    while last + 1 < len(pieces) and pieces[last + 1][1] - pieces[first][0] <= limit and worth_adding(last + 1):
        last += 1
    start, end = pieces[first][0], pieces[last][1]
    while end > start and text[end - 1] in "，,、：:":
        end -= 1
    return candidate.start + start, candidate.start + end


def compared(comparison: Comparison, sentence: str) -> str:
    """符合 / 不符合 / 需核实, with the user's figure and the clause's bound in its own words:
    "不符合（所述3亿元；条件：营业收入不超过2亿元）：" """
    bound = comparison.threshold
    phrase = next((sentence[a:b] for a, b in spans(sentence, PHRASE) if a <= bound.start and bound.end <= b),
                  bound.text).rstrip("，,；;。、：:")
    return f"{comparison.verdict}（所述{comparison.figure.text}；条件：{phrase}）："


