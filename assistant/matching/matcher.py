"""The matcher: an enterprise profile in, the measures that apply out, ranked once across levels, cited.

Applicability: the document's jurisdiction covers the enterprise's location (its city, its province, or
national), and a sentence confined to a region (tagged at indexing) is read only by enterprises inside
that region.  Ranking: one score — how well the measure serves each need as the user typed it (taxonomy
tags and wording, embedding similarity to the need's description, the typed text as a query) and the
enterprise's traits (a measure written for the trait ranks above a generic one), with the level and the
validity model's rank (assistant/validity.py: in force, amended, ended plans) as light priors,
so that the current measure comes first among comparable ones; replaced, repealed or expired documents
come after all of these.  Several articles of one document give way a little to other documents.
Measures addressed to another kind of organisation are marked and ranked lower, or dropped (a setting).

Cost: the candidates are the covering documents' clauses tagged at indexing with one of the needs' taxonomy
entries (``PolicyIndex.tagged_positions``, looked up among the covering documents' positions only) — every
covering clause only for a need read as free text or when no need is given.  Their vectors alone are read, and give each candidate a bound of its score (its
similarities, the need and trait tags it carries, the priors of its document); candidates are then read and
scored best bound first, only while a bound could still beat the best measure not yet ranked, so that the
same measures come out as from scoring every candidate.  What no profile changes (the documents' validity
and jurisdictions, whether a clause is a measure and whom it addresses) is worked out once.
"""

from __future__ import annotations

import heapq
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from pydantic import BaseModel, Field, field_validator

from assistant.eligibility.checker import Assessment
from assistant.eligibility.figures import CompanyFigures
from assistant.geo import Place, gazetteer
from assistant.ingest.structure import PREAMBLE
from assistant.ingest.tagging import need_vectors
from assistant.matching.audience import AUDIENCE_LABEL, addressed_to
from assistant.matching.interpret import NEED, TRAIT, NonsenseInputError, ProfileInterpreter, Understood
from assistant.validity import ENDED, ENDED_LABEL, Validity, validities
from assistant.models import Chunk, Citation
from assistant.reading.sentences import GENERIC, best_sentences, body_text, shorten
from assistant.store.index import PolicyIndex, StoredDocument
from assistant.store.tables import NEED_TAG, TRAIT_TAG
from assistant.text.regions import reaches
from assistant.text.taxonomy import NEEDS, TRAITS
from assistant.text.tokens import bigrams, cjk_pairs

LEVEL_ORDER = {"national": 0, "province": 1, "city": 2, "district": 3}
LEVEL_LABEL = {"national": "国家", "province": "省级", "city": "市级", "district": "区县级"}
NO_SUCCESSOR = "暂未收录后续文件"
ARTICLE = "article"  # the section kind of a 第X条, whose heading is its own lead sentence
_NOT_MEASURES = re.compile(r"指导思想|基本原则|总体要求|总体思路|发展成就|发展形势|形势背景|规划背景|主要目标|"
                           r"保障措施|组织保障|实施保障|组织领导|加强组织|组织实施|监测评估|考核|督导|党的领导|"
                           r"狠抓工作落实")
