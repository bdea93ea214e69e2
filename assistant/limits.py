"""Bounds on text that users send: one place for the limits and the Unicode rule, shared by the
service, the HTTP schemas (which also publish them in OpenAPI) and the command line.

Bottom layer: imports nothing from the package.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, model_validator

MAX_QUESTION_CHARS = 2000  # a question, a history turn's question, a follow-up read with its turn
MAX_ANSWER_CHARS = 20000  # an answer sent back as history or with feedback
MAX_HISTORY_TURNS = 20
MAX_COMMENT_CHARS = 2000  # a feedback comment
MAX_CITATIONS = 20  # citations sent back with feedback (an answer has at most 20)
MAX_NAME_CHARS = 500  # short labels: document ids, titles, section paths, headings, places, metadata

_SURROGATE = re.compile("[\ud800-\udfff]")


def invalid_unicode_message(field: str = "") -> str:
    where = f"{field}：" if field else ""
    return f"{where}文本含有无效的 Unicode 字符（孤立的代理码位），请检查输入的编码"


def is_valid_unicode(text: str) -> bool:
    """False for text holding lone surrogates (JSON "\\ud800", undecodable argv bytes): such text
    cannot be encoded as UTF-8 and must be refused where it enters."""
    return _SURROGATE.search(text) is None


def first_invalid_text(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where the first string that is not valid Unicode sits in parsed JSON (keys included), or None."""
    if isinstance(value, str):
        return None if is_valid_unicode(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not is_valid_unicode(key):
                return (*path, "<key>")
            found = first_invalid_text(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = first_invalid_text(item, (*path, i))
            if found is not None:
                return found
    return None


class QuestionError(ValueError):
    """A question the assistant refuses to process; the message says why."""


EMPTY_QUESTION = "问题不能为空，请输入问题"


def too_long(chars: int, max_chars: int) -> str:
    return f"问题有 {chars} 字，超过 {max_chars} 字的上限，请精简后再问"


def validate_question(question: str, max_chars: int) -> str:
    """The question stripped, or QuestionError: empty, over ``max_chars``, not valid Unicode.  Here
    (not in the service) so that the command line can check a question before loading anything."""
    text = (question or "").strip()
    if not text:
        raise QuestionError(EMPTY_QUESTION)
    if len(text) > max_chars:
        raise QuestionError(too_long(len(text), max_chars))
    if not is_valid_unicode(text):
        raise QuestionError(invalid_unicode_message("question"))
    return text


class UserInput(BaseModel):
    """Base of request models carrying user text: a string that is not valid Unicode anywhere in
    the input is refused with a message naming its field, before any field is looked at."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        where = first_invalid_text(data)
        if where is not None:
            raise ValueError(invalid_unicode_message(".".join(str(p) for p in where)))
        return data


# Characters that act on a terminal instead of being shown: C0 controls but tab and line breaks,
# DEL, C1 controls (0x9b is CSI), zero-width and bidi-override characters (text that reads
# differently from what it is).
_UNSAFE = [*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0), *range(0x200b, 0x2010),
           *range(0x202a, 0x202f), *range(0x2066, 0x206a), 0xfeff]
_AS_TEXT = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _UNSAFE} | {0x0a: "\\n", 0x0d: "\\r"}
_AS_JSON = {c: f"\\u{c:04x}" for c in _UNSAFE}


def escape_controls(text: str) -> str:
    """Text safe to print on a terminal: control characters (ESC, BEL, C1 CSI …) and bidi overrides
    shown as escapes (``\\x1b``, ``\\u202e``); line breaks as ``\\n`` so one record stays one line."""
    return text.translate(_AS_TEXT)


def escape_controls_json(json_text: str) -> str:
    """JSON text safe to print: the same characters written as ``\\uXXXX`` escapes (still valid JSON,
    the same strings once parsed)."""
    return json_text.translate(_AS_JSON)
