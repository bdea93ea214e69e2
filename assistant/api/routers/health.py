"""GET /healthz."""

from __future__ import annotations

import os

from fastapi import APIRouter

from assistant.api.deps import AssistantDep
from assistant.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz(assistant: AssistantDep) -> Health:
    index = assistant.current().index
    return Health(status="ok", index_loaded=True, documents=len(index.documents), chunks=index.searchable_chunks,
                  model=index.model, query_precision=assistant.encoder.query_precision,
                  query_traced=assistant.encoder.query_traced, version=index.version,
                  pid=os.getpid())
