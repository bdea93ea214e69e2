"""Finding policy files and reading them whatever their encoding or format."""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.formats import SUPPORTED_SUFFIXES, ExtractionLimits, FormatError, extract


class UnreadableFileError(ValueError):
    """A file that cannot be decoded as text; the message names the file and why."""


@dataclass(frozen=True)
class SourceFile:
    doc_id: str  # the file's stem
    path: Path
    text: str
    encoding: str  # the text encoding, or pdf / docx / html for converted formats
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
            raise UnreadableFileError(
                f"{path}: unsupported file type {path.suffix or '(none)'}; use {', '.join(SUPPORTED_SUFFIXES)}"
            )
    return list(found)


def _common_share(text: str) -> float:
    """Share of characters a Chinese policy text is made of: CJK, ASCII, CJK and full-width punctuation."""
    if not text:
        return 1.0
    common = sum(
        1
        for ch in text
        if ch.isascii() and (ch.isprintable() or ch in "\n\r\t")
        or "\u4e00" <= ch <= "\u9fff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or "\u2000" <= ch <= "\u206f"
        or ch in "\ufeff\u00b7\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468\u2469"
    )
    return common / len(text)


MAX_CONTROL_SHARE = 0.002  # control characters a text file may hold (form feeds and tabs aside)


def _looks_like_text(text: str, private_use_ok: bool = False) -> bool:
    """Few control characters and no replacement character.  Private-use characters count against a
    guessed legacy decoding (GB18030 maps its user-defined bytes to them) but not against valid
    UTF-8, where they are the glyphs a source font defined for rare characters."""
    unlike = ("Cc", "Cs") if private_use_ok else ("Cc", "Cs", "Co")
    bad = sum(1 for ch in text if unicodedata.category(ch) in unlike and ch not in "\n\r\t\f")
    return "\ufffd" not in text and bad <= len(text) * MAX_CONTROL_SHARE


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode policy text: UTF-8 (with or without BOM), UTF-16 (with or without BOM), GB18030/GBK.

    UTF-8 is strict enough to trust when it decodes; otherwise the candidate whose result is most
    made of the characters Chinese documents use wins (GB18030 decodes almost any bytes, so it
    must beat UTF-16 on that score rather than merely decode).
    """
    if raw.startswith(codecs.BOM_UTF8):
        return raw.decode("utf-8-sig", errors="strict"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as err:
            raise UnreadableFileError(f"has a UTF-16 byte-order mark but is not UTF-16 ({err.reason})") from None
    try:
        text = raw.decode("utf-8")
        if _looks_like_text(text, private_use_ok=True):
            return text, "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    for encoding in ("utf-16-le", "utf-16-be", "gb18030"):
        if encoding.startswith("utf-16") and len(raw) % 2:
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        share = _common_share(text)
        if _looks_like_text(text) and share >= 0.9 and (best is None or share > best[0]):
            best = (share, text, encoding)
    if best is None:
        raise UnreadableFileError("cannot decode as UTF-8, UTF-16 or GB18030 text")
    return best[1], best[2]


def read_source(path: Path, limits: ExtractionLimits = ExtractionLimits()) -> SourceFile:
    """Read one file; raise UnreadableFileError naming the file if it is not decodable text (its
    cause is the format's own error, e.g. an ExtractionLimitError)."""
    raw = path.read_bytes()
    try:
        text, encoding = extract(raw, path.suffix, decode_bytes, limits)
    except (UnreadableFileError, FormatError) as err:
        raise UnreadableFileError(f"{path}: {err}") from err
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return SourceFile(
        doc_id=path.stem,
        path=path,
        text=text,
        encoding=encoding,
        content_hash=hashlib.sha256(raw).hexdigest(),
    )
