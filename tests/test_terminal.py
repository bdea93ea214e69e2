"""The terminal: sources printed as `《short title》 section` under one heading, the chat's commands,
follow-ups and line editing with history, and unknown --doc / --jurisdiction values refused with the
known ones listed."""

from __future__ import annotations

import io

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from assistant.cli import main
from assistant.retrieval.retriever import Filters
from assistant.short_titles import index_short_titles
from assistant.terminal import COMMANDS, ChatSession, LocalAssistant, format_answer, line_reader, prompt_session

FIGURE = "全国知识产权质押融资登记金额2025年的预期值是多少"


def test_sources_are_short_titles_and_sections_under_one_heading(assistant) -> None:
    answer = assistant.ask(FIGURE)
    names = index_short_titles(assistant.index)
    text = format_answer(answer, names)
    lines = text.splitlines()
    start = lines.index("来源：")
    assert lines[start + 1:] == [f"[{n}] 《{names[c.doc_id]}》 {c.section}" + (f" {c.heading}" if c.heading else "")
                                 for n, c in enumerate(answer.citations, start=1)]
    assert text.count("出处：") <= 1 and text.count("来源：") == 1
    for c in answer.citations:
        assert c.doc_id not in text and f"{c.start}–{c.end}" not in text


def _chat(assistant, lines: list[str]) -> str:
    out: list[str] = []
    feed = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    assert ChatSession(LocalAssistant(assistant, Filters()), out.append).run(read) == 0
    return "\n".join(out)


def test_chat_commands_follow_ups_and_new(assistant) -> None:
    shown = _chat(assistant, ["/help", "/nonsense", "武汉知识产权质押融资金额到2025年的目标是多少?", "广西呢?", "/new",
                              "广西呢?", "/quit", "不会被问到"])
    help_part = shown.split("未知命令")[0]
    assert all(command in help_part for command in COMMANDS) and "来源：" not in help_part
    assert "未知命令 /nonsense" in shown
    assert shown.count("（结合上文理解为：广西") == 1  # after /new the follow-up has no earlier turn
    assert "已开始新对话" in shown
    assert "不会被问到" not in shown


def test_chat_line_editing_and_history(tmp_path) -> None:
    history = tmp_path / "chat-history"
    with create_pipe_input() as keys:
        session = prompt_session(history, input=keys, output=DummyOutput())
        keys.send_text("武汉质押贷款\r")
        assert session.prompt("问> ") == "武汉质押贷款"
        keys.send_text("\x1b[A\x7f\x7f融资\r")  # ↑ recalls the last question; two backspaces edit it
        assert session.prompt("问> ") == "武汉质押融资"
    with create_pipe_input() as keys:  # a new chat finds the earlier questions
        session = prompt_session(history, input=keys, output=DummyOutput())
        keys.send_text("\x1b[A\x1b[A\r")
        assert session.prompt("问> ") == "武汉质押贷款"
    assert line_reader(history, io.StringIO(), io.StringIO()) is input  # piped: plain lines


@pytest.mark.parametrize(("command", "flag", "value", "listing"), [
    ("ask", "--jurisdiction", "火星", "可选的地区：四川、国家、广西、武汉、淄博"),
    ("chat", "--doc", "no-such-doc", "已收录的文件编号：guangxi-ip-protection-use-plan-14th-fyp"),
])
def test_unknown_filter_values_list_the_known_ones(assistant, session_settings, capsys, monkeypatch,
                                                   command, flag, value, listing) -> None:
    question = ["质押融资"] if command == "ask" else []
    monkeypatch.setattr("sys.stdin", io.StringIO("质押融资\n"))
    code = main([command, *question, flag, value, "--index", str(session_settings.index_dir)])
    out, err = capsys.readouterr()
    assert code == 2 and value in err and listing in err, err
    assert "来源" not in out
