"""Data passed between the stages: parsed documents, sections, chunks and answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from assistant.limits import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, UserInput


@dataclass(frozen=True)
class Responsibility:
    """Who carries out a measure, as the clause's annotation states it."""

    lead: list[str]
    responsible: list[str]
    notes: list[str]
    start: int  # offsets of the annotation in the document's cleaned text
    end: int

    def units(self) -> list[str]:
        return [*self.lead, *self.responsible]

    def describe(self) -> str:
        parts = []
        if self.lead:
            parts.append("牵头单位：" + "、".join(self.lead))
        if self.responsible:
            parts.append("责任单位：" + "、".join(self.responsible))
        return "；".join(parts)


@dataclass(frozen=True)
class Section:
    """A numbered (or lead-sentence labelled) part of a document."""

    path: str  # as the document numbers it, e.g. "二、(四) 4."
    heading: str
    kind: str  # chapter, article, cn_item, paren_cn, arabic, box, table, ...
    depth: int
    start: int
    end: int


@dataclass(frozen=True)
class Period:
    start_year: int
    end_year: int
    label: str  # as written, e.g. "十四五" or "2022—2025年"


IN_FORCE, AMENDED, REPEALED, NOT_YET_IN_FORCE = "in_force", "amended", "repealed", "not_yet_in_force"
LEGAL_STATUSES = (IN_FORCE, AMENDED, REPEALED, NOT_YET_IN_FORCE)


@dataclass(frozen=True)
class DocumentMetadata:
    title: str
    issuer: str | None = None
    publisher: str | None = None
    number: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd
    jurisdiction: str | None = None  # short name: "国家", "四川", "武汉" ...
    jurisdiction_full: str | None = None  # "四川省", "武汉市" ...
    level: str | None = None  # national / province / city / district
    period: Period | None = None
    region_code: str | None = None  # administrative division code; None for national documents
    supersedes: str | None = None  # doc_id of the plan this one replaces
    # legal status as the document (its 效力信息 block, front matter, text), a sidecar or flags state it;
    # what holds on a given day (repealed by another document, not yet in force …) is judged by
    # assistant.validity
    effective_date: str | None = None  # ISO; 施行日期 (本条例自…起施行)
    promulgated_date: str | None = None  # ISO; 通过／批准／公布 date of this text
    expiry_date: str | None = None  # ISO; last day of validity (有效期至…, 有效期N年)
    status: str | None = None  # stated: in_force / amended / repealed / not_yet_in_force (LEGAL_STATUSES)
    repeals: tuple[str, ...] = ()  # titles (without 《》) or doc_ids of documents this one repeals
    source: str | None = None  # where the text was taken from: the 来源 line, front matter or URL
    title_inferred: bool = False  # no title line, front matter or sidecar gave the title

    def __post_init__(self) -> None:
        if not isinstance(self.repeals, tuple):  # read back from JSON as a list
            object.__setattr__(self, "repeals", tuple(self.repeals or ()))


@dataclass(frozen=True)
class RegionSpan:
    """A sentence of a clause that confines itself to a region (成渝地区双城经济圈, 深圳, 中国(广西)自由贸易试验区)."""

    name: str  # the region as the text names it
    codes: tuple[str, ...]  # division codes (provinces, cities or districts) the region covers
    start: int  # offsets of the sentence within the chunk text
    end: int


@dataclass(frozen=True)
class Chunk:
    """The unit of retrieval: one clause (or piece of a long clause, or table row)."""

    chunk_id: str
    doc_id: str
    section: str
    heading: str
    start: int
    end: int
    text: str  # what a reader sees: the clause text, or a table row as a statement
    kind: str = "clause"  # clause / table_row / table_note
    responsibility: Responsibility | None = None
    row: dict[str, str] | None = None
    needs: tuple[str, ...] = ()  # needs the clause serves (融资/质押, 保险 …), tagged at indexing
    traits: tuple[str, ...] = ()  # enterprise traits it names (专精特新, 高校/科研院所 …)
    regions: tuple[RegionSpan, ...] = ()  # sentences confined to a region, tagged at indexing

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        resp = data.get("responsibility")
        return cls(**{**data, "responsibility": Responsibility(**resp) if resp else None,
                      "needs": tuple(data.get("needs", ())), "traits": tuple(data.get("traits", ())),
                      "regions": tuple(RegionSpan(r["name"], tuple(r["codes"]), r["start"], r["end"])
                                       for r in data.get("regions", ()))})


@dataclass
class ParsedDocument:
    doc_id: str
    source: str
    content_hash: str
    text: str  # cleaned text; every offset refers to it
    metadata: DocumentMetadata
    sections: list[Section]
    chunks: list[Chunk]
    dropped_lines: list[tuple[str, str]] = field(default_factory=list)  # (line, reason)

    def summary(self) -> dict[str, Any]:
        meta = asdict(self.metadata)
        return {"doc_id": self.doc_id, **meta, "sections": len(self.sections), "chunks": len(self.chunks)}


# ---- the answer contract (JSON) -------------------------------------------------------------


class Citation(BaseModel):
    doc_id: str
    title: str
    section: str
    quote: str
    start: int
    end: int
    score: float
    heading: str = ""


class Turn(UserInput):
    """An earlier turn of the conversation, bounded like a question (the answer like an answer)."""

    question: str = Field(max_length=MAX_QUESTION_CHARS)
    answer: str = Field(max_length=MAX_ANSWER_CHARS)


class Answer(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = Field(default_factory=list)
    intent: str | None = None  # who_leads / support / figure / locate / general
    resolved_question: str | None = None  # a follow-up read with the previous turn
