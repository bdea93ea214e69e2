"""An assessment as the chat shows it: the verdict word first (符合 / 不符合 / 需核实), the deciding condition
with the company's value and the clause's words, the benefit with its formula, the deadline, each cited."""

from __future__ import annotations

from assistant.eligibility.checker import OPEN_STATUSES, Assessment, Check
from assistant.models import Answer, Chunk, Citation
from assistant.text.sentences import clipped
from assistant.text.templates import render
from assistant.text.thresholds import CHECK, FAILS, MEETS

QUOTE_CHARS = 60  # a condition's words shown in the answer (the citation holds the whole sentence)
SHOWN_CHECKS = 4  # conditions listed under the verdict, deciding ones first
_MARK = {MEETS: "满足", FAILS: "不满足", CHECK: "需核实"}


class _Citations:
    """Numbers the spans cited, in the order the answer first mentions them."""

    def __init__(self, assessment: Assessment):
        self.document = assessment.document
        self.cited: list[Citation] = []

    def cite(self, chunk: Chunk, start: int, end: int) -> int:
        for n, citation in enumerate(self.cited, start=1):
            if citation.start == start and citation.end == end:
                return n
        text = self.document.text
        self.cited.append(Citation(doc_id=chunk.doc_id, title=self.document.metadata.title, section=chunk.section,
                                   heading=chunk.heading, quote=text[start:end], start=start, end=end, score=1.0))
        return len(self.cited)


def _ordered(checks: list[Check]) -> list[Check]:
    rank = {FAILS: 0, CHECK: 1, MEETS: 2}
    return sorted(checks, key=lambda c: rank[c.outcome])


def _reason(assessment: Assessment, first: Check | None) -> str:
    if assessment.verdict == FAILS:
        if first is not None and first.outcome == FAILS:
            value = f"贵公司{first.value}，" if first.value else ""
            return f"{value}不满足“{first.condition.label}”的条件"
        if assessment.validity is not None and assessment.validity.status not in OPEN_STATUSES:
            return f"该文件{assessment.validity.label or '已不再适用'}，不能再按其申报"
        return f"申报已于{assessment.deadline[0].day.isoformat()}截止" if assessment.deadline else "不满足条件"
    if assessment.verdict == CHECK:
        missing = "、".join(dict.fromkeys(assessment.missing))
        if not missing:
            return "所给信息不足以核对文件所列条件，请对照条款补充后再判断"
        return f"所给信息未涉及{missing}，请补充后再判断"
    met = "、".join(dict.fromkeys(c.condition.label for c in assessment.checks if c.outcome == MEETS))
    return f"按所给数据满足{met}等条件" if met else "文件所列条件均无与所给数据相悖之处"


def with_checks_pending(assessment: Assessment, answer: Answer) -> Answer:
    """The reader's answer led by what is still to be checked, when nothing the company stated could be
    weighed against the measure's conditions (its quotes and citations are the reader's, unchanged)."""
    award = assessment.award
    lead = f"{CHECK}：{_reason(assessment, None)}"
    if award is not None and award.formula:
        lead += f"；满足条件时可获支持：{award.formula}"
    return answer.model_copy(update={"answer": f"{lead}\n{answer.answer}"})


def eligibility_answer(question: str, assessment: Assessment, intent: str | None = None) -> Answer:
    cites = _Citations(assessment)
    checks = _ordered(assessment.checks)[:SHOWN_CHECKS]
    text = assessment.document.text
    shown = [{"label": c.condition.label, "value": c.value, "mark": _MARK[c.outcome],
              "quote": clipped(text[c.start:c.end], QUOTE_CHARS), "n": cites.cite(c.chunk, c.start, c.end)}
             for c in checks]
    for chunk, start, end in assessment.unread[:1]:
        shown.append({"label": "其他条件", "value": "", "mark": _MARK[CHECK],
                      "quote": clipped(text[start:end], QUOTE_CHARS), "n": cites.cite(chunk, start, end)})
    award = None
    if assessment.award is not None and assessment.award.formula:
        award = {"formula": assessment.award.formula, "conditional": assessment.verdict != MEETS,
                 "n": cites.cite(assessment.award.chunk, assessment.award.start, assessment.award.end)}
    deadline = None
    if assessment.deadline is not None:
        found, chunk = assessment.deadline
        deadline = {"day": found.day.isoformat(), "open": bool(assessment.window_open),
                    "n": cites.cite(chunk, found.start, found.end)}
    note = assessment.validity.label if assessment.validity is not None and assessment.validity.status not in OPEN_STATUSES else ""
    measure = assessment.measure
    answer = render("eligibility.j2", verdict=assessment.verdict, reason=_reason(assessment, checks[0] if checks else None),
                    checks=shown, award=award, deadline=deadline, validity_note=note,
                    source={"title": assessment.document.metadata.title, "section": measure.section})
    if not cites.cited:
        cites.cite(measure, measure.start, measure.end)
    return Answer(question=question, answer=answer, abstained=False, citations=cites.cited, intent=intent)


def assessment_to_dict(assessment: Assessment) -> dict:
    """An assessment in the JSON a match returns: the verdict, why, each condition, the amount, the deadline."""
    text = assessment.document.text
    checks = _ordered(assessment.checks)
    award = assessment.award
    deadline = assessment.deadline
    return {
        "verdict": assessment.verdict,
        "reason": _reason(assessment, checks[0] if checks else None),
        "checks": [{"condition": c.condition.label, "company_value": c.value or None, "outcome": c.outcome,
                    "quote": text[c.start:c.end], "start": c.start, "end": c.end} for c in checks],
        "missing": list(dict.fromkeys(assessment.missing)),
        "amount_yuan": None if award is None else award.value,
        "formula": None if award is None else award.formula,
        "deadline": None if deadline is None else deadline[0].day.isoformat(),
        "window_open": assessment.window_open,
        "status_label": assessment.validity.label if assessment.validity is not None else "",
    }


def verdict_line(assessment: Assessment) -> str:
    """One line for a match list: 判断：不符合（贵公司3亿元，不满足“营业收入”的条件）；可获支持：20万元。"""
    checks = _ordered(assessment.checks)
    line = f"判断：{assessment.verdict}（{_reason(assessment, checks[0] if checks else None)}）"
    if assessment.award is not None and assessment.award.value is not None and assessment.verdict != FAILS:
        line += f"；可获支持：{assessment.award.formula}"
    if assessment.deadline is not None:
        line += f"；申报截止{assessment.deadline[0].day.isoformat()}" + ("" if assessment.window_open else "（已截止）")
    return line
