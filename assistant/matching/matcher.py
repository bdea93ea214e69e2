"""The matcher: an enterprise profile in, the measures that apply out, grouped by level, cited.

Applicability: the document's jurisdiction covers the enterprise's location (its city, its
province, or national).  Ranking: documents in force first, then ended plans, superseded plans
last; within that, how well the measure serves the needs (tagged wording, then embedding
similarity to the need's description) and the traits (named traits lift, measures aimed only at
another kind of body — universities, IP agencies, state-owned firms — drop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from pydantic import BaseModel, Field, field_validator

from assistant.reading.sentences import best_sentences, body_text, shorten
from assistant.geo import Place, gazetteer
from assistant.ingest.structure import PREAMBLE
from assistant.text.taxonomy import NEEDS, TRAITS, UnknownFacetError, canonical
from assistant.matching.tagging import need_vectors
from assistant.matching.validity import IN_FORCE, Validity, validities
from assistant.models import Chunk, Citation
from assistant.store.index import PolicyIndex, StoredDocument

LEVEL_ORDER = {"national": 0, "province": 1, "city": 2, "district": 3}
LEVEL_LABEL = {"national": "国家", "province": "省级", "city": "市级", "district": "区县级"}
_NOT_MEASURES = re.compile(r"指导思想|基本原则|总体要求|总体思路|发展成就|发展形势|形势背景|规划背景|主要目标|"
                           r"保障措施|组织保障|实施保障|组织领导|加强组织|组织实施|监测评估|考核|督导|党的领导|"
                           r"狠抓工作落实")


class ProfileError(ValueError):
    """A profile the matcher cannot use; the message names the field and the problem."""


class EnterpriseProfile(BaseModel):
    location: str | None = Field(None, description="Province, city or district, Chinese or pinyin (武汉, Wuhan).")
    industry: str | None = Field(None, max_length=100)
    traits: list[str] = Field(default_factory=list, max_length=20)
    needs: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("traits")
    @classmethod
    def known_traits(cls, values: list[str]) -> list[str]:
        try:
            return list(dict.fromkeys(canonical(v, TRAITS, "trait") for v in values if v.strip()))
        except UnknownFacetError as err:
            raise ValueError(str(err)) from None

    @field_validator("needs")
    @classmethod
    def known_needs(cls, values: list[str]) -> list[str]:
        try:
            return list(dict.fromkeys(canonical(v, NEEDS, "need") for v in values if v.strip()))
        except UnknownFacetError as err:
            raise ValueError(str(err)) from None


@dataclass
class MatchedMeasure:
    chunk: Chunk
    score: float
    needs: list[str]
    traits: list[str]
    offer: str
    lead: str
    level: str
    validity: Validity
    citation: Citation


@dataclass
class MatchResult:
    profile: EnterpriseProfile
    place: Place | None
    covering: list[str]  # doc_ids whose jurisdiction covers the location
    measures: list[MatchedMeasure]
    unmatched_needs: list[str] = field(default_factory=list)

    def groups(self) -> list[tuple[str, list[MatchedMeasure]]]:
        levels = sorted({m.level for m in self.measures}, key=lambda lv: LEVEL_ORDER.get(lv, 9))
        return [(level, [m for m in self.measures if m.level == level]) for level in levels]


def section_headings(document: StoredDocument, path: str) -> list[str]:
    """Headings of the numbered sections a clause sits in (二、 (二) -> 总体要求, 基本原则)."""
    tokens = path.split(" ")
    prefixes = {" ".join(tokens[:k]) for k in range(1, len(tokens) + 1)}
    return [s.heading for s in document.sections if s.kind != "paragraph" and s.path in prefixes]


def is_measure(chunk: Chunk, document: StoredDocument) -> bool:
    """A clause that offers something: not a preamble, table, principle, target or safeguard."""
    if chunk.kind != "clause" or chunk.section == PREAMBLE:
        return False
    return not any(_NOT_MEASURES.search(h) for h in [chunk.heading, *section_headings(document, chunk.section)])


class ProfileMatcher:
    def __init__(self, index: PolicyIndex, encoder, today: date):
        self.index = index
        self.encoder = encoder
        self.today = today
        self._need_vectors: np.ndarray | None = None
        self._chunk_vectors: np.ndarray | None = None

    def locate(self, location: str | None) -> Place | None:
        if not location or not location.strip():
            return None
        found = gazetteer().find(location.strip())
        if not found:
            raise ProfileError(f"location: '{location}' is not a province, city or district of China")
        chosen = found[0]
        for other in found[1:]:
            if other.within(chosen):
                chosen = other
        return chosen

    def covering_documents(self, place: Place | None) -> list[str]:
        places = gazetteer()
        covering = []
        for doc_id, document in self.index.documents.items():
            meta = document.metadata
            if meta.level == "national":
                covering.append(doc_id)
            elif place and meta.region_code and (region := places.by_code(meta.region_code)) and place.within(region):
                covering.append(doc_id)
        return covering

    def _similarities(self) -> np.ndarray:
        """(chunks, needs) cosine similarity of every clause to every need description."""
        if self._need_vectors is None:
            self._need_vectors = need_vectors(self.encoder)
            total = self.index.dense.index.ntotal
            self._chunk_vectors = np.vstack([self.index.dense.index.reconstruct(i) for i in range(total)])
        return self._chunk_vectors @ self._need_vectors.T

    def _score(self, chunk: Chunk, sims: np.ndarray, profile: EnterpriseProfile) -> tuple[float, list[str], list[str]]:
        need_keys = list(NEEDS)
        served = [n for n in profile.needs if n in chunk.needs]
        score = 0.0
        for need in profile.needs:
            pattern = NEEDS[need].pattern
            mentions = 3 * len(pattern.findall(chunk.heading)) + len(pattern.findall(chunk.text))
            similarity = float(sims[need_keys.index(need)])
            score += (1.0 if need in chunk.needs else 0.0) + 0.12 * min(mentions, 6) + 5 * (similarity - 0.85)
        if not profile.needs:
            score += 5 * (float(sims.max()) - 0.85)
        traits = [t for t in profile.traits if t in chunk.traits]
        score += 0.5 * len(traits)
        for key in chunk.traits:
            facet = TRAITS[key]
            aimed = facet.pattern.search(chunk.heading) or len(facet.pattern.findall(chunk.text)) >= 2
            if facet.exclusive and key not in profile.traits and aimed:
                score -= 1.0
        return score, served, traits

    def run(self, profile: EnterpriseProfile, limit: int = 10, exclude_ended: bool = False) -> MatchResult:
        place = self.locate(profile.location)
        covering = self.covering_documents(place)
        every = validities(self.index, self.today)
        states = {d: every[d] for d in covering}
        sims = self._similarities()
        scored: list[tuple[tuple, MatchedMeasure]] = []
        for position, chunk in enumerate(self.index.chunks):
            if chunk.doc_id not in states or not is_measure(chunk, self.index.documents[chunk.doc_id]):
                continue
            state = states[chunk.doc_id]
            if exclude_ended and state.status != IN_FORCE:
                continue
            score, served, traits = self._score(chunk, sims[position], profile)
            if profile.needs and not served:
                continue
            measure = self._measure(chunk, score, served, traits, state, profile)
            scored.append(((state.rank, -len(served) - len(traits), -score), measure))
        scored.sort(key=lambda item: item[0])
        measures = self._one_per_section([m for _, m in scored])[:limit]
        unmatched = [n for n in profile.needs if not any(n in m.needs for m in measures)]
        return MatchResult(profile, place, covering, measures, unmatched)

    @staticmethod
    def _one_per_section(measures: list[MatchedMeasure]) -> list[MatchedMeasure]:
        seen: set[tuple[str, str]] = set()
        kept = []
        for measure in measures:
            key = (measure.chunk.doc_id, measure.chunk.section)
            if key not in seen:
                seen.add(key)
                kept.append(measure)
        return kept

    def _measure(self, chunk: Chunk, score: float, served: list[str], traits: list[str], state: Validity,
                 profile: EnterpriseProfile) -> MatchedMeasure:
        document = self.index.documents[chunk.doc_id]
        wording = " ".join([*(NEEDS[n].description for n in served), *traits]) or chunk.heading
        sentences = best_sentences(body_text(chunk), wording, limit=2)
        offer = shorten("".join(s.text for s in sentences) or chunk.text, 160)
        lead = ""
        if chunk.responsibility:
            units = chunk.responsibility.lead or chunk.responsibility.responsible
            lead = "、".join(units[:4])
        citation = Citation(doc_id=chunk.doc_id, title=document.metadata.title, section=chunk.section,
                            heading=chunk.heading, quote=document.text[chunk.start:chunk.end], start=chunk.start,
                            end=chunk.end, score=round(score, 4))
        return MatchedMeasure(chunk, round(score, 4), served, traits, offer, lead, document.metadata.level or "",
                              state, citation)
