"""Every document of ../shared/corpus (policies and extra): title, issuer, publisher, number, dates,
validity and repeals against a hand-checked expectation — and the README's metadata table against
the same expectation, so the table stays true."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.ingest.pipeline import parse_document
from assistant.ingest.reader import find_files, read_source
from assistant.validity import validities
from assistant.models import DocumentMetadata
from assistant.store.index import PolicyIndex, StoredDocument
from tests.conftest import SHARED

CORPUS = SHARED / "corpus"
README = Path(__file__).resolve().parents[2] / "README.md"
JUDGED_ON = date(2026, 1, 1)  # the README table's validity column is judged on this day
COLUMNS = ("document", "title", "issuer", "publisher", "number", "date", "promulgated", "effective", "validity",
           "repeals")

# Checked by hand against the texts.  "—" = the text does not say.  Titles marked （推断） are inferred.
EXPECTED = {
    "policies/guangxi-ip-protection-use-plan-14th-fyp": (
        "广西壮族自治区知识产权保护和运用十四五规划", "广西知识产权战略实施工作厅际联席会议办公室",
        "广西壮族自治区市场监督管理局", "桂市监函〔2021〕2676号", "2021-11-24", "—", "—", "规划期已结束（2021—2025年）", "—"),
    "policies/national-ip-protection-use-plan-14th-fyp": (
        "“十四五”国家知识产权保护和运用规划", "国务院", "—", "国发〔2021〕20号", "2021-11-02", "—", "—",
        "规划期已结束（2021—2025年）", "—"),
    "policies/sichuan-ip-strategy-action-plan-2016-2020": (
        "深入实施四川省知识产权战略行动计划(2016-2020)", "—", "攀枝花市市场监督管理局", "—", "2021-06-23", "—", "—",
        "规划期已结束（2016—2020年）", "—"),
    "policies/wuhan-ip-strong-city-work-plan-2022-2025": (
        "武汉市推进国家知识产权强市建设示范城市建设工作方案(2022—2025年)", "—", "—", "—", "2022-11-08", "—", "—",
        "规划期已结束（2022—2025年）", "—"),
    "policies/zibo-ip-service-industry-opinions-2023": (
        "关于加快推动知识产权服务业高质量发展的实施意见", "淄博市市场监督管理局等15个单位", "—", "淄市监知促字〔2023〕130号",
        "2023-11-09", "—", "—", "现行有效", "—"),
    "extra/01_guojia_zscq_fangguanfu_tongzhi_jiedu": (
        "《关于深化知识产权领域“放管服”改革优化创新环境和营商环境的通知》解读（推断）", "—", "—", "—", "—", "—", "—",
        "现行有效", "—"),
    "extra/02_guangdong_zscq_baohu_tiaoli": (
        "广东省知识产权保护条例", "广东省人民代表大会常务委员会", "—", "—", "2022-03-29", "2022-03-29", "2022-05-01",
        "现行有效", "—"),
    "extra/03_shanghai_pudong_gaoshuiping_zscq_baohu_guiding": (
        "上海市浦东新区建立高水平知识产权保护制度若干规定", "上海市人民代表大会常务委员会", "—", "—", "2021-10-28",
        "2021-10-28", "2021-12-01", "现行有效", "—"),
    "extra/04_zhejiang_zhuanli_tiaoli": (
        "浙江省专利条例", "浙江省人民代表大会常务委员会", "—", "浙江省第十二届人民代表大会常务委员会公告第30号", "2015-09-25",
        "2015-09-25", "2016-01-01", "现行有效", "《浙江省专利保护条例》"),
    "extra/05_luoyang_zhuanli_cujin_baohu_tiaoli": (
        "洛阳市专利促进与保护条例", "洛阳市人民代表大会常务委员会", "—", "—", "2012-10-25", "2012-11-29", "2013-03-01",
        "现行有效", "《洛阳市专利保护管理条例》"),
}


def _issuer(value: str | None) -> str:
    if not value:
        return "—"
    bodies = value.split("、")
    return value if len(bodies) <= 2 else f"{bodies[0]}等{len(bodies)}个单位"


def row_of(meta: DocumentMetadata, validity_label: str) -> tuple[str, ...]:
    """A document's README table cells (after the document name)."""
    return (
        meta.title + ("（推断）" if meta.title_inferred else ""),
        _issuer(meta.issuer),
        meta.publisher or "—",
        meta.number or "—",
        meta.date or "—",
        meta.promulgated_date or "—",
        meta.effective_date or "—",
        validity_label or "现行有效",
        "、".join(f"《{t}》" for t in meta.repeals) or "—",
    )


@pytest.fixture(scope="module")
def corpus_rows() -> dict[str, tuple[str, ...]]:
    documents: dict[str, StoredDocument] = {}
    names: dict[str, str] = {}
    for path in find_files([CORPUS / "policies", CORPUS / "extra"]):
        parsed = parse_document(read_source(path))
        documents[parsed.doc_id] = StoredDocument.from_parsed(parsed)
        names[parsed.doc_id] = f"{path.parent.name}/{path.stem}"
    states = validities(PolicyIndex({}, documents, [], None, None), JUDGED_ON)
    return {names[d]: row_of(doc.metadata, states[d].label) for d, doc in documents.items()}


def readme_rows() -> dict[str, tuple[str, ...]]:
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(COLUMNS) and cells[0].strip("`").split("/")[0] in ("policies", "extra"):
            rows[cells[0].strip("`")] = tuple(cells[1:])
    return rows


def test_every_corpus_document_is_expected() -> None:
    found = {f"{p.parent.name}/{p.stem}" for p in find_files([CORPUS / "policies", CORPUS / "extra"])}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata_matches_the_hand_checked_expectation(corpus_rows: dict[str, tuple[str, ...]], name: str) -> None:
    assert dict(zip(COLUMNS[1:], corpus_rows[name])) == dict(zip(COLUMNS[1:], EXPECTED[name]))


def test_readme_table_matches_the_expectation() -> None:
    assert readme_rows() == EXPECTED
