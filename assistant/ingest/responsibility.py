"""Parsing responsibility annotations: who leads (牵头) and who shares (责任/按职责分工负责) a measure.

Shapes handled (parentheses ASCII or full width, separators 、，,；;):
  (牵头单位:A,B〈含…,下同〉;责任单位:C、D)      (责任单位:A、B)
  (A牵头,B、C等按职责分工负责)                   (A、B等按职责分工负责)
  (A负责)                                         (A与B按职责分工负责)
"""

from __future__ import annotations

import re

from assistant.models import Responsibility

_OPEN, _CLOSE = "(（", ")）"
_ANNOTATION = re.compile(r"[(（]([^()（）]{2,600})[)）]")
_LABELLED = re.compile(r"(牵头单位|责任单位|配合单位|参与单位)\s*[:：]")
_DUTY_TAIL = re.compile(r"(等)?(按职责分工|按照职责分工|分工)?负责$")


def split_units(text: str) -> tuple[list[str], list[str]]:
    """Split a unit list into single units, taking out notes in 〈…〉 or <…>; returns (units, notes)."""
    notes = [n.strip() for n in re.findall(r"[〈<]([^〉>]*)[〉>]", text)]
    text = re.sub(r"[〈<][^〉>]*[〉>]", "", text)
    units = []
    for part in re.split(r"[、，,；;]", text):
        part = part.strip().rstrip("等").strip()
        if part:
            units.append(part)
    return units, notes


def _labelled(body: str) -> tuple[list[str], list[str], list[str]] | None:
    found = list(_LABELLED.finditer(body))
    if not found or found[0].start() != 0:
        return None
    lead: list[str] = []
    responsible: list[str] = []
    notes: list[str] = []
    for k, match in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(body)
        units, unit_notes = split_units(body[match.end():end])
        (lead if match.group(1) == "牵头单位" else responsible).extend(units)
        notes.extend(unit_notes)
    return lead, responsible, notes


def _narrative(body: str) -> tuple[list[str], list[str], list[str]] | None:
    """(A牵头,B等按职责分工负责) / (A、B等按职责分工负责) / (A负责)."""
    if not body.endswith("负责"):
        return None
    lead: list[str] = []
    rest = body
    found = re.match(r"^([^,，;；]{2,60}?)牵头[,，;；]\s*", body)
    if found:
        lead, _ = split_units(found.group(1))
        rest = body[found.end():]
    rest = _DUTY_TAIL.sub("", rest)
    rest = re.sub(r"(?<=[^\s])与(?=[^\s])", "、", rest)
    units, notes = split_units(rest)
    if not units and not lead:
        return None
    if any(len(u) > 40 for u in units):
        return None  # a sentence in parentheses, not a list of units
    if not found and body.endswith("负责") and not re.search(r"按.{0,4}职责.{0,4}负责$", body) and len(units) == 1:
        return [], units, notes  # (国家知识产权局负责)
    return lead, units, notes


def find_responsibility(text: str, offset: int = 0) -> Responsibility | None:
    """The last responsibility annotation in a clause's text (offset = the clause's start)."""
    for match in reversed(list(_ANNOTATION.finditer(text))):
        body = match.group(1).strip()
        parsed = _labelled(body) or _narrative(body)
        if parsed:
            lead, responsible, notes = parsed
            return Responsibility(
                lead=lead,
                responsible=responsible,
                notes=notes,
                start=offset + match.start(),
                end=offset + match.end(),
            )
    return None
