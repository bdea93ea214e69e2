import random
from pathlib import Path

import pytest

from assistant.ingest.pipeline import DocumentIngester
from assistant.ingest.reader import UnreadableFileError, decode_bytes, find_files, read_source
from tests.conftest import SHARED

SAMPLE = "第一条 为了加强知识产权保护，制定本条例。\n第二条 本条例自2022年5月1日起施行。\n"


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("gb18030"), "gb18030"),
        (SAMPLE.encode("gbk"), "gb18030"),
        (SAMPLE.encode("utf-16"), "utf-16"),
        (SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_decodes_every_supported_encoding(raw: bytes, encoding: str) -> None:
    text, used = decode_bytes(raw)
    assert text.lstrip("\ufeff") == SAMPLE
    assert used == encoding


def test_binary_file_is_reported_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "broken.txt"
    bad.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(UnreadableFileError, match="broken.txt"):
        read_source(bad)


def test_undecodable_file_is_skipped_and_the_rest_ingest(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("一、总体要求\n(一)指导思想\n坚持创新驱动，加强知识产权保护。\n", encoding="gb18030")
    (tmp_path / "bad.txt").write_bytes(random.Random(7).randbytes(5000))
    result = DocumentIngester().run([tmp_path])
    assert [d.doc_id for d in result.documents] == ["good"]
    assert len(result.failures) == 1 and "bad.txt" in result.failures[0]


def test_crlf_and_bom_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "doc.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "一、总则\r\n内容。\r\n".encode())
    source = read_source(path)
    assert source.text == "一、总则\n内容。\n"
    assert source.doc_id == "doc"


def test_find_files_rejects_missing_and_unsupported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        find_files([tmp_path / "nope"])
    other = tmp_path / "x.xlsx"
    other.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnreadableFileError, match="unsupported file type"):
        find_files([other])


def test_a_private_use_character_in_valid_utf8_is_kept(tmp_path: Path) -> None:
    """Issue 22: one private-use glyph (a rare character a source font defined) in 321 characters of
    a real regulation made the valid UTF-8 file 'undecodable'."""
    law = SHARED / "corpus" / "more" / "05_shandong_zhuanli_tiaoli.txt"
    text = law.read_text(encoding="utf-8")[:320]
    text = text[:100] + "\ue5e5" + text[100:]
    source = tmp_path / "rare-glyph.txt"
    source.write_bytes(text.encode("utf-8"))
    read = read_source(source)
    assert read.encoding == "utf-8" and read.text == text


def test_private_use_characters_still_count_against_a_guessed_gb18030() -> None:
    with pytest.raises(UnreadableFileError):
        decode_bytes(bytes([0xAA, 0xA1]) * 400)  # GB18030's user-defined area: private use throughout
