"""Issue 21: yes or no is learned (answer/polarity.py); the hand rule is a column, not the verdict."""

from __future__ import annotations

import numpy as np

from assistant.answer.polarity import POLARITY_FEATURES, UNSURE, polarity_row, rule_lead, yes_no_lead
from assistant.reading.learned import stored_model

COPYRIGHT = "在下列情况下使用作品，可以不经著作权人许可，不向其支付报酬：为个人学习、研究或者欣赏，使用他人已经发表的作品；"


def test_the_committed_model_holds_a_polarity_model_over_these_columns() -> None:
    model = stored_model("polarity", POLARITY_FEATURES)
    assert model is not None and model.features == POLARITY_FEATURES
    assert polarity_row("能不能申请?", "可以申请。").shape == (len(POLARITY_FEATURES),)


def test_the_rule_is_a_column_and_the_answer_without_a_model() -> None:
    row = polarity_row("能不能把专利证书借给别人?", "不得出借专利证书。")
    assert row[POLARITY_FEATURES.index("rule_no")] == 1.0 and row[POLARITY_FEATURES.index("rule_yes")] == 0.0
    assert yes_no_lead("能不能把专利证书借给别人?", "不得出借专利证书。", None) == rule_lead(
        "能不能把专利证书借给别人?", "不得出借专利证书。") == "不能："


def test_a_question_asked_in_the_negative_is_answered_yes() -> None:
    """'是不是不用经过许可?' against '可以不经著作权人许可': the rule reads 不 as a no; the model, a yes."""
    model = stored_model("polarity", POLARITY_FEATURES)
    question = "为了自己学习研究用别人发表的文章，是不是不用经过许可也不用给钱？"
    assert rule_lead(question, COPYRIGHT) != "可以："
    p_yes = float(model.predict_proba(polarity_row(question, COPYRIGHT)[None, :])[0])
    assert p_yes > 0.5
    assert yes_no_lead(question, COPYRIGHT, model) in ("是：", UNSURE)


def test_clear_prohibitions_and_permissions_are_stated_in_the_questions_verb() -> None:
    model = stored_model("polarity", POLARITY_FEATURES)
    assert yes_no_lead("展会能让没交合规承诺的参展商进场吗?", "会展活动举办单位不得允许未提交知识产权合规承诺的参展方参加展会。",
                       model) == "不能："
    assert yes_no_lead("需要提交书面申请吗?", "申请人应当提交书面申请。", model) in ("需要：", UNSURE)
    rows = np.array([polarity_row("可以申请吗?", "符合条件的企业可以申请。")])
    assert float(model.predict_proba(rows)[0]) >= 0.5