_MAX_INPUT_CHARS = 60
MAX_DESCRIPTION_CHARS = 300
# Weights of the score; see README "What applies to my company" for how they were measured.
TRAIT_WEIGHT = 1.5  # a measure written for the enterprise's trait
AUDIENCE_PENALTY = 1.5  # a measure addressed to another kind of organisation (when marked, not dropped)
QUERY_WEIGHT = 2.0
MENTION_WEIGHT = 2.0  # wording of the need in the clause, as mentions per character (heading counts thrice)
MENTION_DENSITY = 50.0  # share of the typed text's words the measure uses
FREE_TEXT_COVERAGE = 0.5  # free text is served by a measure using at least this share of its words
SUCCESSOR_SIMILARITY = 0.9
# What may still apply (in force, amended, not yet in force, a plan whose period ended) is ranked by score
# less CURRENT_PRIOR per validity rank, so that among comparable measures the current one comes first but
# a weak current measure does not bury a strong one from an ended plan (plans keep applying until replaced);
# what has been replaced, repealed or has expired always comes after (0–0.5 measured alike on the gold, 1.0
# lower).
CURRENT_PRIOR = 0.25
_MAY_APPLY = 2  # Validity.rank of the last status ranked by score
# Several articles of one document should not crowd out a comparably strong measure of another: each
# measure of a document already ranked lowers the next one's score by this much (0.1–0.2 measured best).
DIVERSITY = 0.15
OTHER_TRAIT_PENALTY = 0.5  # a heading written for another kind of enterprise (海外…, 乡村振兴…) than the profile's
# A need that is itself what a trait is about: asking for 海外布局 makes overseas measures wanted.
TRAIT_OF_NEED = {"海外布局": "外贸/出口", "地理标志": "农业/种业", "版权": "文化/版权"}  # a successor's clause this close to the replaced one is its corresponding measure
OUTLINES_KEPT = 512  # documents whose section outline the matcher keeps
FACTS_KEPT = 100_000  # clauses whose facts (measure or not, audience …) the matcher keeps


class ProfileError(ValueError):
    """A profile the matcher cannot use; the message (in Chinese) names the field and the problem."""


def _clean_inputs(values: list[str], what: str) -> list[str]:
    cleaned = []
    for number, value in enumerate(values, start=1):
        text = " ".join(str(value).split())
        if not text:
            raise ValueError(f"第{number}项为空，请填写{what}或删去该项")
        if len(text) > _MAX_INPUT_CHARS:
            raise ValueError(f"第{number}项有{len(text)}个字，{what}每项最多{_MAX_INPUT_CHARS}个字")
        cleaned.append(text)
    return list(dict.fromkeys(cleaned))


class EnterpriseProfile(BaseModel):
    location: str | None = Field(None, max_length=100,
                                 description="Province, city or district, Chinese or pinyin (武汉, Wuhan).")
    industry: str | None = Field(None, max_length=100)
    traits: list[str] = Field(default_factory=list, max_length=20,
                              description="Taxonomy entries (专精特新) or any text (生物医药企业).")
    needs: list[str] = Field(default_factory=list, max_length=20,
                             description="Taxonomy entries (融资/质押), everyday words (贷款) or any text (商标海外注册).")
    figures: CompanyFigures | None = Field(None, description="The company's own figures, checked against each "
                                                              "measure's conditions (符合 / 不符合 / 需核实).")
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_CHARS,
                                    description="The company's figures in words, read into ``figures``: "
                                                "年营收8000万元，员工120人，有5件发明专利，2019年成立。")

    @field_validator("traits")
    @classmethod
    def clean_traits(cls, values: list[str]) -> list[str]:
        return _clean_inputs(values, "企业特征")

    @field_validator("needs")
    @classmethod
    def clean_needs(cls, values: list[str]) -> list[str]:
        return _clean_inputs(values, "需求")


@dataclass(frozen=True)
class SuccessorMeasure:
    doc_id: str
    title: str
    section: str
    heading: str


@dataclass
class MatchedMeasure:
    chunk: Chunk
    score: float
    needs: list[str]  # the typed needs it serves
    traits: list[str]  # the enterprise's traits it is written for
    offer: str
    lead: str
    level: str
    validity: Validity
    citation: Citation
    audience: str = ""  # "面向知识产权服务机构" when addressed to another kind of organisation
    regions: list[str] = field(default_factory=list)  # regions its shown text is confined to
    successor_measure: SuccessorMeasure | None = None
    assessment: Assessment | None = None  # the company's figures against its conditions, when figures are given

    @property
    def status_label(self) -> str:
        """The validity mark shown: an ended plan with no successor in the corpus says so."""
        if self.validity.status == ENDED and not self.validity.successor:
            return self.validity.label.replace(ENDED_LABEL, f"{ENDED_LABEL}，{NO_SUCCESSOR}", 1)
        return self.validity.label


