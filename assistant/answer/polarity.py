"""Yes or no: whether the sentence an answer quotes says yes to a yes/no question, learned.

The hand rule (``不得`` -> 不能, ``可以`` -> 可以, ``应当`` for 需要吗 -> 需要) is one column among the
question's and the sentence's own modal words and their products: a question asked in the negative
("是不是不用经过许可?") turns the sentence's 不经…许可 into a yes.  A logistic model over these
columns is fitted in bench/train_reader.py on the labelled yes/no questions (their gold sentences)
and stored as ``polarity`` in reading/reader_model.json.  The answer states yes or no only when the
model is sure either way (``SURE``); otherwise it quotes the rule 依据规定.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.reading.learned import LinearModel

SURE = 0.65  # the answer says yes when P(yes) ≥ SURE, no when ≤ 1 − SURE (chosen on folds: bench/train_reader.py)
UNSURE = "依据规定："

# the sentence's words, each list the hand rule's (kept as it was: its verdict is a column) and more
_PROHIBITION_WORDS = r"不得|禁止|不能|不予|不可|无需|不需要|不必|不属于|不适用|不再|不受理|不计入|不纳入|不占用"
_EXCEPTION_WORDS = r"除外|但是|但"
_CONDITION_WORDS = (r"(的|时)，(可以|应当|由)|经.{1,24}(同意|批准|决定)|符合.{1,24}条件|在.{1,24}(情况|情形)下|前提|"
                    r"方可|才能")
_Q_NEGATIVE = re.compile(r"不用|不需要|不必|无需|不能|不得|不可以|不会|不算|不是|不属于|没有|不给|不交|不要|免|不受")
_NEGATIVE = re.compile(_PROHIBITION_WORDS + r"|不视为|不构成|不承担|不影响|不要求|不作为|不经|无须|免予|免除|严禁|未经")
_PERMISSION = re.compile(r"可以|有权|允许|可|准予|予以|给予|享受|支持|鼓励")
_OBLIGATION = re.compile(r"应当|必须|须|需|要求|负责")
_EXCEPTION = re.compile(_EXCEPTION_WORDS + r"|另有规定|另有约定")
_CONDITION = re.compile(_CONDITION_WORDS)
_ASKS_NEED = re.compile(r"需要|需不需要|要不要|是否需要|必须|用不用|得不得|要求|必需|一定要|do .*have to|must|need", re.I)
_ASKS_MAY = re.compile(r"能不能|可不可以|可以吗|能否|能.{0,12}吗|可以.{0,12}吗|允许|让不让|行不行|can |may |allowed", re.I)
_ASKS_IS = re.compile(r"是不是|是否|算不算|属不属于|属于.{0,12}吗|算.{0,12}吗|是.{0,12}吗|is |are |does |do ", re.I)
_ASKS_HAS = re.compile(r"有没有|是否有|有.{0,10}吗|any ", re.I)

_RULE_NEGATIVE = re.compile(_PROHIBITION_WORDS + r"|废止|失效")
_RULE_EXCEPTION = re.compile(_EXCEPTION_WORDS)
_RULE_CONDITION = re.compile(_CONDITION_WORDS + r"|之前|以前")
_RULE_YES = ("可以：", "符合条件的可以：", "需要：", "需要（有条件）：", "有：", "已施行：", "可以不予：")
_STANDING = ("已废止：", "已施行：")  # the document's own standing, not a yes or no the model weighs
_RULE_NO = ("不能：", "不需要：", "一般不能，但有例外：", "已废止：")

POLARITY_FEATURES = (
    "rule_yes", "rule_no",
    "q_negative", "s_negative", "s_permission", "s_obligation", "s_exception", "s_condition",
    "q_need", "q_may", "q_is", "q_has",
    "negative_both", "negative_question_only", "negative_sentence_only",
    "need_and_obligation", "may_and_permission", "has_and_permission",
)


def polarity_row(question: str, sentence: str) -> np.ndarray:
    """The columns of one (question, quoted sentence) pair, in ``POLARITY_FEATURES`` order."""
    q_neg = bool(_Q_NEGATIVE.search(question))
    s_neg = bool(_NEGATIVE.search(sentence))
    s_perm = bool(_PERMISSION.search(sentence))
    s_obl = bool(_OBLIGATION.search(sentence))
    q_need, q_may = bool(_ASKS_NEED.search(question)), bool(_ASKS_MAY.search(question))
    q_is, q_has = bool(_ASKS_IS.search(question)), bool(_ASKS_HAS.search(question))
    rule = rule_lead(question, sentence)
    return np.array([
        rule in _RULE_YES, rule in _RULE_NO,
        q_neg, s_neg, s_perm, s_obl, bool(_EXCEPTION.search(sentence)), bool(_CONDITION.search(sentence)),
        q_need, q_may, q_is, q_has,
        q_neg and s_neg, q_neg and not s_neg, s_neg and not q_neg,
        q_need and s_obl, q_may and s_perm, q_has and s_perm,
    ], dtype=np.float64)


def rule_lead(question: str, sentence: str) -> str:
    """The yes/no in front of the quoted sentence, only as far as the sentence's own modal words
    bear it out (不得 -> 不能, 可以 -> 可以, 应当 for 需要吗 -> 需要); otherwise 依据规定."""
    needs = bool(_ASKS_NEED.search(question))
    if re.search(r"废止|失效", sentence):
        return "已废止："
    if re.search(r"有效|管用|生效|施行", question) and "施行" in sentence:
        return "已施行："
    if _RULE_NEGATIVE.search(sentence):
        if re.search(r"可以不予|可以不", sentence):
            return "可以不予："
        return ("不需要：" if needs else "不能：") if not _RULE_EXCEPTION.search(sentence) else "一般不能，但有例外："
    conditional = bool(_RULE_CONDITION.search(sentence))
    if needs and re.search(r"应当|必须|须|需", sentence):
        return "需要（有条件）：" if conditional else "需要："
    if re.search(r"可以|有权|允许", sentence):
        return "符合条件的可以：" if conditional else "可以："
    if re.search(r"有没有|是否有|有.{0,10}吗", question) and re.search(r"支持|鼓励|给予|建立|设立|开展|提供|采取", sentence):
        return "有："
    return UNSURE



def yes_no_lead(question: str, sentence: str, model: LinearModel | None) -> str:
    """The lead-in that says yes or no in the question's own verb (可以/不能, 需要/不需要, 是/不是,
    有/没有); 依据规定 when the model is not sure either way; the hand rule's when no model is stored."""
    rule = rule_lead(question, sentence)
    if model is None or rule in _STANDING:
        return rule
    p_yes = float(model.predict_proba(polarity_row(question, sentence)[None, :])[0])
    if 1.0 - SURE < p_yes < SURE:
        return UNSURE
    yes = p_yes >= SURE
    if _ASKS_NEED.search(question):
        return "需要：" if yes else "不需要："
    if _ASKS_HAS.search(question) and not _ASKS_MAY.search(question):
        return "有：" if yes else "没有："
    if _ASKS_IS.search(question) and not _ASKS_MAY.search(question):
        return "是：" if yes else "不是："
    return "可以：" if yes else "不能："
