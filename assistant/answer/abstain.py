"""Deciding that the corpus does not answer a question, and saying why in one sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.geo import Place, gazetteer
from assistant.reading.learned import LinearModel
from assistant.reading.reader import FacetReading, Reading
from assistant.reading.scoring import ScoredCandidate
from assistant.understanding.answer_types import unanswered
from assistant.understanding.question import QuestionAnalysis, five_year_periods
from assistant.understanding.references import DocumentName
from assistant.text.lexicon import content_words, expansions_in
from assistant.retrieval.retriever import ScoredChunk
from assistant.store.index import PolicyIndex

# Evidence (the share of a facet's weighted wording in the best sentence, or in its clause and
# title) below which the clauses read are about something else.
MIN_EVIDENCE = 0.3
# The same for a facet asking for a number, date or deadline, over the sentences that hold one.
MIN_TYPED_EVIDENCE = 0.3


@dataclass(frozen=True)
class Abstention:
    reason: str  # one sentence, shown as the answer


def document_regions(index: PolicyIndex) -> list[tuple[str, Place | None]]:
    places = gazetteer()
    return [
        (doc_id, places.by_code(d.metadata.region_code) if d.metadata.region_code else None)
        for doc_id, d in index.documents.items()
    ]


def uncovered_places(analysis: QuestionAnalysis, index: PolicyIndex) -> list[Place]:
    """Places the question names that no indexed document covers (its own, a parent or a part)."""
    regions = [region for _, region in document_regions(index) if region]
    return [
        place
        for place in analysis.places
        if not any(place.within(region) or region.within(place) for region in regions)
    ]


def missing_from_corpus(analysis: QuestionAnalysis, index: PolicyIndex) -> list[str]:
    """Content nouns of the question that appear in no document at all (官费, 税率)."""
    import jieba.posseg

    expansions = expansions_in(analysis.text)
    words = set(content_words(analysis.text, [p.name for p in analysis.places]))
    missing = []
    for token in jieba.posseg.lcut(analysis.text):
        word, flag = token.word, token.flag
        if word not in words or not flag.startswith("n") or flag in ("nr", "ns"):
            continue
        if not index.mentions(word) and not any(index.mentions(x) for x in expansions.get(word, ())):
            missing.append(word)
    return missing


_QUANTITY_WORDS = re.compile(r"多少|几[个件项家人所次名倍]?|比例|比率|标准|金额|数额|额度|上限")


def asked_about_missing(analysis: QuestionAnalysis, index: PolicyIndex) -> list[str]:
    """Missing nouns that are what a figure question asks about (官费 in 交多少官费, 税率 in 税率是
    多少): within a few characters of the quantity word.  Any other missing word (国知局, 商家) is
    the user's wording, not the subject, and does not make the question unanswerable."""
    text = analysis.text
    near = []
    for word in missing_from_corpus(analysis, index):
        position = text.find(word)
        window = text[max(0, position - 6): position + len(word) + 6]
        if position >= 0 and _QUANTITY_WORDS.search(window):
            near.append(word)
    return near


def covered_years(analysis: QuestionAnalysis, index: PolicyIndex, hits: list[ScoredChunk]) -> list[int]:
    """Target years a figure question asks about that no relevant document's period or text reaches."""
    hit_docs = {h.chunk.doc_id for h in hits[:3]}
    relevant = []
    for doc_id, region in document_regions(index):
        if doc_id in hit_docs and (not analysis.places or (region and any(p.within(region) or region.within(p)
                                                                           for p in analysis.places))
                                   or (region is None and analysis.national)):
            relevant.append(index.documents[doc_id])
    missing = []
    hit_text = " ".join(h.chunk.text for h in hits[:5])
    for year in analysis.years:
        in_period = any(d.metadata.period and d.metadata.period.start_year - 5 <= year <= d.metadata.period.end_year
                        for d in relevant)
        if not in_period and str(year) not in hit_text:
            missing.append(year)
    return missing


def _numeric(analysis: QuestionAnalysis) -> bool:
    return any(f.kind.figure for f in analysis.facets)


def unknown_document(analysis: QuestionAnalysis, index: PolicyIndex, names: list[DocumentName]) -> str | None:
    """A document the question names by place and kind (深圳…条例, 江苏省专利促进条例) that the
    knowledge base does not hold and no indexed text mentions."""
    places = gazetteer()
    for match in _TITLE_LIKE.finditer(analysis.text):
        phrase = match.group(0)
        found = places.find(phrase)
        if not found or not phrase.startswith(tuple(n for p in found for n in (p.name, places.full_name(p)))):
            continue
        if any(index.mentions(variant) for variant in _title_variants(phrase, found)) or \
                any(name.named_in(phrase) >= 0.8 and _core_within(phrase, name) for name in names):
            continue
        return phrase
    return None


