"""The web pages: the chat, the document list and a reading page per document."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from assistant.api.deps import AssistantDep
from assistant.text.taxonomy import NEEDS, TRAITS
from assistant.short_titles import index_short_titles
from assistant.service import describe_document, describe_documents

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("assistant.web") / "templates"))

EXAMPLES = [
    {"label": "企业", "question": "我们是武汉的科技企业，想用专利去银行质押贷款，有什么支持政策？"},
    {"label": "政府工作人员", "question": "武汉知识产权信用分级分类监管由哪个部门牵头？责任单位有哪些？"},
    {"label": "公众", "question": "广西到2025年地理标志总量的目标是多少？"},
]


def jurisdiction_options(assistant) -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    for row in describe_documents(assistant.current().index, assistant.settings.today):
        if row["jurisdiction"]:
            seen.setdefault(row["jurisdiction"], row["jurisdiction_full"] or row["jurisdiction"])
    return [{"value": value, "label": label} for value, label in sorted(seen.items())]


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request, assistant: AssistantDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "chat.html", {
        "examples": EXAMPLES, "jurisdictions": jurisdiction_options(assistant),
        "short_titles": index_short_titles(assistant.current().index)})


@router.get("/match", response_class=HTMLResponse)
def match_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "match.html", {"traits": list(TRAITS), "needs": list(NEEDS)})


@router.get("/documents", response_class=HTMLResponse)
def documents_page(request: Request, assistant: AssistantDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "documents.html", {"documents": describe_documents(assistant.current().index,
                                                                                          assistant.settings.today)})


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document_page(doc_id: str, request: Request, assistant: AssistantDep) -> HTMLResponse:
    document = describe_document(assistant.current().index, doc_id, assistant.settings.today)
    if document is None:
        raise HTTPException(status_code=404, detail=f"no document '{doc_id}'")
    public = {key: value for key, value in document.items() if key not in ("file", "content_hash")}  # no server paths
    return templates.TemplateResponse(request, "document.html", {"document": public})
