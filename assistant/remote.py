"""A running `policy-assistant serve` answering for `ask` and `chat`: the question goes to its
``POST /api/ask`` and the answer comes back in the same contract, so the command line prints what
it would print locally without importing torch or FAISS or loading the model (about a second
instead of ten).  Standard library HTTP only: this module must stay cheap to import.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, fields
from typing import Any

from assistant.limits import QuestionError
from assistant.models import Answer, DocumentMetadata, Period, Turn

USER_ERRORS = {400, 413, 422}  # the question or its history was refused: the user's to fix


class ServerUnavailable(RuntimeError):
    """The configured server cannot be reached or did not answer as a policy-assistant server does."""


@dataclass(frozen=True)
class RemoteAssistant:
    """Questions answered by the server at ``base_url`` with the caller's filters and top_k."""

    base_url: str
    timeout: float
    top_k: int | None = None
    doc_ids: frozenset[str] = frozenset()
    jurisdictions: frozenset[str] = frozenset()

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        body: dict[str, Any] = {"question": question, "history": [turn.model_dump() for turn in history or []]}
        if self.top_k is not None:
            body["top_k"] = self.top_k
        if self.doc_ids or self.jurisdictions:
            body["filters"] = {"doc_ids": sorted(self.doc_ids), "jurisdictions": sorted(self.jurisdictions)}
        return Answer.model_validate(self._call("POST", "/api/ask", body))

    def short_titles(self) -> dict[str, str]:
        """doc_id -> short name, from the server's document list (the same names a local index gives)."""
        from assistant.short_titles import short_titles

        rows = self._call("GET", "/api/documents")
        return short_titles((row["doc_id"], _metadata(row)) for row in rows)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = self.base_url.rstrip("/") + path
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            message = _error_message(err)
            if err.code in USER_ERRORS:
                raise QuestionError(message) from None
            raise ServerUnavailable(f"服务器 {self.base_url} 返回 {err.code}：{message}") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise ServerUnavailable(
                f"无法连接服务器 {self.base_url}（{reason}）；请先运行 policy-assistant serve，"
                "或加 --local 在本机回答") from None
        except ValueError:
            raise ServerUnavailable(f"{self.base_url} 的回复不是 policy-assistant 的 JSON；请检查服务器地址") from None


def _error_message(err: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(err.read().decode("utf-8"))["error"])
    except (ValueError, KeyError, TypeError, OSError):
        return err.reason or "未知错误"


_METADATA_FIELDS = {f.name for f in fields(DocumentMetadata)} - {"period", "repeals"}


def _metadata(row: dict[str, Any]) -> DocumentMetadata:
    """The metadata a short name is made from, as /api/documents lists it."""
    period = row.get("period")
    return DocumentMetadata(**{name: row[name] for name in _METADATA_FIELDS if name in row},
                            period=Period(**period) if period else None)