@dataclass
class MatchResult:
    profile: EnterpriseProfile
    place: Place | None
    covering: list[str]  # doc_ids whose jurisdiction covers the location
    measures: list[MatchedMeasure]  # ranked once, across levels
    unmatched_needs: list[str] = field(default_factory=list)
    understood: list[Understood] = field(default_factory=list)
    figures_understood: list[str] = field(default_factory=list)  # how the description's figures were read

    def groups(self) -> list[tuple[str, list[MatchedMeasure]]]:
        """The ranked measures grouped by level (national, provincial, city), each group in rank order."""
        levels = sorted({m.level for m in self.measures}, key=lambda lv: LEVEL_ORDER.get(lv, 9))
        return [(level, [m for m in self.measures if m.level == level]) for level in levels]


def _prefixes(path: str) -> list[str]:
    tokens = path.split(" ")
    return [" ".join(tokens[:k]) for k in range(1, len(tokens) + 1)]


def section_headings(document: StoredDocument, path: str) -> list[str]:
    """Headings of the numbered sections a clause sits in (二、 (二) -> 总体要求, 基本原则)."""
    prefixes = set(_prefixes(path))
    return [s.heading for s in document.sections if s.kind != "paragraph" and s.path in prefixes]


def _offers(chunk: Chunk, headings: list[str]) -> bool:
    """A clause that offers something, given the headings of the sections it sits in."""
    if chunk.kind != "clause" or chunk.section == PREAMBLE:
        return False
    return not any(_NOT_MEASURES.search(h) for h in [chunk.heading, *headings])


def is_measure(chunk: Chunk, document: StoredDocument) -> bool:
    """A clause that offers something: not a preamble, table, principle, target or safeguard."""
    return _offers(chunk, section_headings(document, chunk.section))


@dataclass(frozen=True)
class _Outline:
    """A document's sections by path: each path's kind (the last section of that path), and the headings of
    its numbered (non-paragraph) sections."""

    kinds: dict[str, str]
    headings: dict[str, list[str]]

    @classmethod
    def of(cls, document: StoredDocument) -> _Outline:
        kinds: dict[str, str] = {}
        headings: dict[str, list[str]] = {}
        for section in document.sections:
            kinds[section.path] = section.kind
            if section.kind != "paragraph":
                headings.setdefault(section.path, []).append(section.heading)
        return cls(kinds, headings)

    def around(self, path: str) -> list[str]:
        """As section_headings: the headings of the numbered sections a clause at ``path`` sits in."""
        return [h for prefix in _prefixes(path) for h in self.headings.get(prefix, ())]


@dataclass(frozen=True)
class _Facts:
    """What the matcher reads in a clause whatever the profile."""

    measure: bool  # offers something (is_measure)
    titled: bool  # its heading is a title (an article's is only its lead sentence)
    audience: str | None  # the kind of organisation it is addressed to (measures only)
    heading_traits: tuple[str, ...]  # non-exclusive traits its heading names (海外…, 乡村振兴…)


class _Kept:
    """The last ``size`` values made, by key (shared by the threads serving one index)."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], object]):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


@dataclass(frozen=True)
class _Visible:
    """The part of a clause an enterprise at a place may read: confined sentences of other regions left out."""

    text: str
    pieces: tuple[tuple[int, int], ...]  # (start, end) in chunk.text of the kept stretches
    hidden: bool
    regions: tuple[str, ...]  # regions of the confined sentences kept (the enterprise is inside them)


def visible_part(chunk: Chunk, place: Place | None) -> _Visible:
    if not chunk.regions:
        return _Visible(chunk.text, ((0, len(chunk.text)),) if chunk.text else (), False, ())
    kept_regions, cuts = [], []
    for span in chunk.regions:
        if reaches(span, place):
            kept_regions.append(span.name)
        else:
            cuts.append((span.start, span.end))
    pieces, position = [], 0
    for start, end in sorted(cuts):
        if start > position:
            pieces.append((position, start))
        position = max(position, end)
    if position < len(chunk.text):
        pieces.append((position, len(chunk.text)))
    text = "".join(chunk.text[a:b] for a, b in pieces)
    return _Visible(text, tuple(pieces), bool(cuts), tuple(dict.fromkeys(kept_regions)))


def _words(query: str) -> dict[str, float]:
    """The query's words (character bigrams) and their weights: generic policy words count little."""
    return {b: 0.15 if b in GENERIC else 1.0 for b in bigrams(query)}


