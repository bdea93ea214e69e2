"""Who a measure is addressed to: enterprises, or another kind of organisation (服务机构, 高校, 国有企业, 律所).

Read sentence by sentence.  A sentence serves enterprises when it names them as the party that acts or
benefits (``鼓励服务机构助力“专精特新”企业…`` serves enterprises, although a service agency acts); it
is addressed to another kind of organisation when it names that kind and no enterprise.  A clause is
addressed to that kind when its heading names the kind and no sentence serves enterprises, or when such
sentences are at least half of its sentences, outnumber the ones serving enterprises, and either there
are two of them or its heading names the kind.
"""

from __future__ import annotations

import re
from collections import Counter

from assistant.models import Chunk
from assistant.reading.sentences import body_text
from assistant.text.taxonomy import TRAITS

_SENTENCE = re.compile(r"[^。！？；!?;]+")
_ANNOTATION = re.compile(r"[(（][^()（）]*(?:负责|牵头|责任单位)[^()（）]*[)）]")
# An enterprise named as a status to apply for (申报高新技术企业) is not an enterprise served.
_STATUS = re.compile(r"(?:申报|认定为|认定|评为|成为|创建)[^，,。；]{0,12}?企业")
_ENTERPRISE = re.compile(r"(?<!服务业)(?<!服务)(?:企业|市场主体|创新主体|经营者|商户|权利人|单位和个人)")
OTHER_KINDS = tuple(key for key, facet in TRAITS.items() if facet.exclusive)
AUDIENCE_LABEL = {key: f"面向{key.replace('/', '、')}" for key in OTHER_KINDS}


def addressed_to(chunk: Chunk) -> str | None:
    """The kind of organisation (an exclusive trait) a clause is addressed to, or None if it serves enterprises."""
    text = _ANNOTATION.sub("", body_text(chunk))  # the heading sentence is judged as the heading
    kinds: Counter[str] = Counter()
    serving = 0
    sentences = [s for s in _SENTENCE.findall(text) if len(s.strip()) > 4]
    for sentence in sentences:
        if _ENTERPRISE.search(_STATUS.sub("", sentence)):
            serving += 1
            continue
        named = [key for key in OTHER_KINDS if TRAITS[key].pattern.search(sentence)]
        if named:
            kinds[min(named, key=lambda key: TRAITS[key].pattern.search(sentence).start())] += 1
    in_heading = [key for key in OTHER_KINDS if TRAITS[key].pattern.search(chunk.heading)]
    if in_heading and not serving and not _ENTERPRISE.search(_STATUS.sub("", chunk.heading)):
        return in_heading[0]  # the heading names the kind and no sentence serves enterprises
    if not kinds:
        return None
    kind, count = kinds.most_common(1)[0]
    headed = kind in in_heading
    return kind if count > serving and 2 * count >= len(sentences) and (count >= 2 or headed) else None
