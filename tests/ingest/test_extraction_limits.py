"""Issue 14 (file bombs): PDF and Word extraction runs in a child process bounded in CPU time and
memory; the uncompressed size counts toward the upload limit."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from assistant.ingest.formats import (
    OVER_LIMITS,
    TOO_LARGE,
    ExtractionLimitError,
    ExtractionLimits,
    expanded_size,
    extract_bounded,
)
from tests.ingest.test_formats import as_docx, as_pdf


def pdf_bomb(operators: int = 50_000) -> bytes:
    """A few KB of PDF whose one page shows ``operators`` text pieces (seconds of pypdf per page)."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = writer._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                                NameObject("/Subtype"): NameObject("/Type1"),
                                                NameObject("/BaseFont"): NameObject("/Helvetica")}))
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    stream = StreamObject()
    stream._data = zlib.compress(b"BT /F1 12 Tf 10 10 Td " + b"(ab) Tj 1 0 Td " * operators + b"ET", 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bomb(paragraphs: int) -> bytes:
    """A valid .docx whose document.xml repeats a paragraph ``paragraphs`` times (compresses ~60:1)."""
    source = zipfile.ZipFile(io.BytesIO(as_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                at = data.index(b"<w:body>") + len(b"<w:body>")
                data = data[:at] + b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * paragraphs + data[at:]
            archive.writestr(info.filename, data)
    return out.getvalue()


def test_a_slow_pdf_is_stopped_at_the_time_limit() -> None:
    bomb = pdf_bomb()
    assert len(bomb) < 4096
    with pytest.raises(ExtractionLimitError, match="时间限制") as caught:
        extract_bounded("pdf", bomb, ExtractionLimits(seconds=1))
    assert caught.value.kind == OVER_LIMITS


def test_a_docx_over_the_memory_limit_is_stopped() -> None:
    with pytest.raises(ExtractionLimitError, match="内存限制") as caught:
        extract_bounded("docx", docx_bomb(300_000), ExtractionLimits(memory_bytes=128 * 1024 * 1024,
                                                                     expanded_bytes=10**9))
    assert caught.value.kind == OVER_LIMITS


def test_the_uncompressed_size_counts() -> None:
    bomb = docx_bomb(100_000)
    assert len(bomb) < 100_000 and expanded_size(bomb) > 4_000_000
    with pytest.raises(ExtractionLimitError, match="解压后") as caught:
        extract_bounded("docx", bomb, ExtractionLimits(expanded_bytes=1_000_000))
    assert caught.value.kind == TOO_LARGE


def test_ordinary_files_extract_the_same_within_the_limits() -> None:
    from assistant.ingest.formats import docx_text, pdf_text

    limits = ExtractionLimits(seconds=10, memory_bytes=512 * 1024 * 1024)
    assert extract_bounded("pdf", as_pdf(), limits) == pdf_text(as_pdf())
    assert extract_bounded("docx", as_docx(), limits) == docx_text(as_docx())