_TITLE_LIKE = re.compile(r"[\u4e00-\u9fa5]{2,22}?(条例|规定|办法|规划|实施意见|工作方案|行动计划)")


_SPOKEN = re.compile(r"以前|之前|原来|当初|旧的|那个|这个|那部|这部|那|这|的")


def _title_variants(phrase: str, places: list[Place]) -> set[str]:
    """How a title said loosely ("洛阳以前那个专利保护管理条例") may stand in a text: without the
    spoken words, with the place's full name (洛阳市专利保护管理条例)."""
    plain = _SPOKEN.sub("", phrase)
    variants = {phrase, plain}
    for place in places:
        full = gazetteer().full_name(place)
        if place.name != full:
            variants |= {v.replace(full, place.name).replace(place.name, full, 1) for v in (phrase, plain)}
    return variants


def _core_within(phrase: str, name: DocumentName) -> bool:
    """True if the phrase's words (places removed) appear in order in the document's title."""
    core = phrase
    for place in sorted(name.places, key=len, reverse=True):
        core = core.replace(place, "")
    core = re.sub(r"^[省市区县]|[的之那个这]", "", core)
    position = 0
    for ch in core:
        position = name.title.find(ch, position)
        if position < 0:
            return False
        position += 1
    return True


def facet_evidence(reading: FacetReading) -> str | None:
    """Why a facet has no answer in the clauses read, or None when one of them answers it."""
    facet = reading.facet
    if facet.kind.figure:
        typed = [s for s in reading.ranked if s.fit >= 1.0 and (reading.continues(s) or (
            evidence(s) >= MIN_TYPED_EVIDENCE and about_the_topic(reading, s)))]
        if not typed:
            return facet.kind.missing_figure(facet.text)
        return None
    best = reading.rule_best
    if best is None or (evidence(best) < MIN_EVIDENCE and not reading.continues(best)):
        return unanswered(facet.text)
    return None


def about_the_topic(reading: FacetReading, scored: ScoredCandidate) -> bool:
    """True if the sentence's clause names what the facet is about: its rarest own word, leaving out
    the words that only name the document (若干规定, 行动计划)."""
    terms = reading.terms
    topic = [w for w in terms.weights if w not in terms.borrowed and not terms.match(w, scored.title)]
    head = terms.heaviest_of(topic)
    return head is None or terms.match(head, scored.setting) >= 1.0


def evidence(scored: ScoredCandidate) -> float:
    """How much of the facet's wording the sentence, or its clause and title, carries."""
    return max(scored.coverage, 0.8 * scored.context)


# The columns of the answerable model: what the reading found (the learned probability of each
# facet's best sentence) beside each rule that used to decide alone.
SIGNALS = ("best_probability", "worst_probability", "mean_probability", "single_facet", "uncovered_place",
           "unknown_document", "missing_word", "missing_years", "rule_gap_all", "rule_gap_any", "best_coverage",
           "best_context", "best_fit", "top_fused", "named_document", "bias")


@dataclass(frozen=True)
class RuleFindings:
    """What the hand rules say about a reading: each a reason to abstain, or None."""

    structural: str | None  # no such part, place or document in the knowledge base, nothing retrieved: no
    # model overrides what the corpus holds
    reasons: tuple[str, ...]  # the rules' reasons, in the order they were written
    uncovered_place: bool
    unknown_document: bool
    missing_word: bool
    missing_years: bool
    gaps: tuple[str | None, ...]  # per facet, the evidence rule's reason (None: it has an answer)


