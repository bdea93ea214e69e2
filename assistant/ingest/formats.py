"""Text out of PDF (text layer), Word .docx and HTML pages; the type is checked by content.

Each extractor returns plain text shaped like the other inputs: one paragraph a line, tables as
one cell a line under their header (the shape tables.py rebuilds), so the same policy yields the
same sections and units whatever format it arrives in.
"""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import zipfile
from dataclasses import dataclass

from assistant.ingest.numbering import match_marker

PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
HTML_SUFFIXES = (".html", ".htm")
TEXT_SUFFIXES = (".txt", ".md", ".markdown")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES + DOCX_SUFFIXES + HTML_SUFFIXES
_SENTENCE_END = "。！？；：!?;:）)】」』"
_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|p|div|article)[\s>]", re.IGNORECASE)


class FormatError(ValueError):
    """A file whose content is not what its name says, or that holds no extractable text."""


TOO_LARGE, OVER_LIMITS = "too_large", "over_limits"


class ExtractionLimitError(FormatError):
    """A file refused by the extraction limits: ``too_large`` (its uncompressed content is over the
    size limit) or ``over_limits`` (extraction ran out of time or memory)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ExtractionLimits:
    """Bounds on extracting one PDF or Word file, which runs in a child process (a 16 KB PDF or a
    360 KB .docx can otherwise cost minutes and gigabytes)."""

    seconds: int = 30  # CPU seconds; the wall-clock timeout is twice that plus start-up
    memory_bytes: int = 1024 * 1024 * 1024  # address space of the child
    expanded_bytes: int = 20 * 1024 * 1024  # uncompressed size: zip members, extracted text


def expanded_size(raw: bytes) -> int:
    """What a .docx (zip) holds once uncompressed, by its directory; other formats: their size."""
    if not raw.startswith(b"PK\x03\x04"):
        return len(raw)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return len(raw)


def extract_bounded(kind: str, raw: bytes, limits: ExtractionLimits) -> str:
    """pdf_text / docx_text run in a fresh interpreter under CPU-time and address-space limits;
    the uncompressed size is checked before it starts."""
    size = expanded_size(raw)
    if size > limits.expanded_bytes:
        raise ExtractionLimitError(TOO_LARGE, f"文件解压后有 {size} 字节，超过 {limits.expanded_bytes} 字节的上限")
    command = [sys.executable, "-m", "assistant.ingest.extract_worker", kind, str(limits.seconds),
               str(limits.memory_bytes), str(limits.expanded_bytes)]
    over_time = ExtractionLimitError(OVER_LIMITS, f"提取文本超过 {limits.seconds} 秒的时间限制，文件可能经过特殊构造")
    try:
        done = subprocess.run(command, input=raw, capture_output=True, timeout=2 * limits.seconds + 10)
    except subprocess.TimeoutExpired:
        raise over_time from None
    if done.returncode == -signal.SIGXCPU or done.returncode == -signal.SIGKILL:
        raise over_time
    try:
        reply = json.loads(done.stdout)
    except ValueError:
        reply = {"kind": OVER_LIMITS, "error": f"提取文本时超出 {limits.memory_bytes // (1024 * 1024)} MB 的内存限制"
                                              f"或异常退出（退出码 {done.returncode}）"}
    if "text" in reply:
        return reply["text"]
    if reply.get("kind") in (TOO_LARGE, OVER_LIMITS):
        raise ExtractionLimitError(reply["kind"], reply["error"])
    raise FormatError(reply.get("error", "the file could not be read"))


def sniff(raw: bytes) -> str:
    """The format the bytes really are: pdf, docx, html or text."""
    if raw.startswith(b"%PDF-"):
        return "pdf"
    if raw.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        return "zip"
    if _HTML_SNIFF.search(raw[:4096]):
        return "html"
    return "text"


def expected_format(suffix: str) -> str:
    suffix = suffix.lower()
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in DOCX_SUFFIXES:
        return "docx"
    if suffix in HTML_SUFFIXES:
        return "html"
    return "text"


def unwrap_lines(text: str) -> str:
    """Join lines a PDF broke inside a paragraph: a line continues the previous one unless the
    previous ended a sentence or this one starts a numbered item."""
    out: list[str] = []
    for line in (ln.strip() for ln in text.split("\n")):
        if not line:
            continue
        if out and not out[-1].endswith(tuple(_SENTENCE_END)) and not match_marker(line) \
                and len(out[-1]) >= 20 and not re.match(r"^(专栏|注|附件)", line):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def pdf_text(raw: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise FormatError("the PDF is encrypted; save an unprotected copy first")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as err:
        raise FormatError(f"not a readable PDF ({err})") from None
    text = "\n".join(pages)
    if len(re.sub(r"\s", "", text)) < 20:
        raise FormatError(f"the PDF has no text layer ({len(pages)} page(s) of images, a scan?); OCR it first")
    return unwrap_lines(text)


def docx_text(raw: bytes) -> str:
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(raw))
    except Exception as err:  # noqa: BLE001 - python-docx raises many kinds for a damaged file
        if "memory" in f"{err} {getattr(err, 'error_log', '')}".lower():  # libxml2 out of memory (ERR_NO_MEMORY)
            raise MemoryError(str(err)) from None
        raise FormatError(f"not a readable Word document ({err.__class__.__name__})") from None
    lines: list[str] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(element, document).text.strip())
        elif tag == "tbl":
            for row in Table(element, document).rows:  # one cell a line, rows under their header
                seen = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell repeats across the columns it spans
                        continue
                    seen.add(id(cell._tc))
                    lines.extend(["", cell.text.strip()])
            lines.append("")
    return "\n".join(lines).strip()


def html_text(page: str) -> str:
    import trafilatura

    text = trafilatura.extract(page, include_tables=True, include_comments=False, output_format="txt",
                               favor_recall=True)
    if not text or not text.strip():
        raise FormatError("no main text found in the HTML page")
    return flatten_pipe_tables(text)


_PIPE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")


def flatten_pipe_tables(text: str) -> str:
    """Rows written as ``| a | b |`` become one cell a line, the shape tables.py rebuilds."""
    out: list[str] = []
    for line in text.split("\n"):
        row = _PIPE_ROW.match(line)
        if not row:
            out.append(line)
            continue
        cells = [cell.strip() for cell in row.group(1).split("|")]
        if all(re.fullmatch(r":?-{2,}:?", cell) for cell in cells if cell):
            continue  # the separator row under a Markdown header
        for cell in cells:
            out.extend(["", cell])
        out.append("")
    return "\n".join(out)


def extract(raw: bytes, suffix: str, decode, limits: ExtractionLimits = ExtractionLimits()) -> tuple[str, str]:
    """(text, encoding or format) of a file's bytes; ``decode`` turns text bytes into (str, encoding).

    Binary formats must be what their name says; a text file may contain markup and stays text.
    PDF and Word files are extracted under ``limits``."""
    actual = sniff(raw)
    wanted = expected_format(suffix)
    binary = {"pdf", "docx", "zip"}
    if (wanted in binary or actual in binary or wanted == "html") and actual != wanted:
        raise FormatError(f"the name says {wanted} but the content is {actual}")
    if actual in ("pdf", "docx"):
        return extract_bounded(actual, raw, limits), actual
    text, encoding = decode(raw)
    if wanted == "html":
        return html_text(text), "html"
    return text, encoding
