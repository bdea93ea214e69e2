"""Understanding a question: intent, places, years, enterprise traits and units it names.

Rule-based on purpose: every rule is a wording pattern of the question, so it can be read,
tested and corrected, and it makes no assumption about which document holds the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.geo import Place, gazetteer
from assistant.text.taxonomy import TRAITS, facets_named
from assistant.text.lexicon import expand
from assistant.understanding import answer_types as types
from assistant.understanding.facets import Facet, split_facets

WHO_LEADS, SUPPORT, FIGURE, LOCATE, GENERAL = "who_leads", "support", "figure", "locate", "general"
INTENTS = (WHO_LEADS, SUPPORT, FIGURE, LOCATE, GENERAL)

_LOCATE = re.compile(
    r"怎么说|如何表述|怎么规定|哪个文件|哪份文件|哪一部分|哪部分|哪一节|哪一条|哪条|在哪|建在哪|依托|提到|提及|"
    r"有什么安排|有哪些安排|安排了|(方案|规划|计划|文件|条例|意见|规定)(里|中)|出处|原文|which document|where does",
    re.IGNORECASE,
)
_SUPPORT = re.compile(
    r"支持|扶持|补贴|资助|奖励|补助|优惠|帮助|帮扶|政策|能不能|可不可以|能否|可以申报|能申报|申报|有没有|有啥|"
    r"我们是|我是|我们公司|我们企业|公司|企业|机构|融资|贷款|保险|维权|要求|help|support|subsid",
    re.IGNORECASE,
)
_NATIONAL = re.compile(r"国家(?!标准|级|重点|知识产权局)|全国|国务院|中央(?!企业)|national|China-wide", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_FIVE_YEAR = {"十一五": (2006, 2010), "十二五": (2011, 2015), "十三五": (2016, 2020), "十四五": (2021, 2025),
              "十五五": (2026, 2030), "十六五": (2031, 2035)}
_UNIT = re.compile(
    r"([\u4e00-\u9fa5]{1,10}?(?:部|局|委员会|委|办公室|办|法院|检察院|院|贸促会|协会|会|厅|署|人民政府|政府|管委会))"
    r"(?=是|在|参与|负责|牵头|有|吗|呢|的|[,，。？?！!]|$)"
)
_NOT_UNIT = re.compile(r"哪|什么|谁|些|个|部门$|单位$|有关")


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    expanded: str
    intent: str
    places: tuple[Place, ...]
    national: bool
    years: tuple[int, ...]
    traits: tuple[str, ...]
    units: tuple[str, ...]  # government units the question names (文旅部, 市教育局)
    facets: tuple[Facet, ...] = ()  # the sub-questions, each with its expected answer type

    def for_part(self, query: str) -> QuestionAnalysis:
        """What one part of the question is searched with: its own words, expanded by the lexicon, and
        everything else the question's (its places, whether it asks nationally, its years and units): the
        question is analysed once, its parts are not analysed again."""
        return self if query == self.text else replace(self, text=query, expanded=expand(query))



# The intent a question's first part states by its answer type; other types go by wording.
_TYPE_INTENT = {types.RESPONSIBLE: WHO_LEADS, types.ARTICLE: LOCATE, types.DOCUMENTS: LOCATE,
                **{kind.name: FIGURE for kind in types.REGISTRY if kind.figure}}


def classify_intent(text: str, facets: tuple[Facet, ...] | None = None) -> str:
    """who_leads / figure / locate from the answer type of the question's first part (one rule for
    both), else locate or support by wording, else general."""
    facets = facets if facets is not None else tuple(split_facets(text))
    if facets and facets[0].answer_type in _TYPE_INTENT:
        return _TYPE_INTENT[facets[0].answer_type]
    if _LOCATE.search(text):
        return LOCATE
    if _SUPPORT.search(text):
        return SUPPORT
    return GENERAL


def years_in(text: str) -> tuple[int, ...]:
    years = [int(y) for y in _YEAR.findall(text)]
    return tuple(dict.fromkeys(years))


def five_year_periods(text: str) -> list[tuple[int, int]]:
    return [span for label, span in _FIVE_YEAR.items() if label in text]


def traits_in(text: str) -> tuple[str, ...]:
    """Enterprise traits the question names, in the matcher's vocabulary (高企 -> 高新技术企业)."""
    return facets_named(text, TRAITS)


def units_in(text: str) -> tuple[str, ...]:
    found = []
    for segment in re.split(r"[,，。？?！!;；、\s]|还是", text):
        for match in _UNIT.finditer(segment):
            unit = match.group(1)
            for lead in ("请问", "那", "这个", "是", "由", "归"):
                unit = unit.removeprefix(lead)
            if len(unit) >= 2 and not _NOT_UNIT.search(unit):
                found.append(unit)
    return tuple(dict.fromkeys(found))


def unit_matches(mention: str, unit: str) -> bool:
    """True if a unit named in a question denotes a unit of a clause: equal, contained, or an
    abbreviation whose characters appear in order (文旅部 -> 文化和旅游部, 市场监管局 -> 市市场监管局)."""
    if mention == unit or mention in unit or unit in mention:
        return True
    position = 0
    for ch in mention:
        position = unit.find(ch, position)
        if position < 0:
            return False
        position += 1
    return mention[0] == unit[0] or (unit[0] in "市省区县" and mention[0] == unit[1])


def analyse_question(question: str) -> QuestionAnalysis:
    expanded = expand(question)
    places = tuple(gazetteer().find(expanded))
    named_in_english = [p.name for p in places if p.name not in expanded]
    if named_in_english:  # "Wuhan" -> also search for 武汉
        expanded += " " + " ".join(named_in_english)
    facets = tuple(split_facets(question))
    return QuestionAnalysis(
        text=question,
        expanded=expanded,
        intent=classify_intent(question, facets),
        places=places,
        national=bool(_NATIONAL.search(question)),
        years=years_in(question),
        traits=traits_in(expanded),
        units=units_in(question),
        facets=facets,
    )
