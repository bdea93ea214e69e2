"""Optional generative wording of an extractive answer by an OpenAI-compatible chat-completions server.

The retrieved clauses stay the sources: the server only rewords the answer, every statement cited with the
clauses' numbers. Anything unexpected (no server, an error, a reply without a valid citation) falls back to the
extractive answer, so wording can only change the text, never the citations.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

from assistant.text.templates import render
from assistant.models import Answer, Citation

logger = logging.getLogger(__name__)

TEMPLATE = "generative.j2"
GENERATED = "generated"

# A bracketed marker, ASCII or full-width, e.g. [1], [1, 3], 【2】, [abc]; with the blanks before it.
_MARKER = re.compile(r"([ \t\u3000]*)[\[【]([^\[\]【】\n]{0,20})[\]】]")
_SEPARATOR = re.compile(r"[,，、;；\s]+")
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL)


@dataclass(frozen=True)
class GenerationSettings:
    base_url: str  # e.g. "http://127.0.0.1:8080/v1"  (POST {base_url}/chat/completions)
    model: str
    api_key: str | None = None
    timeout: float = 20.0
    max_tokens: int = 600
    temperature: float = 0.1


class GenerationError(Exception):
    """Why a reply cannot be used; the message is the fallback reason."""


def build_messages(question: str, citations: list[Citation]) -> list[dict[str, str]]:
    """The system and user messages: instructions, then the question and the numbered sources [1]..[k]."""
    sources = [
        {"n": n, "title": c.title, "section": c.section, "heading": c.heading, "quote": c.quote}
        for n, c in enumerate(citations, start=1)
    ]
    return [
        {"role": part, "content": render(TEMPLATE, part=part, question=question, sources=sources)}
        for part in ("system", "user")
    ]


def check_markers(text: str, count: int) -> tuple[str, int]:
    """Keep the markers that name a source 1..count (a list like [1, 3] becomes [1][3]); drop the others.

    Returns the cleaned text and how many valid markers it keeps.
    """
    kept = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal kept
        parts = [p for p in _SEPARATOR.split(match.group(2)) if p]
        valid = [p for p in parts if p.isascii() and p.isdigit() and 1 <= int(p) <= count]
        if not valid:
            return ""
        kept += len(valid)
        return match.group(1) + "".join(f"[{int(p)}]" for p in valid)

    cleaned = _MARKER.sub(replace, text)
    return cleaned.strip(), kept


def reply_content(data: Any) -> str:
    """The assistant message of a chat-completions response body."""
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise GenerationError(f"malformed response: no choices[0].message.content ({error!r})") from None
    if not isinstance(content, str):
        raise GenerationError("malformed response: content is not text")
    return _THINKING.sub("", content).strip()


class GenerativeWriter:
    """Words extractive answers with a chat-completions server; falls back to the extractive answer."""

    def __init__(self, settings: GenerationSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client
        self.last_outcome: str = "not run"

    def run(self, extractive: Answer) -> Answer:
        """Word the answer with the server; the citations, question and abstained flag are kept as they are.

        ``self.last_outcome`` tells what happened: "generated", or "fallback: <reason>".
        """
        if extractive.abstained:
            self.last_outcome = "fallback: abstained answer is not reworded"
            return extractive
        if not extractive.citations:
            self.last_outcome = "fallback: no sources to cite"
            return extractive
        try:
            reply = self._complete(build_messages(extractive.question, extractive.citations))
            if not reply:
                raise GenerationError("empty reply")
            text, kept = check_markers(reply, len(extractive.citations))
            if not kept:
                raise GenerationError("reply cites no source")
        except GenerationError as error:
            return self._fallback(extractive, str(error))
        except httpx.TimeoutException:
            return self._fallback(extractive, f"timeout after {self.settings.timeout:g} s")
        except httpx.HTTPStatusError as error:
            return self._fallback(extractive, f"HTTP {error.response.status_code}")
        except httpx.HTTPError as error:
            return self._fallback(extractive, f"{type(error).__name__}: {error}")
        self.last_outcome = GENERATED
        return extractive.model_copy(update={"answer": text})

    def _fallback(self, extractive: Answer, reason: str) -> Answer:
        self.last_outcome = f"fallback: {reason}"
        logger.warning("generative wording failed, using the extractive answer: %s", reason)
        return extractive

    def _complete(self, messages: list[dict[str, str]]) -> str:
        settings = self.settings
        url = settings.base_url.rstrip("/") + "/chat/completions"
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        body = {
            "model": settings.model,
            "messages": messages,
            "max_tokens": settings.max_tokens,
            "temperature": settings.temperature,
            "stream": False,
        }
        if self.client is not None:
            response = self.client.post(url, json=body, headers=headers, timeout=settings.timeout)
        else:
            with httpx.Client(timeout=settings.timeout) as client:
                response = client.post(url, json=body, headers=headers)
        response.raise_for_status()
        try:
            data = response.json()
        except ValueError:
            raise GenerationError("malformed response: body is not JSON") from None
        return reply_content(data)
