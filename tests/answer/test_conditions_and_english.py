"""A company's own figure against a clause's threshold, and English lead-ins around Chinese quotes."""

from __future__ import annotations

import pytest

from assistant.answer.composer import compared, list_end
from assistant.models import Chunk
from assistant.reading.candidates import sentences_of
from assistant.text.english import english_labels, is_english
from assistant.text.thresholds import FAILS, MEETS, compare, stated_figures, thresholds


@pytest.mark.parametrize(("question", "sentence", "verdict"), [
    ("我们公司去年营收3亿元，在南宁能申请质押贴息吗？", "营业收入不超过2亿元的中小企业", FAILS),
    ("注册才8个月能不能申请", "申请企业须注册成立一年以上", FAILS),
    ("成立2年了，能申报吗", "申请企业须注册成立一年以上", MEETS),
    ("我们员工120人", "职工人数100人以上", MEETS),
    ("研发费用占比5%够不够", "研究开发费用总额占同期销售收入总额的比例不低于3%", MEETS),
    ("营收8000万元的企业", "年主营业务收入超过1亿元的企业", FAILS),
    ("侵权赚了5万会罚多少", "违法所得五万元以上的，可以处违法所得一倍以上五倍以下的罚款", MEETS),
])
def test_figure_against_threshold(question: str, sentence: str, verdict: str) -> None:
    comparison = compare(question, sentence)
    assert comparison is not None and comparison.verdict == verdict, (stated_figures(question), thresholds(sentence))


def test_no_comparison_without_a_stated_figure_or_a_bound() -> None:
    assert compare("申请条件是什么", "营业收入不超过2亿元") is None
    assert compare("营收3亿元能申请吗", "支持中小企业开展知识产权质押融资") is None


def test_the_verdict_names_both_figures_in_the_documents_words() -> None:
    sentence = "申请企业注册成立一年以上，营业收入不超过2亿元。"
    lead = compared(compare("注册才8个月能申请吗", sentence), sentence)
    assert lead == "不符合（所述8个月；条件：申请企业注册成立一年以上）："


def test_a_list_opener_is_quoted_with_its_items() -> None:
    text = ("第五十三条 本市鼓励数据交易活动，有下列情形之一的，不得交易：\n（一）危害国家安全、公共利益，侵害个人隐私的；\n"
            "（二）未经合法权利人授权同意的；\n（三）法律、法规规定禁止交易的其他情形。")
    chunk = Chunk("c", "d", "第五十三条", "", 0, len(text), text)
    opener = sentences_of(chunk)[0]
    assert text[opener.start:list_end(opener)].endswith("禁止交易的其他情形。")
    assert list_end(sentences_of(chunk)[1]) == sentences_of(chunk)[1].end  # an item is no opener


def test_english_questions_get_english_labels_and_chinese_quotes() -> None:
    assert is_english("Who approves a patent agency in Shanghai?") and not is_english("上海专利代理机构谁审批? IP")
    text = english_labels("不能：各地不得设置限制条件。 [1]\n出处：《浙江省促进科技成果转化条例》第三章 第二十二条")
    assert text == "No: 各地不得设置限制条件。 [1]\nSource: 《浙江省促进科技成果转化条例》第三章 第二十二条"
