"""Adding, replacing and removing documents without a rebuild.

An update reads the live index's manifest, re-parses only the files given, and writes only what
changed: a new segment with the documents added or replaced (embedding only passages it has not
seen; their need tags use the index's thresholds, their BM25 its average chunk length), and a new
manifest marking the documents replaced or removed as dead in their old segments.  Nothing else is
read or rewritten, so an update costs about the same at 100k chunks as at 300.  Segments are
merged when they pile up (``MergePolicy``): the small ones into one, or everything into one when
dead chunks or added segments have grown large — vectors are reused, so merging needs no
embedding.  The new version is switched in atomically; queries keep answering from the previous
version until it is complete.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.embedding.encoder import Encoder
from assistant.ingest.formats import ExtractionLimits
from assistant.ingest.overrides import MetadataOverrides
from assistant.ingest.pipeline import DocumentIngester
from assistant.models import ParsedDocument
from assistant.settings import Settings
from assistant.store.builder import IndexBuilder
from assistant.store.dense import DensePlan
from assistant.store.index import (
    IndexNotFoundError,
    VERSIONS,
    PolicyIndex,
    index_lock,
    load_index,
    read_manifest,
    save_index,
    save_update,
    version_name,
)

log = logging.getLogger(__name__)


class UpdateError(ValueError):
    """An update that cannot be made; nothing was changed.  ``errors`` are the errors behind files
    that could not be read (their causes say why, e.g. an ExtractionLimitError)."""

    def __init__(self, message: str, errors: list[Exception] | None = None):
        super().__init__(message)
        self.errors = errors or []


def extraction_limits(settings: Settings) -> ExtractionLimits:
    """The PDF/Word extraction bounds the settings give; the uncompressed size counts toward the
    upload limit."""
    return ExtractionLimits(seconds=settings.extract_seconds, memory_bytes=settings.extract_memory_mb * 1024 * 1024,
                            expanded_bytes=settings.max_upload_bytes)


def dense_plan(settings: Settings) -> DensePlan:
    return DensePlan(exact_max=settings.dense_exact_max_chunks, nprobe=settings.dense_nprobe)


def ingester(settings: Settings) -> DocumentIngester:
    return DocumentIngester(settings.chunk_max_chars, extraction_limits(settings))


def concurrent_changes(start: dict[str, Any], now: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Documents added or replaced, and documents removed, between two manifests' document tables."""
    changed = [doc_id for doc_id, entry in now.items()
               if start.get(doc_id, {}).get("content_hash") != entry["content_hash"]]
    removed = [doc_id for doc_id in start if doc_id not in now]
    return sorted(changed), sorted(removed)


@dataclass(frozen=True)
class IndexSnapshot:
    """The live version and its documents' manifest entries at one moment: what a rebuild started from."""

    version: str | None
    documents: dict[str, Any]


def index_snapshot(settings: Settings) -> IndexSnapshot:
    """Taken by ``ingest`` before anything slow (loading the model, parsing the corpus), so that an
    upload acknowledged in that time counts as a change made while the build ran."""
    version = version_name(settings.index_dir)
    documents = read_manifest(settings.index_dir, settings.index_dir / VERSIONS / version)["documents"] if version else {}
    return IndexSnapshot(version, documents)


@dataclass
class UpdateReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    embedded: int = 0
    reused: int = 0  # passages of the new version not embedded again (left in place or their vectors reused)
    seconds: float = 0.0
    version: str = ""
    merge: str = ""  # "segment", "merge" or "compact" (MergePolicy); empty for a first build
    embed_seconds: float = 0.0  # of ``seconds``, the model encoding passages

    def summary(self) -> str:
        parts = [f"{name} {', '.join(ids)}" for name, ids in
                 (("added", self.added), ("replaced", self.replaced), ("removed", self.removed),
                  ("unchanged", self.unchanged)) if ids]
        return (("; ".join(parts) or "nothing changed")
                + f" — {self.embedded} passages embedded ({self.embed_seconds:.1f}s), {self.reused} reused, "
                  f"{self.seconds:.1f}s")


