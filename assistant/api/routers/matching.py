"""POST /api/match: an enterprise profile in, the measures that apply out, grouped by level."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from assistant.api.deps import AssistantDep
from assistant.api.schemas import JSON_ERRORS, Name, UserInput
from assistant.limits import MAX_NAME_CHARS
from assistant.matching.matcher import EnterpriseProfile, ProfileError
from assistant.matching.presenter import match_to_dict

router = APIRouter(prefix="/api", tags=["match"])


class MatchRequest(UserInput, EnterpriseProfile):
    location: str | None = Field(None, max_length=MAX_NAME_CHARS,
                                 description="Province, city or district, Chinese or pinyin (武汉, Wuhan).")
    traits: list[Name] = Field(default_factory=list, max_length=20)
    needs: list[Name] = Field(default_factory=list, max_length=20)
    limit: int = Field(10, ge=1, le=50, description="Measures to return.")
    exclude_ended: bool = Field(False, description="Leave out plans whose period has ended or that were replaced.")


class MatchResponse(BaseModel):
    profile: dict
    location: dict | None
    covering_documents: list[str]
    groups: list[dict]
    unmatched_needs: list[str]
    understood: list[dict] = Field(description="How each typed need and trait was read: a taxonomy entry or free text.")
    figures_understood: list[str] = Field(default_factory=list,
                                          description="How the description's figures were read (营收3亿 → 营业收入 3亿元).")
    answer: str


@router.post("/match", response_model=MatchResponse, responses=JSON_ERRORS)
def match(request: MatchRequest, assistant: AssistantDep) -> dict:
    """Measures for a profile: location (Chinese or pinyin), traits, needs; each with its citation."""
    profile = EnterpriseProfile(**request.model_dump(exclude={"limit", "exclude_ended"}))
    try:
        result = assistant.match(profile, limit=request.limit, exclude_ended=request.exclude_ended)
    except ProfileError as err:
        raise HTTPException(status_code=422, detail=str(err)) from None
    return match_to_dict(result, assistant.index)
