"""The kinds of answer a question part expects, each in one place.

An answer type holds what every stage needs to know about it:
- the question wording that asks for it (``asked_by``, tried in registry order; the first that matches decides);
- which numbers answer it (``quantity_kinds``);
- how a sentence fits it (``fit``, over the few facts of a sentence in ``SentenceFacts``);
- how it is quoted and worded (``whole_rule``, ``see_also``, ``lists_parts``, ``offers``, ``numbered``,
  ``polar``, ``form``: a special answer, such as the annotation naming the lead unit);
- what a refusal says (``missing``: the kind of figure no clause gives).

The reader, the composer and the abstention code read these fields instead of branching on type names,
so a new type is added here, once.  A facet carries its type's name (``Facet.answer_type``); ``kind_of``
gives the type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.text import numbers

(RESPONSIBLE, AMOUNT, PERCENT, MULTIPLE, DURATION, DATE, ARTICLE, YESNO, DOCUMENTS, SUPPORT, CONDITION, PENALTY,
 GENERAL) = (
    "responsible", "amount", "percent", "multiple", "duration", "date", "article", "yesno", "documents",
    "support", "condition", "penalty", "general")
ISSUER = "issuer"  # who issued the document itself, and when (its sign-off); read like a general facet

# special answer forms (AnswerComposer answers them its own way, else by quoting the best sentence)
ANNOTATION, DOCUMENT_LIST, SIGN_OFF = "annotation", "document_list", "sign_off"

# -- what a sentence says, in words: the vocabularies the fit checks (and the learned features) read
AGENCY = re.compile(r"人民政府|政府|部门|局|委员会|管委会|办公室|法院|检察院|厅|署|机构|中心|单位|协会")
DUTY = re.compile(r"负责|主管|牵头|组织|实施|制定|备案|批准|审批|报请|报送|处理|查处|管理|监督|指导|协调|确定|发布|作出|"
                  r"承担|受理|裁决|认定|审查|建立|开展")
# "由X承担/负责/规定…": the sentence says who, whether X is an agency or a party
ASSIGNED = re.compile(r"由[^，。；,;]{1,24}?(承担|负责|支付|先行支付|组织|实施|规定|决定|确定|批准|审批|作出|处理|查处|"
                      r"认定|办理|受理|核准|出具|颁发|发放|管理)")
MODAL = re.compile(r"可以|应当|不得|禁止|必须|须|有权|不予|予以|给予|鼓励|支持|废止|除外|不适用|不受|免于|不再|优先")
OFFER = re.compile(r"支持|鼓励|给予|资助|奖励|补贴|扶持|补助|贴息|优先|服务|帮助|援助|指导|提供|开通|建立|设立|推动|引导")
RULE = re.compile(r"应当|须|符合|条件|程序|申请|提交|按照|依照|处以|罚款|责令|没收|承担|不得|可以")
DATE_WORD = re.compile(r"施行|生效|起|通过|公布")
SANCTION = re.compile(r"罚款|没收|责令|警告|吊销|撤销|处分|追究|拘留|处罚|处以|并处|通报|列入.{0,10}名单|信用")

SURE_FIT, WEAK_FIT, AGENCY_ONLY_FIT, DATE_WORD_FIT = 1.0, 0.5, 0.4, 0.3


@dataclass(frozen=True)
class SentenceFacts:
    """What a type's fit check reads of a candidate sentence."""

    text: str
    quantity_kinds: frozenset[str]  # the kinds of the quantities it states
    table_row: bool
    row_has_figures: bool  # a table row with a number in one of its cells
    annotated: bool  # its clause carries a (牵头单位…；责任单位…) annotation
    sectioned: bool  # its clause has a section path (第十条, 三、(二))


Fit = Callable[[SentenceFacts, frozenset[str] | None], float]


def _no_fit(sentence: SentenceFacts, kinds: frozenset[str] | None) -> float:
    return 0.0


def _article_fit(sentence: SentenceFacts, kinds: frozenset[str] | None) -> float:
    return SURE_FIT if sentence.sectioned else 0.0


def _figure_fit(sentence: SentenceFacts, kinds: frozenset[str] | None) -> float:
    """A number of the asked kind (a row of figures, for an indicator table)."""
    if sentence.table_row:
        return SURE_FIT if sentence.row_has_figures else 0.0
    return SURE_FIT if sentence.quantity_kinds & (kinds or frozenset()) else 0.0


def _date_fit(sentence: SentenceFacts, kinds: frozenset[str] | None) -> float:
    """A date; a sentence that says when something takes effect without one is a weaker sign."""
    if sentence.quantity_kinds & (kinds or frozenset()):
        return SURE_FIT
    return DATE_WORD_FIT if DATE_WORD.search(sentence.text) else 0.0