def _covered(words: dict[str, float], text: str) -> float:
    """Share of the query's words (weighted) found in the text."""
    total = sum(words.values())
    return sum(w for b, w in words.items() if b in text) / total if total else 0.0



@dataclass
class _Scored:
    """A clause scored for a profile; made into a MatchedMeasure (offer, citation) only if it is ranked."""

    position: int
    chunk: Chunk
    visible: _Visible
    score: float
    served: list[str]
    traits: list[str]
    state: Validity
    audience: str


class _Pool:
    """The clauses that may be ranked, each with an upper bound of its ranking score, handed out best bound
    first (lowest tier, then highest bound) and scored only when asked."""

    def __init__(self, tiers: np.ndarray, bounds: np.ndarray,
                 score: Callable[[int], tuple[int, float, _Scored] | None]):
        self.tiers, self.bounds, self.score = tiers, bounds, score
        self.order = np.lexsort((-bounds, tiers)).tolist()
        self.next = 0

    def bound(self) -> tuple[int, float] | None:
        """(tier, bound) of the next clause not scored yet."""
        if self.next == len(self.order):
            return None
        row = self.order[self.next]
        return int(self.tiers[row]), float(self.bounds[row])

    def take(self) -> tuple[int, float, _Scored] | None:
        """The next clause scored (tier, ranking score, clause), or None when it cannot be ranked."""
        row = self.order[self.next]
        self.next += 1
        return self.score(row)


BOUND_SLACK = 1e-6  # bounds are computed apart from the scores; rounding must not make one fall below its score


def _spread(pool: _Pool, limit: int) -> list[_Scored]:
    """The measures in rank order, one per section: by tier (what may apply first), then by score less
    DIVERSITY for each measure of the same document already ranked, so that several articles of one
    document do not crowd out a comparably strong measure of another; equal ones in position order.
    A clause is scored only while its bound could still beat the best one scored (scores only fall)."""
    # (tier, -(score less DIVERSITY per measure of its document ranked, as counted when queued), -score,
    # position, count): a stale count is refreshed when the entry comes up
    queue: list[tuple[int, float, float, int, int, _Scored]] = []
    ranked: list[_Scored] = []
    seen_sections: set[tuple[str, str]] = set()
    per_document: dict[str, int] = {}
    while len(ranked) < limit:
        while (next_bound := pool.bound()) is not None and (
                not queue or next_bound[0] < queue[0][0]
                or (next_bound[0] == queue[0][0] and next_bound[1] + BOUND_SLACK >= -queue[0][1])):
            if (scored := pool.take()) is not None:
                tier, score, measure = scored
                heapq.heappush(queue, (tier, -score, -score, measure.position, 0, measure))
        if not queue:
            break
        tier, _, negative, position, counted, measure = heapq.heappop(queue)
        now = per_document.get(measure.chunk.doc_id, 0)
        if now != counted:
            heapq.heappush(queue, (tier, -(-negative - DIVERSITY * now), negative, position, now, measure))
            continue
        key = (measure.chunk.doc_id, measure.chunk.section)
        if key in seen_sections:
            continue
        seen_sections.add(key)
        per_document[measure.chunk.doc_id] = now + 1
        ranked.append(measure)
    return ranked


