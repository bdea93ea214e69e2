"""Request and response models of the OpenAI-compatible endpoints (/v1/chat/completions, /v1/models).

Only what the assistant uses is declared; the other parameters chat front ends send (temperature,
max_tokens, stream_options …) are accepted and ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.api.schemas import AskFilters
from assistant.models import Citation

MODEL_ID = "policy-assistant"
MAX_MESSAGES = 200


class ContentPart(BaseModel):
    """One part of a message's content list; only ``text`` parts carry a question."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = Field(description=f"Must be `{MODEL_ID}`.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES,
                                        description="The conversation; the last message is the user's question.")
    stream: bool = Field(False, description="Answer as `chat.completion.chunk` server-sent events ending in [DONE].")
    n: int = Field(1, ge=1, le=1, description="Only one choice is produced.")
    top_k: int | None = Field(None, ge=1, le=20, description="Extension: citations to return (1-20).")
    filters: AskFilters | None = Field(None, description="Extension: restrict to document ids / jurisdictions.")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    """An OpenAI chat completion plus two fields standard clients ignore: `citations`, `abstained`."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL_ID
    choices: list[Choice]
    citations: list[Citation] = Field(description="The cited spans, numbered as the [n] markers in the text.")
    abstained: bool = Field(description="True when the documents do not answer the question.")
    resolved_question: str | None = None


class ModelCard(BaseModel):
    id: str = MODEL_ID
    object: Literal["model"] = "model"
    created: int
    owned_by: str = MODEL_ID


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorBody(BaseModel):
    error: OpenAIErrorDetail
