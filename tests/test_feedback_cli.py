"""Issue 14 (terminal escape injection): `policy-assistant feedback` shows what users wrote without
letting control characters act on the operator's terminal."""

from __future__ import annotations

import json

from assistant.cli import main
from assistant.feedback import FeedbackStore

HOSTILE = "标题\x1b]0;pwned\x07清屏\x1b[2J\x9b31m\u202eevil\r\nnext"


def test_feedback_output_escapes_control_characters(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("POLICY_ASSISTANT_DATA_DIR", str(tmp_path))
    FeedbackStore(tmp_path / "feedback.sqlite3").add(HOSTILE, "答", "down", HOSTILE, [])

    assert main(["feedback"]) == 0
    out = capsys.readouterr().out
    assert not any(ch in out for ch in "\x1b\x07\x9b\u202e\r")
    assert out.count("\n") == 1  # one record, one line
    assert "标题\\x1b]0;pwned\\x07清屏\\x1b[2J\\x9b31m\\u202eevil\\r\\nnext" in out

    assert main(["feedback", "--json"]) == 0
    out = capsys.readouterr().out
    assert not any(ch in out for ch in "\x1b\x07\x9b\u202e\r")
    record = json.loads(out)[0]
    assert record["question"] == HOSTILE and record["comment"] == HOSTILE  # escaped on screen, intact as data
