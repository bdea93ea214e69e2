"""PDF, Word and HTML in: fixtures are generated here with real libraries (no binary blobs), and
the same policy text yields the same sections and units in every format."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assistant.ingest.formats import FormatError, extract, sniff, unwrap_lines
from assistant.ingest.pipeline import parse_document
from assistant.ingest.reader import UnreadableFileError, decode_bytes, read_source

TITLE = "某市知识产权强市建设工作方案(2024—2026年)"
PARAGRAPHS = [
    "一、总体要求",
    "(一)主要目标",
    "到2026年，全市每万人口高价值发明专利拥有量达到20件，知识产权质押融资金额达到10亿元。",
    "二、重点任务",
    "(一)强化知识产权金融服务",
    "1.推动知识产权质押融资。鼓励银行、保险机构、服务机构共同参与知识产权质押融资服务，扩大中小企业融资规模，"
    "建立风险补偿机制，探索知识产权证券化。(牵头单位:市市场监管局;责任单位:市财政局、市地方金融局)",
    "2.发展知识产权保险。支持保险机构开展专利执行保险、海外侵权责任险等业务。(牵头单位:市地方金融局;责任单位:市市场监管局)",
    "(二)加强知识产权保护",
    "1.完善维权援助机制。建设知识产权维权援助工作站，为企业提供纠纷应对指导。(牵头单位:市市场监管局;责任单位:市司法局)",
]
TABLE = [["序号", "指标", "2023年", "2026年", "属性"], ["1", "专利质押融资金额(亿元)", "5", "10", "预期性"],
         ["2", "维权援助工作站(个)", "3", "8", "预期性"]]


def as_text() -> str:
    lines = [TITLE, *PARAGRAPHS[:3], "主要指标"]
    for row in TABLE:
        lines.extend(row)
    lines.extend(PARAGRAPHS[3:])
    return "\n\n".join(lines) + "\n"


def as_pdf(wrap: int = 38) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont("STSong-Light", 10)
    y = 800
    lines = [TITLE, *PARAGRAPHS[:3], "主要指标", *(cell for row in TABLE for cell in row), *PARAGRAPHS[3:]]
    for paragraph in lines:
        for start in range(0, len(paragraph), wrap):  # long paragraphs wrap over lines, as PDFs do
            pdf.drawString(40, y, paragraph[start:start + wrap])
            y -= 14
            if y < 40:
                pdf.showPage()
                pdf.setFont("STSong-Light", 10)
                y = 800
    pdf.save()
    return buffer.getvalue()


def as_docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading(TITLE, level=1)
    for paragraph in PARAGRAPHS[:3]:
        document.add_paragraph(paragraph)
    document.add_paragraph("主要指标")
    table = document.add_table(rows=len(TABLE), cols=len(TABLE[0]))
    for r, row in enumerate(TABLE):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    for paragraph in PARAGRAPHS[3:]:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def as_html() -> bytes:
    rows = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in TABLE)
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3]) + f"<p>主要指标</p><table>{rows}</table>" + "".join(
        f"<p>{p}</p>" for p in PARAGRAPHS[3:])
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{TITLE}-某市人民政府</title></head><body>"
            "<div class='nav'><a href='/'>首页</a> > <a>政策文件</a></div>"
            "<ul class='menu'><li>机构概况</li><li>政务公开</li><li>办事服务</li></ul>"
            f"<div class='content'><h1>{TITLE}</h1>{body}</div>"
            "<div class='share'>分享到：微信 微博</div><div class='footer'>版权所有：某市人民政府 地址：某路1号 电话：0000-1234567</div>"
            "</body></html>")
    return page.encode("utf-8")


def parse(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return parse_document(read_source(path))


def signature(doc) -> list[tuple[str, tuple, tuple]]:
    return [(c.section, tuple(c.responsibility.lead) if c.responsibility else (),
             tuple(c.responsibility.responsible) if c.responsibility else ()) for c in doc.chunks
            if c.section != "前言"]


def test_same_policy_same_sections_and_units_in_every_format(tmp_path: Path) -> None:
    reference = parse(tmp_path, "plan.txt", as_text().encode("utf-8"))
    expected = signature(reference)
    assert ("二、 (一) 1.", ("市市场监管局",), ("市财政局", "市地方金融局")) in expected
    assert any(section.endswith("指标表 序号2") for section, _, _ in expected)
    for name, data in [("plan.pdf", as_pdf()), ("plan.docx", as_docx()), ("plan.html", as_html())]:
        document = parse(tmp_path, name, data)
        assert signature(document) == expected, name
        assert document.metadata.title == TITLE, name
        assert document.metadata.period and document.metadata.period.end_year == 2026


def test_docx_table_rows_keep_their_header(tmp_path: Path) -> None:
    document = parse(tmp_path, "plan.docx", as_docx())
    rows = [c.row for c in document.chunks if c.kind == "table_row"]
    assert rows[0] == {"序号": "1", "指标": "专利质押融资金额(亿元)", "2023年": "5", "2026年": "10", "属性": "预期性"}


def test_html_page_chrome_is_dropped(tmp_path: Path) -> None:
    document = parse(tmp_path, "plan.html", as_html())
    assert "版权所有" not in document.text and "分享到" not in document.text and "机构概况" not in document.text
    assert "1.推动知识产权质押融资。" in document.text


def test_scanned_pdf_is_reported_not_ingested_empty(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(50, 50, 400, 600, fill=1)  # an "image" page with no text layer
    pdf.save()
    path = tmp_path / "scan.pdf"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnreadableFileError, match="scan.pdf: the PDF has no text layer"):
        read_source(path)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("fake.pdf", "一、总体要求".encode(), "the name says pdf but the content is text"),
        ("fake.docx", b"%PDF-1.4 ...", "the name says docx but the content is pdf"),
        ("notes.txt", b"PK\x03\x04junk", "the name says text but the content is zip"),
        ("broken.pdf", b"%PDF-1.4\n%garbage", "PDF"),
    ],
)
def test_content_must_match_the_name(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnreadableFileError, match=message):
        read_source(path)


def test_sniff_and_unwrap() -> None:
    assert sniff(as_pdf()) == "pdf" and sniff(as_docx()) == "docx" and sniff(as_html()) == "html"
    assert sniff("第一条 本条例".encode()) == "text"
    wrapped = "1.推动知识产权质押融资。鼓励银行、保险机构、服务机构共同参\n与知识产权质押融资服务。\n2.发展保险。"
    assert unwrap_lines(wrapped) == "1.推动知识产权质押融资。鼓励银行、保险机构、服务机构共同参与知识产权质押融资服务。\n2.发展保险。"
    text, kind = extract(as_text().encode("utf-8"), ".txt", decode_bytes)
    assert kind == "utf-8" and text.startswith(TITLE)