def stored_as_parsed(index: PolicyIndex, doc_ids: Iterable[str] | None = None) -> dict[str, ParsedDocument]:
    """The documents of an index (all, or those of ``doc_ids``) in the form the builder takes."""
    parsed = {}
    for doc_id in index.documents if doc_ids is None else doc_ids:
        doc = index.documents[doc_id]
        parsed[doc_id] = ParsedDocument(doc.doc_id, doc.source, doc.content_hash, doc.text, doc.metadata,
                                        doc.sections, index.chunks_of(doc_id))
    return parsed


@dataclass(frozen=True)
class MergePolicy:
    """When an update merges segments instead of adding one more.

    - more than ``max_segments`` segments: the added ones (all but the first, the bulk) are merged
      into one, with the new documents — its cost follows the added documents, not the index;
    - the added segments hold more live chunks than the first one, or more than ``max_dead_share``
      of all positions are dead: everything is merged into one segment (no embedding; amortised,
      as the index has at least doubled or lost a quarter since the last full merge).
    """

    max_segments: int = 8
    max_dead_share: float = 0.25

    def decide(self, previous: PolicyIndex, added_chunks: int, gone: set[str]) -> str:
        """"segment", "merge" (the added segments) or "compact" (everything)."""
        segments = previous.segments
        sizes = {d: e.get("chunks", 0) for d, e in previous.manifest["documents"].items()}
        dead = previous.dead_chunks + sum(sizes.get(d, 0) for d in gone)
        total = len(previous.chunks) + added_chunks
        first = segments[0].path if segments else ""
        first_live = sum(n for d, n in sizes.items()
                         if d not in gone and previous.manifest["documents"][d].get("segment", first) == first)
        later_live = len(previous.chunks) - previous.dead_chunks - sum(sizes.get(d, 0) for d in gone) \
            - first_live + added_chunks
        if total and (dead / total > self.max_dead_share or later_live > first_live):
            return "compact"
        if len(segments) + (1 if added_chunks else 0) > self.max_segments:
            return "merge"
        return "segment"


