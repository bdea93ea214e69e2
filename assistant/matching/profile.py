"""Reading an enterprise profile out of a chat question (我是淄博的专精特新企业,有什么支持?)."""

from __future__ import annotations

import re

from assistant.geo import gazetteer
from assistant.matching.matcher import EnterpriseProfile
from assistant.text.taxonomy import NEEDS, facets_named
from assistant.understanding.question import SUPPORT, QuestionAnalysis

_SELF = re.compile(r"(我|我们|本公司|我司|我单位|本企业)(是|为|属于)|作为一?家")
_BROAD = re.compile(r"(什么|哪些|有啥|啥|有没有|哪方面).{0,8}(支持|政策|扶持|措施|帮助|优惠)|适用|能享受|可以享受")


def profile_from_question(analysis: QuestionAnalysis) -> EnterpriseProfile | None:
    """A profile when the asker describes their enterprise and asks broadly what applies."""
    text = analysis.text
    if analysis.intent != SUPPORT or not _SELF.search(text) or not _BROAD.search(text) or not analysis.places:
        return None
    return EnterpriseProfile(location=gazetteer().full_name(analysis.places[0]), traits=list(analysis.traits),
                             needs=list(facets_named(text, NEEDS)))
