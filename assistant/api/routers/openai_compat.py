"""OpenAI-compatible endpoints, so chat front ends (Open WebUI, LobeChat, Chatbox, Cherry Studio) and
the official SDKs can use the assistant as a model named ``policy-assistant``:

- ``GET /v1/models`` and ``GET /v1/models/policy-assistant``;
- ``POST /v1/chat/completions``: the messages become the question (the last user message) and the
  history (earlier user/assistant pairs); the reply keeps its ``[n]`` markers and ends with a
  sources list, and the structured citations travel in an extra ``citations`` field.  With
  ``stream: true`` the same reply comes as ``chat.completion.chunk`` server-sent events ending in
  ``data: [DONE]``.

Errors use OpenAI's shape ``{"error": {"message", "type", "param", "code"}}``.  When
``POLICY_ASSISTANT_OPENAI_API_KEY`` is set, requests must send it as ``Authorization: Bearer …``.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException  # FastAPI's own body-parsing errors are this class

from assistant.api.deps import AssistantDep
from assistant.api.openai_schemas import (
    MODEL_ID,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    ChatMessage,
    Choice,
    ModelCard,
    ModelList,
    OpenAIErrorBody,
)
from assistant.api.routers.ask import PIECE_CHARS
from assistant.models import Answer, Citation, Turn
from assistant.retrieval.retriever import Filters
from assistant.service import PolicyAssistant, QuestionError
from assistant.understanding.conversation import MAX_HISTORY_TURNS

SOURCES_HEADING = "来源："
NEAREST_HEADING = "相近条款（仅供参考）："


class OpenAIError(Exception):
    """An error answered in OpenAI's error shape."""

    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code
        self.headers = headers

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        return JSONResponse(status_code=self.status, content=body, headers=self.headers)


def _validation_error(exc: RequestValidationError) -> OpenAIError:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return OpenAIError(400, "请求体不是合法的 JSON", code="invalid_json")
    first = errors[0] if errors else {}
    param = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
    message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
    return OpenAIError(400, f"{param}: {message}" if param else message, param=param, code="invalid_value")


class OpenAIRoute(APIRoute):
    """Answers every failure of these routes in OpenAI's error shape, not the app's own."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except OpenAIError as err:
                return err.response()
            except RequestValidationError as exc:
                return _validation_error(exc).response()
            except QuestionError as err:
                return OpenAIError(400, str(err), param="messages", code="invalid_question").response()
            except HTTPException as exc:
                return OpenAIError(exc.status_code, str(exc.detail), code=None).response()

        return route


def require_key(assistant: AssistantDep, authorization: Annotated[str | None, Header()] = None) -> PolicyAssistant:
    """Checks the bearer key when one is configured."""
    expected = assistant.settings.openai_api_key
    if expected:
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not given or not secrets.compare_digest(given.encode(), expected.encode()):
            raise OpenAIError(401, "API key 缺失或不正确（请在 Authorization: Bearer 中提供）",
                              code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
    return assistant


KeyedAssistant = Annotated[PolicyAssistant, Depends(require_key)]
ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": OpenAIErrorBody} for status in (400, 401, 404)}
router = APIRouter(prefix="/v1", tags=["openai-compatible"], route_class=OpenAIRoute, responses=ERRORS)


# ---- messages -> question + history ----------------------------------------------------------


def message_text(message: ChatMessage, position: int) -> str:
    """The text of a message; a content list may hold text parts only."""
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    texts = []
    for part in message.content:
        if part.type != "text":
            raise OpenAIError(400, f"messages[{position}]: 只支持文字内容，不支持 {part.type}",
                              param=f"messages.{position}.content", code="unsupported_content")
        texts.append(part.text or "")
    return "\n".join(texts)


def without_sources(reply: str) -> str:
    """An earlier reply of ours without its sources list (history needs the answer only)."""
    for heading in (SOURCES_HEADING, NEAREST_HEADING):
        reply = reply.split(f"\n\n{heading}\n", 1)[0]
    return reply


def conversation(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The question (the last user message) and the earlier user/assistant pairs as turns.
    System and tool messages are ignored; a user message left unanswered is dropped."""
    spoken = [(i, m) for i, m in enumerate(messages) if m.role in ("user", "assistant")]
    if not spoken or spoken[-1][1].role != "user":
        raise OpenAIError(400, "最后一条消息必须是用户的问题（role 为 user）", param="messages", code="invalid_messages")
    pairs: list[tuple[int, str, str]] = []
    pending: str | None = None
    for position, message in spoken[:-1]:
        text = message_text(message, position)
        if message.role == "user":
            pending = text
        elif pending is not None:
            pairs.append((position, pending, without_sources(text)))
            pending = None
    turns = []
    for position, question, answer in pairs[-MAX_HISTORY_TURNS:]:  # the assistant reads the last turns only
        try:
            turns.append(Turn(question=question, answer=answer))
        except ValidationError as err:
            reason = str(err.errors()[0].get("msg", "invalid")).removeprefix("Value error, ")
            raise OpenAIError(400, f"messages[{position}] 之前的一轮对话无法作为上文：{reason}",
                              param=f"messages.{position}", code="invalid_history") from None
    position, last = spoken[-1]
    return message_text(last, position), turns


