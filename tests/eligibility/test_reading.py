"""Company figures read from questions, and conditions / benefits / deadlines read from real clauses."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.eligibility.figures import read_figures
from assistant.eligibility.terms import EXCLUSION, QUALIFICATION, read_terms
from tests.conftest import SHARED

MORE = SHARED / "corpus" / "more"
DOCUMENTS2 = Path(__file__).resolve().parents[2] / "bench" / "reader_data" / "documents2"
TODAY = date(2024, 1, 1)


def sentence_of(path: Path, start: str, end: str) -> str:
    """The stretch of a real document from ``start`` to ``end`` (inclusive)."""
    if not path.exists():
        pytest.skip(f"{path} is not present")
    text = path.read_text(encoding="utf-8")
    at = text.index(start)
    return text[at:text.index(end, at) + len(end)]


def test_figures_with_units_and_counts():
    read = read_figures("我们公司在东莞，去年营收3亿元，员工120人，有5件发明专利，能申请吗？", TODAY)
    figures = read.figures
    assert figures.revenue_yuan == 3e8 and figures.employees == 120 and figures.invention_patents == 5
    assert figures.location == "东莞市"
    assert any("营业收入" in line for line in read.understood)


def test_latin_scale_age_and_denied_qualification():
    figures = read_figures("年营收8000万，研发投入500w，成立3年了，还不是高企", TODAY).figures
    assert figures.revenue_yuan == 8e7 and figures.rd_spend_yuan == 5e6
    assert figures.registered_on == date(2021, 1, 2) or (TODAY - figures.registered_on).days == 3 * 365
    assert figures.lacks == ["高新技术企业"] and figures.qualifications == []
    assert figures.value("rd_spend_share", TODAY) == pytest.approx(6.25)


def test_a_count_takes_the_words_after_it():
    figures = read_figures("员工60人，2个软著和3个实用新型，研发人员占比12%", TODAY).figures
    assert figures.software_copyrights == 2 and figures.utility_patents == 3
    assert figures.employees == 60 and figures.rd_staff_share == 12


def test_registration_date_and_no_figures():
    assert read_figures("我司2019年3月在南宁注册", TODAY).figures.registered_on == date(2019, 3, 1)
    assert not read_figures("专利质押融资有什么政策？", TODAY).figures.stated()


def test_conditions_of_a_real_funding_notice():
    text = sentence_of(MORE / "37_dongguan_beizeng_jihua_yushenbao_tongzhi.txt", "（四）2015年营业收入", "利润总额为正数")
    conditions = read_terms(text).conditions
    revenue = [c for c in conditions if c.field == "revenue_yuan"]
    assert [(c.relation, c.value) for c in revenue] == [(">=", 2e7)]  # 营业收入增长 is no revenue bound


def test_each_amount_of_a_list_and_the_qualification_it_rewards():
    text = sentence_of(MORE / "39_liuhe_zhichi_zhongdian_chanye_jiakuai_fazhan_shishi_yijian_2023.txt",
                       "对初次认定为国家级", "给予企业20 万元奖励")
    terms = read_terms(text)
    assert [a.value for a in terms.benefits[0].amounts] == [1e6, 3e5]  # 分别给予企业100万元和30万元
    high_tech = [b for b in terms.benefits if text[b.start:b.end].startswith("对初次认定为国家高新")]
    assert high_tech and high_tech[0].amounts[0].value == 2e5  # "20 万元", blank and all
    assert any(c.field == QUALIFICATION and c.name == "高新技术企业" for c in terms.conditions)


def test_per_item_amount_and_exclusion():
    text = sentence_of(DOCUMENTS2 / "51_dongguan_2017_dierpi_zhuanli_shenqing_zizhu_shenbao_tongzhi.txt",
                       "（1）国内发明专利申请进入实质审查后", "不再给予资助）")
    terms = read_terms(text)
    assert terms.benefits[0].amounts[0].value == 3000 and terms.benefits[0].amounts[0].per_item == "invention_patents"
    shares = read_terms("企业注册成立一年以上，研究开发费用总额占同期销售收入总额的比例不低于5%").conditions
    assert {(c.field, c.relation, c.value) for c in shares} == {("registered_on", ">=", 365.0), ("rd_spend_share", ">=", 5.0)}
    assert any(c.field == EXCLUSION for c in read_terms("已获得市级同类资助的项目，不再给予资助。").conditions)


def test_cap_and_deadline():
    terms = read_terms("企业每认定1件高新技术产品给予1000元补助，单个企业年补助金额不超过1万元。系统填报时间：2017年8月7日至9月15日。")
    assert terms.benefits[0].amounts[0].per_item and terms.benefits[0].cap == 1e4
    assert [d.day for d in terms.deadlines] == [date(2017, 9, 15)]
    # a patent's grant period bounds the patent, not the 申报 window
    assert not read_terms("授权公告日在2017年1月1日至6月30日期间的国内发明专利申请。").deadlines


def test_the_rd_share_bar_of_each_revenue_tier():
    text = sentence_of(DOCUMENTS2 / "49_gaoxin_jishu_qiye_rending_guanli_banfa.txt", "（五）企业近三个会计年度", "比例不低于3%")
    tiers = [(c.value, c.when) for c in read_terms(text).conditions if c.field == "rd_spend_share"]
    assert tiers == [(5.0, (("revenue_yuan", "<=", 5e7),)),
                     (4.0, (("revenue_yuan", ">", 5e7), ("revenue_yuan", "<=", 2e8))),
                     (3.0, (("revenue_yuan", ">=", 2e8),))]


def test_a_sought_qualification_is_not_held():
    figures = read_figures("成立半年的公司，能申请高新技术企业认定吗？", TODAY).figures
    assert figures.qualifications == [] and figures.lacks == []
    assert (TODAY - figures.registered_on).days == 180
    assert read_figures("我们去年刚认定为国家高新技术企业", TODAY).figures.qualifications == ["高新技术企业"]
