"""Issue 25, defect 1: an over-long numeral is text, not a crash, on every route that reads a question."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.text.numbers import MAX_NUMBER_CHARS, find_quantities, number_value

NINES = "九" * 309  # the outside audit's request: cn2an reads it as an int too large for a float


def test_an_over_long_numeral_has_no_value() -> None:
    assert number_value(NINES) is None
    assert number_value("9" * 400) is None  # float('9' * 400) is inf, not a quantity
    assert number_value("九" * MAX_NUMBER_CHARS) is not None  # long, but still a number
    assert number_value("二十万") == 200000
    assert all(q.value is None for q in find_quantities(NINES + "元"))


@pytest.fixture()
def client(assistant, tmp_path):
    settings = assistant.settings.model_copy(update={"data_dir": tmp_path / "data"})
    with TestClient(create_app(settings, assistant=assistant), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("question", [NINES, f"注册{NINES}个月能申请吗", f"营收{NINES}万元符合吗"])
def test_ask_and_stream_answer_a_long_numeral(client, question) -> None:
    asked = client.post("/api/ask", json={"question": question})
    assert asked.status_code == 200, asked.text
    streamed = client.post("/api/ask/stream", json={"question": question})
    assert streamed.status_code == 200 and '"error"' not in streamed.text, streamed.text
    followed = client.post("/api/ask", json={"question": "那南宁呢",
                                             "history": [{"question": question, "answer": "无"}]})
    assert followed.status_code == 200, followed.text
    again = client.get("/healthz")  # the connection and the server stay usable
    assert again.status_code == 200


def test_openai_route_answers_a_long_numeral(client) -> None:
    body = {"model": "policy-assistant", "messages": [{"role": "user", "content": NINES}]}
    reply = client.post("/v1/chat/completions", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"]
    streamed = client.post("/v1/chat/completions", json={**body, "stream": True})
    assert streamed.status_code == 200 and "[DONE]" in streamed.text
