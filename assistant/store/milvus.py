"""The clause search held in Milvus: a server (``milvus://host:port``) or a milvus-lite file.

One row per chunk: its id, document, position within the document, jurisdiction, stated status and
content hash, the dense vector and a sparse BM25 vector.  The sparse vectors are the project's own
BM25 (``Bm25Index.document_vector`` / ``query_vector``: character bigrams, which the Chinese
analyzers of Milvus's full-text function do not offer — its jieba words ranked worse here, see the
README), so an inner product in Milvus gives the embedded index's BM25 score.  Terms are keyed by a
32-bit hash, so rows of documents that did not change stay valid when the vocabulary grows.

The local index (documents, chunk texts, manifest) stays the source of truth; ``sync`` makes the
collection match it document by document: rows of removed or changed documents are deleted, new
and changed documents inserted, untouched ones left alone.  Searches take Milvus filter
expressions over jurisdiction, document and status.

pymilvus (and milvus-lite for a local file) are an optional extra: ``pip install -e .[milvus]``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.ingest.chunker import passage_text
from assistant.store.index import PolicyIndex

log = logging.getLogger(__name__)
COLLECTION = "policy_chunks"
BATCH = 1_000  # rows per insert


class MilvusUnavailable(RuntimeError):
    """The store setting names Milvus but pymilvus is missing or the server cannot be reached."""


def milvus_uri(store: str) -> str:
    """``milvus://host:port`` -> the server's http URI; any other value is a milvus-lite file path."""
    if store.startswith("milvus://"):
        return "http://" + store.removeprefix("milvus://")
    return str(Path(store).expanduser())


@dataclass(frozen=True)
class Hit:
    doc_id: str
    ordinal: int  # the chunk's place within its document


def expression(doc_ids: frozenset[str] = frozenset(), jurisdictions: frozenset[str] = frozenset(),
               statuses: frozenset[str] = frozenset()) -> str:
    """A Milvus filter expression (empty for no filter)."""
    parts = [f"{field} in {json.dumps(sorted(values), ensure_ascii=False)}"
             for field, values in (("doc_id", doc_ids), ("jurisdiction", jurisdictions), ("status", statuses)) if values]
    return " and ".join(parts)


class MilvusStore:
    def __init__(self, store: str, dimension: int, exact_max: int, collection: str = COLLECTION):
        try:
            from pymilvus import MilvusClient
        except ImportError as err:
            raise MilvusUnavailable("POLICY_ASSISTANT_STORE names Milvus but pymilvus is not installed: "
                                    "pip install -e '.[milvus]'") from err
        self.uri = milvus_uri(store)
        try:
            self.client = MilvusClient(self.uri)
        except Exception as err:  # noqa: BLE001 - any connection failure is reported with the address
            raise MilvusUnavailable(f"cannot reach Milvus at {self.uri}: {err}") from err
        self.collection = collection
        self.dimension = dimension
        self.exact_max = exact_max

    def _create(self, chunks: int) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=512)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=256)
        schema.add_field("ordinal", DataType.INT64)
        schema.add_field("content_hash", DataType.VARCHAR, max_length=128)
        schema.add_field("jurisdiction", DataType.VARCHAR, max_length=64)
        schema.add_field("status", DataType.VARCHAR, max_length=32)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dimension)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        params = self.client.prepare_index_params()
        if chunks <= self.exact_max:
            params.add_index("dense", index_type="FLAT", metric_type="IP")
        else:
            params.add_index("dense", index_type="HNSW", metric_type="IP", params={"M": 32, "efConstruction": 200})
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        self.client.create_collection(self.collection, schema=schema, index_params=params)

    def held(self) -> dict[str, str]:
        """doc_id -> content hash of the documents the collection holds."""
        if not self.client.has_collection(self.collection):
            return {}
        rows = self.client.query(self.collection, filter="ordinal == 0", output_fields=["doc_id", "content_hash"],
                                 limit=16_384)
        return {row["doc_id"]: row["content_hash"] for row in rows}

    def sync(self, index: PolicyIndex) -> tuple[list[str], list[str]]:
        """Make the collection hold exactly the index's documents; returns (written, deleted) doc ids."""
        if not self.client.has_collection(self.collection):
            self._create(len(index.chunks))
        held = self.held()
        wanted = {doc_id: doc.content_hash for doc_id, doc in index.documents.items()}
        stale = sorted(d for d in held if wanted.get(d) != held[d])
        fresh = sorted(d for d in wanted if held.get(d) != wanted[d])
        if stale:
            self.client.delete(self.collection, filter=expression(doc_ids=frozenset(stale)))
        rows: list[dict[str, Any]] = []
        layout = index.layout
        for doc_id in fresh:
            document = index.documents[doc_id]
            first = layout.first_of(doc_id)
            positions = layout.positions([doc_id])
            for position, vector in zip(positions, index.dense.rows(positions)):
                chunk = index.chunks[int(position)]
                rows.append({"chunk_id": chunk.chunk_id, "doc_id": doc_id, "ordinal": int(position) - first,
                             "content_hash": document.content_hash,
                             "jurisdiction": document.metadata.jurisdiction or "",
                             "status": document.metadata.status or "",
                             "dense": vector.tolist(),
                             "sparse": index.bm25.document_vector(passage_text(document.metadata.title, chunk))})
                if len(rows) >= BATCH:
                    self.client.insert(self.collection, rows)
                    rows = []
        if rows:
            self.client.insert(self.collection, rows)
        if stale or fresh:
            self.client.flush(self.collection)
            self.client.load_collection(self.collection)
            log.info("Milvus %s: %d documents written, %d deleted", self.uri, len(fresh), len(stale))
        return fresh, stale

    def _hits(self, results: list) -> list[Hit]:
        return [Hit(row["entity"]["doc_id"], int(row["entity"]["ordinal"])) for row in results[0]] if results else []

    def search_dense(self, vector: np.ndarray, k: int, filter_expression: str = "") -> list[Hit]:
        return self._hits(self.client.search(self.collection, data=[np.asarray(vector, dtype=np.float32).tolist()],
                                             anns_field="dense", limit=k, filter=filter_expression,
                                             output_fields=["doc_id", "ordinal"],
                                             search_params={"metric_type": "IP"}))

    def search_sparse(self, weights: dict[int, float], k: int, filter_expression: str = "") -> list[Hit]:
        if not weights:
            return []
        return self._hits(self.client.search(self.collection, data=[weights], anns_field="sparse", limit=k,
                                             filter=filter_expression, output_fields=["doc_id", "ordinal"],
                                             search_params={"metric_type": "IP"}))

    def close(self) -> None:
        self.client.close()
