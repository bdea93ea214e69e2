"""A question as facets (sub-questions), each with the type of answer it expects.

"发明专利奖励多少? 实用新型呢?" is two facets of type *amount*; "谁负责? 向谁备案?" two of type
*responsible*; "广东条例和浙江条例分别怎么规定…" one facet per named document.  The answer type
decides which sentences can answer (a duration needs ``十五日内``, a responsible unit needs a
department that 负责/主管/组织实施), so the reader works on any policy text, not on wording lists
tuned to one corpus.  The types themselves, and how each is asked, read and quoted, are in answer_types.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import numbers
from assistant.understanding.answer_types import AMOUNT, GENERAL, AnswerType, asked_type, kind_of

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
    def kind(self) -> AnswerType:
        """The answer type, with what every stage knows about it (answer_types.py)."""
        return kind_of(self.answer_type)

    @property
    def topic(self) -> str:
        """The facet without the words that only name the kind of number it asks for (补贴**比例**,
        罚款**金额**, **几个工作日**, **至少**多少): a sentence states those as a number, not as the word."""
        return _KIND_NOUNS.sub(" ", self.text) if self.quantity_kinds else self.text

    @property
    def quantity_kinds(self) -> frozenset[str] | None:
        """The quantity kinds that answer this facet (None: it asks for no number).  "罚多少" wants
        money (or a multiple, a share), "几个方面" a count: the unit the question names narrows it."""
        kinds = self.kind.quantity_kinds
        if self.answer_type != AMOUNT:
            return kinds
        if _ASKS_SUM.search(self.text):  # "多少万", "多少钱": a sum of money, nothing else
            return frozenset({numbers.MONEY})
        if _ASKS_MONEY.search(self.text):
            return frozenset({numbers.MONEY, numbers.MULTIPLE, numbers.PERCENT})
        if _ASKS_COUNT.search(self.text):
            return frozenset({numbers.COUNT})
        return kinds


_ASKS = re.compile(r"什么|啥|咋|哪|怎|如何|吗|嘛|\b(what|how)\b", re.I)


def _has_question_word(text: str) -> bool:
    return asked_type(text) != GENERAL or bool(_ASKS.search(text))


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
        return [Facet(question.strip(), asked_type(question))]
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
            facets[-1] = Facet(merged, asked_type(part))
            continue
        if facets and len(part) <= 10:  # "依托啥平台": still about what the part before it named
            facets.append(Facet(part, asked_type(part), facets[-1].query))
            continue
        facets.append(Facet(part, asked_type(part)))
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
