"""`policy-assistant mcp` started as a subprocess (stdio, and streamable HTTP) and driven through the
official SDK's ClientSession: every tool, the document resource, and bad inputs answered as MCP
errors while the server keeps serving."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest

from tests.live import free_port

mcp = pytest.importorskip("mcp")
from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WUHAN = "wuhan-ip-strong-city-work-plan-2022-2025"
TOOLS = {"ask_policy", "search_clauses", "get_document", "get_section", "match_profile", "list_documents"}


def _env() -> dict[str, str]:
    return {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


async def _every_tool(session: ClientSession, assistant) -> None:
    await session.initialize()
    assert {t.name for t in (await session.list_tools()).tools} == TOOLS

    asked = await session.call_tool("ask_policy", {"question": "武汉知识产权信用分级分类监管由哪个部门牵头?"})
    assert not asked.is_error
    answer = asked.structured_content
    assert answer["answer"].startswith("牵头单位：市市场监管局") and not answer["abstained"]
    for c in answer["citations"]:
        assert assistant.index.documents[c["doc_id"]].text[c["start"]:c["end"]] == c["quote"]

    follow = await session.call_tool("ask_policy", {
        "question": "广西呢?", "history": [{"question": "武汉知识产权质押融资金额到2025年的目标是多少?", "answer": "30亿元"}]})
    assert follow.structured_content["resolved_question"].startswith("广西")

    found = await session.call_tool("search_clauses", {"query": "知识产权质押融资", "jurisdiction": "淄博", "k": 3})
    clauses = found.structured_content["clauses"]
    assert len(clauses) == 3 and {c["doc_id"] for c in clauses} == {"zibo-ip-service-industry-opinions-2023"}
    assert all(c["short_title"] == "淄博实施意见" and c["section"] and c["end"] > c["start"] for c in clauses)
    one_doc = await session.call_tool("search_clauses", {"query": "质押融资", "doc_id": WUHAN})
    assert {c["doc_id"] for c in one_doc.structured_content["clauses"]} == {WUHAN}

    listed = (await session.call_tool("list_documents", {})).structured_content["documents"]
    assert {d["doc_id"] for d in listed} == set(assistant.index.documents)
    assert {d["short_title"] for d in listed} >= {"武汉工作方案", "国家十四五规划"}

    document = (await session.call_tool("get_document", {"doc_id": WUHAN})).structured_content
    assert document["text"] == assistant.index.documents[WUHAN].text and document["sections"]

    section = await session.call_tool("get_section", {"doc_id": WUHAN, "section": "二、(四)4."})
    body = section.structured_content
    assert body["section"] == "二、 (四) 4." and body["heading"] == "强化知识产权金融赋能"
    assert body["text"] == document["text"][body["start"]:body["end"]] and "质押融资" in body["text"]

    matched = (await session.call_tool("match_profile", {"location": "武汉", "traits": ["专精特新"],
                                                         "needs": ["融资"]})).structured_content
    measures = [m for g in matched["groups"] for m in g["measures"]]
    assert measures and all(m["citation"]["quote"] for m in measures)

    templates = (await session.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["policy://documents/{doc_id}"]
    resource = await session.read_resource(f"policy://documents/{WUHAN}")
    assert resource.contents[0].text.startswith(assistant.index.documents[WUHAN].metadata.title)
    assert assistant.index.documents[WUHAN].text in resource.contents[0].text


BAD_CALLS = [
    ("ask_policy", {"question": ""}, "question"),
    ("ask_policy", {"question": "   "}, "问题不能为空"),
    ("ask_policy", {}, "question"),
    ("search_clauses", {"query": "质押融资", "jurisdiction": "火星"}, "未知的地区：火星"),
    ("search_clauses", {"query": "质押融资", "doc_id": "no-such-doc"}, "未知的文件编号：no-such-doc"),
    ("search_clauses", {"query": "质押融资", "k": 100}, "k"),
    ("get_document", {"doc_id": "no-such-doc"}, "known doc_ids"),
    ("get_section", {"doc_id": WUHAN, "section": "第九十九条"}, "its sections"),
    ("match_profile", {"location": "火星"}, "火星"),
    ("match_profile", {"location": "武汉" * 30}, "location"),
    ("no_such_tool", {}, "no_such_tool"),
]


async def _bad_inputs(session: ClientSession) -> None:
    for name, arguments, expected in BAD_CALLS:
        result = await session.call_tool(name, arguments)
        assert result.is_error, (name, arguments)
        assert expected in result.content[0].text, (name, result.content[0].text)
    with pytest.raises(MCPError, match="no document"):
        await session.read_resource("policy://documents/no-such-doc")
    still = await session.call_tool("list_documents", {})  # the server survived all of that
    assert not still.is_error


def test_stdio_server_every_tool_and_bad_inputs(assistant) -> None:
    params = StdioServerParameters(command=sys.executable, cwd=str(ROOT), env=_env(),
                                   args=["-m", "assistant", "mcp", "--index", str(assistant.settings.index_dir)])

    async def scenario() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await _every_tool(session, assistant)
            await _bad_inputs(session)

    anyio.run(scenario)


def test_streamable_http_server(assistant) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "assistant", "mcp", "--http", "--port", str(port),
                                "--index", str(assistant.settings.index_dir)], cwd=ROOT,
                               env={**os.environ, **_env()}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode()
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)

        async def scenario() -> None:
            async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                assert {t.name for t in (await session.list_tools()).tools} == TOOLS
                asked = await session.call_tool("ask_policy", {"question": "广西地理标志总量2025年目标是多少"})
                assert not asked.is_error and asked.structured_content["citations"]
                wrong = await session.call_tool("get_document", {"doc_id": "no-such-doc"})
                assert wrong.is_error

        anyio.run(scenario)
    finally:
        process.terminate()
        process.wait(timeout=20)