class IndexUpdater:
    def __init__(self, settings: Settings, encoder: Encoder):
        self.settings = settings
        self.encoder = encoder
        self.builder = IndexBuilder(encoder, settings.bm25_tokenizer, dense_plan(settings))
        self.policy = MergePolicy()

    def _current(self) -> PolicyIndex | None:
        try:
            return load_index(self.settings.index_dir, self.settings.model)
        except IndexNotFoundError:
            return None

    def _commit(self, previous: PolicyIndex | None, fresh: list[ParsedDocument], gone: set[str],
                report: UpdateReport) -> None:
        """Save ``previous`` with ``fresh`` documents added (or replacing theirs) and ``gone`` ones
        removed: one more segment, merged segments, or one segment of everything (MergePolicy)."""
        if previous is None:
            index, stats = self.builder.run(fresh)
            save_index(index, self.settings.index_dir)
            report.embedded, report.reused, report.version = stats.embedded, stats.reused, index.version
            report.embed_seconds = stats.embed_seconds
            return
        replaced = {d.doc_id for d in fresh} & set(previous.documents)
        added_chunks = sum(len(d.chunks) for d in fresh)
        how = self.policy.decide(previous, added_chunks, gone | replaced)
        report.merge = how
        if how == "compact":
            kept = [d for d in previous.documents if d not in gone and d not in replaced]
            documents = [*stored_as_parsed(previous, kept).values(), *fresh]
            index, stats = self.builder.run(documents, previous=previous)
            save_index(index, self.settings.index_dir)
            report.embedded, report.reused, report.version = stats.embedded, stats.reused, index.version
            report.embed_seconds = stats.embed_seconds
            return
        merged: set[str] = set()
        documents = list(fresh)
        if how == "merge":
            merged = {s.path for s in previous.segments[1:]}
            carried = [d for d, e in previous.manifest["documents"].items()
                       if e.get("segment") in merged and d not in gone and d not in replaced]
            documents += stored_as_parsed(previous, carried).values()
        addition, stats = (self.builder.run(documents, previous=previous, reuse=[d.doc_id for d in documents],
                                            joining=previous) if documents else (None, None))
        report.version = save_update(self.settings.index_dir, previous, addition, gone | replaced, merged)
        report.embedded = stats.embedded if stats else 0
        report.embed_seconds = stats.embed_seconds if stats else 0.0
        sizes = {d: e.get("chunks", 0) for d, e in previous.manifest["documents"].items()}
        # passages not embedded again: the untouched documents' (left where they are) and those reused
        report.reused = previous.searchable_chunks - sum(sizes.get(d, 0) for d in gone | replaced) \
            + added_chunks - report.embedded

    def add(self, paths: list[Path], overrides: MetadataOverrides | None = None) -> UpdateReport:
        """Add files (or replace the documents they update); unreadable files are reported, and if
        none could be read nothing changes."""
        started = time.perf_counter()
        report = UpdateReport()
        result = ingester(self.settings).run(paths, overrides)
        report.failures = result.failures
        if not result.documents:
            raise UpdateError("no document could be read: " + "; ".join(result.failures or ["no files given"]),
                              result.errors)
        with index_lock(self.settings.index_dir):
            previous = self._current()
            held = previous.manifest["documents"] if previous else {}
            fresh: dict[str, ParsedDocument] = {}
            for document in result.documents:
                old = held.get(document.doc_id)
                if old is None:
                    report.added.append(document.doc_id)
                elif old["content_hash"] == document.content_hash:
                    report.unchanged.append(document.doc_id)
                    continue
                else:
                    report.replaced.append(document.doc_id)
                fresh[document.doc_id] = document
            if fresh:
                self._commit(previous, list(fresh.values()), set(), report)
        report.seconds = time.perf_counter() - started
        return report

    def rebuild(self, documents: list[ParsedDocument], show_progress: bool = False,
                start: IndexSnapshot | None = None) -> tuple[PolicyIndex, list[str]]:
        """A fresh index of exactly these documents (``ingest``).  Embedding runs outside the lock, so
        an upload or removal may finish meanwhile: at commit time, under the lock, a changed index is
        merged — documents added or replaced since the start are kept in their acknowledged version,
        documents removed since the start stay removed unless this build brings new content for them.
        Returns the saved index and the ids taken over from the concurrent change.  ``start``: the
        snapshot the build began from (:func:`index_snapshot`, taken before the documents were parsed);
        now, when not given."""
        snapshot = start or index_snapshot(self.settings)
        start_version, start = snapshot.version, snapshot.documents
        index, _ = self.builder.run(documents, show_progress=show_progress)
        with index_lock(self.settings.index_dir):
            if version_name(self.settings.index_dir) == start_version:
                save_index(index, self.settings.index_dir)
                return index, []
            current = self._current()
            now = current.manifest["documents"] if current else {}
            changed, removed = concurrent_changes(start, now)
            merged = {d.doc_id: d for d in documents}
            kept = stored_as_parsed(current, changed) if current else {}
            for doc_id in changed:
                merged[doc_id] = kept[doc_id]
            for doc_id in removed:
                if doc_id in merged and merged[doc_id].content_hash == start[doc_id]["content_hash"]:
                    del merged[doc_id]
            if not merged:
                raise UpdateError("the index changed while this build ran and nothing would be left; "
                                  "nothing was saved — run the command again")
            log.info("index changed during the build: keeping %s, leaving out %s", changed, removed)
            index, _ = self.builder.run(list(merged.values()), previous=[index, *([current] if current else [])])
            save_index(index, self.settings.index_dir)
            return index, changed

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
            if not set(previous.documents) - set(doc_ids):
                raise UpdateError("removing every document would leave the index empty; "
                                  "build a new one with `policy-assistant ingest` instead")
            report.removed = list(doc_ids)
            self._commit(previous, [], set(doc_ids), report)
        report.seconds = time.perf_counter() - started
        return report
