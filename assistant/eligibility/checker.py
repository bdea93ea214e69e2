"""Whether a company qualifies for a measure, and for how much: its figures against the conditions the
document sets, the benefit computed where the text allows, and the 申报 window on the day asked.

The measure is found by the reader (the question's best sentence).  Its scope in the document:
- the benefit: the sentence of the document that grants something and shares most of the question's words
  (its own clause counts more), with the amount of the item the question names when it lists several;
- the conditions: those of the benefit's sentence, of its clause's other sentences that grant nothing of
  their own, and of the sections on conditions (申报条件, 资助对象 …) that branch off the benefit's section or
  one of its ancestors, so that another item's conditions are not read as this one's;
- the deadline: the latest 申报 date of the nearest such branch;
- the document's validity on the day (an expired or repealed measure is never offered as open).

Verdict: 不符合 when a stated figure fails a condition, the window has closed or the document no longer
applies; 需核实 when nothing fails but a condition needs a figure the question does not give (or bounds
something not understood), or when no condition could be checked at all; 符合 otherwise, each condition shown with the company's value and the threshold.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date

from assistant.eligibility.figures import CompanyFigures, age_text, format_value, money
from assistant.eligibility.terms import EXCLUSION, LOCATION, QUALIFICATION, STATED, Benefit, Condition, Deadline, Terms, read_terms
from assistant.geo import gazetteer
from assistant.models import Chunk
from assistant.store.index import PolicyIndex, StoredDocument
from assistant.text.company import IP_FIELDS
from assistant.text.thresholds import CHECK, FAILS, MEETS, Threshold, holds
from assistant.reading.sentences import GENERIC
from assistant.text.sentences import LEAD_NUMBER, clipped, spans
from assistant.text.tokens import bigrams
from assistant.validity import AMENDED, IN_FORCE, NOT_YET_IN_FORCE, Validity, repealers, successors, validity

CONDITION_SECTION = re.compile(r"条件|对象|范围|资格|要求|适用|遴选")
# Conditions on conduct and paperwork, assumed met unless the question speaks of them (the gold's rule too).
PAPERWORK = re.compile(r"独立法人|法人资格|信用|守信|依法经营|材料|真实|财务制度|会计|违法|违规|处罚|承诺|配合|申报书|"
                       r"附件|登录|填报|系统|盖章|复印件|证明文件")
PROHIBITS = re.compile(r"不能|不得|不予|不属于|不再|不包括|除外|禁止")
LEAD_IN = re.compile(r"(：|:)$|如下|下列|以下条件|之一")  # 符合以下条件: a list's opener, no condition itself
STATED_COVERAGE = 0.35  # a condition in words is stated when the question holds this share of its words
CONDITION_HEADING = re.compile(r"条件|对象|资格")  # 申报条件, 资助对象: a list of conditions in words
HEADING_CHARS = 12  # a heading longer than this is a sentence (a question, a lead-in), not a section title
# Administrative words every condition shares; they say nothing about whether the question states it.
ADMIN = set(bigrams("主管部门 取得 出具 证明 材料 颁发 相关 有关 规定 申报 单位 项目 本市 企业 具有 属于 符合 要求 应当"))
CONDITION_CHARS = 8  # shorter condition sentences carry no checkable content
LABEL_CHARS = 16
OWN_CLAUSE_BONUS = 0.5  # the benefit in the reader's best clause is preferred at equal wording
RANK_BONUS = 0.1  # and those of the clauses retrieved next, by rank
TERMS_KEPT = 2048  # clauses whose terms are kept
# A programme can be applied for while its document is in force (or amended, or not yet in force: it will be);
# one whose period has ended, that expired, was replaced or repealed is closed.
OPEN_STATUSES = (IN_FORCE, AMENDED, NOT_YET_IN_FORCE)


@dataclass(frozen=True)
class Check:
    condition: Condition
    outcome: str  # 符合 / 不符合 / 需核实
    value: str  # the company's value as shown ("3亿元"), "" when not given
    chunk: Chunk
    start: int  # the condition's sentence in the document
    end: int


@dataclass(frozen=True)
class Award:
    value: float | None  # yuan, when it can be computed
    formula: str  # how ("3件 × 3000元 = 9000元，未超过每年上限1万元")
    chunk: Chunk
    start: int
    end: int


@dataclass
class Assessment:
    verdict: str
    document: StoredDocument
    measure: Chunk  # the clause granting the benefit (or the reader's best one)
    checks: list[Check] = field(default_factory=list)
    award: Award | None = None
    deadline: tuple[Deadline, Chunk] | None = None
    window_open: bool | None = None
    validity: Validity | None = None
    missing: list[str] = field(default_factory=list)  # labels of the figures needed
    unread: list[tuple[Chunk, int, int]] = field(default_factory=list)  # conditions not understood

    @property
    def weighs_the_company(self) -> bool:
        """Whether the verdict rests on anything about this company: a condition compared with a figure it
        stated, a closed window or a document no longer in force.  Without that it only lists what to check."""
        closed = self.window_open is False
        outdated = self.validity is not None and self.validity.status not in OPEN_STATUSES
        return closed or outdated or any(check.value for check in self.checks)


@dataclass(frozen=True)
class _Sentenced:
    chunk: Chunk
    terms: Terms  # offsets in the document


def _path(chunk: Chunk) -> list[str]:
    return chunk.section.split(" ")


def _branch_applies(condition: Chunk, measure: Chunk, headings: dict[str, str]) -> int | None:
    """How closely a condition clause applies to the measure: the depth at which its section branches off the
    measure's (deeper is closer), when the section it branches into is about conditions; None otherwise."""
    if condition.chunk_id == measure.chunk_id:
        return 99
    own, theirs = _path(measure), _path(condition)
    depth = 0
    while depth < min(len(own), len(theirs)) and own[depth] == theirs[depth]:
        depth += 1
    if depth == len(theirs):  # an ancestor of the measure (its lead-in)
        return depth
    branch = " ".join(theirs[:depth + 1])
    wording = f"{headings.get(branch, '')} {condition.heading}"
    return depth if CONDITION_SECTION.search(wording) else None