# ---- the reply -------------------------------------------------------------------------------


def sources_text(citations: list[Citation], abstained: bool) -> str:
    """The sources list closing a reply: one line per citation with title, section and quote."""
    if not citations:
        return ""
    lines = [NEAREST_HEADING if abstained else SOURCES_HEADING]
    for n, c in enumerate(citations, start=1):
        section = f" {c.section}" if c.section else ""
        lines.append(f"- [{n}] 《{c.title}》{section}：“{c.quote}”")
    return "\n".join(lines)


def reply_text(answer: Answer) -> str:
    sources = sources_text(answer.citations, answer.abstained)
    return f"{answer.answer}\n\n{sources}" if sources else answer.answer


def _ask(assistant: PolicyAssistant, request: ChatCompletionRequest) -> Answer:
    if request.model != MODEL_ID:
        raise OpenAIError(404, f"模型 '{request.model}' 不存在；可用的模型：{MODEL_ID}", param="model",
                          code="model_not_found")
    question, history = conversation(request.messages)
    filters = Filters(doc_ids=frozenset(request.filters.doc_ids) if request.filters else frozenset(),
                      jurisdictions=frozenset(request.filters.jurisdictions) if request.filters else frozenset())
    return assistant.ask(question, request.top_k, filters, history)


def _chunk(completion_id: str, created: int, delta: dict[str, Any], finish: str | None = None,
           extra: dict[str, Any] | None = None) -> str:
    body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **(extra or {})}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def completion_chunks(completion_id: str, created: int, answer: Answer) -> Iterator[str]:
    """The role, the reply in pieces, a closing chunk with the citations, then [DONE]."""
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""})
    text = reply_text(answer)
    for start in range(0, len(text), PIECE_CHARS):
        yield _chunk(completion_id, created, {"content": text[start:start + PIECE_CHARS]})
    yield _chunk(completion_id, created, {}, "stop",
                 {"citations": [c.model_dump() for c in answer.citations], "abstained": answer.abstained})
    yield "data: [DONE]\n\n"


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={200: {"content": {"text/event-stream": {}}}})
def chat_completions(request: ChatCompletionRequest, assistant: KeyedAssistant) -> ChatCompletion | StreamingResponse:
    """An answer with citations in OpenAI's chat-completion format (`stream: true` for SSE chunks)."""
    answer = _ask(assistant, request)
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if request.stream:
        return StreamingResponse(completion_chunks(completion_id, created, answer), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    return ChatCompletion(id=completion_id, created=created,
                          choices=[Choice(message=AssistantMessage(content=reply_text(answer)))],
                          citations=answer.citations, abstained=answer.abstained,
                          resolved_question=answer.resolved_question)


def _model_card(assistant: PolicyAssistant) -> ModelCard:
    built = assistant.current().index.manifest.get("created")
    try:
        created = int(datetime.fromisoformat(built).timestamp()) if built else 0
    except ValueError:
        created = 0
    return ModelCard(created=created)


@router.get("/models", response_model=ModelList)
def list_models(assistant: KeyedAssistant) -> ModelList:
    """The one model: `policy-assistant`."""
    return ModelList(data=[_model_card(assistant)])


@router.get("/models/{model}", response_model=ModelCard)
def get_model(model: str, assistant: KeyedAssistant) -> ModelCard:
    if model != MODEL_ID:
        raise OpenAIError(404, f"模型 '{model}' 不存在；可用的模型：{MODEL_ID}", param="model", code="model_not_found")
    return _model_card(assistant)
