"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from assistant.limits import (
    MAX_ANSWER_CHARS,
    MAX_CITATIONS,
    MAX_COMMENT_CHARS,
    MAX_HISTORY_TURNS,
    MAX_NAME_CHARS,
    MAX_QUESTION_CHARS,
    QuestionError,
    UserInput,
    validate_question,
)
from assistant.models import Turn

# The request bounds, for every route that takes questions (also /v1/chat/completions): a question
# is QuestionText (checked with the message the service gives), history is a list of Turn.
__all__ = ["MAX_ANSWER_CHARS", "MAX_HISTORY_TURNS", "MAX_QUESTION_CHARS", "Name", "QuestionText", "Turn",
           "UserInput"]

Name = Annotated[str, Field(max_length=MAX_NAME_CHARS)]
QuestionText = Annotated[str, Field(json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS},
                                    description=f"The question, 1-{MAX_QUESTION_CHARS} characters.")]


class AskFilters(BaseModel):
    doc_ids: list[Name] = Field(default_factory=list, max_length=50)
    jurisdictions: list[Name] = Field(default_factory=list, max_length=50)


class AskRequest(UserInput):
    question: QuestionText
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS,
                                description=f"Earlier turns, at most {MAX_HISTORY_TURNS}.")
    top_k: int | None = Field(None, ge=1, le=20, description="Citations to return (1-20).")
    filters: AskFilters | None = None

    @field_validator("question")
    @classmethod
    def question_is_sensible(cls, value: str) -> str:
        try:
            return validate_question(value, MAX_QUESTION_CHARS)
        except QuestionError as err:  # the rule is said once, in assistant.limits
            raise ValueError(str(err)) from None


class FeedbackCitation(BaseModel):
    """A citation of the rated answer, as the answer carried it; every field bounded."""

    doc_id: Name
    title: Name
    section: Name
    quote: str = Field(max_length=MAX_QUESTION_CHARS)
    start: int = Field(ge=0, le=100_000_000)
    end: int = Field(ge=0, le=100_000_000)
    score: float = Field(allow_inf_nan=False)
    heading: Name = ""


class FeedbackRequest(UserInput):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS)
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=MAX_CITATIONS)


class FeedbackCreated(BaseModel):
    id: int


class FeedbackComment(UserInput):
    """A reason added to a rating already sent."""

    comment: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)


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
    query_precision: Literal["float32", "bfloat16"] = Field(description="What questions are embedded in "
                                                            "(QUERY_PRECISION, auto resolved for this CPU).")
    query_traced: bool = Field(description="Whether questions run through a traced model (TRACE_QUESTIONS).")
    version: str = Field(description="The live index version's name (no server paths).")
    pid: int = Field(description="The server process that answered (`serve --workers N` runs N of them).")


class ErrorBody(BaseModel):
    error: str
    detail: list[dict] | None = None


# The errors every JSON route can answer, documented in OpenAPI.
JSON_ERRORS: dict[int | str, dict] = {
    400: {"model": ErrorBody, "description": "Malformed JSON"},
    413: {"model": ErrorBody, "description": "Request body over the size limit (refused before it is read)"},
    422: {"model": ErrorBody, "description": "A missing, over-long or invalid field (also text that is not valid "
                                            "Unicode)"},
}