def _responsible_fit(sentence: SentenceFacts, kinds: frozenset[str] | None) -> float:
    """An annotated measure, "由X负责…", or an agency with a duty ("市场监管部门负责…")."""
    if sentence.annotated or ASSIGNED.search(sentence.text):
        return SURE_FIT
    if AGENCY.search(sentence.text):
        return SURE_FIT if DUTY.search(sentence.text) else AGENCY_ONLY_FIT
    return 0.0


def _sanction_fit(sentence: SentenceFacts, kinds: frozenset[str] | None) -> float:
    """"怎么罚": a sentence that imposes a sanction."""
    return SURE_FIT if SANCTION.search(sentence.text) else 0.0


def _wording_fit(signal: re.Pattern[str]) -> Fit:
    """Prose types: a sentence using the type's wording (可以/应当 for yes or no) is a weak sign."""
    def fit(sentence: SentenceFacts, kinds: frozenset[str] | None) -> float:
        return WEAK_FIT if signal.search(sentence.text) else 0.0
    return fit


@dataclass(frozen=True)
class AnswerType:
    name: str
    asked_by: re.Pattern[str] | None  # question wording that asks for it (None: the fallback type)
    fit: Fit = _no_fit
    quantity_kinds: frozenset[str] | None = None  # the quantity kinds that can answer it (None: no number)
    missing: str = ""  # a refusal's word for the figure no clause gives (数字, 比例, 期限)
    whole_rule: bool = False  # quoted to the end of its ；-rule ("没收…，并处…罚款；没有违法所得的，处…")
    see_also: bool = False  # the hand-set reader adds "另见" lines from other clauses
    lists_parts: bool = False  # "有哪些…" is answered by the items of the measure asked about
    offers: bool = False  # the answering clause's other sentences that offer something on the topic are quoted
    numbered: bool = False  # answered by the article's number ("第几条"), no second sentence
    polar: bool = False  # the answer opens with yes or no
    title_block: bool = False  # the title and adoption lines may answer it ("什么时候施行")
    form: str = ""  # a special answer the composer gives (ANNOTATION, DOCUMENT_LIST, SIGN_OFF), else quoting
    column: str = ""  # the learned model's columns it shares (features.py; empty: its own)

    @property
    def figure(self) -> bool:
        """True if it asks for a number, a date or a deadline (an article's number is no figure)."""
        return self.quantity_kinds is not None and not self.numbered

    def missing_figure(self, facet_text: str) -> str:
        """A refusal of a figure question: the clauses read give no number of the asked kind."""
        return f"知识库中的条款没有给出“{facet_text}”所问的具体{self.missing or '数字'}"


def unanswered(facet_text: str) -> str:
    """A refusal of any part of a question: no clause answers it."""
    return f"知识库中没有找到回答“{facet_text}”的条款"


_ALL_NUMBERS = frozenset({numbers.MONEY, numbers.COUNT, numbers.PERCENT, numbers.MULTIPLE, numbers.DURATION})

