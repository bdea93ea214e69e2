"""Dependencies: the assistant and the feedback store live on the app state, loaded once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.feedback import FeedbackStore
from assistant.service import PolicyAssistant


def get_assistant(request: Request) -> PolicyAssistant:
    return request.app.state.assistant


def get_feedback_store(request: Request) -> FeedbackStore:
    return request.app.state.feedback


AssistantDep = Annotated[PolicyAssistant, Depends(get_assistant)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback_store)]
