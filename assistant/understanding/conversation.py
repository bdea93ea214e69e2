"""Follow-up questions resolved against the previous turn (那责任单位呢? / 广西呢? / 这个是谁牵头的?)."""

from __future__ import annotations

import re

from assistant.geo import gazetteer
from assistant.models import Turn

MAX_HISTORY_TURNS = 20
_FOLLOW_UP = re.compile(
    r"^(那|那么|那个|这|该|此|它|其|还有|另外|同样|再问|and |what about|how about)|"
    r"(呢|的呢|怎么样|如何)[?？。]?\s*$",
    re.IGNORECASE,
)
_TOPIC_WORDS = re.compile(r"[\u4e00-\u9fa5]{2,}")
_PLAIN = re.compile(r"那|那么|这[个项条块些里]?|该项|该|此|它|其|还有|另外|同样|呢|的|吗|是|谁|什么|怎么样|如何|多少|哪些|哪个|[?？。!！,，\s]")


def is_follow_up(question: str) -> bool:
    stripped = question.strip()
    return bool(_FOLLOW_UP.search(stripped)) or len(stripped) <= 6


def is_orphan_follow_up(question: str) -> bool:
    """"那责任单位呢?" with no earlier turn: a follow-up that cannot be read on its own."""
    stripped = question.strip()
    return bool(_FOLLOW_UP.search(stripped)) and len(_PLAIN.sub("", stripped)) < 8 and not gazetteer().find(stripped)


def resolve_follow_up(question: str, history: list[Turn]) -> str:
    """The question to answer: a follow-up is read in the light of the previous question."""
    if not history or not is_follow_up(question):
        return question
    previous = history[-1].question.strip()
    places = gazetteer()
    new_places = places.find(question)
    rest = _PLAIN.sub("", question)
    for place in new_places:
        rest = rest.replace(place.name, "").replace(places.full_name(place), "")
    if new_places and not _TOPIC_WORDS.search(rest):  # "广西呢?": the same question about another place
        old_places = places.find(previous)
        replaced = previous
        for old in old_places:
            for name in (places.full_name(old), old.name):
                if name in replaced:
                    replaced = replaced.replace(name, new_places[0].name, 1)
                    break
        return replaced if old_places else f"{new_places[0].name}{previous}"
    return f"{previous} {question.strip()}"
