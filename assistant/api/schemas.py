"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from assistant.understanding.conversation import MAX_HISTORY_TURNS
from assistant.models import Citation, Turn

MAX_QUESTION_CHARS = 2000


class AskFilters(BaseModel):
    doc_ids: list[str] = Field(default_factory=list, max_length=50)
    jurisdictions: list[str] = Field(default_factory=list, max_length=50)


class AskRequest(BaseModel):
    question: str = Field(description="The question, 1-2000 characters.")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS,
                                description=f"Earlier turns, at most {MAX_HISTORY_TURNS}.")
    top_k: int | None = Field(None, ge=1, le=20, description="Citations to return (1-20).")
    filters: AskFilters | None = None

    @field_validator("question")
    @classmethod
    def question_is_sensible(cls, value: str) -> str:
        text = value.strip()
        if not text:
            raise ValueError("the question is empty")
        if len(text) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question has {len(text)} characters; the limit is {MAX_QUESTION_CHARS}")
        return text


class FeedbackRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field(min_length=1, max_length=20000)
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=2000)
    citations: list[Citation] = Field(default_factory=list, max_length=50)


class FeedbackCreated(BaseModel):
    id: int


class PeriodOut(BaseModel):
    start_year: int
    end_year: int
    label: str


class RepealOut(BaseModel):
    title: str
    doc_id: str | None = Field(None, description="the indexed document with that title, if any")


class ValidityOut(BaseModel):
    status: str = Field(description="in_force / amended / not_yet_in_force / ended / superseded / expired / repealed, "
                                    "judged on the assistant's date")
    label: str = Field(description="shown to users, e.g. 尚未施行（自2030年5月1日起施行） or 已被《…》废止")
    successor: str | None = None


class DocumentMeta(BaseModel):
    doc_id: str
    title: str
    issuer: str | None
    number: str | None
    date: str | None
    jurisdiction: str | None
    jurisdiction_full: str | None
    level: str | None
    period: PeriodOut | None
    supersedes: str | None = None
    publisher: str | None = None
    source: str | None = Field(None, description="where the text was taken from, as the document or its metadata says")
    effective_date: str | None = Field(None, description="施行日期")
    promulgated_date: str | None = Field(None, description="通过／公布日期 of this text")
    expiry_date: str | None = None
    status: str | None = Field(None, description="the status the document states: in_force / amended / repealed / "
                                                 "not_yet_in_force")
    repeals: list[RepealOut] = Field(default_factory=list)
    title_inferred: bool = Field(False, description="no title line, front matter or sidecar gave the title")
    validity: ValidityOut


class DocumentSummary(DocumentMeta):
    sections: int
    chunks: int


class SectionOut(BaseModel):
    path: str
    heading: str
    kind: str
    depth: int
    start: int
    end: int


class DocumentDetail(DocumentMeta):
    text: str
    sections: list[SectionOut]


class Health(BaseModel):
    status: Literal["ok"]
    index_loaded: bool
    documents: int
    chunks: int
    model: str
    index_dir: str


class ErrorBody(BaseModel):
    error: str
    detail: list[dict] | None = None
