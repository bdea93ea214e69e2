"""Tagging each clause at ingestion with the needs and traits it serves.

A need is tagged when the clause's wording names it (rules), or when the clause's vector is
unusually close to the need's description (more than two standard deviations above that need's
mean similarity over the corpus), which catches measures worded differently.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from assistant.text.taxonomy import NEEDS, TRAITS, facets_in
from assistant.models import Chunk

EMBEDDING_SIGMAS = 2.0


def need_vectors(encoder) -> np.ndarray:
    return encoder.encode_queries([facet.description for facet in NEEDS.values()])


def tag_chunks(chunks: list[Chunk], vectors: np.ndarray, encoder) -> tuple[list[Chunk], dict[str, float]]:
    """Chunks with ``needs`` and ``traits`` filled in, and the similarity threshold used per need."""
    if not chunks:
        return [], {}
    sims = vectors @ need_vectors(encoder).T  # (chunks, needs), cosine: both sides are normalised
    thresholds = {key: float(sims[:, k].mean() + EMBEDDING_SIGMAS * sims[:, k].std()) for k, key in enumerate(NEEDS)}
    tagged = []
    for row, chunk in enumerate(chunks):
        text = f"{chunk.heading} {chunk.text}"
        needs = set(facets_in(text, NEEDS))
        needs |= {key for k, key in enumerate(NEEDS) if sims[row, k] >= thresholds[key]}
        tagged.append(replace(chunk, needs=tuple(k for k in NEEDS if k in needs), traits=facets_in(text, TRAITS)))
    return tagged, thresholds
