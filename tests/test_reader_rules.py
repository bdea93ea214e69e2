"""Question reading rules that hold for any policy text: answer types, the kind of number asked,
numbers in the question, follow-ups."""

from assistant.text.numbers import DATE, find_quantities, values_in
from assistant.understanding import answer_types as types
from assistant.understanding.conversation import is_follow_up
from assistant.understanding.facets import split_facets


def test_penalty_and_the_kind_of_number_asked() -> None:
    how, much = split_facets("洛阳假冒专利怎么罚?没有违法所得的罚多少")
    assert how.answer_type == types.PENALTY
    assert much.answer_type == types.AMOUNT and "money" in much.quantity_kinds and "duration" not in much.quantity_kinds
    parts = split_facets("通知一共分几个方面?具体举措有多少条")
    assert [f.quantity_kinds for f in parts] == [frozenset({"count"})] * 2


def test_nouns_naming_the_kind_of_number_are_no_topic() -> None:
    (facet,) = split_facets("政府保费补贴比例是多少?")
    assert "比例" not in facet.topic and "补贴" in facet.topic


def test_month_day_dates_counts_and_bare_numbers() -> None:
    assert [q.kind for q in find_quantities("并经4月27日国务院常务会议审议通过")] == [DATE]
    assert [(q.kind, q.value) for q in find_quantities("共16条具体举措")] == [("count", 16.0)]
    assert [q.kind for q in find_quantities("第16条")] == ["article"]
    assert values_in("不到5万的罚多少") == {50000.0}
    assert not values_in("2021年底")


def test_a_demonstrative_opens_a_follow_up() -> None:
    assert is_follow_up("这块工作谁牵头?") and is_follow_up("此项任务由谁负责?")
    assert not is_follow_up("广东专利侵权纠纷的行政裁决是谁作出?")


def test_a_document_is_named_by_its_number_however_bracketed() -> None:
    from assistant.understanding.references import document_name, named_documents

    names = [document_name("national", "“十四五”国家知识产权保护和运用规划", "国家", None, "国发〔2021〕20号"),
             document_name("zibo", "关于加快推动知识产权服务业高质量发展的实施意见", "淄博", "淄博市", "淄市监知促字〔2023〕130号")]
    assert named_documents("国发〔2021〕20号是啥文件?", names) == ["national"]
    assert named_documents("国发[2021]20号讲了什么", names) == ["national"]
    assert named_documents("国发2021年的文件", names) == []
