"""POST /api/ask and its streaming twin POST /api/ask/stream (server-sent events)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from assistant.api.deps import AssistantDep
from assistant.api.schemas import AskRequest, ErrorBody
from assistant.models import Answer
from assistant.retrieval.retriever import Filters
from assistant.service import PolicyAssistant

router = APIRouter(prefix="/api", tags=["ask"])
PIECE_CHARS = 16


def _ask(assistant: PolicyAssistant, request: AskRequest) -> Answer:
    filters = Filters(
        doc_ids=frozenset(request.filters.doc_ids) if request.filters else frozenset(),
        jurisdictions=frozenset(request.filters.jurisdictions) if request.filters else frozenset(),
    )
    return assistant.ask(request.question, request.top_k, filters, request.history)


@router.post("/ask", response_model=Answer, responses={422: {"model": ErrorBody}, 400: {"model": ErrorBody}})
def ask(request: AskRequest, assistant: AssistantDep) -> Answer:
    """Answer a question with citations (the JSON answer contract)."""
    return _ask(assistant, request)


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def answer_events(assistant: PolicyAssistant, request: AskRequest) -> Iterator[str]:
    """meta, the answer text in pieces, the citations, then done (or one error event)."""
    try:
        answer = _ask(assistant, request)
    except Exception as err:  # noqa: BLE001 - reported to the client as an event, and logged by the caller
        yield _event("error", {"error": f"{err.__class__.__name__}: {err}"})
        return
    yield _event("meta", {"intent": answer.intent, "resolved_question": answer.resolved_question})
    text = answer.answer
    for start in range(0, len(text), PIECE_CHARS):
        yield _event("delta", {"text": text[start:start + PIECE_CHARS]})
    yield _event("citations", {"citations": [c.model_dump() for c in answer.citations], "abstained": answer.abstained})
    yield _event("done", {"answer": answer.model_dump()})


@router.post("/ask/stream", responses={200: {"content": {"text/event-stream": {}}}, 422: {"model": ErrorBody}})
def ask_stream(request: AskRequest, assistant: AssistantDep) -> StreamingResponse:
    """The same answer as server-sent events: `meta`, several `delta`, `citations`, `done`."""
    return StreamingResponse(
        iterate_in_threadpool(answer_events(assistant, request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
