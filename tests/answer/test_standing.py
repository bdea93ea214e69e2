"""Answers over a corpus where a newer plan replaces an older one: the current plan answers first,
and a citation of the older one says it has been replaced."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.settings import Settings

OLDER = """淄博市知识产权保护和运用“十四五”规划
淄博市人民政府
2021年6月1日
一、发展目标
到2025年，全市每万人口高价值发明专利拥有量达到10件，知识产权质押融资登记金额达到30亿元。
二、重点任务
（一）加强知识产权质押融资。鼓励银行开展知识产权质押贷款，对企业给予贷款贴息支持。
"""

NEWER = """淄博市知识产权保护和运用“十五五”规划
淄博市人民政府
2026年6月1日
一、发展目标
到2030年，全市每万人口高价值发明专利拥有量达到20件，知识产权质押融资登记金额达到80亿元。
二、重点任务
（一）深化知识产权质押融资。扩大知识产权质押贷款规模，对企业给予贷款贴息和风险补偿支持。
"""


@pytest.fixture(scope="module")
def replaced_plans(tmp_path_factory: pytest.TempPathFactory, encoder):
    from assistant.service import PolicyAssistant, build_index

    corpus = tmp_path_factory.mktemp("plans")
    (corpus / "zibo-14th.txt").write_text(OLDER, encoding="utf-8")
    (corpus / "zibo-15th.txt").write_text(NEWER, encoding="utf-8")
    settings = Settings(index_dir=tmp_path_factory.mktemp("plans-index"), today=date(2026, 11, 30))
    build_index(settings, [corpus], encoder=encoder)
    return PolicyAssistant.open(settings, encoder=encoder)


def test_the_current_plan_answers_and_the_replaced_one_says_so(replaced_plans) -> None:
    answer = replaced_plans.ask("淄博对知识产权质押贷款有什么支持?")
    assert not answer.abstained
    assert answer.citations[0].doc_id == "zibo-15th", answer.answer
    older = [line for line in answer.answer.splitlines() if "十四五" in line]
    assert all("已被《" in line and "取代" in line for line in older), answer.answer


def test_a_question_naming_the_older_plan_is_read_in_it(replaced_plans) -> None:
    answer = replaced_plans.ask("淄博十四五规划里每万人口高价值发明专利拥有量目标是多少?")
    assert "10件" in answer.answer.splitlines()[0], answer.answer