class ProfileMatcher:
    def __init__(self, index: PolicyIndex, encoder, today: date, other_audiences: str = "mark",
                 level_prior: float = 0.0, standing: dict[str, Validity] | None = None):
        """``standing``: every document's validity on ``today`` when the caller has it (else worked out once)."""
        self.index = index
        self.encoder = encoder
        self.today = today
        self.other_audiences = other_audiences
        self.level_prior = level_prior
        self.interpreter = ProfileInterpreter(encoder)
        self._need_vectors: np.ndarray | None = None
        self._standing = standing
        self._jurisdictions: list[tuple[str, bool, str | None]] | None = None  # (doc_id, national, region code)
        self._outlines = _Kept(OUTLINES_KEPT)
        self._facts = _Kept(FACTS_KEPT)  # by position

    def locate(self, location: str | None) -> Place | None:
        if not location or not location.strip():
            return None
        found = gazetteer().find(location.strip())
        if not found:
            raise ProfileError(f"没有找到地点“{location}”，请填写中国的省、市或区县，如 武汉、淄博市张店区（也可用拼音）")
        chosen = found[0]
        for other in found[1:]:
            if other.within(chosen):
                chosen = other
        return chosen

    def covering_documents(self, place: Place | None) -> list[str]:
        """The documents whose jurisdiction covers the place (national ones always), in index order."""
        if self._jurisdictions is None:
            self._jurisdictions = [(doc_id, d.metadata.level == "national", d.metadata.region_code)
                                   for doc_id, d in self.index.documents.items()]
        places = gazetteer()
        covers: dict[str, bool] = {}  # region code -> whether the place lies in it
        covering = []
        for doc_id, national, code in self._jurisdictions:
            if national:
                covering.append(doc_id)
            elif place and code:
                if code not in covers:
                    covers[code] = bool((region := places.by_code(code)) and place.within(region))
                if covers[code]:
                    covering.append(doc_id)
        return covering

    def _needs(self) -> np.ndarray:
        if self._need_vectors is None:
            self._need_vectors = need_vectors(self.encoder)
        return self._need_vectors

    def _validities(self) -> dict[str, Validity]:
        """Every document's validity on ``today``, worked out once (the index does not change)."""
        if self._standing is None:
            self._standing = validities(self.index, self.today)
        return self._standing

    def _outline(self, doc_id: str) -> _Outline:
        return self._outlines.get(doc_id, lambda: _Outline.of(self.index.documents[doc_id]))

    def _facts_of(self, position: int, chunk: Chunk) -> _Facts:
        return self._facts.get(position, lambda: self._read_facts(chunk))

    def _read_facts(self, chunk: Chunk) -> _Facts:
        outline = self._outline(chunk.doc_id)
        measure = _offers(chunk, outline.around(chunk.section))
        # an article's heading (第二条) is only its own lead sentence, which its text already holds
        titled = outline.kinds.get(chunk.section) != ARTICLE
        named = tuple(key for key, facet in TRAITS.items() if not facet.exclusive and facet.pattern.search(chunk.heading))
        return _Facts(measure, titled, addressed_to(chunk) if measure else None, named)

    def understand(self, profile: EnterpriseProfile, encoded: dict[str, np.ndarray] | None = None
                   ) -> tuple[list[Understood], list[Understood]]:
        """The typed needs and traits understood; ``encoded`` receives the query vectors made on the way."""
        try:
            return (self.interpreter.run(profile.needs, NEED, encoded),
                    self.interpreter.run(profile.traits, TRAIT, encoded))
        except NonsenseInputError as err:
            raise ProfileError(str(err)) from None

    @staticmethod
    def _need_score(need: Understood, chunk: Chunk, visible: _Visible, titled: bool, sims: np.ndarray,
                    query_sim: float | None, words: dict[str, dict[str, float]]) -> tuple[float, bool]:
        """How well a clause serves one typed need, and whether it serves it at all (``words``: each query's)."""
        text = f"{chunk.heading} {visible.text}"
        heading_weight = 3 if titled else 0
        keys = list(NEEDS)
        best, served = 0.0, False
        for key in need.facets:
            pattern = NEEDS[key].pattern
            tagged = bool(pattern.search(text)) if visible.hidden else key in chunk.needs
            mentions = heading_weight * len(pattern.findall(chunk.heading)) + len(pattern.findall(visible.text))
            density = min(1.0, MENTION_DENSITY * mentions / max(len(text), 100))
            score = (1.0 if tagged else 0.0) + MENTION_WEIGHT * density + 5 * (float(sims[keys.index(key)]) - 0.85)
            best, served = max(best, score), served or tagged
        if need.query is not None:
            coverage = _covered(words[need.query], text)
            best += QUERY_WEIGHT * coverage + 5 * ((query_sim or 0.0) - 0.85)
            if not need.facets:
                served = coverage >= FREE_TEXT_COVERAGE
        return best, served

    def _pool_positions(self, docs: list[str], needs: list[Understood]) -> tuple[np.ndarray, np.ndarray]:
        """Positions (ascending) of these documents' clauses that may serve the needs, and whether each is tagged
        with one of the needs' taxonomy entries.  A clause serves a taxonomy need only when tagged with it (a
        clause partly hidden is read by the same wording rules, which tagging ran on its whole text); a need read
        as free text may be served by any clause.  No need: every clause."""
        positions = np.sort(self.index.layout.positions(docs))
        keys = [key for need in needs for key in need.facets]
        tagged = np.isin(positions, self.index.tagged_positions(NEED_TAG, keys, positions)) if keys else \
            np.zeros(len(positions), dtype=bool)
        if needs and all(need.facets for need in needs):
            return positions[tagged], tagged[tagged]
        free = [need.query for need in needs if not need.facets and need.query is not None]
        if free:  # an untagged clause serves only by covering a free text's words (see run's score)
            kept = tagged | self._may_cover(positions, free)
            return positions[kept], tagged[kept]
        return positions, tagged

    def _may_cover(self, positions: np.ndarray, queries: list[str]) -> np.ndarray:
        """Whether each clause (ascending positions) may hold FREE_TEXT_COVERAGE of one query's words in its
        heading and text, bounded from the BM25 postings without reading it: a pair of CJK characters there is a
        bigram of the clause's indexed passage; any other word is counted as held."""
        bm25 = self.index.bm25
        if bm25.tokenizer_name != "bigram":
            return np.ones(len(positions), dtype=bool)
        may = np.zeros(len(positions), dtype=bool)
        for query in queries:
            words = _words(query)
            held = np.zeros(len(positions), dtype=np.float64)
            for word, weight in words.items():
                held += weight * (bm25.holding(word, positions) if cjk_pairs(word) == [word] else 1.0)
            may |= held + BOUND_SLACK >= FREE_TEXT_COVERAGE * sum(words.values())
        return may

    def run(self, profile: EnterpriseProfile, limit: int = 10, exclude_ended: bool = False) -> MatchResult:
        place = self.locate(profile.location)
        encoded: dict[str, np.ndarray] = {}  # typed text -> its query vector, made once per request
        needs, typed_traits = self.understand(profile, encoded)
        traits = {key for t in typed_traits for key in t.facets}
        traits |= {implied for key in list(traits) for implied in TRAITS[key].implies}
        trait_queries = [t.query for t in typed_traits if not t.facets and t.query]
        covering = self.covering_documents(place)
        every = self._validities()
        states = {d: every[d] for d in covering}
        positions, tagged = self._pool_positions([d for d in covering if not exclude_ended or states[d].current], needs)
        need_vecs = self._needs()
        vectors = self.index.dense.rows(positions) if len(positions) else \
            np.zeros((0, need_vecs.shape[1]), dtype=np.float32)
        sims = vectors @ need_vecs.T
        queries = [n.query for n in needs if n.query is not None]
        query_sims = dict(zip(queries, (vectors @ self._query_vectors(queries, encoded).T).T)) \
            if queries and len(positions) else {}
        words = {q: _words(q) for q in [*queries, *trait_queries]}
        free_texts = [words[n.query] for n in needs if not n.facets and n.query is not None]
        wanted = {key for n in needs for k in n.facets for key in (k, TRAIT_OF_NEED.get(k))}
        doc_ids = self.index.layout.doc_at(positions)
        documents = {d: self.index.documents[d] for d in set(doc_ids)}
        priors = {d: self.level_prior * LEVEL_ORDER.get(documents[d].metadata.level or "national", 0)
                  - CURRENT_PRIOR * states[d].rank for d in documents}
        tier_of = {d: 0 if states[d].rank <= _MAY_APPLY else states[d].rank for d in documents}
        tiers = np.array([tier_of[d] for d in doc_ids], dtype=np.int64)
        bounds = self._bounds(needs, traits, len(trait_queries), positions, sims, query_sims)
        bounds += np.array([priors[d] for d in doc_ids], dtype=np.float64)

        def score(row: int) -> tuple[int, float, _Scored] | None:
            position = int(positions[row])
            chunk = self.index.chunks[position]
            if free_texts and not tagged[row] and not any(  # the whole clause holds what it may show
                    _covered(query, f"{chunk.heading} {chunk.text}") >= FREE_TEXT_COVERAGE for query in free_texts):
                return None
            facts = self._facts_of(position, chunk)
            if not facts.measure:
                return None
            visible = visible_part(chunk, place)
            if len(visible.text.strip()) < 8:
                return None
            audience = facts.audience
            if audience and audience not in traits and self.other_audiences == "drop":
                return None
            total, served = 0.0, []
            for need in needs:
                query_sim = float(query_sims[need.query][row]) if need.query in query_sims else None
                need_score, serves = self._need_score(need, chunk, visible, facts.titled, sims[row], query_sim, words)
                if serves:
                    total += need_score
                    served.append(need.text)
            if needs and not served:
                return None
            if not needs:
                total += 5 * (float(sims[row].max()) - 0.85)
            marked = audience is not None and audience not in traits
            # a measure addressed to another kind of organisation is not written for the enterprise's trait
            written_for = [] if marked else [key for key in traits if key in chunk.traits and (
                TRAITS[key].pattern.search(chunk.heading) or TRAITS[key].pattern.search(visible.text))]
            total += TRAIT_WEIGHT * len(written_for)
            total += sum(_covered(words[query], f"{chunk.heading} {visible.text}") for query in trait_queries)
            total -= OTHER_TRAIT_PENALTY * sum(1 for key in facts.heading_traits
                                               if key not in traits and key not in wanted)
            total -= AUDIENCE_PENALTY if marked else 0.0
            document = documents[chunk.doc_id]
            total += self.level_prior * LEVEL_ORDER.get(document.metadata.level or "national", 0)
            state = states[chunk.doc_id]
            return int(tiers[row]), total - CURRENT_PRIOR * state.rank, _Scored(
                position, chunk, visible, total, served, written_for, state, AUDIENCE_LABEL[audience] if marked else "")

        measures = []
        for ranked in _spread(_Pool(tiers, bounds, score), limit):
            measure = self._measure(ranked.chunk, ranked.visible, ranked.score, ranked.served, ranked.traits,
                                    ranked.state, needs, ranked.audience)
            measure.successor_measure = self._successor_measure(measure, ranked.position)
            measures.append(measure)
        unmatched = [n.text for n in needs if not any(n.text in m.needs for m in measures)]
        return MatchResult(profile, place, covering, measures, unmatched, [*needs, *typed_traits])

    def _query_vectors(self, queries: list[str], encoded: dict[str, np.ndarray]) -> np.ndarray:
        """The queries' vectors, embedding only those not embedded yet in this request."""
        missing = [q for q in dict.fromkeys(queries) if q not in encoded]
        if missing:
            encoded.update(zip(missing, self.encoder.encode_queries(missing)))
        return np.vstack([encoded[q] for q in queries])

    def _bounds(self, needs: list[Understood], traits: set[str], trait_queries: int, positions: np.ndarray,
                sims: np.ndarray, query_sims: dict[str, np.ndarray]) -> np.ndarray:
        """For each clause, a score it cannot exceed (before the level and validity priors): each need at most
        fully tagged, mentioned and worded (a taxonomy need only where tagged), each trait where tagged, each
        free-text trait fully worded; the similarities are the clause's own."""
        bounds = np.zeros(len(positions), dtype=np.float64)
        if not len(positions):
            return bounds
        keys = list(NEEDS)
        for need in needs:
            part = np.zeros(len(positions), dtype=np.float64)
            if need.facets:
                best = np.max(sims[:, [keys.index(k) for k in need.facets]], axis=1).astype(np.float64)
                part = np.maximum(0.0, 1.0 + MENTION_WEIGHT + 5 * (best - 0.85))
            if need.query is not None:
                part = part + QUERY_WEIGHT + 5 * (query_sims[need.query].astype(np.float64) - 0.85)
            if need.facets:
                part = np.where(np.isin(positions, self.index.tagged_positions(NEED_TAG, need.facets, positions)),
                                part, 0.0)
            bounds += np.maximum(0.0, part)
        if not needs:
            bounds += 5 * (sims.max(axis=1).astype(np.float64) - 0.85)
        for key in traits:
            bounds += TRAIT_WEIGHT * np.isin(positions, self.index.tagged_positions(TRAIT_TAG, [key], positions))
        return bounds + trait_queries

    def _successor_measure(self, measure: MatchedMeasure, position: int) -> SuccessorMeasure | None:
        """In the plan that replaced this one, the clause closest to this measure, if one is close enough."""
        successor = measure.validity.successor
        if not successor or successor not in self.index.documents:
            return None
        document = self.index.documents[successor]
        candidates = [(p, c) for p in self.index.layout.positions([successor]).tolist()
                      if self._facts_of(p, c := self.index.chunks[p]).measure]
        if not candidates:
            return None
        own = self.index.dense.rows([position])[0]
        theirs = self.index.dense.rows([p for p, _ in candidates])
        similarities = theirs @ own
        best = int(np.argmax(similarities))  # the first of equals, in position order
        if float(similarities[best]) < SUCCESSOR_SIMILARITY:
            return None
        chunk = candidates[best][1]
        return SuccessorMeasure(successor, document.metadata.title, chunk.section, chunk.heading)

    def _measure(self, chunk: Chunk, visible: _Visible, score: float, served: list[str], traits: list[str],
                 state: Validity, needs: list[Understood], audience: str) -> MatchedMeasure:
        document = self.index.documents[chunk.doc_id]
        wanted = [n for n in needs if n.text in served]
        wording = " ".join([*(NEEDS[k].description for n in wanted for k in n.facets),
                            *(n.query for n in wanted if n.query), *traits]) or chunk.heading
        start, end = chunk.start, chunk.end
        if visible.hidden:
            sentences = best_sentences(visible.text, wording, limit=2)
            offer = shorten("".join(s.text for s in sentences) or visible.text, 160)
            if sentences:  # cite the best kept sentence, not the confined ones around it
                best = max(sentences, key=lambda s: s.score)
                start, end = self._chunk_offsets(chunk, visible, best.start, best.start + len(best.text))
        else:
            sentences = best_sentences(body_text(chunk), wording, limit=2)
            offer = shorten("".join(s.text for s in sentences) or chunk.text, 160)
        lead = ""
        if chunk.responsibility:
            units = chunk.responsibility.lead or chunk.responsibility.responsible
            lead = "、".join(units[:4])
        citation = Citation(doc_id=chunk.doc_id, title=document.metadata.title, section=chunk.section,
                            heading=chunk.heading, quote=document.text[start:end], start=start, end=end,
                            score=round(score, 4))
        return MatchedMeasure(chunk, round(score, 4), served, traits, offer, lead, document.metadata.level or "",
                              state, citation, audience, list(visible.regions))

    @staticmethod
    def _chunk_offsets(chunk: Chunk, visible: _Visible, start: int, end: int) -> tuple[int, int]:
        """Document offsets of a stretch of the visible text (the clause's text is the document's slice)."""
        position = 0
        for a, b in visible.pieces:
            length = b - a
            if position <= start < position + length:
                begin = a + (start - position)
                return chunk.start + begin, chunk.start + min(b, begin + (end - start))
            position += length
        return chunk.start, chunk.end
