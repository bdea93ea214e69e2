"""How each need or trait a user typed is understood: a taxonomy entry, or free text used as a query.

In order: the entry's own name or an alias (``贷款`` → 融资/质押); the wording rules of the taxonomy on the
text with everyday words expanded (``贷款贴息`` → 融资/质押, ``商标海外注册`` → 海外布局 + 品牌/商标); the
embedding of the text close to an entry's description (``专利导航`` → 数据/信息服务); otherwise the text
itself, used as a retrieval query within the enterprise's jurisdictions (``商业秘密保护``).  Text that
carries no meaning — no Chinese word and nothing an entry recognises (``xyz``), or one character
repeated (``啊啊啊``) — is refused with a message in Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.text.lexicon import expand
from assistant.text.taxonomy import NEEDS, TRAITS, Facet, facets_in, facets_named

NEED, TRAIT = "need", "trait"
TAXONOMY, WORDING, SIMILARITY, FREE_TEXT = "taxonomy", "wording", "similarity", "free_text"
# Cosine similarity (e5 query against query) above which a text is read as a taxonomy entry; measured on
# typed needs: right entries score 0.925–0.945, near misses (商业秘密保护 → 版权) 0.90–0.92.
SIMILARITY_FLOOR = 0.925
SIMILARITY_TIE = 0.01  # entries this close to the best are taken too
LATIN_FLOOR = 0.83  # a Latin-only text below this is taken for noise (xyz 0.79, patent loan 0.85)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_FILLER = set("啊哦嗯呃哈呵嘿哎唉呀吧呢吗了的么嘛哇")
_KIND_WORD = {NEED: "需求", TRAIT: "企业特征"}


class NonsenseInputError(ValueError):
    """A need or trait that carries no meaning; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class Understood:
    text: str  # as typed
    kind: str  # need / trait
    facets: tuple[str, ...]  # taxonomy entries it maps to (none for free text)
    how: str  # taxonomy / wording / similarity / free_text
    similarity: float | None = None

    @property
    def query(self) -> str | None:
        """The text used as a retrieval query: whatever is not exactly a taxonomy entry or alias."""
        return None if self.how == TAXONOMY else self.text

    def describe(self) -> str:
        if self.facets:
            return f"{self.text} → {'、'.join(self.facets)}"
        return f"{self.text} → 按原文检索"

    def to_dict(self) -> dict:
        return {"input": self.text, "kind": self.kind, "as": list(self.facets), "how": self.how,
                "similarity": None if self.similarity is None else round(self.similarity, 4),
                "description": self.describe()}


def _facets(kind: str) -> dict[str, Facet]:
    return NEEDS if kind == NEED else TRAITS


def _exact(text: str, facets: dict[str, Facet]) -> str | None:
    """The entry whose name or one of whose aliases is exactly the text (质押 → 融资/质押)."""
    lowered = text.lower()
    for key, facet in facets.items():
        if lowered == key.lower() or lowered in (a.lower() for a in facet.aliases):
            return key
    return None


def _nonsense(text: str, best_similarity: float) -> bool:
    chars = set(_CJK.findall(text))
    if chars:
        return len(chars) <= 1 and len(text.strip()) > 1 or chars <= _FILLER
    return not _LATIN_WORD.search(text) or best_similarity < LATIN_FLOOR


class ProfileInterpreter:
    """Understands typed needs and traits; entry descriptions are embedded once per instance."""

    def __init__(self, encoder):
        self.encoder = encoder
        self._descriptions: dict[str, np.ndarray] = {}

    def _description_vectors(self, kind: str) -> np.ndarray:
        if kind not in self._descriptions:
            facets = _facets(kind)
            self._descriptions[kind] = self.encoder.encode_queries(
                [f.description or f.key for f in facets.values()])
        return self._descriptions[kind]

    def understand(self, text: str, kind: str, encoded: dict[str, np.ndarray] | None = None) -> Understood:
        """How a typed text is read; ``encoded`` (text -> query vector) receives the text's vector when it is
        embedded, so that the caller need not embed it again."""
        facets = _facets(kind)
        exact = _exact(text, facets)
        if exact:
            return Understood(text, kind, (exact,), TAXONOMY)
        expanded = expand(text)
        by_rule = set(facets_named(expanded, facets)) | set(facets_in(expanded, facets))
        if by_rule:
            return Understood(text, kind, tuple(k for k in facets if k in by_rule), WORDING)
        vector = self.encoder.encode_queries([text])[0]
        if encoded is not None:
            encoded[text] = vector
        sims = self._description_vectors(kind) @ vector
        best = float(sims.max())
        if _nonsense(text, best):
            raise NonsenseInputError(f"无法理解{_KIND_WORD[kind]}“{text}”：请用中文写明，例如"
                                     f"“{'、'.join(list(facets)[:3])}”或一句具体的描述")
        if best >= SIMILARITY_FLOOR:
            keys = list(facets)
            chosen = tuple(keys[k] for k in np.argsort(-sims) if sims[k] >= max(SIMILARITY_FLOOR, best - SIMILARITY_TIE))
            return Understood(text, kind, chosen, SIMILARITY, best)
        return Understood(text, kind, (), FREE_TEXT, best)

    def run(self, texts: list[str], kind: str, encoded: dict[str, np.ndarray] | None = None) -> list[Understood]:
        return [self.understand(text, kind, encoded) for text in texts]
