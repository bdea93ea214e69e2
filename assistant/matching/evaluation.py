"""Scoring the matcher against hand-labelled profiles (bench/match_gold.jsonl, bench/match_audience.jsonl).

Each gold row: ``profile`` (location, traits, needs — free text allowed), ``relevant`` sections,
optionally ``corpus`` (``bundled``: the five bundled policies, the default; ``extra``: those plus
``../shared/corpus/extra``) and ``forbidden`` region traps (a section whose shown text must not
carry a phrase that confines it to a region the enterprise is outside).

precision@5: share of the first five measures whose (document, section) is labelled relevant;
recall@k: share of the labelled sections among the first k; refused: profiles the matcher rejected;
out-of-jurisdiction: measures from a document that does not cover the profile's location;
region leaks: forbidden phrases shown; audience errors: measures addressed to another kind of
organisation (bench/match_audience.jsonl) shown to a profile without that trait and not marked;
ended-unmarked: measures of an ended or superseded document shown without their validity label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from assistant.geo import gazetteer
from assistant.matching.matcher import EnterpriseProfile, MatchResult, ProfileError
from assistant.validity import IN_FORCE

BUNDLED, EXTRA = "bundled", "extra"


@dataclass(frozen=True)
class RegionTrap:
    doc: str
    section: str
    text: str


@dataclass(frozen=True)
class ProfileCase:
    id: str
    profile: dict[str, Any]  # as a user would send it to /api/match
    relevant: frozenset[tuple[str, str]]
    corpus: str = BUNDLED
    forbidden: tuple[RegionTrap, ...] = ()


def _rows(path: Path) -> list[tuple[int, dict]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append((number, json.loads(line)))
            except ValueError as err:
                raise ValueError(f"{path}:{number}: not JSON ({err})") from err
    return rows


def load_cases(path: Path, corpus: str | None = None) -> list[ProfileCase]:
    """The labelled profiles of ``path``; with ``corpus``, only those labelled over that corpus."""
    cases = []
    for number, row in _rows(path):
        try:
            case = ProfileCase(
                str(row["id"]), dict(row["profile"]),
                frozenset((r["doc"], r["section"]) for r in row.get("relevant", [])),
                row.get("corpus", BUNDLED),
                tuple(RegionTrap(f["doc"], f["section"], f["text"]) for f in row.get("forbidden", [])))
        except (KeyError, TypeError) as err:
            raise ValueError(f"{path}:{number}: not a profile case ({err})") from err
        if corpus is None or case.corpus == corpus:
            cases.append(case)
    return cases


def load_audiences(path: Path) -> dict[tuple[str, str], str]:
    """(document, section) -> the kind of organisation the measure is addressed to."""
    try:
        return {(row["doc"], row["section"]): row["audience"] for _, row in _rows(path)}
    except (KeyError, TypeError) as err:
        raise ValueError(f"{path}: not an audience label file ({err})") from err


@dataclass
class MatchReport:
    cases: int
    precision_at_5: float
    best_possible_precision_at_5: float  # with fewer than five relevant sections, 1.0 is out of reach
    recall_at_k: float
    k: int
    refused: int  # profiles the matcher rejected (free text it could not take)
    out_of_jurisdiction: int
    out_of_jurisdiction_rate: float  # per measure shown
    region_leaks: int
    audience_errors: int
    ended_unmarked: int
    ended_unmarked_rate: float  # per ended or superseded measure shown
    per_case: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {key: (round(value, 4) if isinstance(value, float) else value) for key, value in vars(self).items()}

    def summary(self) -> str:
        return (f"profiles {self.cases}: precision@5 {self.precision_at_5:.3f} "
                f"(best possible {self.best_possible_precision_at_5:.3f}), recall@{self.k} {self.recall_at_k:.3f}, "
                f"refused {self.refused}, out-of-jurisdiction measures {self.out_of_jurisdiction} "
                f"({self.out_of_jurisdiction_rate:.3f}), region leaks {self.region_leaks}, "
                f"audience errors {self.audience_errors}, ended plans shown unmarked {self.ended_unmarked} "
                f"({self.ended_unmarked_rate:.3f})")


def _covers(result: MatchResult, doc_level: str | None, region_code: str | None) -> bool:
    if doc_level == "national":
        return True
    if result.place is None or region_code is None:
        return False
    region = gazetteer().by_code(region_code)
    return region is not None and result.place.within(region)


def _shown_text(measure) -> str:
    return f"{measure.offer}\n{measure.citation.quote}"


def evaluate_matcher(run: Callable[[EnterpriseProfile, int], MatchResult], index, cases: list[ProfileCase],
                     k: int = 10, audiences: dict[tuple[str, str], str] | None = None) -> MatchReport:
    """``run(profile, limit)`` returns a MatchResult; a profile the matcher refuses counts as refused
    and scores zero."""
    audiences = audiences or {}
    precisions, ceilings, recalls, per_case = [], [], [], []
    refused = outside = shown = leaks = audience_errors = unmarked = ended = 0
    for case in cases:
        try:
            profile = EnterpriseProfile(**case.profile)
            result = run(profile, k)
        except (ValidationError, ProfileError) as err:
            refused += 1
            precisions.append(0.0)
            ceilings.append(min(len(case.relevant), 5) / 5)
            recalls.append(0.0)
            per_case.append({"id": case.id, "refused": str(err).splitlines()[0]})
            continue
        keys = [(m.chunk.doc_id, m.chunk.section) for m in result.measures]
        top5 = keys[:5]
        if top5:
            precisions.append(sum(key in case.relevant for key in top5) / len(top5))
            ceilings.append(min(len(case.relevant), len(top5)) / len(top5))
        if case.relevant:
            recalls.append(len(set(keys[:k]) & case.relevant) / len(case.relevant))
        case_leaks = case_audience = 0
        for measure in result.measures[:k]:
            key = (measure.chunk.doc_id, measure.chunk.section)
            meta = index.documents[measure.chunk.doc_id].metadata
            shown += 1
            outside += not _covers(result, meta.level, meta.region_code)
            ended += measure.validity.status != IN_FORCE
            unmarked += measure.validity.status != IN_FORCE and not measure.validity.label
            case_leaks += sum((trap.doc, trap.section) == key and trap.text in _shown_text(measure)
                              for trap in case.forbidden)
            audience = audiences.get(key)
            case_audience += bool(audience and audience not in profile.traits and not getattr(measure, "audience", ""))
        leaks += case_leaks
        audience_errors += case_audience
        per_case.append({"id": case.id, "top5": [f"{d[:12]} {s}" for d, s in top5],
                         "hits5": sum(key in case.relevant for key in top5), "relevant": len(case.relevant),
                         "missed": sorted(f"{d[:12]} {s}" for d, s in case.relevant - set(keys[:k])),
                         "region_leaks": case_leaks, "audience_errors": case_audience})
    return MatchReport(
        cases=len(cases),
        precision_at_5=sum(precisions) / len(precisions) if precisions else 0.0,
        best_possible_precision_at_5=sum(ceilings) / len(ceilings) if ceilings else 0.0,
        recall_at_k=sum(recalls) / len(recalls) if recalls else 0.0,
        k=k,
        refused=refused,
        out_of_jurisdiction=outside,
        out_of_jurisdiction_rate=outside / shown if shown else 0.0,
        region_leaks=leaks,
        audience_errors=audience_errors,
        ended_unmarked=unmarked,
        ended_unmarked_rate=unmarked / ended if ended else 0.0,
        per_case=per_case,
    )
