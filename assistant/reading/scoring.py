"""Scoring a candidate sentence for one facet of a question.

score = lexical coverage of the facet's words (bigrams weighted by how rare they are in the corpus;
words the corpus never uses, such as 老板 or English, are left out rather than held against it)
+ a match of the expected answer type (a duration for 多久, a department that 负责 for 谁负责 …)
+ a small prior for the clause's retrieval rank.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from assistant.models import Chunk
from assistant.reading.candidates import Candidate
from assistant.text.lexicon import content_words, expansions_in
from assistant.text.numbers import Quantity, values_in
from assistant.text.tokens import bigram_frequencies, bigrams, jieba_words, strip_query_filler
from assistant.understanding.answer_types import SentenceFacts
from assistant.understanding.facets import Facet

HEAD_WEIGHT = 0.2  # a sentence that names the facet's rarest noun (what it asks about)
MIN_SHARED_RUN = 4  # a verbatim stretch this long starts to count …
SHARED_RUN_WEIGHT = 0.06  # … this much per character …
SHARED_RUN_CAP = 0.4  # … up to this much

# Words most policy sentences share; they say little about what a question is after.
GENERIC_WORDS = frozenset("工作 推动 加强 建设 发展 推进 完善 健全 开展 实施 条例 通知 意见 部门 负责 主管 本省 本市 措施 举措 "
                          "办法 服务 管理".split())


@dataclass(frozen=True)
class TermWeights:
    """A facet's topic words, weighted by rarity; each may be met by its policy wording
    (贷款 -> 质押融资).  Words the corpus never uses (老板, English) are left out, not held against it."""

    weights: dict[str, float]
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)
    runs: tuple[str, ...] = ()  # the facet's own wording, in runs of Chinese characters
    values: frozenset[float] = frozenset()  # numbers the facet names ("不到5万的" -> 50000)
    borrowed: frozenset[str] = frozenset()  # words taken from the part before a follow-up

    def names_value(self, quantities: tuple[Quantity, ...] | list[Quantity]) -> bool:
        """True if one of the quantities is a number the facet names (5万 = 五万元)."""
        return any(q.value in self.values for q in quantities if q.value is not None)

    def shared_run(self, text: str) -> int:
        """Length of the longest stretch of the facet's wording the text repeats verbatim
        ("没有违法所得的" in "没有违法所得的，可以处…"): words in their order, not only present."""
        longest = 0
        for run in self.runs:
            n = max(longest + 1, MIN_SHARED_RUN)
            while n <= len(run) and any(run[i:i + n] in text for i in range(len(run) - n + 1)):
                longest = n
                n += 1
        return longest

    @property
    def heaviest(self) -> str | None:
        """The rarest word the facet itself uses: what it is about, if anything is."""
        return self.heaviest_of([w for w in self.weights if w not in self.borrowed] or list(self.weights))

    def heaviest_of(self, words: list[str]) -> str | None:
        return max(words, key=self.weights.__getitem__) if words else None

    @property
    def total(self) -> float:
        return sum(self.weights.values()) or 1.0

    def match(self, word: str, text: str) -> float:
        if word.isascii():  # words are kept lower-cased (gdp, ip); the text says GDP
            text = text.lower()
        if word in text or any(alt in text for alt in self.alternatives.get(word, ())):
            return 1.0
        grams = bigrams(word)
        if len(word) >= 3 and grams:  # 服判息诉率 against 服判息诉: partial credit
            return 0.5 * sum(g in text for g in grams) / len(grams)
        return 0.0

    def coverage(self, text: str) -> float:
        if not self.weights:
            return 0.0
        return sum(w * self.match(t, text) for t, w in self.weights.items()) / self.total

    def own_coverage(self, text: str) -> float:
        """Coverage of the facet's own words, without those borrowed from the part before it
        ("依托啥平台" is about 依托 and 平台, not about the 运营中心 the first part named)."""
        own = {t: w for t, w in self.weights.items() if t not in self.borrowed}
        if not own or not self.borrowed:
            return self.coverage(text)
        return sum(w * self.match(t, text) for t, w in own.items()) / sum(own.values())

    def matched(self, text: str) -> list[str]:
        return [t for t in self.weights if self.match(t, text) >= 1.0]


class Vocabulary:
    """How rare each word is across the clauses of one index version.  A word's document frequency
    is bounded by its rarest bigram's, which needs only bigram counts (one pass at load)."""

    def __init__(self, size: int, frequency: Counter[str]):
        self.size = size  # clauses counted
        self.frequency = frequency  # bigram -> clauses holding it (the index's clause_bigrams)

    @classmethod
    def of(cls, texts: list[str]) -> Vocabulary:
        return cls(len(texts), bigram_frequencies(texts))

    def frequency_of(self, word: str) -> int:
        grams = bigrams(word)
        return min((self.frequency.get(g, 0) for g in grams), default=0) if grams else 0

    def idf(self, word: str) -> float:
        return math.log((self.size + 1) / (self.frequency_of(word) + 0.5))

    def known_words(self, words: list[str], expansions: dict[str, list[str]]) -> list[str]:
        """The words, a compound the corpus never uses read as its parts ("银行贷款" -> 银行, 贷款)."""
        known: list[str] = []
        for word in words:
            if len(word) >= 4 and not self.frequency_of(word) and word not in expansions:
                parts = [p for p in jieba_words(word) if len(p) >= 2 and p != word and self.frequency_of(p)]
                known.extend(parts or [word])
            else:
                known.append(word)
        return list(dict.fromkeys(known))

    def terms(self, facet: Facet, places: tuple[str, ...] = ()) -> TermWeights:
        weights: dict[str, float] = {}
        alternatives: dict[str, tuple[str, ...]] = {}
        expansions = expansions_in(f"{facet.text} {facet.context}")
        borrowed: set[str] = set()
        for text, factor in ((facet.topic, 1.0), (facet.context, 0.35)):
            for word in self.known_words(content_words(text, places), expansions):
                if factor < 1.0 and word not in weights:
                    borrowed.add(word)
                alts = tuple(expansions.get(word, ()))
                if word in weights or not (self.frequency_of(word) or any(self.frequency_of(a) for a in alts)):
                    continue
                # a word met only through its policy wording (pledge -> 质押) is as rare as that wording
                said = word if self.frequency_of(word) else max(alts, key=self.frequency_of)
                weights[word] = max(self.idf(said), 0.2) * factor * (0.2 if word in GENERIC_WORDS else 1.0)
                alternatives[word] = alts
        for year in re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)", facet.text):  # "到2025年…": the target year is a topic
            if year not in weights and self.frequency_of(year):
                weights[year] = max(self.idf(year), 0.2)
        for key, wording in expansions.items():  # English or colloquial words: their policy wording
            if key not in weights:
                for word in wording:
                    if word not in weights and self.frequency_of(word):
                        weights[word] = 0.8 * max(self.idf(word), 0.2)
        runs = tuple(r for r in re.findall(r"[\u4e00-\u9fff]+", strip_query_filler(facet.text)) if len(r) >= MIN_SHARED_RUN)
        return TermWeights(weights, alternatives, runs, values_in(facet.text),
                           frozenset(borrowed & set(weights)))


