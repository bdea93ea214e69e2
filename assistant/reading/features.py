"""What the reader knows about a candidate sentence, as numbers a learned scorer weighs.

Every hand rule the reader had is one column here (the type checks, the verbatim stretch, the named
document, the place, the standing, the clause's rank, the old hand-set total itself), not a verdict:
the weights come from labelled questions (bench/train_reader.py), the columns from this module only,
so training and answering compute them the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from assistant.ingest.structure import PREAMBLE
from assistant.reading.scoring import ScoredCandidate, TermWeights
from assistant.text.thresholds import comparable, stated_figures
from assistant.text.tokens import bigrams, strip_query_filler
from assistant.understanding import answer_types as types
from assistant.understanding.answer_types import ASSIGNED, MODAL, OFFER, SANCTION
from assistant.understanding.facets import Facet

# the answer types with columns of their own, in the stored model's order (a type without, such as
# ISSUER, uses the columns its ``column`` names)
ANSWER_TYPES = (types.RESPONSIBLE, types.AMOUNT, types.PERCENT, types.MULTIPLE, types.DURATION, types.DATE,
                types.ARTICLE, types.YESNO, types.DOCUMENTS, types.SUPPORT, types.CONDITION, types.PENALTY,
                types.GENERAL)
BASE_FEATURES = (
    "coverage", "own_coverage", "context", "fit", "rank_prior", "verbatim", "about", "rule_score", "rule_gap",
    "rule_rank_prior", "coverage_gap", "clause_fused", "dense_prior", "bm25_prior", "question_overlap",
    "preamble", "anchor_clause", "anchor_document", "local_document", "outdated", "named_document",
    "has_quantity", "kind_quantity", "names_value", "length_log", "first_in_clause", "whole_rule", "table_row",
    "annotated", "sanction", "modal", "offer", "assigned", "sentence_dense", "sentence_dense_gap",
    "sentence_dense_rank", "has_sentence_vector", "threshold_comparable", "cites_anchor_article", "bias",
)
TYPE_FEATURES = tuple(f"type_{t}" for t in ANSWER_TYPES) + tuple(f"fit_{t}" for t in ANSWER_TYPES) \
    + tuple(f"coverage_{t}" for t in ANSWER_TYPES)
FEATURES = BASE_FEATURES + TYPE_FEATURES


@dataclass(frozen=True)
class Placement:
    """Where the facet is read: what the reader knows besides the sentence."""

    facet: Facet
    terms: TermWeights
    anchor_chunk: str | None = None  # the clause a follow-up continues from
    anchor_doc: str | None = None
    local: frozenset[str] = frozenset()  # documents of the place the question is asked from
    outdated: frozenset[str] = frozenset()  # documents that no longer apply
    fused: tuple[tuple[float, int | None, int | None], ...] = ()  # per clause rank: fused score, dense, BM25 rank
    anchor_article: str | None = None  # the article (第十四条) of the clause a follow-up continues from


ARTICLE = re.compile(r"第[一二三四五六七八九十百零〇]+条")


def article_of(section: str) -> str | None:
    """The article a section path ends in ("第二章 第十四条" -> 第十四条), if it is an article."""
    found = ARTICLE.findall(section)
    return found[-1] if found else None


def _prior(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / (1.0 + rank)


def feature_matrix(ranked: list[ScoredCandidate], rule_scores: list[float], where: Placement,
                   similarity: np.ndarray | None = None) -> np.ndarray:
    """One row per candidate, the columns of ``FEATURES``; ``similarity``: each sentence's cosine with
    the facet's vector (NaN where the index stores no vector for it; None: not computed)."""
    if similarity is None:
        similarity = np.full(len(ranked), np.nan)
    known = ~np.isnan(similarity)
    best_similarity = float(similarity[known].max()) if known.any() else 0.0
    by_similarity = sorted(np.flatnonzero(known), key=lambda i: -similarity[i])
    similarity_rank = {int(i): r for r, i in enumerate(by_similarity)}
    facet, terms = where.facet, where.terms
    kinds = facet.quantity_kinds or frozenset()
    question = set(bigrams(strip_query_filler(facet.query)))
    stated = bool(stated_figures(facet.query))  # the user states a figure of their own
    best_rule = max(rule_scores, default=0.0)
    best_coverage = max((s.coverage for s in ranked), default=0.0)
    order = sorted(range(len(ranked)), key=lambda i: -rule_scores[i])
    rule_rank = {i: r for r, i in enumerate(order)}
    first_start: dict[str, int] = {}
    for s in ranked:
        chunk_id = s.candidate.chunk.chunk_id
        first_start[chunk_id] = min(first_start.get(chunk_id, s.candidate.start), s.candidate.start)
    type_index = ANSWER_TYPES.index(facet.kind.column or facet.kind.name)
    rows = np.zeros((len(ranked), len(FEATURES)), dtype=np.float64)
    base = len(BASE_FEATURES)
    for i, scored in enumerate(ranked):
        candidate, chunk, text = scored.candidate, scored.candidate.chunk, scored.candidate.text
        fused, dense_rank, bm25_rank = where.fused[candidate.rank] if candidate.rank < len(where.fused) else (0.0, None, None)
        grams = set(bigrams(text))
        values = [
            scored.coverage,
            terms.own_coverage(text),
            scored.context,
            scored.fit,
            _prior(candidate.rank),
            float(terms.shared_run(text)) / 10.0,
            1.0 if terms.heaviest is not None and terms.match(terms.heaviest, text) >= 1.0 else 0.0,
            rule_scores[i],
            rule_scores[i] - best_rule,
            _prior(rule_rank[i]),
            scored.coverage - best_coverage,
            fused * 30.0,  # a fused reciprocal-rank score is at most 2/61: brought near 1
            _prior(dense_rank),
            _prior(bm25_rank),
            len(question & grams) / len(question) if question else 0.0,
            1.0 if chunk.section == PREAMBLE else 0.0,
            1.0 if where.anchor_chunk is not None and chunk.chunk_id == where.anchor_chunk else 0.0,
            1.0 if where.anchor_doc is not None and chunk.doc_id == where.anchor_doc else 0.0,
            1.0 if chunk.doc_id in where.local else 0.0,
            1.0 if chunk.doc_id in where.outdated else 0.0,
            1.0 if facet.doc_id is not None and chunk.doc_id == facet.doc_id else 0.0,
            1.0 if candidate.quantities else 0.0,
            1.0 if any(q.kind in kinds for q in candidate.quantities) else 0.0,
            1.0 if terms.names_value(candidate.quantities) else 0.0,
            math.log1p(len(text)) / 5.0,
            1.0 if candidate.start == first_start[chunk.chunk_id] else 0.0,
            1.0 if ("；" in text or ";" in text) and not text.endswith(("；", ";")) else 0.0,  # a whole ；-rule
            1.0 if chunk.kind == "table_row" else 0.0,
            1.0 if chunk.responsibility is not None else 0.0,
            1.0 if SANCTION.search(text) else 0.0,
            1.0 if MODAL.search(text) else 0.0,
            1.0 if OFFER.search(text) else 0.0,
            1.0 if ASSIGNED.search(text) else 0.0,
            float(similarity[i]) if known[i] else 0.0,
            float(similarity[i]) - best_similarity if known[i] else 0.0,
            _prior(similarity_rank.get(i)),
            1.0 if known[i] else 0.0,
            1.0 if stated and comparable(facet.query, text) else 0.0,
            # "违反本法第十四条…规定的，…处十万元罚款": a penalty names the article it enforces
            1.0 if where.anchor_article and where.anchor_article in text and chunk.chunk_id != where.anchor_chunk else 0.0,
            1.0,
        ]
        rows[i, :base] = values
        rows[i, base + type_index] = 1.0
        rows[i, base + len(ANSWER_TYPES) + type_index] = scored.fit
        rows[i, base + 2 * len(ANSWER_TYPES) + type_index] = scored.coverage
    return rows
