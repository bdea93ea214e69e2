"""Chinese tokenisation for BM25: character bigrams (default) or jieba words."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[a-zA-Z]+|\d+(?:\.\d+)?")
# Function words and query filler that carry no topic; dropped from both sides.
STOP_CHARS = set("的了和与及或在是为对将把被等之其")
_QUERY_FILLER = re.compile(r"(请问|请教|一下|什么|啥|怎么|咋|怎样|如何|哪些|哪个|哪家|是否|有没有|能不能|可以吗|吗|呢|啊|吧)")


def bigram_frequencies(texts: Iterable[str]) -> Counter[str]:
    """How many of the texts hold each bigram (see :func:`bigrams`)."""
    frequency: Counter[str] = Counter()
    for text in texts:
        frequency.update(set(bigrams(text)))
    return frequency


def _is_cjk(run: str) -> bool:
    return "\u3400" <= run[0] <= "\u9fff"


def bigrams(text: str) -> list[str]:
    """Character bigrams inside each CJK run (single characters for one-character runs),
    lower-cased Latin words and numbers."""
    tokens: list[str] = []
    for run in _CJK_RUN.findall(text):
        if not _is_cjk(run):
            tokens.append(run.lower())
            continue
        if len(run) == 1:
            if run not in STOP_CHARS:
                tokens.append(run)
            continue
        tokens.extend(run[k:k + 2] for k in range(len(run) - 1))
    return tokens


def cjk_pairs(text: str) -> list[str]:
    """The pairs of adjacent CJK characters in the text, in order: the bigrams :func:`bigrams` makes of it
    besides single characters, Latin words and numbers — and so bigrams of any text that holds it."""
    return [run[k:k + 2] for run in _CJK_RUN.findall(text) if _is_cjk(run) for k in range(len(run) - 1)]


def uncovered_pairs(text: str, spans: Iterable[tuple[int, int]]) -> set[str]:
    """The pairs of adjacent CJK characters of ``text`` that lie inside none of the ``spans`` ((start, end)
    offsets): those of the stretches outside them and of the two characters joining neighbouring spans."""
    starts = sorted((start, end - 1) for start, end in spans if end - start >= 2)  # a pair starting in [start, end - 1)
    found: set[str] = set()
    position = 0  # first pair start not yet looked at
    for start, stop in [*starts, (len(text), len(text))]:
        if start > position:  # pairs starting in [position, start) are outside every span
            found.update(cjk_pairs(text[position:start + 1]))
        position = max(position, stop)
    return found


@lru_cache(maxsize=1)
def jieba_module():
    """jieba, initialised once (its dictionary takes a second to load)."""
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def jieba_words(text: str) -> list[str]:
    tokens = []
    for word in jieba_module().lcut_for_search(text):
        word = word.strip().lower()
        if word and _CJK_RUN.fullmatch(word) and word not in STOP_CHARS:
            tokens.append(word)
    return tokens


def get_tokenizer(name: str) -> Callable[[str], list[str]]:
    return {"bigram": bigrams, "jieba": jieba_words}[name]


def strip_query_filler(question: str) -> str:
    return _QUERY_FILLER.sub(" ", question)
