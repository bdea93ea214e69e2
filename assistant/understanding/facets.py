"""A question as facets (sub-questions), each with the type of answer it expects.

"发明专利奖励多少? 实用新型呢?" is two facets of type *amount*; "谁负责? 向谁备案?" two of type
*responsible*; "广东条例和浙江条例分别怎么规定…" one facet per named document.  The answer type
decides which sentences can answer (a duration needs ``十五日内``, a responsible unit needs a
department that 负责/主管/组织实施), so the reader works on any policy text, not on wording lists
tuned to one corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import numbers

RESPONSIBLE, AMOUNT, PERCENT, MULTIPLE, DURATION, DATE, ARTICLE, YESNO, DOCUMENTS, SUPPORT, CONDITION, PENALTY, GENERAL = (
    "responsible", "amount", "percent", "multiple", "duration", "date", "article", "yesno", "documents",
    "support", "condition", "penalty", "general")
ISSUER = "issuer"  # who issued the document itself, and when (its sign-off); read like a general facet

# The quantity kinds (assistant.text.numbers) that can answer each numeric answer type.
QUANTITY_KINDS: dict[str, frozenset[str]] = {
    AMOUNT: frozenset({numbers.MONEY, numbers.COUNT, numbers.PERCENT, numbers.MULTIPLE, numbers.DURATION}),
    PERCENT: frozenset({numbers.PERCENT}),
    MULTIPLE: frozenset({numbers.MULTIPLE}),
    DURATION: frozenset({numbers.DURATION, numbers.DATE}),  # a deadline may be a date ("年底前")
    DATE: frozenset({numbers.DATE}),
    ARTICLE: frozenset({numbers.ARTICLE}),
}

# Question wording -> answer type, tried in this order (the first that matches decides).
_TYPE_RULES: list[tuple[str, re.Pattern[str]]] = [
    (DOCUMENTS, re.compile(r"哪些(文件|政策文件|规定|条例|法规|地方|规划|文件里)|哪几(个|份|部)(文件|规定|条例|法规)|"
                           r"哪(个|份|部)(文件|规定|条例|法规)|which (documents?|regulations?)", re.I)),
    (ARTICLE, re.compile(r"哪一?条|第几条|哪个条款|哪款|哪一款|which article", re.I)),
    (ISSUER, re.compile(
        r"(谁|哪个部门|哪些部门|哪几个部门|哪个单位|哪些单位|哪家|什么部门|什么单位|哪个机关)(联合)?(发的|印发的?|下发的?|发布的|出的)|"
        r"(是谁|由谁)(发|印发|下发)|发文(单位|机关|部门)|落款|签发|"
        r"who (issued|published|put out)|issued by|issuing (body|authority|department)", re.I)),
    (RESPONSIBLE, re.compile(
        r"谁|哪个部门|哪些部门|什么部门|哪个单位|哪些单位|什么单位|哪家|哪个机构|什么机构|哪个局|牵头|责任单位|负责单位|"
        r"主管部门|归哪|找哪|向哪|报哪|由哪|哪一级|哪级|什么角色|参与吗|参与了吗|负责吗|分工|"
        r"who|which (department|agency|authority)", re.I)),
    (PERCENT, re.compile(r"百分之几|百分比|比例|比率|占比|比重|几成|多少[%％]|percent", re.I)),
    (MULTIPLE, re.compile(r"几倍|多少倍|倍数")),
    (DURATION, re.compile(r"多久|多长时间|多少天|几天|几日|多少日|几个月|多少个月|几年|多少年|期限|时限|周期|有效期|"
                          r"几个工作日|deadline|how long", re.I)),
    (DATE, re.compile(r"什么时候|啥时候|何时|几时|哪一年|哪年|哪天|哪一天|哪月|几月几[日号]|日期是|施行日期|生效日期|when", re.I)),
    (AMOUNT, re.compile(r"多少|几[个件项家人所次名]|金额|数额|额度|上限|最高|标准是|罚多少|奖励多少|补助多少|"
                        r"资助多少|目标值|预期值|实际值|增加值|预期目标|目标是|目标[?？]?$|how much|how many|\btarget\b|amount",
                        re.I)),
    (YESNO, re.compile(
        r"能不能|可不可以|能否|可否|是否|是不是|要不要|需不需要|用不用|会不会|算不算|有没有(?=.{0,12}(吗|[?？]|$))(?!.{0,6}(什么|啥|哪些))|"
        r"(可以|能|需要|必须|要|得|允许|违反|违法|有效|属于|适用|算|享受)(?:(?!什么|啥|哪).){0,24}吗|^(?:(?!什么|啥|哪|谁|多少).)*吗$|"
        r"\b(can|may|must|is it|are we|do we|does)\b",
        re.I)),
    (PENALTY, re.compile(r"(怎么|如何|怎样|什么|哪些|啥)(处罚|罚|处理|处分|惩罚|惩戒)|处罚(是什么|有哪些|措施)|罚则|"
                         r"(什么|哪些|啥)(后果|法律责任|责任)|承担什么|会被怎样|会怎么样|penalt", re.I)),
    (CONDITION, re.compile(r"条件|怎么办|如何办理|怎么申请|如何申请|流程|程序|手续|材料|要求|怎么处理|如何处理|"
                           r"怎么规定|如何规定|怎么说|怎么做", re.I)),
    (SUPPORT, re.compile(r"支持|扶持|补贴|资助|奖励|补助|优惠|帮助|帮扶|有啥|有什么|政策|措施|help|support|subsid", re.I)),
]

_KIND_NOUNS = re.compile(r"比例|比率|占比|比重|百分比|金额|数额|额度|数量|数值|期限|时限|日期|时间|"
                         r"至少|最多|最高|最低|上限|下限|一共|总共|平均|大约|[亿万千]?元|工作日|个月")
_ASKS_MONEY = re.compile(r"罚|奖励|奖金|补贴|补助|资助|经费|费用|多少钱|[万亿]?元|资金|贴息|收费|赔偿|金额|数额|额度")
_ASKS_SUM = re.compile(r"(多少|几)(万|亿|千|百)?(块|元|钱)|(多少|几)[万亿](?![件个项家人户])")
_ASKS_COUNT = re.compile(r"(几|多少)(个|件|项|家|条|名|所|类|批|部|次|方面)")
_SPLIT = re.compile(r"[?？；;]+|(?<=[吗呢])[，,]|[，,]\s*(?:另外|还有|以及|同时|并且|那|而且)|\s+(?:另外|还有)")
_RESPECTIVELY = re.compile(r"分别|各自|各是")


@dataclass(frozen=True)
class Facet:
    text: str  # the sub-question as asked (a short follow-up such as "实用新型呢" stays short)
    answer_type: str
    context: str = ""  # words borrowed from an earlier facet ("发明专利奖励多少" for "实用新型呢")
    doc_id: str | None = None  # the one document the facet names, if any

    @property
    def query(self) -> str:
        return f"{self.text} {self.context}".strip()

    @property
    def topic(self) -> str:
        """The facet without the words that only name the kind of number it asks for (补贴**比例**,
        罚款**金额**, **几个工作日**, **至少**多少): a sentence states those as a number, not as the word."""
        return _KIND_NOUNS.sub(" ", self.text) if self.quantity_kinds else self.text

    @property
    def quantity_kinds(self) -> frozenset[str] | None:
        """The quantity kinds that answer this facet (None: it asks for no number).  "罚多少" wants
        money (or a multiple, a share), "几个方面" a count: the unit the question names narrows it."""
        kinds = QUANTITY_KINDS.get(self.answer_type)
        if self.answer_type != AMOUNT:
            return kinds
        if _ASKS_SUM.search(self.text):  # "多少万", "多少钱": a sum of money, nothing else
            return frozenset({numbers.MONEY})
        if _ASKS_MONEY.search(self.text):
            return frozenset({numbers.MONEY, numbers.MULTIPLE, numbers.PERCENT})
        if _ASKS_COUNT.search(self.text):
            return frozenset({numbers.COUNT})
        return kinds


# "算不算在期限里", "是否需要": asked as yes or no even when it names a deadline or an amount, unless
# it also asks how much, how long or when
_PLAIN_YESNO = re.compile(r"([\u4e00-\u9fa5])不\1|是否|^(?:(?!什么|啥|哪|谁).)*吗$")
_ASKS_QUANTITY = re.compile(r"多少|几|多久|多长|哪天|哪年|何时|什么时候|啥时候")


def answer_type(text: str) -> str:
    text = text.strip(" ?？。.!！").replace("咋", "怎么")  # colloquial 咋 = 怎么
    for kind, pattern in _TYPE_RULES:
        if pattern.search(text):
            if kind in QUANTITY_KINDS and _PLAIN_YESNO.search(text) and not _ASKS_QUANTITY.search(text):
                return YESNO  # "算不算在期限里": a deadline named, a yes or no asked
            return kind
    return GENERAL


_ASKS = re.compile(r"什么|啥|咋|哪|怎|如何|吗|嘛|\b(what|how)\b", re.I)


def _has_question_word(text: str) -> bool:
    return answer_type(text) != GENERAL or bool(_ASKS.search(text))


def _split_commas(part: str) -> list[str]:
    """"最长延多久,要谁批": comma-separated pieces that each ask something are separate facets."""
    pieces = [p.strip() for p in re.split(r"[，,]", part) if p.strip()]
    if len(pieces) > 1 and all(_has_question_word(p) for p in pieces):
        return pieces
    return [part]


def split_facets(question: str) -> list[Facet]:
    """The sub-questions of a question; a part without its own question word borrows the type and
    the words of the part before it ("X奖励多少? Y呢?")."""
    parts = [p.strip(" ，,。.!！") for p in _SPLIT.split(question)]
    parts = [item for p in parts if len(re.sub(r"\W", "", p)) >= 2 for piece in _split_commas(p)
             for item in _split_items(piece)]
    if len(parts) <= 1:
        return [Facet(question.strip(), answer_type(question))]
    facets: list[Facet] = []
    for part in parts:
        if facets and not _has_question_word(part):
            previous = facets[-1]
            if len(part) <= 12 or part.endswith("呢"):  # "实用新型呢": the same question about something else
                facets.append(Facet(part, previous.answer_type, previous.query))
                continue
            # a clause giving context ("我们是广州的企业, 商业秘密被侵犯了找谁"): joins the next part
            facets[-1] = Facet(f"{previous.text}，{part}", previous.answer_type, previous.context)
            continue
        if not facets and not _has_question_word(part):
            facets.append(Facet(part, GENERAL))
            continue
        if facets and facets[-1].answer_type == GENERAL and not facets[-1].context and not _ASKS.search(facets[-1].text):
            merged = f"{facets[-1].text}，{part}"  # the context clause before the question proper
            facets[-1] = Facet(merged, answer_type(part))
            continue
        if facets and len(part) <= 10:  # "依托啥平台": still about what the part before it named
            facets.append(Facet(part, answer_type(part), facets[-1].query))
            continue
        facets.append(Facet(part, answer_type(part)))
    return _merge_duplicates(facets)


def _split_items(part: str) -> list[str]:
    """"X、Y的目标各是多少": one part per listed item, each with the shared ending (的目标是多少)."""
    if not _RESPECTIVELY.search(part) or "、" not in part:
        return [part]
    items = part.split("、")
    last = items[-1]
    cut = last.rfind("的")
    if cut <= 0 or len(items) > 6:
        return [part]
    ending = _RESPECTIVELY.sub("", last[cut:])
    pieces = [*items[:-1], last[:cut]]
    if any(len(p) < 2 or len(p) > 30 for p in pieces):
        return [part]
    return [f"{p}{ending}" for p in pieces]


def _merge_duplicates(facets: list[Facet]) -> list[Facet]:
    """Two facets asking the same type about the same words are one (a question restated)."""
    kept: list[Facet] = []
    for facet in facets:
        if kept and kept[-1].answer_type == facet.answer_type and facet.text in kept[-1].text:
            continue
        kept.append(facet)
    return kept


def respectively(question: str) -> bool:
    """"A和B分别…": one answer per named document or item."""
    return bool(_RESPECTIVELY.search(question))
