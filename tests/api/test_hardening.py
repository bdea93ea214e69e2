"""Issue 14: bounded requests, no 500s, no disclosure, security headers — one test per defect."""

from __future__ import annotations

import asyncio
import json
import re
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.api.guards import host_name
from assistant.api.routers.admin import MAX_FILE_NAME_BYTES, safe_filename
from assistant.limits import MAX_ANSWER_CHARS, MAX_CITATIONS, MAX_QUESTION_CHARS

LONE = '"\\ud800"'  # a JSON string holding a lone surrogate


@pytest.fixture()
def settings(assistant, tmp_path):
    return assistant.settings.model_copy(update={"data_dir": tmp_path / "data", "feedback_per_minute": 3,
                                                 "max_request_bytes": 64 * 1024})


@pytest.fixture()
def client(assistant, settings):
    with TestClient(create_app(settings, assistant=assistant), raise_server_exceptions=False) as test_client:
        yield test_client


def post_raw(client: TestClient, path: str, body: str):
    return client.post(path, content=body.encode("utf-8"), headers={"content-type": "application/json"})


def call_unread(app, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes, bool]:
    """Call the ASGI app with a body it must not read: (status, body, whether receive was called)."""
    read = False
    sent: list[dict] = []

    async def receive():
        nonlocal read
        read = True
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "path": path,
             "raw_path": path.encode(), "root_path": "", "scheme": "http", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "testserver", **headers}.items()],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80), "state": {}}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"), read


# 1. request bodies are limited per route before they are read ------------------------------


def test_an_oversized_json_body_is_refused_unread(client) -> None:
    status, body, read = call_unread(client.app, "POST", "/api/ask",
                                     {"content-type": "application/json", "content-length": str(200 * 1024 * 1024)})
    assert status == 413 and not read
    assert "上限" in json.loads(body)["error"]


def test_a_chunked_body_stops_at_the_limit(client) -> None:
    def chunks():
        yield b'{"question": "' + b"a" * 1024
        for _ in range(200):  # 200 KB, without a Content-Length
            yield b"a" * 1024
        yield b'"}'

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "上限" in response.json()["error"]


def test_the_upload_route_has_the_upload_limit_and_checks_the_token_first(assistant, tmp_path, monkeypatch) -> None:
    settings = assistant.settings.model_copy(update={"data_dir": tmp_path, "admin_token": "t0ken",
                                                     "max_upload_bytes": 1024 * 1024})
    monkeypatch.setattr(assistant, "settings", settings)
    app = create_app(settings, assistant=assistant)
    multipart = {"content-type": "multipart/form-data; boundary=x"}
    status, _, read = call_unread(app, "POST", "/api/documents", {**multipart, "content-length": str(900 * 1024)})
    assert status == 401 and not read  # within the upload limit (over the JSON one), but no token: never read
    status, _, read = call_unread(app, "POST", "/api/documents",
                                  {**multipart, "content-length": str(300 * 1024 * 1024), "authorization": "Bearer t0ken"})
    assert status == 413 and not read


# 2. history and the resolved question are bounded like a question -----------------------


@pytest.mark.parametrize(
    ("history", "question", "message"),
    [
        ([{"question": "问" * (MAX_QUESTION_CHARS + 1), "answer": "a"}], "那责任单位呢?", "history.0.question"),
        ([{"question": "武汉质押融资", "answer": "答" * (MAX_ANSWER_CHARS + 1)}], "那责任单位呢?", "history.0.answer"),
        ([{"question": "武汉知识产权质押融资" * 190, "answer": "a"}], "那责任单位呢？" + "呢" * 200, "追问连同上一轮问题"),
    ],
)
def test_history_is_bounded_like_a_question(client, history, question, message) -> None:
    for path in ("/api/ask", "/api/ask/stream"):
        response = client.post(path, json={"question": question, "history": history})
        assert response.status_code == 422, response.text
        assert message in response.json()["error"]


# 3. feedback: every field bounded, citations counted, rate-limited per client ----------------


def test_feedback_fields_and_citations_are_bounded(client) -> None:
    citation = {"doc_id": "d", "title": "t", "section": "一、", "quote": "q", "start": 0, "end": 1, "score": 0.5}
    body = {"question": "问题", "answer": "回答", "rating": "up", "citations": [citation]}
    too_big = [{**body, "citations": [{**citation, "quote": "q" * (MAX_QUESTION_CHARS + 1)}]},
               {**body, "citations": [citation] * (MAX_CITATIONS + 1)},
               {**body, "citations": [{**citation, "title": "t" * 501}]},
               {**body, "comment": "c" * 2001}]
    for payload in too_big:
        assert client.post("/api/feedback", json=payload).status_code == 422


def test_feedback_is_rate_limited_per_client(client) -> None:
    body = {"question": "问题", "answer": "回答", "rating": "up"}
    assert [client.post("/api/feedback", json=body).status_code for _ in range(3)] == [201, 201, 201]
    refused = client.post("/api/feedback", json=body)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "频繁" in refused.json()["error"]


