"""Who a measure is addressed to: enterprises, or another kind of organisation (服务机构, 高校, 国有企业, 律所).

Read sentence by sentence.  A sentence serves enterprises when it names them as the party that acts or
benefits (``鼓励服务机构助力“专精特新”企业…`` serves enterprises, although a service agency acts), or names
an industry or a kind of enterprise as the one another organisation acts for (``推动知识产权服务业助力乡村振兴``,
``推动知识产权服务机构面向农业农村``); it
is addressed to another kind of organisation when it names that kind and no enterprise.  A clause is
addressed to that kind when its heading names the kind and no sentence serves enterprises, or when such
sentences are at least half of its sentences, outnumber the ones serving enterprises, and either there
are two of them or its heading names the kind.  The party a sentence regulates is its addressee: a clause
that supervises, regulates, cleans up or penalises that kind (``规范专利中介服务机构行为``,
``专利中介服务机构出具虚假报告的，…罚款``, ``知识产权代理行业专项整治``) and serves no enterprise is
addressed to that kind when such sentences are at least half of its sentences, even a single one.
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
# Wording that makes the organisation named in a sentence the party regulated: supervised, guided, cleaned up, penalised.
_REGULATES = re.compile(r"监督|监管|规范|整治|打击|处罚|罚款|警告|没收|吊销|责令|诚信管理|执业行为|从业行为|指导")
OTHER_KINDS = tuple(key for key, facet in TRAITS.items() if facet.exclusive)
AUDIENCE_LABEL = {key: f"面向{key.replace('/', '、')}" for key in OTHER_KINDS}
# The organisation acting for a beneficiary named right after it (服务业助力乡村振兴, 服务机构面向农业农村,
# 服务机构赋能产业): the beneficiary is who the sentence serves.
_ACTS_FOR = re.compile(r"[^，,。；]{0,4}?(?:助力|赋能|面向|服务于|支撑|帮助|为)([^，,。；]{0,12})")
_BENEFICIARY = re.compile("|".join([r"产业|农村|乡村", *(f.pattern.pattern for f in TRAITS.values() if not f.exclusive)]))


def _serves_enterprises(sentence: str) -> bool:
    """An enterprise named as served (not as a status to apply for), or an organisation of another kind
    named as acting for enterprises, an industry or a kind of enterprise."""
    if _ENTERPRISE.search(_STATUS.sub("", sentence)):
        return True
    for key in OTHER_KINDS:
        for named in TRAITS[key].pattern.finditer(sentence):
            acts = _ACTS_FOR.match(sentence, named.end())
            if acts and _BENEFICIARY.search(acts.group(1)):
                return True
    return False


def addressed_to(chunk: Chunk) -> str | None:
    """The kind of organisation (an exclusive trait) a clause is addressed to, or None if it serves enterprises."""
    text = _ANNOTATION.sub("", body_text(chunk))  # the heading sentence is judged as the heading
    kinds: Counter[str] = Counter()
    regulated: Counter[str] = Counter()
    serving = 0
    sentences = [s for s in _SENTENCE.findall(text) if len(s.strip()) > 4]
    for sentence in sentences:
        if _serves_enterprises(sentence):
            serving += 1
            continue
        named = [key for key in OTHER_KINDS if TRAITS[key].pattern.search(sentence)]
        if named:
            kind = min(named, key=lambda key: TRAITS[key].pattern.search(sentence).start())
            kinds[kind] += 1
            regulated[kind] += bool(_REGULATES.search(sentence))
    in_heading = [key for key in OTHER_KINDS if TRAITS[key].pattern.search(chunk.heading)]
    if in_heading and not serving and not _serves_enterprises(chunk.heading):
        return in_heading[0]  # the heading names the kind and no sentence serves enterprises
    if not kinds:
        return None
    if regulated and not serving:
        kind, count = regulated.most_common(1)[0]
        if 2 * count >= len(sentences):
            return kind  # the clause is mostly about regulating that kind, and serves no enterprise
    kind, count = kinds.most_common(1)[0]
    headed = kind in in_heading
    return kind if count > serving and 2 * count >= len(sentences) and (count >= 2 or headed) else None