def rule_findings(reading: Reading, index: PolicyIndex, names: list[DocumentName]) -> RuleFindings:
    analysis = reading.analysis
    hits = reading.hits
    covered = "、".join(sorted({d.metadata.jurisdiction_full or d.metadata.title for d in index.documents.values()}))
    gaps = tuple(facet_evidence(r) for r in reading.facets)  # the rule's verdicts, learned reading or not
    structural = None
    if reading.reference is not None and not reading.reference.chunks:
        title = index.documents[reading.reference.doc_id].metadata.title
        structural = f"《{title}》中没有{reading.reference.part.label}，无法据此回答。"
    elif not hits:
        structural = f"知识库中没有与该问题相关的条款（现有文件覆盖：{covered}）。"
    if structural is not None:
        return RuleFindings(structural, (), False, False, False, False, gaps)
    reasons = []
    outside = uncovered_places(analysis, index)
    uncovered = bool(outside) and len(outside) == len(analysis.places) and not analysis.national
    if uncovered:
        names_ = "、".join(gazetteer().full_name(p) for p in outside)
        reasons.append(f"知识库中没有{names_}的政策文件，无法据此回答；现有文件覆盖：{covered}。")
    unknown = unknown_document(analysis, index, names)
    if unknown is not None:
        reasons.append(f"知识库中没有《{unknown}》，无法据此回答；现有文件覆盖：{covered}。")
    if reasons:  # what the knowledge base holds (no document of that place, no such document) is a fact
        return RuleFindings(reasons[0], tuple(reasons), uncovered, unknown is not None, False, False, gaps)
    missing = asked_about_missing(analysis, index) if _numeric(analysis) else []
    if missing:
        reasons.append(f"知识库中的文件没有涉及“{'、'.join(missing)}”的内容，无法回答。")
    years_missing = False
    if _numeric(analysis):
        latest = max((d.metadata.period.end_year for d in index.documents.values() if d.metadata.period), default=0)
        years = covered_years(analysis, index, hits)
        if years or any(start > latest for start, _ in five_year_periods(analysis.text)):
            years_missing = True
            asked = "、".join(f"{y}年" for y in years) or "该时期"
            reasons.append(f"知识库中的文件没有给出{asked}的相关数字（现有规划期最晚到{latest}年），无法回答。")
    if gaps and all(gaps):
        reasons.append(f"{gaps[0]}，无法回答。")
    return RuleFindings(None, tuple(reasons), uncovered, unknown is not None, bool(missing), years_missing, gaps)


def facet_probabilities(reading: Reading) -> list[float]:
    """Per facet, the learned probability that its best sentence answers it (0 with no sentence)."""
    return [r.best.score if r.best is not None and r.learned and r.retrieved else 0.0 for r in reading.facets]


def reading_signals(reading: Reading, findings: RuleFindings) -> dict[str, float]:
    """The columns of ``SIGNALS`` that do not depend on the learned sentence probabilities."""
    first = reading.facets[0] if reading.facets else None
    best = first.rule_best if first is not None else None
    hits = reading.hits
    return {
        "single_facet": 1.0 if len(reading.facets) == 1 else 0.0,
        "uncovered_place": float(findings.uncovered_place),
        "unknown_document": float(findings.unknown_document),
        "missing_word": float(findings.missing_word),
        "missing_years": float(findings.missing_years),
        "rule_gap_all": 1.0 if findings.gaps and all(findings.gaps) else 0.0,
        "rule_gap_any": 1.0 if any(findings.gaps) else 0.0,
        "best_coverage": best.coverage if best is not None else 0.0,
        "best_context": best.context if best is not None else 0.0,
        "best_fit": best.fit if best is not None else 0.0,
        "top_fused": (hits[0].score * 30.0) if hits else 0.0,
        "named_document": 1.0 if any(r.facet.doc_id for r in reading.facets) else 0.0,
        "bias": 1.0,
    }


def signal_row(signals: dict[str, float], probabilities: list[float]) -> np.ndarray:
    """One row of ``SIGNALS``: a reading's signals and its facets' best-sentence probabilities."""
    values = {**signals,
              "best_probability": max(probabilities, default=0.0),
              "worst_probability": min(probabilities, default=0.0),
              "mean_probability": sum(probabilities) / len(probabilities) if probabilities else 0.0}
    return np.array([[values[name] for name in SIGNALS]])


def decide(reading: Reading, index: PolicyIndex, names: list[DocumentName],
           answerable: LinearModel | None = None) -> Abstention | None:
    """Abstain or not.  With the learned ``answerable`` model, the rules are its columns and the
    threshold chosen on held-out folds decides; without it, the first rule that fires decides."""
    findings = rule_findings(reading, index, names)
    if findings.structural is not None:
        return Abstention(findings.structural)
    if answerable is None or not any(r.learned and r.retrieved for r in reading.facets):
        return Abstention(findings.reasons[0]) if findings.reasons else None
    row = signal_row(reading_signals(reading, findings), facet_probabilities(reading))
    probability = float(answerable.predict_proba(row)[0])
    if probability >= answerable.threshold:
        return None
    return Abstention(findings.reasons[0] if findings.reasons else nearest_reason(reading))


def nearest_reason(reading: Reading) -> str:
    """Why no facet is answered: what was asked and not found (the nearest sentences follow it)."""
    return f"{unanswered(reading.facets[0].facet.text)}，无法回答。"


def facet_gaps(reading: Reading) -> list[str | None]:
    """Per facet, why the clauses read do not answer it (None where they do): with the learned
    sentence scorer, a facet whose best sentence is less likely than its threshold (chosen on
    held-out folds) is unanswered; otherwise the evidence rule decides."""
    gaps: list[str | None] = []
    for r in reading.facets:
        if r.learned and r.retrieved:
            answered = r.best is not None and r.best.score >= r.threshold
            gaps.append(None if answered else unanswered(r.facet.text))
        else:
            gaps.append(facet_evidence(r))
    return gaps