def _under_condition_heading(chunk: Chunk, headings: dict[str, str]) -> bool:
    """Whether a clause sits under a section titled as conditions (二、申报条件 → (一)…(五))."""
    tokens = _path(chunk)
    titles = [headings.get(" ".join(tokens[:k]), "") for k in range(1, len(tokens) + 1)]
    return any(len(t) <= HEADING_CHARS and CONDITION_HEADING.search(t) for t in titles if t)


def _overlap(question: set[str], text: str) -> float:
    return sum(1 for b in question if b in text) / len(question) if question else 0.0


class EligibilityChecker:
    """Checks company figures against the measures of one index; terms are read once per clause."""

    def __init__(self, index: PolicyIndex):
        self.index = index
        self._terms: OrderedDict[str, Terms] = OrderedDict()
        self._replaced: dict[str, str] | None = None
        self._repealed: dict[str, str] | None = None

    def _clause_terms(self, chunk: Chunk, year: int | None) -> Terms:
        if chunk.chunk_id not in self._terms:
            own = read_terms(chunk.text, year)
            shift = chunk.start
            self._terms[chunk.chunk_id] = Terms(
                [replace(c, start=c.start + shift, end=c.end + shift) for c in own.conditions],
                [Benefit(b.start + shift, b.end + shift, b.amounts, b.cap, b.share, b.base) for b in own.benefits],
                [Deadline(d.day, d.start + shift, d.end + shift) for d in own.deadlines],
                [(a + shift, b + shift) for a, b in own.unread])
            while len(self._terms) > TERMS_KEPT:
                self._terms.popitem(last=False)
        self._terms.move_to_end(chunk.chunk_id)
        return self._terms[chunk.chunk_id]

    def _document_validity(self, document: StoredDocument, today: date) -> Validity:
        if self._replaced is None:
            self._replaced, self._repealed = successors(self.index), repealers(self.index)
        return validity(document, today, self._replaced, self.index, self._repealed)

    def run(self, question: str, figures: CompanyFigures, retrieved: list[Chunk], today: date) -> Assessment | None:
        """The assessment of the measure the retrieved clauses (best first) are about, or None when they hold
        neither a condition nor a benefit."""
        if not retrieved:
            return None
        votes: dict[str, float] = {}
        for rank, clause in enumerate(retrieved):  # the document most of the best clauses come from
            votes[clause.doc_id] = votes.get(clause.doc_id, 0.0) + 1.0 / (rank + 1)
        chosen = max(votes, key=lambda d: (votes[d], -next(k for k, c in enumerate(retrieved) if c.doc_id == d)))
        best = next(c for c in retrieved if c.doc_id == chosen)
        document = self.index.documents[best.doc_id]
        year = int(document.metadata.date[:4]) if document.metadata.date else None
        clauses = [self.index.chunks[p] for p in self.index.layout.positions([best.doc_id]).tolist()]
        sentenced = [_Sentenced(c, self._clause_terms(c, year)) for c in clauses]
        words = {b for b in bigrams(question)}
        rank_of = {c.chunk_id: k for k, c in enumerate(retrieved) if c.doc_id == best.doc_id}
        benefit = self._benefit(sentenced, document, words, rank_of, best)
        measure = benefit[0] if benefit else best
        headings = {s.path: s.heading for s in document.sections}
        scoped = [(s, depth) for s in sentenced if (depth := _branch_applies(s.chunk, measure, headings)) is not None]
        if not benefit and not any(s.terms.conditions for s, _ in scoped):
            return None
        assessment = Assessment(MEETS, document, measure)
        for clause, depth in scoped:
            for condition in clause.terms.conditions:
                if self._another_measures(condition, clause, benefit):
                    continue
                check = self._check(condition, clause.chunk, figures, today)
                if check is not None:
                    assessment.checks.append(check)
            assessment.unread += [(clause.chunk, a, b) for a, b in clause.terms.unread
                                  if (benefit and benefit[1].start <= a < benefit[1].end)
                                  or (depth < len(_path(clause.chunk)) and depth != 99)]
        assessment.checks += self._stated_conditions(scoped, measure, headings, document, question, assessment.checks)
        assessment.checks = _deduplicated(assessment.checks)
        assessment.checks += self._location(document, figures, measure, sentenced)
        if benefit:
            assessment.award = self._award(benefit[0], benefit[1], figures, question, today)
        assessment.deadline = self._deadline(sentenced, measure, headings)
        if assessment.deadline:
            assessment.window_open = today <= assessment.deadline[0].day
        assessment.validity = self._document_validity(document, today)
        return _decided(assessment)

    @staticmethod
    def _stated_conditions(scoped: list[tuple[_Sentenced, int]], measure: Chunk, headings: dict[str, str],
                           document: StoredDocument, question: str, read: list[Check]) -> list[Check]:
        """Conditions in words (软件产品登记证书, 省内自主品牌, 利润总额为正数): the sentences under a heading of
        conditions (申报条件, 资助对象) that no figure or qualification was read from.  Stated in the question: met,
        or failed when the clause forbids what the question says; not stated: to be checked."""
        words = set(bigrams(question)) - GENERIC
        taken = {(c.start, c.end) for c in read}
        checks = []
        for clause, depth in scoped:
            if not _under_condition_heading(clause.chunk, headings) or clause.chunk.chunk_id == measure.chunk_id:
                continue
            pieces = [(clause.chunk.start + a, clause.chunk.start + b) for a, b in spans(clause.chunk.text)]
            for start, end in pieces:
                sentence = document.text[start:end]
                if any(a <= start < b or start <= a < end for a, b in taken) or LEAD_IN.search(sentence.strip()):
                    continue
                own = set(bigrams(LEAD_NUMBER.sub("", sentence))) - GENERIC - ADMIN
                if len(sentence.strip()) < CONDITION_CHARS or not own:
                    continue
                coverage = sum(1 for b in own if b in words) / len(own)
                if PAPERWORK.search(sentence) and coverage < STATED_COVERAGE / 2:
                    continue
                label = clipped(LEAD_NUMBER.sub("", sentence), LABEL_CHARS)
                if coverage >= STATED_COVERAGE or (PROHIBITS.search(sentence) and coverage >= STATED_COVERAGE / 2):
                    outcome = FAILS if PROHIBITS.search(sentence) else MEETS
                    value = "所述情形" if outcome == FAILS else "已说明"
                else:
                    outcome, value = CHECK, ""
                condition = Condition(STATED, None, None, sentence, start, end, label)
                checks.append(Check(condition, outcome, value, clause.chunk, start, end))
        return checks

    @staticmethod
    def _another_measures(condition: Condition, clause: _Sentenced, benefit: tuple[Chunk, Benefit] | None) -> bool:
        """A condition in a sentence that grants something else is that other measure's (对一类新药…的，奖励200万元)."""
        if benefit and benefit[1].start <= condition.start < benefit[1].end:
            return False
        return any(b.start <= condition.start < b.end for b in clause.terms.benefits)

    def _benefit(self, sentenced: list[_Sentenced], document: StoredDocument, words: set[str],
                 rank_of: dict[str, int], best: Chunk) -> tuple[Chunk, Benefit] | None:
        scored = []
        for clause in sentenced:
            for benefit in clause.terms.benefits:
                text = f"{clause.chunk.heading} {document.text[benefit.start:benefit.end]}"
                score = _overlap(words, text)
                if clause.chunk.chunk_id == best.chunk_id:
                    score += OWN_CLAUSE_BONUS
                elif clause.chunk.chunk_id in rank_of:
                    score += RANK_BONUS * max(0, 5 - rank_of[clause.chunk.chunk_id]) / 5
                scored.append((score, -benefit.start, clause.chunk, benefit))
        if not scored:
            return None
        _, _, chunk, benefit = max(scored, key=lambda item: (item[0], item[1]))
        return chunk, benefit

    def _check(self, condition: Condition, chunk: Chunk, figures: CompanyFigures, today: date) -> Check | None:
        if condition.field == QUALIFICATION:
            if condition.name in figures.qualifications:
                return Check(condition, MEETS, "已具备", chunk, condition.start, condition.end)
            if condition.name in figures.lacks:
                return Check(condition, FAILS, "不具备", chunk, condition.start, condition.end)
            return Check(condition, CHECK, "", chunk, condition.start, condition.end)
        if condition.field == LOCATION:
            return self._place_check(condition, chunk, figures)  # None: the words name no place
        if condition.field == EXCLUSION:
            outcome = FAILS if figures.funded_before else MEETS if figures.funded_before is False else CHECK
            if outcome == CHECK:  # not stated: assumed not funded, and said so
                outcome = MEETS
            return Check(condition, outcome, "已获同类资助" if figures.funded_before else "未说明",
                         chunk, condition.start, condition.end)
        for name, relation, bar in condition.when:  # a tier: only the company's own tier applies
            selector = figures.value(name, today)
            if selector is None:
                return Check(condition, CHECK, "", chunk, condition.start, condition.end)
            if not holds(selector, Threshold("", bar, relation, "", 0, 0)):
                return None
        value = figures.value(condition.field, today)
        if value is None:
            return Check(condition, CHECK, "", chunk, condition.start, condition.end)
        threshold = Threshold("", condition.value or 0.0, condition.relation or ">=", condition.text, 0, 0)
        shown = age_text(figures.registered_on, today) if condition.field == "registered_on" else \
            format_value(condition.field, getattr(figures, condition.field, None) or round(value, 1))
        return Check(condition, MEETS if holds(value, threshold) else FAILS, shown, chunk, condition.start,
                     condition.end)

    @staticmethod
    def _place_check(condition: Condition, chunk: Chunk, figures: CompanyFigures) -> Check | None:
        """A company registered elsewhere than the place a clause names fails; one that names no place is asked."""
        places = gazetteer()
        required = places.find(condition.name)
        if not required:  # 本市, 辖区 (the document's own place, checked by _location), or no place at all
            return None
        if not figures.location:
            return Check(condition, CHECK, "", chunk, condition.start, condition.end)
        found = places.find(figures.location)
        inside = any(place.within(region) or place == region for place in found for region in required)
        broader = any(region.within(place) for place in found for region in required)  # 广东 for 东莞: not said
        outcome = MEETS if inside else CHECK if broader else FAILS
        return Check(condition, outcome, figures.location, chunk, condition.start, condition.end)

    def _location(self, document: StoredDocument, figures: CompanyFigures, measure: Chunk,
                  sentenced: list[_Sentenced]) -> list[Check]:
        """A local measure asked about by a company registered elsewhere fails on place."""
        code = document.metadata.region_code
        if not figures.location or not code or document.metadata.level == "national":
            return []
        places = gazetteer()
        region, found = places.by_code(code), places.find(figures.location)
        if region is None or not found:
            return []
        inside = any(place.within(region) or region.within(place) for place in found)
        if inside:
            return []
        name = region.name
        quote = next(((s.chunk, m.start(), m.end()) for s in sentenced
                      for m in re.finditer(rf"[^。；;\n]*{re.escape(name[:2])}[^。；;\n]*(注册|登记|设立|落户|行政区域)[^。；;\n]*",
                                           document.text[s.chunk.start:s.chunk.end])), None)
        chunk, start, end = (quote[0], quote[0].start + quote[1], quote[0].start + quote[2]) if quote else \
            (measure, measure.start, measure.end)
        condition = Condition("location", None, None, places.full_name(region), start, end, places.full_name(region))
        return [Check(condition, FAILS, figures.location, chunk, start, end)]

    def _award(self, chunk: Chunk, benefit: Benefit, figures: CompanyFigures, question: str, today: date) -> Award:
        amounts = list(benefit.amounts)
        if len(amounts) > 1 and any(a.item for a in amounts):  # 分别给予: the item the question names
            amounts = [max(amounts, key=lambda a: _overlap(set(bigrams(a.item)), question) if a.item else 0.0)]
        value: float | None = None
        formula = ""
        if amounts:
            amount = amounts[0]
            if amount.per_item:
                count = _count_for(amount.per_item, figures)
                if count is not None:
                    value = amount.value * count
                    formula = f"{count}件 × {money(amount.value)} = {money(value)}"
                else:
                    formula = f"每件{money(amount.value)}，按件数计算"
            else:
                value = amount.value
                formula = money(value)
        elif benefit.cap is not None:
            value = benefit.cap
            formula = f"最高{money(benefit.cap)}"
        if benefit.share is not None and not amounts:
            base = figures.value(benefit.base, today) if benefit.base else None
            if base is not None:
                value = base * benefit.share / 100
                formula = f"{money(base)} × {benefit.share:g}% = {money(value)}"
            else:
                value, formula = None, f"按{benefit.share:g}%计算" + (f"，最高{money(benefit.cap)}" if benefit.cap else "")
        if value is not None and benefit.cap is not None and amounts and value > benefit.cap:
            formula += f"，超过上限，按上限{money(benefit.cap)}"
            value = benefit.cap
        return Award(value, formula, chunk, benefit.start, benefit.end)

    @staticmethod
    def _deadline(sentenced: list[_Sentenced], measure: Chunk, headings: dict[str, str]
                  ) -> tuple[Deadline, Chunk] | None:
        """The latest deadline of the clauses nearest the measure (its own, else its branch, else the document's)."""
        best: tuple[int, date, Deadline, Chunk] | None = None
        own = _path(measure)
        for clause in sentenced:
            theirs = _path(clause.chunk)
            depth = 0
            while depth < min(len(own), len(theirs)) and own[depth] == theirs[depth]:
                depth += 1
            if clause.chunk.chunk_id == measure.chunk_id:
                depth = 99
            for deadline in clause.terms.deadlines:
                key = (depth, deadline.day)
                if best is None or key > (best[0], best[1]):
                    best = (depth, deadline.day, deadline, clause.chunk)
        return None if best is None else (best[2], best[3])


