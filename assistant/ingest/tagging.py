"""Tagging each clause at indexing with the needs and traits it serves and the regions it is confined to.

A need is tagged when the clause's wording names it (rules), or when the clause's vector is
unusually close to the need's description (more than two standard deviations above that need's
mean similarity over the corpus), which catches measures worded differently.  A sentence that
confines the clause to a region below the document's jurisdiction (``推动成渝地区双城经济圈…`` in a
national plan, ``支持南宁…`` in a provincial one) is tagged with that region (assistant/text/regions.py).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from assistant.geo import Place, gazetteer
from assistant.models import Chunk, DocumentMetadata
from assistant.text.regions import confined_spans
from assistant.text.taxonomy import NEEDS, TRAITS, facets_in

EMBEDDING_SIGMAS = 2.0


def need_vectors(encoder) -> np.ndarray:
    """Each need's description embedded as a query, in NEEDS order."""
    return encoder.encode_queries([facet.description for facet in NEEDS.values()])


def document_scope(metadata: DocumentMetadata) -> Place | None:
    """The place a document governs; None for national documents (and documents of unknown reach)."""
    if metadata.level == "national" or not metadata.region_code:
        return None
    return gazetteer().by_code(metadata.region_code)


def tag_chunks(chunks: list[Chunk], vectors: np.ndarray, encoder,
               scopes: dict[str, Place | None] | None = None,
               thresholds: dict[str, float] | None = None) -> tuple[list[Chunk], dict[str, float]]:
    """Chunks with ``needs``, ``traits`` and ``regions`` filled in, and the similarity threshold used per need.
    ``scopes``: doc_id -> the place the document governs (missing: national).  The thresholds are
    these chunks' own statistics unless given (a segment added to an index is tagged by the
    thresholds of the index it joins)."""
    if not chunks:
        return [], dict(thresholds or {})
    scopes = scopes or {}
    sims = vectors @ need_vectors(encoder).T  # (chunks, needs), cosine: both sides are normalised
    own = {key: float(sims[:, k].mean() + EMBEDDING_SIGMAS * sims[:, k].std()) for k, key in enumerate(NEEDS)}
    thresholds = {**own, **(thresholds or {})}
    tagged = []
    for row, chunk in enumerate(chunks):
        text = f"{chunk.heading} {chunk.text}"
        needs = set(facets_in(text, NEEDS))
        needs |= {key for k, key in enumerate(NEEDS) if sims[row, k] >= thresholds[key]}
        tagged.append(replace(chunk, needs=tuple(k for k in NEEDS if k in needs), traits=facets_in(text, TRAITS),
                              regions=confined_spans(chunk.text, scopes.get(chunk.doc_id))))
    return tagged, thresholds
