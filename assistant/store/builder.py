"""The indexing stage: parsed documents in, a complete searchable index out."""

from __future__ import annotations

from assistant.embedding.encoder import Encoder
from assistant.ingest.chunker import passage_text
from assistant.matching.tagging import tag_chunks
from assistant.models import ParsedDocument
from assistant.store.bm25 import Bm25Index
from assistant.store.dense import DenseIndex
from assistant.store.index import PolicyIndex, StoredDocument, make_manifest


class IndexBuilder:
    def __init__(self, encoder: Encoder, bm25_tokenizer: str):
        self.encoder = encoder
        self.bm25_tokenizer = bm25_tokenizer

    def run(self, documents: list[ParsedDocument], show_progress: bool = False) -> PolicyIndex:
        if not documents:
            raise ValueError("nothing to index: no document was ingested")
        stored = [StoredDocument.from_parsed(d) for d in documents]
        chunks = [chunk for d in documents for chunk in d.chunks]
        titles = {d.doc_id: d.metadata.title for d in documents}
        passages = [passage_text(titles[c.doc_id], c) for c in chunks]
        vectors = self.encoder.encode_passages(passages, show_progress=show_progress)
        chunks, thresholds = tag_chunks(chunks, vectors, self.encoder)
        manifest = make_manifest(self.encoder.model_id, self.encoder.dimension, self.bm25_tokenizer, stored, chunks)
        manifest["need_thresholds"] = thresholds
        return PolicyIndex(
            manifest=manifest,
            documents={d.doc_id: d for d in stored},
            chunks=chunks,
            dense=DenseIndex.build(vectors),
            bm25=Bm25Index.build(passages, self.bm25_tokenizer),
        )
