"""POST /api/ask and its streaming twin POST /api/ask/stream (server-sent events)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from assistant.api.deps import AssistantDep
from assistant.api.schemas import JSON_ERRORS, AskRequest
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


@router.post("/ask", response_model=Answer, responses=JSON_ERRORS)
def ask(request: AskRequest, assistant: AssistantDep) -> Answer:
    """Answer a question with citations (the JSON answer contract)."""
    return _ask(assistant, request)


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def answer_events(answer: Answer) -> Iterator[str]:
    """meta, the answer text in pieces, the citations, then done."""
    yield _event("meta", {"intent": answer.intent, "resolved_question": answer.resolved_question})
    text = answer.answer
    for start in range(0, len(text), PIECE_CHARS):
        yield _event("delta", {"text": text[start:start + PIECE_CHARS]})
    yield _event("citations", {"citations": [c.model_dump() for c in answer.citations], "abstained": answer.abstained})
    yield _event("done", {"answer": answer.model_dump()})


@router.post("/ask/stream", responses={200: {"content": {"text/event-stream": {}}}, **JSON_ERRORS})
def ask_stream(request: AskRequest, assistant: AssistantDep) -> StreamingResponse:
    """The same answer as server-sent events: `meta`, several `delta`, `citations`, `done`.  The answer
    is made before the stream starts, so a refused question is a 422 like /api/ask, never an event."""
    return StreamingResponse(
        answer_events(_ask(assistant, request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
