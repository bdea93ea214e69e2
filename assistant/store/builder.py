"""The indexing stage: parsed documents in, a complete searchable index out.

Vectors of passages the previous index already holds are reused, so adding or replacing one
document embeds only that document's clauses.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from assistant.embedding.encoder import Encoder
from assistant.ingest.chunker import passage_text
from assistant.ingest.tagging import document_scope, tag_chunks
from assistant.models import ParsedDocument
from assistant.store.bm25 import Bm25Index
from assistant.store.dense import DenseIndex, DensePlan
from assistant.store.index import PolicyIndex, StoredDocument, make_manifest
from assistant.store.sentences import SentenceVectors, sentence_entries


@dataclass(frozen=True)
class BuildStats:
    embedded: int  # passages encoded by the model
    reused: int  # passages whose vectors came from the previous index
    embed_seconds: float = 0.0  # spent encoding them (sentences included)
    sentences_embedded: int = 0  # sentence passages encoded (store/sentences.py)


def previous_vectors(index: PolicyIndex | list[PolicyIndex] | None,
                     doc_ids: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Passage text -> vector, for the chunks of existing indexes (the later ones win): every live
    chunk, or only those of ``doc_ids``."""
    known: dict[str, np.ndarray] = {}
    wanted = None if doc_ids is None else set(doc_ids)
    for one in index if isinstance(index, list) else [index] if index is not None else []:
        ids = [d for d in one.documents if wanted is None or d in wanted]
        positions = one.layout.positions(ids)
        if not len(positions):
            continue
        titles = {d: one.documents[d].metadata.title for d in ids}
        # the float vectors (exact even when the search index is approximate)
        stored = one.dense.rows(positions)
        for row, position in enumerate(positions):
            chunk = one.chunks[int(position)]
            known[passage_text(titles[chunk.doc_id], chunk)] = stored[row]
    return known


def previous_sentence_vectors(index: PolicyIndex | list[PolicyIndex] | None,
                              doc_ids: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Sentence passage text -> vector, for the sentences existing indexes hold (the later ones win)."""
    known: dict[str, np.ndarray] = {}
    wanted = None if doc_ids is None else set(doc_ids)
    for one in index if isinstance(index, list) else [index] if index is not None else []:
        ids = [d for d in one.documents if wanted is None or d in wanted]
        entries = sentence_entries((d, one.documents[d].metadata.title, one.chunks_of(d)) for d in ids)
        vectors, found = one.sentence_lookup.vectors([(e.doc_id, e.start, e.end) for e in entries])
        known.update((e.passage, vectors[i]) for i, e in enumerate(entries) if found[i])
    return known


class IndexBuilder:
    def __init__(self, encoder: Encoder, bm25_tokenizer: str, plan: DensePlan | None = None):
        self.encoder = encoder
        self.bm25_tokenizer = bm25_tokenizer
        self.plan = plan or DensePlan()

    def run(self, documents: list[ParsedDocument], previous: PolicyIndex | list[PolicyIndex] | None = None,
            show_progress: bool = False, reuse: Iterable[str] | None = None,
            joining: PolicyIndex | None = None) -> tuple[PolicyIndex, BuildStats]:
        """The index of ``documents``.  Vectors are reused from ``previous`` (only the documents in
        ``reuse``, if given).  ``joining``: the index this one becomes a segment of — its need
        thresholds tag the chunks and its average chunk length normalises BM25."""
        if not documents:
            raise ValueError("nothing to index: no document was ingested")
        documents = sorted(documents, key=lambda d: d.doc_id)  # the same files give the same index
        stored = [StoredDocument.from_parsed(d) for d in documents]
        chunks = [chunk for d in documents for chunk in d.chunks]
        titles = {d.doc_id: d.metadata.title for d in documents}
        passages = [passage_text(titles[c.doc_id], c) for c in chunks]
        known = previous_vectors(previous, reuse)
        missing = [p for p in dict.fromkeys(passages) if p not in known]
        started = time.perf_counter()
        if missing:
            fresh = self.encoder.encode_passages(missing, show_progress=show_progress)
            known.update(zip(missing, fresh))
        embed_seconds = time.perf_counter() - started
        vectors = np.vstack([known[p] for p in passages]).astype(np.float32)
        scopes = {d.doc_id: document_scope(d.metadata) for d in documents}
        chunks, thresholds = tag_chunks(chunks, vectors, self.encoder, scopes,
                                        joining.manifest.get("need_thresholds") if joining else None)
        tagged = [replace(d, chunks=[]) for d in documents]
        by_doc: dict[str, list] = {}
        for chunk in chunks:
            by_doc.setdefault(chunk.doc_id, []).append(chunk)
        for doc in tagged:
            doc.chunks = by_doc.get(doc.doc_id, [])
        index = assemble_index(tagged, vectors, self.bm25_tokenizer, self.encoder.model_id, self.encoder.dimension,
                               self.plan, joining.bm25.average_length if joining else None)
        index.manifest["need_thresholds"] = thresholds
        entries = sentence_entries((d.doc_id, d.metadata.title, d.chunks) for d in tagged)
        known_sentences = previous_sentence_vectors(previous, reuse)
        unseen = [t for t in dict.fromkeys(e.passage for e in entries) if t not in known_sentences]
        started = time.perf_counter()
        if unseen:
            known_sentences.update(zip(unseen, self.encoder.encode_passages(unseen, show_progress=show_progress)))
        embed_seconds += time.perf_counter() - started
        dimension = self.encoder.dimension
        sentence_matrix = (np.vstack([known_sentences[e.passage] for e in entries]) if entries
                           else np.zeros((0, dimension), dtype=np.float32))
        index.sentences = SentenceVectors.build(entries, sentence_matrix)
        return index, BuildStats(embedded=len(missing), reused=len(passages) - len(missing), embed_seconds=embed_seconds,
                                 sentences_embedded=len(unseen))


def assemble_index(documents: list[ParsedDocument], vectors: np.ndarray, bm25_tokenizer: str, model: str,
                   dimension: int, plan: DensePlan | None = None, average_length: float | None = None) -> PolicyIndex:
    """The index of these documents (chunks in document order) with one vector per chunk; the
    dense index type follows the number of chunks (``plan``), BM25 is built in batches
    (``average_length``: see ``Bm25Index.build``)."""
    stored = [StoredDocument.from_parsed(d) for d in documents]
    chunks = [chunk for d in documents for chunk in d.chunks]
    passages = (passage_text(d.metadata.title, c) for d in documents for c in d.chunks)
    return PolicyIndex(
        manifest=make_manifest(model, dimension, bm25_tokenizer, stored, chunks),
        documents={d.doc_id: d for d in stored},
        chunks=chunks,
        dense=DenseIndex.build(vectors, plan),
        bm25=Bm25Index.build(passages, bm25_tokenizer, average_length=average_length),
    )