# In the order their question wording is tried: the first that matches decides.
REGISTRY: tuple[AnswerType, ...] = (
    AnswerType(DOCUMENTS, re.compile(
        r"哪些(文件|政策文件|规定|条例|法规|地方|规划|文件里)|哪几(个|份|部)(文件|规定|条例|法规)|"
        r"哪(个|份|部)(文件|规定|条例|法规)|which (documents?|regulations?)", re.I), form=DOCUMENT_LIST),
    AnswerType(ARTICLE, re.compile(r"哪一?条|第几条|哪个条款|哪款|哪一款|which article", re.I), _article_fit,
               frozenset({numbers.ARTICLE}), numbered=True),
    AnswerType(ISSUER, re.compile(
        r"(谁|哪个部门|哪些部门|哪几个部门|哪个单位|哪些单位|哪家|什么部门|什么单位|哪个机关)(联合)?(发的|印发的?|下发的?|发布的|出的)|"
        r"(是谁|由谁)(发|印发|下发)|发文(单位|机关|部门)|落款|签发|"
        r"who (issued|published|put out)|issued by|issuing (body|authority|department)", re.I),
        form=SIGN_OFF, column=GENERAL),
    AnswerType(RESPONSIBLE, re.compile(
        r"谁|哪个部门|哪些部门|什么部门|哪个单位|哪些单位|什么单位|哪家|哪个机构|什么机构|哪个局|牵头|责任单位|负责单位|"
        r"主管部门|归哪|找哪|向哪|报哪|由哪|哪一级|哪级|什么角色|参与吗|参与了吗|负责吗|分工|"
        r"who|which (department|agency|authority)", re.I), _responsible_fit, form=ANNOTATION),
    AnswerType(PERCENT, re.compile(r"百分之几|百分比|比例|比率|占比|比重|几成|多少[%％]|percent", re.I), _figure_fit,
               frozenset({numbers.PERCENT}), missing="比例"),
    AnswerType(MULTIPLE, re.compile(r"几倍|多少倍|倍数"), _figure_fit, frozenset({numbers.MULTIPLE}), missing="倍数"),
    AnswerType(DURATION, re.compile(
        r"多久|多长时间|多少天|几天|几日|多少日|几个月|多少个月|几年|多少年|期限|时限|周期|有效期|几个工作日|deadline|how long",
        re.I), _figure_fit, frozenset({numbers.DURATION, numbers.DATE}), missing="期限"),  # a deadline may be a date
    AnswerType(DATE, re.compile(
        r"什么时候|啥时候|何时|几时|哪一年|哪年|哪天|哪一天|哪月|几月几[日号]|日期是|施行日期|生效日期|when", re.I), _date_fit,
        frozenset({numbers.DATE}), missing="日期", title_block=True),
    AnswerType(AMOUNT, re.compile(
        r"多少|几[个件项家人所次名]|金额|数额|额度|上限|最高|标准是|罚多少|奖励多少|补助多少|资助多少|目标值|预期值|实际值|"
        r"增加值|预期目标|目标是|目标[?？]?$|how much|how many|\btarget\b|amount", re.I), _figure_fit, _ALL_NUMBERS,
        missing="数字"),
    AnswerType(YESNO, re.compile(
        r"能不能|可不可以|能否|可否|是否|是不是|要不要|需不需要|用不用|会不会|算不算|有没有(?=.{0,12}(吗|[?？]|$))(?!.{0,6}(什么|啥|哪些))|"
        r"(可以|能|需要|必须|要|得|允许|违反|违法|有效|属于|适用|算|享受)(?:(?!什么|啥|哪).){0,24}吗|^(?:(?!什么|啥|哪|谁|多少).)*吗$|"
        r"\b(can|may|must|is it|are we|do we|does)\b", re.I), _wording_fit(MODAL), whole_rule=True, see_also=True,
        polar=True),
    AnswerType(PENALTY, re.compile(
        r"(怎么|如何|怎样|什么|哪些|啥)(处罚|罚|处理|处分|惩罚|惩戒)|处罚(是什么|有哪些|措施)|罚则|"
        r"(什么|哪些|啥)(后果|法律责任|责任)|承担什么|会被怎样|会怎么样|penalt", re.I), _sanction_fit,
        whole_rule=True, see_also=True),
    AnswerType(CONDITION, re.compile(
        r"条件|怎么办|如何办理|怎么申请|如何申请|流程|程序|手续|材料|要求|怎么处理|如何处理|怎么规定|如何规定|怎么说|怎么做", re.I),
        _wording_fit(RULE), whole_rule=True, see_also=True, lists_parts=True),
    AnswerType(SUPPORT, re.compile(
        r"支持|扶持|补贴|资助|奖励|补助|优惠|帮助|帮扶|有啥|有什么|政策|措施|help|support|subsid", re.I),
        _wording_fit(OFFER), see_also=True, lists_parts=True, offers=True),
    AnswerType(GENERAL, None, see_also=True, lists_parts=True),
)
_BY_NAME = {kind.name: kind for kind in REGISTRY}


def kind_of(name: str) -> AnswerType:
    """The answer type of a name (an unknown name reads as a general question)."""
    return _BY_NAME.get(name, _BY_NAME[GENERAL])


# "算不算在期限里", "是否需要": asked as yes or no even when it names a deadline or an amount, unless
# it also asks how much, how long or when
_PLAIN_YESNO = re.compile(r"([\u4e00-\u9fa5])不\1|是否|^(?:(?!什么|啥|哪|谁).)*吗$")
_ASKS_QUANTITY = re.compile(r"多少|几|多久|多长|哪天|哪年|何时|什么时候|啥时候")


def asked_type(text: str) -> str:
    """The name of the answer type a question part asks for."""
    text = text.strip(" ?？。.!！").replace("咋", "怎么")  # colloquial 咋 = 怎么
    for kind in REGISTRY:
        if kind.asked_by is not None and kind.asked_by.search(text):
            if kind.quantity_kinds is not None and _PLAIN_YESNO.search(text) and not _ASKS_QUANTITY.search(text):
                return YESNO  # "算不算在期限里": a deadline named, a yes or no asked
            return kind.name
    return GENERAL
