from assistant.understanding.conversation import follow_up, is_follow_up
from assistant.models import Turn

PREVIOUS = [Turn(question="武汉到2025年每万人口高价值发明专利拥有量目标是多少件?", answer="30件")]


def test_place_follow_up_replaces_the_place() -> None:
    assert follow_up("广西呢?", PREVIOUS).resolved == "广西到2025年每万人口高价值发明专利拥有量目标是多少件?"


def test_topic_follow_up_joins_the_previous_question() -> None:
    resolved = follow_up("那责任单位呢?", PREVIOUS).resolved
    assert resolved.startswith(PREVIOUS[0].question) and resolved.endswith("那责任单位呢?")


def test_a_new_full_question_stands_alone() -> None:
    question = "淄博知识产权服务业人才培养由哪些单位负责?"
    assert not is_follow_up(question)
    assert follow_up(question, PREVIOUS).resolved == question


def test_no_history_no_change() -> None:
    assert follow_up("那责任单位呢?", []).resolved == "那责任单位呢?"


def test_a_short_question_or_one_that_points_back_continues() -> None:
    for question in ["奖多少钱?", "要交什么材料？", "哪些部门负责给它们创造条件？"]:
        assert is_follow_up(question), question
        follow = follow_up(question, PREVIOUS)
        assert follow.continues and follow.text == question and follow.context == PREVIOUS[0].question
        assert follow.previous_answer == PREVIOUS[0].answer


def test_a_place_with_the_kind_of_document_is_a_place_swap() -> None:
    follow = follow_up("那广西的规划是怎么规定的？", PREVIOUS)
    assert not follow.continues and follow.text == "广西到2025年每万人口高价值发明专利拥有量目标是多少件?"


def test_a_new_place_with_its_own_topic_reads_both() -> None:
    follow = follow_up("那广西的商标品牌指导站呢？", PREVIOUS)
    assert not follow.continues and follow.text.startswith(PREVIOUS[0].question) and "指导站" in follow.text
