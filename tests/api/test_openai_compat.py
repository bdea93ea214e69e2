"""The OpenAI-compatible endpoints driven by the official `openai` package against the real app,
served by uvicorn on 127.0.0.1: plain and streamed completions, history, models, errors, the key."""

from __future__ import annotations

import re

import httpx
import pytest

from assistant.api.app import create_app
from assistant.service import PolicyAssistant
from tests.live import serving

openai = pytest.importorskip("openai")

WHO_LEADS = "武汉知识产权信用分级分类监管由哪个部门牵头?"
KEY = "test-key-12"


@pytest.fixture(scope="module")
def base_url(assistant, tmp_path_factory):
    settings = assistant.settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("data")})
    with serving(create_app(settings, assistant=assistant)) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url):
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="anything", max_retries=0, timeout=60)


def _faithful(assistant, citations: list[dict]) -> None:
    assert citations
    for c in citations:
        assert assistant.index.documents[c["doc_id"]].text[c["start"]:c["end"]] == c["quote"]


def test_models_lists_the_assistant(client) -> None:
    models = client.models.list()
    assert [m.id for m in models.data] == ["policy-assistant"]
    assert client.models.retrieve("policy-assistant").id == "policy-assistant"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_completion_keeps_markers_and_ends_with_sources(client, assistant) -> None:
    completion = client.chat.completions.create(
        model="policy-assistant", messages=[{"role": "system", "content": "你是助手"},
                                            {"role": "user", "content": WHO_LEADS}])
    text = completion.choices[0].message.content
    assert completion.object == "chat.completion" and completion.choices[0].finish_reason == "stop"
    expected = assistant.ask(WHO_LEADS)
    assert text.startswith(expected.answer) and text.startswith("牵头单位：市市场监管局")
    citations = completion.model_extra["citations"]
    assert [c["quote"] for c in citations] == [c.quote for c in expected.citations]
    _faithful(assistant, citations)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", expected.answer)}
    assert markers and max(markers) <= len(citations)
    sources = text[len(expected.answer):].strip().splitlines()
    assert sources[0] == "来源："
    assert len(sources) == len(citations) + 1
    for n, (line, c) in enumerate(zip(sources[1:], citations), start=1):
        assert line == f"- [{n}] 《{c['title']}》 {c['section']}：“{c['quote']}”"
    assert completion.model_extra["abstained"] is False


def test_streaming_gives_the_same_reply_in_chunks(client) -> None:
    messages = [{"role": "user", "content": "广西地理标志总量2025年目标是多少"}]
    whole = client.chat.completions.create(model="policy-assistant", messages=messages)
    chunks = list(client.chat.completions.create(model="policy-assistant", messages=messages, stream=True))
    assert len(chunks) >= 4 and all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert chunks[-1].model_extra["citations"] == whole.model_extra["citations"]
    assert len({c.id for c in chunks}) == 1


def test_earlier_messages_become_history(client) -> None:
    first = client.chat.completions.create(
        model="policy-assistant", messages=[{"role": "user", "content": "武汉知识产权质押融资金额到2025年的目标是多少?"}])
    follow_up = client.chat.completions.create(model="policy-assistant", messages=[
        {"role": "user", "content": "武汉知识产权质押融资金额到2025年的目标是多少?"},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": "广西呢?"}]},
    ])
    assert follow_up.model_extra["resolved_question"].startswith("广西")
    alone = client.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": "广西呢?"}])
    assert alone.model_extra["resolved_question"] is None


@pytest.mark.parametrize(
    ("kwargs", "error", "param"),
    [
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "质押融资"}]}, "NotFoundError", "model"),
        ({"model": "policy-assistant", "messages": [{"role": "assistant", "content": "您好"}]}, "BadRequestError",
         "messages"),
        ({"model": "policy-assistant", "messages": [{"role": "user", "content": "   "}]}, "BadRequestError",
         "messages"),
        ({"model": "policy-assistant", "messages": [{"role": "user", "content": "问" * 2001}]}, "BadRequestError",
         "messages"),
        ({"model": "policy-assistant", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}]}, "BadRequestError",
         "messages.0.content"),
        ({"model": "policy-assistant", "messages": []}, "BadRequestError", "messages"),
        ({"model": "policy-assistant", "messages": [{"role": "user", "content": "质押融资"}], "n": 2},
         "BadRequestError", "n"),
    ],
)
def test_errors_use_the_openai_shape(client, kwargs, error, param) -> None:
    for stream in (False, True):
        with pytest.raises(getattr(openai, error)) as caught:
            client.chat.completions.create(**kwargs, stream=stream)
        body = caught.value.body
        assert set(body) >= {"message", "type", "param", "code"}, body
        assert body["param"] == param and body["message"]


def test_malformed_json_is_an_openai_error(base_url) -> None:
    response = httpx.post(f"{base_url}/v1/chat/completions", content=b'{"model": "policy', timeout=30,
                          headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_bearer_key_guards_the_endpoints(assistant, tmp_path) -> None:
    settings = assistant.settings.model_copy(update={"data_dir": tmp_path, "openai_api_key": KEY})
    guarded = PolicyAssistant(settings, assistant.index, assistant.encoder, auto_reload=False)
    with serving(create_app(settings, assistant=guarded)) as url:
        for key in ("wrong", ""):
            stranger = openai.OpenAI(base_url=f"{url}/v1", api_key=key or "x", max_retries=0,
                                     default_headers={} if key else {"Authorization": ""})
            with pytest.raises(openai.AuthenticationError) as caught:
                stranger.models.list()
            assert caught.value.body["code"] == "invalid_api_key"
            with pytest.raises(openai.AuthenticationError):
                stranger.chat.completions.create(model="policy-assistant",
                                                 messages=[{"role": "user", "content": "质押融资"}])
        friend = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
        assert [m.id for m in friend.models.list().data] == ["policy-assistant"]
        reply = friend.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": WHO_LEADS}])
        assert reply.choices[0].message.content.startswith("牵头单位：市市场监管局")


def test_history_bounds_are_openai_errors_and_old_turns_drop_off(client) -> None:
    long_turn = [{"role": "user", "content": "问" * 2500}, {"role": "assistant", "content": "答"}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="policy-assistant",
                                       messages=[*long_turn, {"role": "user", "content": "质押融资"}])
    assert caught.value.body["code"] == "invalid_history" and caught.value.body["param"] == "messages.1"
    many = [m for n in range(25) for m in ({"role": "user", "content": f"问题{n}"}, {"role": "assistant", "content": "答"})]
    reply = client.chat.completions.create(model="policy-assistant",
                                           messages=[*long_turn, *many, {"role": "user", "content": WHO_LEADS}])
    assert reply.choices[0].message.content.startswith("牵头单位：市市场监管局")  # the long turn is past the last 20