def _count_for(field_name: str, figures: CompanyFigures) -> int | None:
    """The company's count of what a 每件 amount counts (a patent of any kind when the text says only 专利)."""
    if field_name in IP_FIELDS:
        return getattr(figures, field_name)
    stated = [getattr(figures, f) for f in IP_FIELDS if getattr(figures, f) is not None]
    return stated[0] if len(stated) == 1 else None


def _deduplicated(checks: list[Check]) -> list[Check]:
    seen, kept = set(), []
    for check in checks:
        key = (check.condition.field, check.condition.relation, check.condition.value, check.condition.name)
        if key not in seen:
            seen.add(key)
            kept.append(check)
    return kept


def _decided(assessment: Assessment) -> Assessment:
    outcomes = {c.outcome for c in assessment.checks}
    applies = assessment.validity is None or assessment.validity.status in OPEN_STATUSES
    if FAILS in outcomes or assessment.window_open is False or not applies:
        assessment.verdict = FAILS
    elif CHECK in outcomes or assessment.unread or MEETS not in outcomes:
        assessment.verdict = CHECK  # 符合 needs at least one condition the company's figures were seen to meet
    else:
        assessment.verdict = MEETS
    assessment.missing = [c.condition.label for c in assessment.checks if c.outcome == CHECK]
    if assessment.verdict == FAILS and assessment.award is not None:
        assessment.award = Award(None, assessment.award.formula, assessment.award.chunk, assessment.award.start,
                                 assessment.award.end)
    return assessment
