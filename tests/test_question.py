"""Question understanding: intent, places, years, units."""

import pytest

from assistant.understanding.question import FIGURE, GENERAL, LOCATE, SUPPORT, WHO_LEADS, analyse_question, unit_matches


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("深圳市知识产权保护中心由哪个部门负责?", WHO_LEADS),
        ("市教育局在人才培养里是什么角色", WHO_LEADS),
        ("这项工作谁牵头?", WHO_LEADS),
        ("广西马德里商标国际注册2025年要达到多少件?", FIGURE),
        ("每万人口高价值发明专利拥有量的target是多少", FIGURE),
        ("国家规划对数据知识产权是怎么说的?", LOCATE),
        ("哪个文件提到了地理标志保护示范区?", LOCATE),
        ("我们是武汉的专精特新企业,有什么扶持?", SUPPORT),
        ("外贸公司海外维权能不能得到帮助", SUPPORT),
        ("知识产权强国", GENERAL),
    ],
)
def test_intent(question: str, intent: str) -> None:
    assert analyse_question(question).intent == intent


def test_places_years_traits_units() -> None:
    analysis = analyse_question("南宁的专精特新中小企业2025年能拿到什么支持?市商务局负责吗")
    assert [p.name for p in analysis.places] == ["南宁"]
    assert analysis.years == (2025,)
    assert set(analysis.traits) >= {"专精特新", "中小微企业"}
    assert analysis.units == ("市商务局",)
    assert not analysis.national


def test_national_words_but_not_national_standards() -> None:
    assert analyse_question("全国的保护满意度目标是多少").national
    assert not analyse_question("要按哪个国家标准来贯标").national


def test_english_place_and_typos_are_understood() -> None:
    analysis = analyse_question("Zibo company 专力 质压融资 policy?")
    assert [p.name for p in analysis.places] == ["淄博"]
    assert "专利" in analysis.expanded and "质押" in analysis.expanded


@pytest.mark.parametrize(
    ("mention", "unit", "expected"),
    [("文旅部", "文化和旅游部", True), ("市场监管局", "市市场监管局", True), ("教育局", "市教育局", True),
     ("公安部", "商务部", False), ("人社局", "市人社局", True), ("科技局", "市教育局", False)],
)
def test_unit_abbreviations(mention: str, unit: str, expected: bool) -> None:
    assert unit_matches(mention, unit) is expected


def test_a_one_letter_title_names_no_document() -> None:
    """Issue 25.11: an upload titled "s" matched inside "patents" and took the question over."""
    from assistant.understanding.references import document_name, named_documents

    names = [document_name("s", "s", None, None),
             document_name("zj", "浙江省专利条例", "浙江", "浙江省")]
    assert document_name("s", "s", None, None).named_in("What patents does Zhejiang support?") == 0.0
    assert named_documents("浙江省专利条例 patents subsidies", names) == ["zj"]
