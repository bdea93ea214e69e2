from assistant.understanding.conversation import is_follow_up, resolve_follow_up
from assistant.models import Turn

PREVIOUS = [Turn(question="武汉到2025年每万人口高价值发明专利拥有量目标是多少件?", answer="30件")]


def test_place_follow_up_replaces_the_place() -> None:
    assert resolve_follow_up("广西呢?", PREVIOUS) == "广西到2025年每万人口高价值发明专利拥有量目标是多少件?"


def test_topic_follow_up_joins_the_previous_question() -> None:
    resolved = resolve_follow_up("那责任单位呢?", PREVIOUS)
    assert resolved.startswith(PREVIOUS[0].question) and resolved.endswith("那责任单位呢?")


def test_a_new_full_question_stands_alone() -> None:
    question = "淄博知识产权服务业人才培养由哪些单位负责?"
    assert not is_follow_up(question)
    assert resolve_follow_up(question, PREVIOUS) == question


def test_no_history_no_change() -> None:
    assert resolve_follow_up("那责任单位呢?", []) == "那责任单位呢?"
