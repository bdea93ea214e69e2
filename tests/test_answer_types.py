"""The answer-type registry: every type in one place, read the same way by every stage."""

from assistant.reading.features import ANSWER_TYPES
from assistant.text import numbers
from assistant.understanding import answer_types as types
from assistant.understanding.answer_types import REGISTRY, SentenceFacts, asked_type, kind_of
from assistant.understanding.facets import Facet


def facts(text: str, kinds: frozenset[str] = frozenset(), **flags: bool) -> SentenceFacts:
    return SentenceFacts(text, kinds, flags.get("table_row", False), flags.get("row_has_figures", False),
                         flags.get("annotated", False), flags.get("sectioned", True))


def test_every_type_is_registered_once_and_has_model_columns():
    names = [kind.name for kind in REGISTRY]
    assert len(names) == len(set(names))
    assert REGISTRY[-1].name == types.GENERAL and REGISTRY[-1].asked_by is None  # the fallback, tried last
    for kind in REGISTRY:  # the learned model has columns for each type (its own or the ones it shares)
        assert (kind.column or kind.name) in ANSWER_TYPES


def test_question_wording_picks_the_type():
    assert asked_type("违反规定的罚多少钱") == types.AMOUNT
    assert asked_type("补贴比例是多少") == types.PERCENT
    assert asked_type("这个通知是谁发的") == types.ISSUER
    assert asked_type("谁牵头") == types.RESPONSIBLE
    assert asked_type("多久内要答复") == types.DURATION
    assert asked_type("算不算在期限里吗") == types.YESNO  # a deadline named, a yes or no asked
    assert asked_type("哪些文件提到数据交易") == types.DOCUMENTS
    assert asked_type("介绍一下") == types.GENERAL


def test_each_type_reads_a_sentence_its_own_way():
    money = frozenset({numbers.MONEY})
    fine = facts("处十万元以上一百万元以下罚款", money)
    assert kind_of(types.AMOUNT).fit(fine, money) == 1.0
    assert kind_of(types.DURATION).fit(fine, kind_of(types.DURATION).quantity_kinds) == 0.0
    assert kind_of(types.PENALTY).fit(fine, None) == 1.0
    assert kind_of(types.RESPONSIBLE).fit(facts("由市市场监督管理部门负责实施"), None) == 1.0
    assert kind_of(types.RESPONSIBLE).fit(facts("市人民政府"), None) == types.AGENCY_ONLY_FIT
    assert kind_of(types.DATE).fit(facts("本条例自公布之日起施行"), frozenset({numbers.DATE})) == types.DATE_WORD_FIT
    assert kind_of(types.YESNO).fit(facts("可以申请资助"), None) == types.WEAK_FIT
    assert kind_of(types.ARTICLE).fit(facts("……", sectioned=False), None) == 0.0
    # an indicator row answers a figure question when one of its cells has a number
    row = facts("研发投入强度", table_row=True, row_has_figures=True)
    assert kind_of(types.PERCENT).fit(row, frozenset({numbers.PERCENT})) == 1.0


def test_a_facet_carries_its_type_and_the_refusal_names_the_missing_figure():
    facet = Facet("补贴比例是多少", types.PERCENT)
    assert facet.kind.figure and facet.quantity_kinds == frozenset({numbers.PERCENT})
    assert facet.kind.missing_figure(facet.text).endswith("所问的具体比例")
    assert not kind_of(types.ARTICLE).figure  # an article's number is no figure a refusal names
    assert kind_of("no-such-type").name == types.GENERAL
