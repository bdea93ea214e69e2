"""Finding policy files and decoding them whatever their encoding."""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown")


class UnreadableFileError(ValueError):
    """A file that cannot be decoded as text; the message names the file and why."""


@dataclass(frozen=True)
class SourceFile:
    doc_id: str  # the file's stem
    path: Path
    text: str
    encoding: str
    content_hash: str  # sha256 of the raw bytes


def find_files(paths: list[Path]) -> list[Path]:
    """Expand files and folders into the supported files they hold, sorted, without duplicates."""
    found: dict[Path, None] = {}
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {path}")
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    found[child.resolve()] = None
        elif path.suffix.lower() in SUPPORTED_SUFFIXES:
            found[path.resolve()] = None
        else:
            raise UnreadableFileError(f"{path}: unsupported file type {path.suffix or '(none)'}; use .txt or .md")
    return list(found)


def _looks_like_text(text: str) -> bool:
    if not text.strip():
        return True
    bad = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t\f")
    return bad / len(text) < 0.002 and "\ufffd" not in text


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode policy text: UTF-8 (with or without BOM), UTF-16 (BOM or NUL pattern), GB18030/GBK."""
    if raw.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
        sample = raw[:4000]
        if sample and sample.count(0) > len(sample) // 4:  # UTF-16 without BOM
            nul_even = sample[0::2].count(0) > sample[1::2].count(0)
            candidates.insert(0, "utf-16-be" if nul_even else "utf-16-le")
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, encoding
    raise UnreadableFileError(f"cannot decode as UTF-8, UTF-16 or GB18030 text (tried {', '.join(candidates)})")


def read_source(path: Path) -> SourceFile:
    """Read one file; raise UnreadableFileError naming the file if it is not decodable text."""
    raw = path.read_bytes()
    try:
        text, encoding = decode_bytes(raw)
    except UnreadableFileError as err:
        raise UnreadableFileError(f"{path}: {err}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return SourceFile(
        doc_id=path.stem,
        path=path,
        text=text,
        encoding=encoding,
        content_hash=hashlib.sha256(raw).hexdigest(),
    )
