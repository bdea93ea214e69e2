"""Deciding that the corpus does not answer a question, and saying why in one sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.geo import Place, gazetteer
from assistant.question import FIGURE, QuestionAnalysis, five_year_periods
from assistant.retrieval.query import LEXICON
from assistant.retrieval.retriever import ScoredChunk
from assistant.store.tokenize import jieba_module
from assistant.store.index import PolicyIndex

# Share of the question's content words that the best three clauses must contain; below it the
# retrieved clauses are about something else.  Calibrated on dev A-D (no false abstention) and
# on near-miss questions written for the purpose (tests/answer/test_abstain.py).
MIN_TERM_COVERAGE = 0.25
# Share of them the whole corpus must contain; below it the question is about another subject.
MIN_CORPUS_COVERAGE = 0.5


@dataclass(frozen=True)
class Abstention:
    reason: str  # one sentence, shown as the answer


def document_regions(index: PolicyIndex) -> list[tuple[str, Place | None]]:
    places = gazetteer()
    return [
        (doc_id, places.by_code(d.metadata.region_code) if d.metadata.region_code else None)
        for doc_id, d in index.documents.items()
    ]


def uncovered_places(analysis: QuestionAnalysis, index: PolicyIndex) -> list[Place]:
    """Places the question names that no indexed document covers (its own, a parent or a part)."""
    regions = [region for _, region in document_regions(index) if region]
    return [
        place
        for place in analysis.places
        if not any(place.within(region) or region.within(place) for region in regions)
    ]


# Words any question may use that say nothing about its topic.
_PLAIN_WORDS = set(
    "我们 我 你们 公司 企业 单位 机构 政府 这边 那边 这个 那个 一家 什么 怎么 怎样 如何 哪些 哪个 能 能不能 可以 是否 "
    "有没有 有 没有 啥 吗 呢 吧 的 了 和 与 及 在 对 给 要 想 会 能给 需要 请问 一下 现在 目前 方面 相关 有关 情况 问题 "
    "知识产权 政策 支持 规定 要求 规划 方案 文件 多少 几 分别 是 谁 哪 里 中 上 下 年 月 日 条 件 个 家 做 搞 拿 找 报 "
    "呀 啊 还 还有 以及 或者 就 都 也 又 很 最 更 该 其 之 这件 事 那部分 部分 一条 那条 目标 目标值 预期 预期值 实际值 "
    "现状 表 表里 指标 数值 数字 各是 分别是 具体 关于 打算 涉及 "
    "in on of the a an for to my our we is are what which how does do can any there and or with about".split()
)


def content_words(text: str) -> list[str]:
    """The words of a question that carry its topic (jieba words, places and plain words removed)."""
    found = gazetteer().find(text)
    places = {p.name for p in found} | {p.pinyin.lower() for p in found}
    words = []
    for word in jieba_module().lcut(text.lower()):
        word = word.strip()
        if len(word) < 2 or word in _PLAIN_WORDS or not re.match(r"^[\w]+$", word) or word.isdigit():
            continue
        if any(word in p or p in word for p in places):
            continue
        words.append(word)
    return list(dict.fromkeys(words))


def coverage(analysis: QuestionAnalysis, context: str) -> float:
    """Share of the question's content words (or their policy wording) found in a text."""
    words = content_words(analysis.text)
    if not words:
        return 1.0
    expansions = expand_words(analysis)
    present = sum(1 for w in words if w in context or any(x in context for x in expansions.get(w, ())))
    return present / len(words)


def hits_context(hits: list[ScoredChunk], index: PolicyIndex, depth: int = 3) -> str:
    return " ".join(
        " ".join([index.documents[h.chunk.doc_id].metadata.title, h.chunk.heading, h.chunk.text]) for h in hits[:depth]
    )


def expand_words(analysis: QuestionAnalysis) -> dict[str, list[str]]:
    lowered = analysis.text.lower()
    return {word.lower(): wording.split() for word, wording in LEXICON.items() if word.lower() in lowered}


def missing_from_corpus(analysis: QuestionAnalysis, index: PolicyIndex) -> list[str]:
    """Content nouns of the question that appear in no document at all (官费, 税率)."""
    import jieba.posseg

    corpus = index.all_text()
    expansions = expand_words(analysis)
    words = set(content_words(analysis.text))
    missing = []
    for token in jieba.posseg.lcut(analysis.text):
        word, flag = token.word, token.flag
        if word not in words or not flag.startswith("n") or flag in ("nr", "ns"):
            continue
        if word not in corpus and not any(x in corpus for x in expansions.get(word, ())):
            missing.append(word)
    return missing


def covered_years(analysis: QuestionAnalysis, index: PolicyIndex, hits: list[ScoredChunk]) -> list[int]:
    """Target years a figure question asks about that no relevant document's period or text reaches."""
    relevant = []
    for doc_id, region in document_regions(index):
        if not analysis.places or (region and any(p.within(region) or region.within(p) for p in analysis.places)) or (
            region is None and analysis.national
        ):
            relevant.append(index.documents[doc_id])
    missing = []
    hit_text = " ".join(h.chunk.text for h in hits[:5])
    for year in analysis.years:
        in_period = any(d.metadata.period and d.metadata.period.start_year - 5 <= year <= d.metadata.period.end_year
                        for d in relevant)
        if not in_period and str(year) not in hit_text:
            missing.append(year)
    return missing


def decide(analysis: QuestionAnalysis, hits: list[ScoredChunk], index: PolicyIndex) -> Abstention | None:
    covered = "、".join(sorted({d.metadata.jurisdiction_full or d.metadata.title for d in index.documents.values()}))
    if not hits:
        return Abstention(f"知识库中没有与该问题相关的条款（现有文件覆盖：{covered}）。")
    outside = uncovered_places(analysis, index)
    if outside and len(outside) == len(analysis.places) and not analysis.national:
        names = "、".join(gazetteer().full_name(p) for p in outside)
        return Abstention(f"知识库中没有{names}的政策文件，无法据此回答；现有文件覆盖：{covered}。")
    if analysis.intent == FIGURE and (missing := missing_from_corpus(analysis, index)):
        return Abstention(f"知识库中的文件没有涉及“{'、'.join(missing)}”的内容，无法回答。")
    if analysis.intent == FIGURE:
        latest = max((d.metadata.period.end_year for d in index.documents.values() if d.metadata.period), default=0)
        years = covered_years(analysis, index, hits)
        if years or any(start > latest for start, _ in five_year_periods(analysis.text)):
            asked = "、".join(f"{y}年" for y in years) or "该时期"
            return Abstention(f"知识库中的文件没有给出{asked}的相关数字（现有规划期最晚到{latest}年），无法回答。")
    if coverage(analysis, index.all_text()) < MIN_CORPUS_COVERAGE or coverage(analysis, hits_context(hits, index)) < MIN_TERM_COVERAGE:
        return Abstention(f"知识库中没有找到能回答该问题的条款（现有文件覆盖：{covered}）。")
    return None
