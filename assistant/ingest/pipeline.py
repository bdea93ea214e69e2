"""The ingestion stage: files in, parsed documents (clean text, metadata, sections, chunks) out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from assistant.ingest.chunker import chunk_clauses
from assistant.ingest.cleaner import clean_text
from assistant.ingest.markdown import render_markdown
from assistant.ingest.formats import ExtractionLimits
from assistant.ingest.metadata import extract_metadata
from assistant.ingest.overrides import MetadataOverrides, apply_overrides, merge, read_sidecar
from assistant.ingest.reader import SourceFile, UnreadableFileError, find_files, read_source
from assistant.ingest.structure import parse_structure
from assistant.models import ParsedDocument

log = logging.getLogger(__name__)


def bundled_corpus_dir() -> Path:
    """The five policies shipped inside the package: the default knowledge base."""
    return Path(str(resources.files("assistant") / "corpus" / "policies"))


def parse_document(source: SourceFile, max_chars: int = 450) -> ParsedDocument:
    """Clean, describe and structure one decoded file."""
    page = render_markdown(source.text)
    cleaned = clean_text(page.text)
    metadata = extract_metadata(cleaned.text, page.text, fallback_title=source.doc_id, front_matter=page.front_matter)
    structure = parse_structure(cleaned.text, max_chars)
    chunks = chunk_clauses(source.doc_id, cleaned.text, structure.clauses, max_chars)
    return ParsedDocument(
        doc_id=source.doc_id,
        source=str(source.path),
        content_hash=source.content_hash,
        text=cleaned.text,
        metadata=metadata,
        sections=structure.sections,
        chunks=chunks,
        dropped_lines=[*page.dropped, *cleaned.dropped],
    )


@dataclass
class IngestResult:
    documents: list[ParsedDocument]
    failures: list[str] = field(default_factory=list)  # one line per file that was skipped
    errors: list[Exception] = field(default_factory=list)  # the errors behind unreadable files


class DocumentIngester:
    """Reads files and folders; an undecodable or empty file is reported and skipped.

    Metadata comes from the text, then a ``NAME.meta.json`` sidecar, then ``overrides`` (flags)."""

    def __init__(self, max_chars: int = 450, limits: ExtractionLimits = ExtractionLimits()):
        self.max_chars = max_chars
        self.limits = limits  # PDF and Word extraction bounds

    def run(self, paths: list[Path], overrides: MetadataOverrides | None = None) -> IngestResult:
        result = IngestResult(documents=[])
        seen: dict[str, Path] = {}
        for path in find_files(paths):
            try:
                source = read_source(path, self.limits)
                extra = merge(read_sidecar(path), overrides)
            except (UnreadableFileError, OSError, ValueError) as err:
                result.failures.append(str(err))
                result.errors.append(err)
                log.warning("skipped %s", err)
                continue
            if source.doc_id in seen:
                result.failures.append(f"{path}: same document id '{source.doc_id}' as {seen[source.doc_id]}; skipped")
                continue
            document = apply_overrides(parse_document(source, self.max_chars), extra)
            if not document.chunks:
                result.failures.append(f"{path}: no text left after cleaning; skipped")
                continue
            seen[source.doc_id] = path
            result.documents.append(document)
        return result