def row_has_figures(chunk: Chunk) -> bool:
    """True if a table row gives a figure in one of its value cells (a row whose cells are empty
    names the indicator but answers nothing)."""
    row = chunk.row or {}
    cells = list(row.values())[1:]  # the first cell names the row
    return any(re.search(r"\d", value or "") for value in cells)


def type_fit(candidate: Candidate, facet: Facet) -> float:
    """1 if the sentence holds an answer of the expected type, less for a weaker sign, else 0 (the
    type's own check, answer_types.py)."""
    chunk = candidate.chunk
    table_row = chunk.kind == "table_row"
    facts = SentenceFacts(candidate.text, frozenset(q.kind for q in candidate.quantities), table_row,
                          table_row and row_has_figures(chunk), chunk.responsibility is not None, bool(chunk.section))
    return facet.kind.fit(facts, facet.quantity_kinds)


@dataclass(frozen=True)
class ScoredCandidate:
    candidate: Candidate
    coverage: float  # share of the facet's weighted words in the sentence
    context: float  # share found in the clause's heading, section and title
    fit: float
    score: float
    title: str = ""  # the title of the sentence's document
    rule: float | None = None  # the hand-set score, kept when ``score`` is the learned probability

    @property
    def setting(self) -> str:
        """The sentence's clause with its heading and document title."""
        return f"{self.title} {self.candidate.chunk.heading} {self.candidate.chunk.text}"


def score(candidate: Candidate, facet: Facet, terms: TermWeights, title: str) -> ScoredCandidate:
    coverage = terms.coverage(candidate.text)
    context = terms.coverage(f"{title} {candidate.chunk.heading} {candidate.chunk.text}")
    fit = type_fit(candidate, facet)
    head = terms.heaviest
    about = HEAD_WEIGHT if head is not None and terms.match(head, candidate.text) >= 1.0 else 0.0
    verbatim = min(SHARED_RUN_CAP, SHARED_RUN_WEIGHT * max(0, terms.shared_run(candidate.text) - MIN_SHARED_RUN + 1))
    total = coverage + 0.35 * context + 0.45 * fit + 0.15 / (1 + candidate.rank) + verbatim + about
    return ScoredCandidate(candidate, coverage, context, fit, total, title)
