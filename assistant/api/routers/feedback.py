"""POST /api/feedback: thumbs up/down on an answer, stored durably."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status

from assistant.api.deps import FeedbackDep
from assistant.api.schemas import JSON_ERRORS, ErrorBody, FeedbackComment, FeedbackCreated, FeedbackRequest

router = APIRouter(prefix="/api", tags=["feedback"])
SQLITE_MAX_INT = 2**63 - 1


def within_rate(request: Request) -> None:
    """Feedback posts per client address are limited (POLICY_ASSISTANT_FEEDBACK_PER_MINUTE)."""
    client = request.client.host if request.client else "unknown"
    wait = request.app.state.feedback_limiter.retry_after(client)
    if wait is not None:
        raise HTTPException(status_code=429, detail=f"反馈提交过于频繁，请 {wait} 秒后再试",
                            headers={"Retry-After": str(wait)})


@router.post("/feedback", response_model=FeedbackCreated, status_code=status.HTTP_201_CREATED,
             responses={**JSON_ERRORS,
                        429: {"model": ErrorBody, "description": "Too many feedback posts from this client"}})
def add_feedback(feedback: FeedbackRequest, store: FeedbackDep, request: Request) -> FeedbackCreated:
    """Store a thumbs up/down; valid posts count toward the per-client rate limit."""
    within_rate(request)
    citations = [c.model_dump() for c in feedback.citations]
    return FeedbackCreated(id=store.add(feedback.question, feedback.answer, feedback.rating, feedback.comment, citations))


@router.post("/feedback/{feedback_id}/comment", response_model=FeedbackCreated,
             responses={**JSON_ERRORS, 404: {"model": ErrorBody}, 429: {"model": ErrorBody}})
def add_feedback_comment(feedback_id: Annotated[int, Path(ge=1, le=SQLITE_MAX_INT)], body: FeedbackComment,
                         store: FeedbackDep, request: Request) -> FeedbackCreated:
    """A reason added after rating (the page's comment box stays open once 有帮助/没帮助 is sent)."""
    within_rate(request)
    if not store.add_comment(feedback_id, body.comment.strip()):
        raise HTTPException(status_code=404, detail=f"没有编号为 {feedback_id} 的反馈")
    return FeedbackCreated(id=feedback_id)
