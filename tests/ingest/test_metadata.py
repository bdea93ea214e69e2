from pathlib import Path

import pytest

from assistant.ingest.cleaner import clean_text
from assistant.ingest.metadata import extract_metadata
from assistant.ingest.pipeline import bundled_corpus_dir, parse_document
from assistant.ingest.reader import read_source
from tests.conftest import EXTRA_DIR


def meta(path: Path):
    raw = path.read_text(encoding="utf-8")
    return extract_metadata(clean_text(raw).text, raw, path.stem)


EXPECTED = {
    "national-ip-protection-use-plan-14th-fyp": ("“十四五”国家知识产权保护和运用规划", "国务院", "国发〔2021〕20号",
                                                 "2021-11-02", "国家", "national", (2021, 2025)),
    "guangxi-ip-protection-use-plan-14th-fyp": ("广西壮族自治区知识产权保护和运用十四五规划",
                                                "广西知识产权战略实施工作厅际联席会议办公室", "桂市监函〔2021〕2676号",
                                                "2021-11-24", "广西", "province", (2021, 2025)),
    "sichuan-ip-strategy-action-plan-2016-2020": ("深入实施四川省知识产权战略行动计划(2016-2020)", None, None,
                                                  "2021-06-23", "四川", "province", (2016, 2020)),
    "wuhan-ip-strong-city-work-plan-2022-2025": ("武汉市推进国家知识产权强市建设示范城市建设工作方案(2022—2025年)", None,
                                                 None, "2022-11-08", "武汉", "city", (2022, 2025)),
    "zibo-ip-service-industry-opinions-2023": ("关于加快推动知识产权服务业高质量发展的实施意见", "淄博市市场监督管理局",
                                               "淄市监知促字〔2023〕130号", "2023-11-09", "淄博", "city", None),
}


@pytest.mark.parametrize("doc_id", sorted(EXPECTED))
def test_bundled_metadata(doc_id: str) -> None:
    title, issuer, number, date, jurisdiction, level, period = EXPECTED[doc_id]
    found = meta(bundled_corpus_dir() / f"{doc_id}.txt")
    assert found.title == title
    assert (found.issuer or "").startswith(issuer or "") and (issuer is not None) == (found.issuer is not None)
    assert found.number == number
    assert found.date == date
    assert (found.jurisdiction, found.level) == (jurisdiction, level)
    assert (found.period and (found.period.start_year, found.period.end_year)) == period


def test_sichuan_republisher_is_not_its_jurisdiction() -> None:
    found = meta(bundled_corpus_dir() / "sichuan-ip-strategy-action-plan-2016-2020.txt")
    assert found.publisher == "攀枝花市市场监督管理局" and found.jurisdiction == "四川"


@pytest.mark.parametrize(
    ("name", "title", "jurisdiction", "level"),
    [
        ("02_guangdong_zscq_baohu_tiaoli", "广东省知识产权保护条例", "广东", "province"),
        ("03_shanghai_pudong_gaoshuiping_zscq_baohu_guiding", "上海市浦东新区建立高水平知识产权保护制度若干规定",
         "浦东新区", "district"),
        ("04_zhejiang_zhuanli_tiaoli", "浙江省专利条例", "浙江", "province"),
        ("05_luoyang_zhuanli_cujin_baohu_tiaoli", "洛阳市专利促进与保护条例", "洛阳", "city"),
    ],
)
def test_markdown_law_metadata(name: str, title: str, jurisdiction: str, level: str) -> None:
    found = meta(EXTRA_DIR / f"{name}.txt")
    assert (found.title, found.jurisdiction, found.level) == (title, jurisdiction, level)
    assert found.issuer and found.issuer.endswith("人民代表大会常务委员会")
    assert found.period is None


def test_untitled_single_line_document_gets_a_usable_title() -> None:
    found = meta(EXTRA_DIR / "01_guojia_zscq_fangguanfu_tongzhi_jiedu.txt")
    assert found.title and len(found.title) <= 40 and "来源" not in found.title


def test_a_notice_is_signed_at_its_end() -> None:
    """Issue 22: the issuer and date of a city funding notice are in its sign-off (东莞市知识产权局 on
    one line, 2017年8月15日 on the next), not in its header; a date the notice cites is not its date."""
    from assistant.ingest.metadata import signature_block
    from tests.conftest import SHARED

    notice = read_source(SHARED / "corpus" / "more" / "36_dongguan_2017_shi_zhuanli_cujin_xiangmu_shenbao_tongzhi.txt")
    meta = parse_document(notice).metadata
    assert (meta.issuer, meta.date) == ("东莞市知识产权局", "2017-08-15")
    assert signature_block(notice.text) == (["东莞市知识产权局"], "2017-08-15")
    assert signature_block("第一条 甲。\n第二条 本办法自2020年1月1日起施行。") == ([], None)
