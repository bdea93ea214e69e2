"""Adding, replacing and removing documents without a rebuild.

An update reads the live index, re-parses only the files given, embeds only passages it has not
seen (untouched documents keep their vectors; the per-document content hashes decide), rebuilds
BM25 and the need tags over the result (cheap, no model), and saves a new version atomically.
Queries keep answering from the previous version until the new one is complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from assistant.embedding.encoder import Encoder
from assistant.ingest.overrides import MetadataOverrides
from assistant.ingest.pipeline import DocumentIngester
from assistant.models import ParsedDocument
from assistant.settings import Settings
from assistant.store.builder import IndexBuilder
from assistant.store.index import IndexNotFoundError, PolicyIndex, index_lock, load_index, save_index


class UpdateError(ValueError):
    """An update that cannot be made; nothing was changed."""


@dataclass
class UpdateReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    version: str = ""

    def summary(self) -> str:
        parts = [f"{name} {', '.join(ids)}" for name, ids in
                 (("added", self.added), ("replaced", self.replaced), ("removed", self.removed),
                  ("unchanged", self.unchanged)) if ids]
        return (("; ".join(parts) or "nothing changed")
                + f" — {self.embedded} passages embedded, {self.reused} reused, {self.seconds:.1f}s")


def stored_as_parsed(index: PolicyIndex) -> dict[str, ParsedDocument]:
    """The documents of an index in the form the builder takes."""
    chunks: dict[str, list] = {}
    for chunk in index.chunks:
        chunks.setdefault(chunk.doc_id, []).append(chunk)
    return {
        doc_id: ParsedDocument(doc.doc_id, doc.source, doc.content_hash, doc.text, doc.metadata, doc.sections,
                               chunks.get(doc_id, []))
        for doc_id, doc in index.documents.items()
    }


class IndexUpdater:
    def __init__(self, settings: Settings, encoder: Encoder):
        self.settings = settings
        self.encoder = encoder
        self.builder = IndexBuilder(encoder, settings.bm25_tokenizer)

    def _current(self) -> PolicyIndex | None:
        try:
            return load_index(self.settings.index_dir, self.settings.model)
        except IndexNotFoundError:
            return None

    def _commit(self, documents: list[ParsedDocument], previous: PolicyIndex | None, report: UpdateReport) -> None:
        index, stats = self.builder.run(documents, previous=previous)
        save_index(index, self.settings.index_dir)
        report.embedded, report.reused, report.version = stats.embedded, stats.reused, index.version

    def add(self, paths: list[Path], overrides: MetadataOverrides | None = None) -> UpdateReport:
        """Add files (or replace the documents they update); unreadable files are reported, and if
        none could be read nothing changes."""
        started = time.perf_counter()
        report = UpdateReport()
        result = DocumentIngester(self.settings.chunk_max_chars).run(paths, overrides)
        report.failures = result.failures
        if not result.documents:
            raise UpdateError("no document could be read: " + "; ".join(result.failures or ["no files given"]))
        with index_lock(self.settings.index_dir):
            previous = self._current()
            documents = stored_as_parsed(previous) if previous else {}
            for document in result.documents:
                old = documents.get(document.doc_id)
                if old is None:
                    report.added.append(document.doc_id)
                elif old.content_hash == document.content_hash:
                    report.unchanged.append(document.doc_id)
                    continue
                else:
                    report.replaced.append(document.doc_id)
                documents[document.doc_id] = document
            if report.added or report.replaced:
                self._commit(list(documents.values()), previous, report)
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, doc_ids: list[str]) -> UpdateReport:
        """Remove documents by id; an unknown id is an error and nothing changes."""
        started = time.perf_counter()
        report = UpdateReport()
        with index_lock(self.settings.index_dir):
            previous = self._current()
            if previous is None:
                raise UpdateError(f"no index at {self.settings.index_dir}")
            unknown = [d for d in doc_ids if d not in previous.documents]
            if unknown:
                raise UpdateError(f"no document {', '.join(repr(d) for d in unknown)} in the index; "
                                  f"known ids: {', '.join(sorted(previous.documents))}")
            documents = {k: v for k, v in stored_as_parsed(previous).items() if k not in doc_ids}
            if not documents:
                raise UpdateError("removing every document would leave the index empty; "
                                  "build a new one with `policy-assistant ingest` instead")
            report.removed = list(doc_ids)
            self._commit(list(documents.values()), previous, report)
        report.seconds = time.perf_counter() - started
        return report
