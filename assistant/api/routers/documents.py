"""GET /api/documents and GET /api/documents/{doc_id}."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from assistant.api.deps import AssistantDep
from assistant.api.schemas import DocumentDetail, DocumentSummary, ErrorBody
from assistant.service import describe_document, describe_documents

router = APIRouter(prefix="/api/documents", tags=["documents"])


@router.get("", response_model=list[DocumentSummary])
def list_documents(assistant: AssistantDep) -> list[dict]:
    """The knowledge base: id, title, issuer, number, dates, jurisdiction, period, legal status, section count."""
    return describe_documents(assistant.current().index, assistant.settings.today)


@router.get("/{doc_id}", response_model=DocumentDetail, responses={404: {"model": ErrorBody}})
def get_document(doc_id: str, assistant: AssistantDep) -> dict:
    """One document: cleaned text (citation offsets refer to it), section tree with offsets, metadata."""
    document = describe_document(assistant.current().index, doc_id, assistant.settings.today)
    if document is None:
        raise HTTPException(status_code=404, detail=f"no document '{doc_id}'")
    return document
