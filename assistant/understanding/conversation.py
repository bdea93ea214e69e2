"""Follow-up questions resolved against the previous turn (那责任单位呢? / 广西呢? / 要交哪些材料?).

A follow-up is one of two kinds:
- a **place swap** ("广西呢?", "那广东省的条例是怎么规定的?"): the previous question, asked of the new
  place; it names nothing else to look for;
- a **continuation** ("那责任单位呢?", "要交哪些材料?", "奖多少钱?"): the question itself is answered,
  searched with the previous question's words as context, in the documents the previous turn was
  about (the caller finds them: those the previous question names, else those its answer cites).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.geo import gazetteer
from assistant.models import Turn
from assistant.understanding.references import DOCUMENT_KINDS

MAX_HISTORY_TURNS = 20
# A question this short, naming no place of its own, only makes sense after the one before
# ("奖多少钱?", "要交什么材料?", "地方上也能设吗?")
SHORT_FOLLOW_UP_CHARS = 10
_FOLLOW_UP = re.compile(
    r"^(那|那么|那个|这|该|此|它|其|还有|另外|同样|再问|and |what about|how about)|"
    r"(呢|的呢|怎么样|如何)[?？。]?\s*$",
    re.IGNORECASE,
)
# words that point back at what the previous turn was about ("它们", "这个平台", "上述")
_POINTING = re.compile(r"它们|他们|它|这个|这些|这项|这种|该[\u4e00-\u9fa5]|上述|前面|刚才|以上|同样|也[能要得可]")
_TOPIC_WORDS = re.compile(r"[\u4e00-\u9fa5]{2,}")
_PLAIN = re.compile(r"那|那么|这[个项条块些里]?|该项|该|此|它|其|还有|另外|同样|呢|的|吗|是|谁|什么|怎么样|如何|多少|哪些|哪个|[?？。!！,，\s]")
# what a place swap says besides the place: the kind of document and "how does it rule" (又, 是怎么规定的)
_SWAP_WORDS = re.compile("|".join(DOCUMENT_KINDS) + r"|省|市|区|县|政府|地方|又|也|里|怎么规定|规定|怎么说|怎么样|有没有|什么|一样|不同|区别")


@dataclass(frozen=True)
class FollowUp:
    """How a question is read in its conversation."""

    text: str  # the question read: the question itself, or (a place swap) the previous one about the new place
    context: str = ""  # a continuation: the previous question, whose words its search borrows
    previous_answer: str = ""  # a continuation: the answer that cites the documents it is read in

    @property
    def continues(self) -> bool:
        return bool(self.context)

    @property
    def resolved(self) -> str:
        """The question as the conversation makes it, shown to the user (``resolved_question``)."""
        return f"{self.context} {self.text}" if self.context else self.text


def is_follow_up(question: str) -> bool:
    stripped = question.strip()
    if _FOLLOW_UP.search(stripped) or len(stripped) <= 6:
        return True
    return (len(_PLAIN.sub("", stripped)) <= SHORT_FOLLOW_UP_CHARS or bool(_POINTING.search(stripped))) \
        and not gazetteer().find(stripped) and "《" not in stripped


def is_orphan_follow_up(question: str) -> bool:
    """"那责任单位呢?" with no earlier turn: a follow-up that cannot be read on its own."""
    stripped = question.strip()
    return bool(_FOLLOW_UP.search(stripped)) and len(_PLAIN.sub("", stripped)) < 8 and not gazetteer().find(stripped)


def follow_up(question: str, history: list[Turn]) -> FollowUp:
    """How ``question`` continues ``history`` (a question that stands alone is read as it is)."""
    if not history or not is_follow_up(question):
        return FollowUp(question)
    previous = history[-1].question.strip()
    places = gazetteer()
    new_places = places.find(question)
    rest = _PLAIN.sub("", question)
    for place in new_places:
        rest = rest.replace(place.name, "").replace(places.full_name(place), "")
    if new_places and not _TOPIC_WORDS.search(_SWAP_WORDS.sub("", rest)):  # "广西呢?": the same question, elsewhere
        old_places = places.find(previous)
        replaced = previous
        for old in old_places:
            for name in (places.full_name(old), old.name):
                if name in replaced:
                    replaced = replaced.replace(name, new_places[0].name, 1)
                    break
        return FollowUp(replaced if old_places else f"{new_places[0].name}{previous}")
    if new_places:  # a question about another place, with its own words: read there, with the old words
        return FollowUp(f"{previous} {question.strip()}")
    return FollowUp(question.strip(), context=previous, previous_answer=history[-1].answer)
