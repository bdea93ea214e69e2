"""Scoring the matcher against hand-labelled profiles (bench/match_gold.jsonl).

precision@5: share of the first five measures whose (document, section) is labelled relevant;
recall@k: share of the labelled sections among the first k; out-of-jurisdiction: measures from a
document that does not cover the profile's location; ended-unmarked: measures of an ended or
superseded plan shown without their validity label.  The last two must be zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.geo import gazetteer
from assistant.matching.matcher import EnterpriseProfile, MatchResult
from assistant.matching.validity import IN_FORCE


@dataclass(frozen=True)
class ProfileCase:
    id: str
    profile: EnterpriseProfile
    relevant: frozenset[tuple[str, str]]


def load_cases(path: Path) -> list[ProfileCase]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            cases.append(ProfileCase(str(row["id"]), EnterpriseProfile(**row["profile"]),
                                     frozenset((r["doc"], r["section"]) for r in row.get("relevant", []))))
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}:{number}: not a profile case ({err})") from err
    return cases


@dataclass
class MatchReport:
    cases: int
    precision_at_5: float
    best_possible_precision_at_5: float  # with fewer than five relevant sections, 1.0 is out of reach
    recall_at_k: float
    k: int
    out_of_jurisdiction: int
    ended_unmarked: int
    per_case: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {key: (round(value, 4) if isinstance(value, float) else value) for key, value in vars(self).items()}


def _covers(result: MatchResult, doc_level: str | None, region_code: str | None) -> bool:
    if doc_level == "national":
        return True
    if result.place is None or region_code is None:
        return False
    region = gazetteer().by_code(region_code)
    return region is not None and result.place.within(region)


def evaluate_matcher(run, index, cases: list[ProfileCase], k: int = 10) -> MatchReport:
    """``run(profile, limit)`` returns a MatchResult."""
    precisions, ceilings, recalls, per_case = [], [], [], []
    outside = unmarked = 0
    for case in cases:
        result = run(case.profile, k)
        keys = [(m.chunk.doc_id, m.chunk.section) for m in result.measures]
        top5 = keys[:5]
        if top5:
            precisions.append(sum(key in case.relevant for key in top5) / len(top5))
            ceilings.append(min(len(case.relevant), len(top5)) / len(top5))
        if case.relevant:
            recalls.append(len(set(keys[:k]) & case.relevant) / len(case.relevant))
        for measure in result.measures:
            meta = index.documents[measure.chunk.doc_id].metadata
            outside += not _covers(result, meta.level, meta.region_code)
            unmarked += measure.validity.status != IN_FORCE and not measure.validity.label
        per_case.append({"id": case.id, "top5": [f"{d[:12]} {s}" for d, s in top5],
                         "hits5": sum(key in case.relevant for key in top5), "relevant": len(case.relevant)})
    return MatchReport(
        cases=len(cases),
        precision_at_5=sum(precisions) / len(precisions) if precisions else 0.0,
        best_possible_precision_at_5=sum(ceilings) / len(ceilings) if ceilings else 0.0,
        recall_at_k=sum(recalls) / len(recalls) if recalls else 0.0,
        k=k,
        out_of_jurisdiction=outside,
        ended_unmarked=unmarked,
        per_case=per_case,
    )
