"""Generative wording against a real local chat-completions server (no model: the replies are scripted)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assistant.answer.generative import GenerationSettings, GenerativeWriter, build_messages, check_markers
from assistant.models import Answer, Citation


@dataclass
class FakeServer:
    """What the server answers (set per test) and what it received."""

    base_url: str
    content: str = "按规定执行。[1]"
    status: int = 200
    raw_body: str | None = None  # sent instead of a chat-completions body when set
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def make_handler(state: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length).decode("utf-8"))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if state.delay:
                state.release.wait(state.delay)
            if state.raw_body is not None:
                payload = state.raw_body
            else:
                payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": state.content}}]})
            data = payload.encode("utf-8")
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the access log
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[FakeServer]:
    state = FakeServer(base_url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    httpd.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=2)


def extractive(abstained: bool = False) -> Answer:
    citations = [
        Citation(doc_id="d1", title="关于促进中小企业发展的若干措施", section="二、 (三)", heading="加大融资支持",
                 quote="对符合条件的小微企业给予贷款贴息支持。", start=10, end=30, score=0.9),
        Citation(doc_id="d2", title="数字经济发展规划", section="三、", heading="",
                 quote="到2025年，数字经济核心产业增加值占比达到10%。", start=40, end=66, score=0.7),
    ]
    return Answer(question="小微企业能获得哪些融资支持？", answer="可享受贷款贴息支持。[1]",
                  abstained=abstained, citations=[] if abstained else citations)


def writer(server: FakeServer, **overrides: Any) -> GenerativeWriter:
    options: dict[str, Any] = {"base_url": server.base_url, "model": "qwen-test", "timeout": 2.0, **overrides}
    return GenerativeWriter(GenerationSettings(**options))


def assert_fallback(result: Answer, original: Answer, w: GenerativeWriter) -> None:
    assert result == original
    assert w.last_outcome.startswith("fallback: ")


def test_good_reply_keeps_its_markers(server: FakeServer) -> None:
    server.content = "小微企业可获得贷款贴息支持。[1]\n数字经济核心产业增加值占比目标为10%。[2]"
    original = extractive()
    w = writer(server)
    result = w.run(original)
    assert w.last_outcome == "generated"
    assert result.answer == server.content
    assert result.citations == original.citations
    assert result.question == original.question and result.abstained is False
    assert original.answer == "可享受贷款贴息支持。[1]"  # the input is not modified


def test_invalid_markers_are_removed_valid_ones_stay(server: FakeServer) -> None:
    server.content = "可获得贷款贴息 [1][0]。另有目标 [3]。见 [abc] 与 [2]。合并 [1, 2]。"
    w = writer(server)
    result = w.run(extractive())
    assert w.last_outcome == "generated"
    assert result.answer == "可获得贷款贴息 [1]。另有目标。见 与 [2]。合并 [1][2]。"


def test_reply_without_valid_marker_falls_back(server: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    server.content = "可获得贷款贴息支持。[5] 没有其他来源。[0]"
    original = extractive()
    w = writer(server)
    with caplog.at_level(logging.WARNING):
        result = w.run(original)
    assert_fallback(result, original, w)
    assert "cites no source" in w.last_outcome
    assert "cites no source" in caplog.text


def test_server_error_falls_back(server: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    server.status = 500
    original = extractive()
    w = writer(server)
    with caplog.at_level(logging.WARNING):
        result = w.run(original)
    assert_fallback(result, original, w)
    assert w.last_outcome == "fallback: HTTP 500"
    assert "HTTP 500" in caplog.text


def test_timeout_falls_back(server: FakeServer) -> None:
    server.delay = 2.0
    original = extractive()
    w = writer(server, timeout=0.3)
    result = w.run(original)
    assert_fallback(result, original, w)
    assert "timeout" in w.last_outcome


def test_connection_error_falls_back() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    original = extractive()
    w = GenerativeWriter(GenerationSettings(base_url=f"http://127.0.0.1:{port}/v1", model="m", timeout=0.5))
    assert_fallback(w.run(original), original, w)
    assert "ConnectError" in w.last_outcome


@pytest.mark.parametrize("raw", ["not json {", json.dumps({"id": "x"}), json.dumps({"choices": []}),
                                 json.dumps({"choices": [{"message": {"content": None}}]})])
def test_malformed_response_falls_back(server: FakeServer, raw: str) -> None:
    server.raw_body = raw
    original = extractive()
    w = writer(server)
    assert_fallback(w.run(original), original, w)
    assert "malformed response" in w.last_outcome


def test_abstained_answer_is_not_sent(server: FakeServer) -> None:
    original = extractive(abstained=True)
    w = writer(server)
    result = w.run(original)
    assert result is original
    assert w.last_outcome.startswith("fallback: ")
    assert server.requests == []


def test_request_carries_model_question_sources_and_key(server: FakeServer) -> None:
    original = extractive()
    writer(server, api_key="sk-local", max_tokens=123).run(original)
    (request,) = server.requests
    body = request["body"]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-local"
    assert body["model"] == "qwen-test" and body["max_tokens"] == 123 and body["stream"] is False
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    user = body["messages"][1]["content"]
    assert original.question in user
    for n, citation in enumerate(original.citations, start=1):
        assert f"[{n}] 《{citation.title}》{citation.section}" in user
        assert citation.quote in user


def test_no_authorization_header_without_key(server: FakeServer) -> None:
    writer(server).run(extractive())
    (request,) = server.requests
    assert "Authorization" not in request["headers"]


def test_prompt_states_the_rules() -> None:
    system, user = build_messages("问题？", extractive().citations)
    assert "[1]" in system["content"] and "1 至 2" in system["content"] and "没有回答" in system["content"]
    assert user["content"].startswith("问题：问题？")
    assert "[2] 《数字经济发展规划》三、：到2025年" in user["content"]


def test_check_markers_counts_valid_markers() -> None:
    assert check_markers("甲[1]乙【2】丙[9]", 2) == ("甲[1]乙[2]丙", 2)
    assert check_markers("<无> [x]", 2) == ("<无>", 0)


def test_service_uses_the_server_when_configured(assistant, monkeypatch) -> None:
    """Wired into PolicyAssistant: settings with a base URL word answers through the writer."""
    from assistant.service import PolicyAssistant

    settings = assistant.settings.model_copy(update={"llm_base_url": "http://127.0.0.1:9/v1", "llm_timeout": 0.5})
    wired = PolicyAssistant(settings, assistant.index, assistant.encoder)
    assert wired.writer is not None
    answer = wired.ask("武汉商业秘密保护有什么具体措施")  # nothing listens on port 9: falls back, still answers
    assert wired.writer.last_outcome.startswith("fallback") and answer.citations and not answer.abstained
