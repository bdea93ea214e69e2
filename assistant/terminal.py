"""The terminal side of `ask` and `chat`: answers printed with their sources as `《short title》 section`
(offsets stay in --json), and the interactive chat loop with line editing, history and commands.

The answers come from an ``Answerer``: the assistant in this process (``LocalAssistant``) or a
running server (``assistant.remote.RemoteAssistant``).  Nothing heavy is imported here, so that a
chat with a server never loads torch or FAISS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from assistant.limits import QuestionError
from assistant.models import Answer, Turn
from assistant.remote import ServerUnavailable

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

    from assistant.retrieval.retriever import Filters
    from assistant.service import PolicyAssistant

SOURCES_HEADING = "来源："
COMMANDS = {
    "/help": "列出这些命令",
    "/new": "开始新对话（清除上文）",
    "/quit": "退出（也可用 /exit 或 Ctrl-D）",
}
QUIT = {"/quit", "/exit", "exit", "quit"}
PROMPT = "问> "


def format_answer(answer: Answer, short_titles: dict[str, str]) -> str:
    """The answer, then one line per citation: `[1] 《武汉工作方案》 二、 (四) 4. 强化知识产权金融赋能`."""
    lines = []
    if answer.resolved_question:
        lines.append(f"（结合上文理解为：{answer.resolved_question}）")
    lines.append(answer.answer)
    if answer.citations:
        lines += ["", "相近条款（仅供参考）：" if answer.abstained else SOURCES_HEADING]
        for n, c in enumerate(answer.citations, start=1):
            name = short_titles.get(c.doc_id, c.title)
            heading = f" {c.heading}" if c.heading else ""
            lines.append(f"[{n}] 《{name}》 {c.section}{heading}")
    return "\n".join(lines)


class Answerer(Protocol):
    """Whatever answers the terminal's questions, with its filters and top_k already chosen."""

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer: ...

    def short_titles(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class LocalAssistant:
    """The assistant loaded in this process."""

    assistant: PolicyAssistant
    filters: Filters | None = None
    top_k: int | None = None

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        return self.assistant.ask(question, self.top_k, self.filters, history)

    def short_titles(self) -> dict[str, str]:
        from assistant.short_titles import index_short_titles

        return index_short_titles(self.assistant.current().index)


def help_text() -> str:
    return "可用命令：\n" + "\n".join(f"  {name:<6} {what}" for name, what in COMMANDS.items()) + \
        "\n其他输入都作为问题提交；↑/↓ 翻看以前的问题，←/→ 编辑本行。"


def line_reader(history_file: Path | None, stdin: TextIO, stdout: TextIO) -> Callable[[str], str]:
    """prompt_toolkit (line editing, ↑/↓ history kept in `history_file`) on a terminal; plain
    reading of lines when input is piped."""
    if not (stdin.isatty() and stdout.isatty()):
        return input
    return prompt_session(history_file).prompt


def prompt_session(history_file: Path | None, **options: Any) -> PromptSession:
    """A prompt_toolkit session whose ↑/↓ history is kept in `history_file` across chats."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory

    history: History = InMemoryHistory()
    if history_file is not None:
        try:
            history_file.parent.mkdir(parents=True, exist_ok=True)
            history = FileHistory(str(history_file))
        except OSError:
            pass  # an unwritable history folder costs the saved history only
    return PromptSession(history=history, **options)


@dataclass
class ChatSession:
    """One terminal conversation: questions go to the answerer with the earlier turns."""

    answerer: Answerer
    write: Callable[[str], None]
    history: list[Turn] = field(default_factory=list)

    def handle(self, line: str) -> bool:
        """Acts on one input line; False when the user asked to quit."""
        text = line.strip()
        if not text:
            return True
        if text in QUIT:
            return False
        if text == "/help":
            self.write(help_text())
        elif text == "/new":
            self.history.clear()
            self.write("（已开始新对话）")
        elif text.startswith("/") and " " not in text:
            self.write(f"未知命令 {text}；输入 /help 查看可用命令")
        else:
            self._ask(text)
        return True

    def _ask(self, question: str) -> None:
        try:
            answer = self.answerer.ask(question, self.history)
        except (QuestionError, ServerUnavailable) as err:  # the chat goes on: the next question may work
            self.write(f"出错了：{err}")
            return
        self.write(format_answer(answer, self.answerer.short_titles()) + "\n")
        self.history.append(Turn(question=question, answer=answer.answer))

    def run(self, read_line: Callable[[str], str]) -> int:
        self.write("政策问答（输入问题后回车；/help 查看命令；/quit 退出）")
        while True:
            try:
                line = read_line(PROMPT)
            except (EOFError, KeyboardInterrupt):
                self.write("")
                return 0
            if not self.handle(line):
                return 0