# 4. text that is not valid Unicode is a 422 in Chinese, never a 500 ---------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/ask", '{"question": ' + LONE + "}", "question"),
        ("/api/ask/stream", '{"question": ' + LONE + "}", "question"),
        ("/api/ask", '{"question": "那责任单位呢", "history": [{"question": ' + LONE + ', "answer": "a"}]}',
         "history.0.question"),
        ("/api/match", '{"location": ' + LONE + "}", "location"),
        ("/api/match", '{"needs": [' + LONE + "]}", "needs.0"),
        ("/api/feedback", '{"question": "q", "answer": "a", "rating": "up", "comment": ' + LONE + "}", "comment"),
    ],
)
def test_lone_surrogates_are_a_422_in_chinese(client, path, body, field) -> None:
    response = post_raw(client, path, body)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith(field) and "无效的 Unicode" in response.json()["error"]


def test_an_unexpected_error_is_a_500_without_internals(client, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail at /srv/index/versions")

    monkeypatch.setattr(client.app.state.assistant, "ask", broken)
    for path in ("/api/ask", "/api/ask/stream"):
        response = client.post(path, json={"question": "武汉质押融资"})
        assert response.status_code == 500
        assert "secret" not in response.text and "RuntimeError" not in response.text and "/srv" not in response.text
        assert response.json()["error"] == "服务器内部错误，请稍后再试"


# 7. no server paths or internals in responses ----------------------------------------------


def test_healthz_shows_no_paths(client, settings) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["version"]
    assert str(settings.index_dir) not in health.text and str(settings.index_dir.resolve()) not in health.text
    assert not re.search(r'"/[^"]*/', health.text)


# 10. headers, trusted hosts, file names, OpenAPI ---------------------------------------------


def test_pages_and_responses_carry_security_headers(client) -> None:
    for path in ("/", "/documents", "/match", "/api/documents", "/healthz"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"


def test_templates_hold_no_inline_script_or_style() -> None:
    """What the CSP forbids never appears in the pages: scripts come from /static, data blocks are
    application/json, no style attributes or inline event handlers."""
    for template in (resources.files("assistant.web") / "templates").iterdir():
        html = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        assert not re.search(r"\sstyle\s*=", html), template.name
        assert not re.search(r"\son[a-z]+\s*=", html), template.name
        assert "<style" not in html, template.name


def test_trusted_hosts_setting(assistant, tmp_path) -> None:
    settings = assistant.settings.model_copy(update={"data_dir": tmp_path, "trusted_hosts": ["policy.example.org"]})
    with TestClient(create_app(settings, assistant=assistant), base_url="http://policy.example.org") as trusted:
        assert trusted.get("/healthz").status_code == 200
    with TestClient(create_app(settings, assistant=assistant), base_url="http://evil.example.com") as other:
        refused = other.get("/healthz")
        assert refused.status_code == 400  # issue 25.4: a JSON message in Chinese naming the host, not plain text
        assert "evil.example.com" in refused.json()["error"] and "受信任" in refused.json()["error"]
    wildcard = settings.model_copy(update={"trusted_hosts": ["*.example.org", "[::1]"]})
    with TestClient(create_app(wildcard, assistant=assistant), base_url="http://api.example.org:8000") as sub:
        assert sub.get("/healthz").status_code == 200


def test_host_names_without_ports() -> None:
    assert [host_name(h) for h in ("a.org:80", "[::1]:8000", "::1", "a.org")] == ["a.org", "::1", "::1", "a.org"]


def test_long_upload_names_keep_their_suffix() -> None:
    for name in ("长" * 300 + ".docx", "a" * 400 + ".PDF", "../../" + "政策" * 100 + ".md"):
        safe = safe_filename(name)
        assert safe.endswith(name.rsplit(".", 1)[1].lower()) and len(safe.encode()) <= MAX_FILE_NAME_BYTES
        assert "/" not in safe


def test_openapi_documents_errors_and_lengths(client) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/ask", "/api/ask/stream", "/api/feedback", "/api/match"):
        assert {"400", "413", "422"} <= set(paths[path]["post"]["responses"]), path
    assert {"400", "401", "413", "415", "422"} <= set(paths["/api/documents"]["post"]["responses"])
    assert "multipart/form-data" in paths["/api/documents"]["post"]["requestBody"]["content"]
    assert "409" in paths["/api/documents/{doc_id}"]["delete"]["responses"]
    schemas = spec["components"]["schemas"]
    question = schemas["AskRequest"]["properties"]["question"]
    assert question["minLength"] == 1 and question["maxLength"] == MAX_QUESTION_CHARS
    assert schemas["Turn"]["properties"]["question"]["maxLength"] == MAX_QUESTION_CHARS
    assert schemas["Turn"]["properties"]["answer"]["maxLength"] == MAX_ANSWER_CHARS
    assert schemas["FeedbackRequest"]["properties"]["citations"]["maxItems"] == MAX_CITATIONS
    assert schemas["FeedbackCitation"]["properties"]["quote"]["maxLength"] == MAX_QUESTION_CHARS
