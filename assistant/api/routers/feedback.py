"""POST /api/feedback: thumbs up/down on an answer, stored durably."""

from __future__ import annotations

from fastapi import APIRouter, status

from assistant.api.deps import FeedbackDep
from assistant.api.schemas import ErrorBody, FeedbackCreated, FeedbackRequest

router = APIRouter(prefix="/api", tags=["feedback"])


@router.post("/feedback", response_model=FeedbackCreated, status_code=status.HTTP_201_CREATED,
             responses={422: {"model": ErrorBody}})
def add_feedback(feedback: FeedbackRequest, store: FeedbackDep) -> FeedbackCreated:
    citations = [c.model_dump() for c in feedback.citations]
    return FeedbackCreated(id=store.add(feedback.question, feedback.answer, feedback.rating, feedback.comment, citations))
