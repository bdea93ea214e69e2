"""Turning a match result into the JSON the API returns and the text the chat shows."""

from __future__ import annotations

from typing import Any

from assistant.eligibility.answer import assessment_to_dict, verdict_line
from assistant.text.templates import render
from assistant.geo import gazetteer
from assistant.matching.matcher import LEVEL_LABEL, MatchResult
from assistant.models import Answer


def describe_who(result: MatchResult) -> str:
    place = gazetteer().full_name(result.place) if result.place else "（未注明地区）"
    names = (key for u in result.understood if u.kind == "trait" for key in (u.facets or (u.text,)))
    traits = "、".join(dict.fromkeys(name.removesuffix("企业") for name in names))
    return f"{place}{traits}企业" if traits else f"{place}企业"


def match_to_dict(result: MatchResult, index) -> dict[str, Any]:
    places = gazetteer()
    ranks = {id(m): n for n, m in enumerate(result.measures, start=1)}
    groups = []
    for level, measures in result.groups():
        groups.append({
            "level": level,
            "label": LEVEL_LABEL.get(level, level),
            "measures": [
                {
                    "rank": ranks[id(m)],
                    "doc_id": m.chunk.doc_id,
                    "title": m.citation.title,
                    "section": m.chunk.section,
                    "heading": m.chunk.heading,
                    "offer": m.offer,
                    "lead": m.lead,
                    "needs": m.needs,
                    "traits": m.traits,
                    "period": _period(index, m.chunk.doc_id),
                    "status": m.validity.status,
                    "status_label": m.status_label,
                    "successor": m.validity.successor,
                    "successor_measure": None if m.successor_measure is None else vars(m.successor_measure),
                    "audience": m.audience,
                    "regions": m.regions,
                    "score": m.score,
                    "citation": m.citation.model_dump(),
                    "eligibility": None if m.assessment is None else assessment_to_dict(m.assessment),
                }
                for m in measures
            ],
        })
    return {
        "profile": result.profile.model_dump(),
        "location": None if result.place is None else {
            "name": result.place.name, "full_name": places.full_name(result.place), "level": result.place.level,
            "code": result.place.code,
        },
        "covering_documents": result.covering,
        "groups": groups,
        "unmatched_needs": result.unmatched_needs,
        "understood": [u.to_dict() for u in result.understood],
        "figures_understood": result.figures_understood,
        "answer": match_text(result, index),
    }


def _period(index, doc_id: str) -> dict[str, Any] | None:
    period = index.documents[doc_id].metadata.period
    return None if period is None else {"start_year": period.start_year, "end_year": period.end_year,
                                        "label": period.label}


def match_text(result: MatchResult, index) -> str:
    numbered = {id(m): n for n, m in enumerate(result.measures, start=1)}
    groups = [
        {"label": LEVEL_LABEL.get(level, level),
         "measures": [{"heading": m.chunk.heading, "title": m.citation.title, "section": m.chunk.section,
                       "offer": m.offer, "lead": m.lead, "status_label": m.status_label, "n": numbered[id(m)],
                       "audience": m.audience, "regions": "、".join(m.regions),
                       "verdict": "" if m.assessment is None else verdict_line(m.assessment),
                       "successor": None if m.successor_measure is None else
                       f"《{m.successor_measure.title}》{m.successor_measure.section} {m.successor_measure.heading}"}
                      for m in measures]}
        for level, measures in result.groups()
    ]
    covered = "、".join(index.documents[d].metadata.title for d in result.covering) or "无"
    understood = [u.describe() for u in result.understood if u.how != "taxonomy"] + result.figures_understood
    return render("match.j2", who=describe_who(result), groups=groups, unmatched=result.unmatched_needs,
                  covered=covered, understood=understood)


def match_answer(question: str, result: MatchResult, index, intent: str) -> Answer:
    """A chat answer built from a match: the measures in the order cited."""
    return Answer(question=question, answer=match_text(result, index), abstained=not result.measures,
                  citations=[m.citation for m in result.measures], intent=intent)
