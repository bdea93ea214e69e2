"""The assistant as a Model Context Protocol server (official ``mcp`` SDK), for agent hosts.

``policy-assistant mcp`` serves over stdio; ``policy-assistant mcp --http`` serves streamable HTTP
at ``http://HOST:PORT/mcp``.  Tools: ``ask_policy``, ``search_clauses``, ``get_document``,
``get_section``, ``match_profile``, ``list_documents``; resource template
``policy://documents/{doc_id}``.  Inputs are validated against the tools' schemas; a bad value
(an unknown document, section, place or trait, an empty question) comes back as a tool error the
model can read, never as a crash.  Every tool goes through the PolicyAssistant service.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from pydantic import BaseModel, Field, ValidationError

from assistant import __version__
from assistant.matching.matcher import EnterpriseProfile, ProfileError
from assistant.matching.presenter import match_to_dict
from assistant.models import Citation, Turn
from assistant.retrieval.retriever import Filters
from assistant.service import PolicyAssistant, QuestionError, describe_document, describe_documents
from assistant.short_titles import index_short_titles
from assistant.understanding.conversation import MAX_HISTORY_TURNS

SERVER_NAME = "policy-assistant"
DOCUMENT_URI = "policy://documents/{doc_id}"
MAX_SECTIONS_LISTED = 40
INSTRUCTIONS = ("Cited answers from Chinese government policy documents (intellectual-property plans, work plans, "
                "regulations). Use ask_policy for a question; quote its citations. Use list_documents, "
                "get_document and get_section to read the texts; offsets refer to get_document's text.")

QuestionText = Annotated[str, Field(min_length=1, max_length=2000, description="The question, in Chinese or English.")]
DocId = Annotated[str, Field(min_length=1, max_length=200, description="A doc_id from list_documents.")]


class AskResult(BaseModel):
    answer: str = Field(description="The answer; [n] markers point at citations[n-1].")
    abstained: bool = Field(description="True when the documents do not answer the question.")
    resolved_question: str | None = Field(None, description="A follow-up as read together with the history.")
    citations: list[Citation]


class Clause(BaseModel):
    doc_id: str
    title: str
    short_title: str
    section: str
    heading: str
    start: int = Field(description="Offset of the clause in get_document's text.")
    end: int
    text: str
    score: float


class ClauseList(BaseModel):
    clauses: list[Clause]


class SectionOut(BaseModel):
    path: str
    heading: str
    start: int
    end: int


class DocumentFacts(BaseModel):
    """What both a document listing row and a whole document say about it."""

    doc_id: str
    title: str
    short_title: str
    issuer: str | None
    number: str | None
    date: str | None
    jurisdiction: str | None
    period: str | None


class DocumentOut(DocumentFacts):
    text: str = Field(description="The cleaned text; every offset refers to it.")
    sections: list[SectionOut]


class SectionText(BaseModel):
    doc_id: str
    title: str
    section: str
    heading: str
    start: int
    end: int
    text: str


class DocumentRow(DocumentFacts):
    sections: int
    chunks: int


class DocumentList(BaseModel):
    documents: list[DocumentRow]


def _period(row: dict[str, Any]) -> str | None:
    period = row.get("period")
    return period["label"] if period else None


def _document(assistant: PolicyAssistant, doc_id: str) -> dict[str, Any]:
    index = assistant.current().index
    document = describe_document(index, doc_id)
    if document is None:
        raise ToolError(f"no document '{doc_id}'; known doc_ids: {', '.join(sorted(index.documents))}")
    return document


def _compact(path: str) -> str:
    return re.sub(r"\s+", "", path)


def build_server(assistant: PolicyAssistant) -> MCPServer:
    """An MCP server whose tools answer from `assistant`."""
    server = MCPServer(name=SERVER_NAME, title="政策问答助手", version=__version__, instructions=INSTRUCTIONS)

    @server.tool(description="Answer a question from the policy documents, with citations quoting exact spans. "
                             "Pass earlier turns as history to ask follow-ups such as '广西呢?'.")
    def ask_policy(question: QuestionText,
                   history: Annotated[list[Turn] | None, Field(max_length=MAX_HISTORY_TURNS,
                                                                description="Earlier turns, oldest first.")] = None,
                   ) -> AskResult:
        try:
            answer = assistant.ask(question, None, None, history or [])
        except QuestionError as err:
            raise ToolError(str(err)) from None
        return AskResult(answer=answer.answer, abstained=answer.abstained, resolved_question=answer.resolved_question,
                         citations=answer.citations)

    @server.tool(description="Retrieve the clauses that best match a query (hybrid dense + BM25), with their "
                             "section paths and character offsets; optionally within one jurisdiction or document.")
    def search_clauses(query: QuestionText,
                       jurisdiction: Annotated[str | None, Field(max_length=50, description="e.g. 武汉, 广西, 国家")] = None,
                       doc_id: Annotated[str | None, Field(max_length=200)] = None,
                       k: Annotated[int, Field(ge=1, le=20, description="Clauses to return.")] = 5) -> ClauseList:
        filters = Filters(doc_ids=frozenset([doc_id] if doc_id else []),
                          jurisdictions=frozenset([jurisdiction] if jurisdiction else []))
        try:
            hits = assistant.search(query, k, filters)
        except QuestionError as err:
            raise ToolError(str(err)) from None
        index = assistant.current().index
        names = index_short_titles(index)
        return ClauseList(clauses=[
            Clause(doc_id=h.chunk.doc_id, title=index.documents[h.chunk.doc_id].metadata.title,
                   short_title=names[h.chunk.doc_id], section=h.chunk.section, heading=h.chunk.heading,
                   start=h.chunk.start, end=h.chunk.end, text=h.chunk.text, score=h.score)
            for h in hits])

    @server.tool(description="One document: metadata, cleaned text and its section tree with offsets.")
    def get_document(doc_id: DocId) -> DocumentOut:
        document = _document(assistant, doc_id)
        names = index_short_titles(assistant.current().index)
        return DocumentOut(**{key: document[key] for key in ("doc_id", "title", "issuer", "number", "date",
                                                                 "jurisdiction", "text")},
                           short_title=names.get(doc_id, document["title"]), period=_period(document),
                           sections=[SectionOut(**{k: s[k] for k in ("path", "heading", "start", "end")})
                                     for s in document["sections"]])

    @server.tool(description="The text of one section of a document, by its path as get_document lists it "
                             "(e.g. '二、 (四) 4.' or '第十条'; spaces do not matter).")
    def get_section(doc_id: DocId, section: Annotated[str, Field(min_length=1, max_length=200)]) -> SectionText:
        document = _document(assistant, doc_id)
        wanted = _compact(section)
        found = next((s for s in document["sections"] if _compact(s["path"]) == wanted), None)
        if found is None:
            paths = [s["path"] for s in document["sections"]]
            listed = "; ".join(paths[:MAX_SECTIONS_LISTED]) + (" …" if len(paths) > MAX_SECTIONS_LISTED else "")
            raise ToolError(f"no section '{section}' in '{doc_id}'; its sections: {listed}")
        return SectionText(doc_id=doc_id, title=document["title"], section=found["path"], heading=found["heading"],
                           start=found["start"], end=found["end"], text=document["text"][found["start"]:found["end"]])

    @server.tool(description="The measures that apply to an enterprise: location (province, city or district, "
                             "Chinese or pinyin), traits (专精特新, 高新技术企业 …) and needs (融资, 保险 …); "
                             "grouped national / provincial / city, each with its offer, lead unit and citation. "
                             "With company (its figures in words: 年营收8000万元，员工120人，有5件发明专利) each "
                             "measure also gets a verdict (符合 / 不符合 / 需核实), the reasons and the amount.")
    def match_profile(location: Annotated[str, Field(min_length=1, max_length=50)],
                      traits: Annotated[list[str], Field(max_length=20)] | None = None,
                      needs: Annotated[list[str], Field(max_length=20)] | None = None,
                      company: Annotated[str, Field(max_length=300)] | None = None) -> dict[str, Any]:
        try:
            profile = EnterpriseProfile(location=location, traits=traits or [], needs=needs or [], description=company)
            result = assistant.match(profile)
        except ValidationError as err:
            raise ToolError("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors())) from None
        except ProfileError as err:
            raise ToolError(str(err)) from None
        return match_to_dict(result, assistant.current().index)

    @server.tool(description="The indexed documents: doc_id, title, short title, issuer, number, date, "
                             "jurisdiction, period, section and chunk counts.")
    def list_documents() -> DocumentList:
        index = assistant.current().index
        names = index_short_titles(index)
        return DocumentList(documents=[
            DocumentRow(**{key: row.get(key) for key in ("doc_id", "title", "issuer", "number", "date", "jurisdiction",
                                                         "sections", "chunks")},
                        short_title=names[row["doc_id"]], period=_period(row))
            for row in describe_documents(index)])

    @server.resource(DOCUMENT_URI, name="policy-document", mime_type="text/plain",
                     description="A policy document's cleaned text, headed by its title and metadata.")
    def document_resource(doc_id: str) -> str:
        document = describe_document(assistant.current().index, doc_id)
        if document is None:
            raise ResourceNotFoundError(f"no document '{doc_id}'")
        facts = [f"{label}：{document[key]}" for key, label in (("issuer", "发文机关"), ("number", "文号"),
                                                                 ("date", "日期"), ("jurisdiction", "地区"))
                 if document.get(key)]
        return "\n".join([document["title"], *facts, "", document["text"]])

    return server


def serve(assistant: PolicyAssistant, http: bool = False, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run until the client disconnects (stdio) or the process is stopped (HTTP)."""
    server = build_server(assistant)
    if http:
        server.run("streamable-http", host=host, port=port)
    else:
        server.run("stdio")
