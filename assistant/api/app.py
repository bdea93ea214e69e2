"""The FastAPI application: routers per resource, JSON errors, the model and index loaded once."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import __version__
from assistant.api.guards import BodyLimitMiddleware, BodyLimits, SecurityHeadersMiddleware, TrustedHostMiddleware
from assistant.api.ratelimit import RateLimiter
from assistant.api.spread import SpreadConnectionsMiddleware
from assistant.api.routers import (admin, api_docs, ask, documents, feedback, health, matching,
                                  openai_compat, pages)
from assistant.feedback import FeedbackStore
from assistant.runtime import SERVING_LOGGER, limit_threads, thread_counts
from assistant.service import PolicyAssistant, QuestionError
from assistant.settings import Settings

log = logging.getLogger(__name__)
serving_log = logging.getLogger(SERVING_LOGGER)
INTERNAL_ERROR = "服务器内部错误，请稍后再试"


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(status_code=400, content={"error": "malformed JSON body"})
    detail = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
               "message": str(e.get("msg", "")).removeprefix("Value error, ")} for e in errors]
    first = detail[0] if detail else {"field": "", "message": "invalid request"}
    message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    detail = [{key: _printable(value) for key, value in item.items()} for item in detail]
    return JSONResponse(status_code=422, content={"error": _printable(message), "detail": detail})


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse(status_code=exc.status_code, content={"error": _printable(str(exc.detail))},
                        headers=exc.headers)


def _question_error(request: Request, exc: QuestionError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"error": _printable(str(exc))})


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything unexpected: logged with its traceback, answered without internals."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(status_code=500, content={"error": INTERNAL_ERROR})


def _printable(message: str) -> str:
    """A message that always encodes (an echoed lone surrogate must not turn a 4xx into a 500)."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


def create_worker_app() -> FastAPI:
    """The app of one `serve` worker process: settings from the environment (the command line put
    its flags there), compute threads limited before the model loads."""
    settings = Settings()
    limit_threads(settings.threads)
    return create_app(settings)


def create_app(settings: Settings | None = None, assistant: PolicyAssistant | None = None,
               build_if_missing: bool = False) -> FastAPI:
    """The app; pass an already loaded assistant (tests) or let start-up load it once."""
    settings = settings or (assistant.settings if assistant else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "assistant", None) is None:  # loaded in a thread: the event loop stays free
            app.state.assistant = await run_in_threadpool(PolicyAssistant.open, settings,
                                                          build_if_missing=build_if_missing)
            await run_in_threadpool(app.state.assistant.warm_up)
        app.state.feedback = FeedbackStore(settings.data_dir / "feedback.sqlite3")
        index = app.state.assistant.index
        threads = thread_counts()
        serving_log.info("ready (worker pid %d): index version %s, %d documents, %d chunks; model %s (questions in "
                         "%s%s); compute threads: torch %s, faiss %s", os.getpid(), index.version, len(index.documents),
                         index.searchable_chunks, index.model, app.state.assistant.encoder.query_precision,
                         ", traced" if app.state.assistant.encoder.query_traced else "", threads.torch, threads.faiss)
        yield

    app = FastAPI(title="policy-assistant", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Cited answers from Chinese government policy documents.")
    app.state.assistant = assistant
    app.state.settings = settings
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(QuestionError, _question_error)
    app.add_exception_handler(Exception, _internal_error)
    for router in (ask.router, matching.router, documents.router, admin.router, feedback.router, health.router,
                   openai_compat.router, api_docs.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(resources.files("assistant.web") / "static")), name="static")
    app.state.feedback_limiter = RateLimiter(settings.feedback_per_minute)
    app.add_middleware(BodyLimitMiddleware, limits=BodyLimits(settings.max_request_bytes, settings.max_upload_bytes))
    if "*" not in settings.trusted_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed=settings.trusted_hosts)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.workers > 1:
        app.add_middleware(SpreadConnectionsMiddleware)
    return app
