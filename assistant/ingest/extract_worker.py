"""The child process of formats.extract_bounded: limits itself, extracts one PDF or Word file read
from stdin and writes ``{"text": …}`` or ``{"error": …, "kind": …}`` as JSON to stdout.

Usage: python -m assistant.ingest.extract_worker {pdf|docx} SECONDS MEMORY_BYTES EXPANDED_BYTES
"""

from __future__ import annotations

import json
import resource
import sys

from assistant.ingest.formats import OVER_LIMITS, TOO_LARGE, FormatError, docx_text, pdf_text


def limit_self(seconds: int, memory_bytes: int) -> None:
    """CPU time (SIGXCPU at the soft limit) and address space (MemoryError beyond it)."""
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 2))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def main(argv: list[str]) -> int:
    kind, seconds, memory_bytes, expanded_bytes = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    raw = sys.stdin.buffer.read()
    limit_self(seconds, memory_bytes)
    try:
        text = pdf_text(raw) if kind == "pdf" else docx_text(raw)
        size = len(text.encode("utf-8", "surrogatepass"))
        reply = ({"text": text} if size <= expanded_bytes else
                 {"kind": TOO_LARGE, "error": f"提取出的文本有 {size} 字节，超过 {expanded_bytes} 字节的上限"})
    except MemoryError:
        reply = {"kind": OVER_LIMITS, "error": f"提取文本超出 {memory_bytes // (1024 * 1024)} MB 的内存限制，"
                                                 "文件可能经过特殊构造"}
    except FormatError as err:
        reply = {"kind": "format", "error": str(err)}
    except Exception as err:  # noqa: BLE001 - a damaged file can make the parsers raise anything
        reply = {"kind": "format", "error": f"not a readable {kind.upper()} file ({err.__class__.__name__})"}
    sys.stdout.write(json.dumps(reply))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
