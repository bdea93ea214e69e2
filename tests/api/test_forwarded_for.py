"""Issue 25, defect 5: a local client cannot rotate X-Forwarded-For past the feedback rate limit;
the header is believed only from a configured proxy."""

from __future__ import annotations

import httpx
import pytest

from assistant.api.app import create_app
from tests.live import serving

BODY = {"question": "问题", "answer": "回答", "rating": "up"}


def post_rotating(base: str, times: int) -> list[int]:
    with httpx.Client(base_url=base, timeout=30) as http:
        return [http.post("/api/feedback", json=BODY, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                for i in range(times)]


@pytest.fixture()
def settings(assistant, tmp_path):
    return assistant.settings.model_copy(update={"data_dir": tmp_path / "data", "feedback_per_minute": 3})


def test_rotating_forwarded_for_is_ignored_by_default(assistant, settings) -> None:
    assert settings.forwarded_allow_ips == []
    with serving(create_app(settings, assistant=assistant)) as base:
        assert post_rotating(base, 6) == [201, 201, 201, 429, 429, 429]


def test_a_configured_proxy_is_believed(assistant, settings) -> None:
    behind_proxy = settings.model_copy(update={"forwarded_allow_ips": ["127.0.0.1"]})
    with serving(create_app(behind_proxy, assistant=assistant)) as base:
        assert post_rotating(base, 6) == [201] * 6  # each forwarded client has its own budget


def test_the_setting_reads_a_comma_separated_list(monkeypatch) -> None:
    from assistant.settings import Settings

    monkeypatch.setenv("POLICY_ASSISTANT_FORWARDED_ALLOW_IPS", "127.0.0.1, 10.0.0.2")
    assert Settings().forwarded_allow_ips == ["127.0.0.1", "10.0.0.2"]
