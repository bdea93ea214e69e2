"""An index of several segments answers like one index of the same documents, and an update writes
only its own segment (real documents, vectors drawn from each passage's text, no model)."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.ingest.chunker import passage_text
from assistant.ingest.pipeline import DocumentIngester, bundled_corpus_dir
from assistant.models import ParsedDocument
from assistant.store.builder import assemble_index
from assistant.store.index import (
    SEGMENTS,
    VERSIONS,
    PolicyIndex,
    current_version,
    load_index,
    save_index,
    save_update,
)
from assistant.store.updater import MergePolicy
from assistant.text.tokens import bigram_frequencies
from tests.conftest import EXTRA_DIR

MODEL = "test-model"
DIMENSION = 16
QUERIES = ["知识产权质押融资", "专利侵权纠纷行政裁决", "商标品牌建设", "地理标志保护", "知识产权服务业人才培养",
           "海外维权援助", "商业秘密保护", "专利导航", "数据知识产权", "技术调查官"]


@pytest.fixture(scope="module")
def documents() -> list[ParsedDocument]:
    paths = sorted(bundled_corpus_dir().glob("*.txt"))[:4] + [EXTRA_DIR / "03_shanghai_pudong_gaoshuiping_zscq_baohu_guiding.txt"]
    return sorted(DocumentIngester().run(paths).documents, key=lambda d: d.doc_id)


def vectors_of(documents: list[ParsedDocument]) -> np.ndarray:
    """A vector per passage drawn from its text, so the same passage has the same vector in any index."""
    rows = []
    for d in documents:
        for c in d.chunks:
            seed = int.from_bytes(hashlib.sha256(passage_text(d.metadata.title, c).encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).normal(size=DIMENSION))
    return np.asarray(rows, dtype=np.float32)


def built(documents: list[ParsedDocument], joining: PolicyIndex | None = None) -> PolicyIndex:
    return assemble_index(documents, vectors_of(documents), "bigram", MODEL, DIMENSION,
                          average_length=joining.bm25.average_length if joining else None)


def query_vector(text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).normal(size=DIMENSION).astype(np.float32)


def found(index: PolicyIndex, query: str, allowed: np.ndarray | None = None) -> tuple[list[str], list[str]]:
    """Chunk ids of the dense and the BM25 top 10."""
    dense, _ = index.dense.search(query_vector(query), 10, allowed)
    bm25 = index.bm25.top(query, 10, allowed)
    return [index.chunks[int(p)].chunk_id for p in dense], [index.chunks[int(p)].chunk_id for p in bm25]


def test_an_added_segment_searches_like_one_index(tmp_path: Path, documents: list[ParsedDocument]) -> None:
    save_index(built(documents), tmp_path / "whole")
    whole = load_index(tmp_path / "whole", MODEL)
    save_index(built(documents[:3]), tmp_path / "parts")
    base = load_index(tmp_path / "parts", MODEL)
    base_files = {p: p.stat().st_mtime_ns for p in (tmp_path / "parts" / SEGMENTS).rglob("*") if p.is_file()}
    save_update(tmp_path / "parts", base, built(documents[3:], joining=base), gone=set())
    parts = load_index(tmp_path / "parts", MODEL)

    assert len(parts.segments) == 2 and parts.segments[0].path == base.segments[0].path
    assert {p: p.stat().st_mtime_ns for p in base_files} == base_files  # the first segment was not rewritten
    assert list(parts.documents) == list(whole.documents)
    assert all(parts.chunks_of(d) == whole.chunks_of(d) for d in whole.documents)
    overlap = []
    for query in QUERIES:
        terms = whole.bm25.query_terms(query)
        assert parts.bm25.n_docs == whole.bm25.n_docs
        assert list(parts.bm25.document_frequencies(terms)) == list(whole.bm25.document_frequencies(terms))
        dense_parts, bm25_parts = found(parts, query)
        dense_whole, bm25_whole = found(whole, query)
        assert dense_parts == dense_whole, query  # exact search: the same neighbours in any segments
        overlap.append(len(set(bm25_parts) & set(bm25_whole)) / max(1, len(bm25_whole)))
    # the same idf everywhere; only the later segment's length normalisation differs a little
    assert min(overlap) >= 0.8 and np.mean(overlap) >= 0.95, overlap
    wanted = parts.layout.positions([documents[4].doc_id])
    assert {parts.chunks[int(p)].doc_id for p in parts.bm25.top("知识产权", 50, wanted)} == {documents[4].doc_id}


def test_removed_and_replaced_documents_are_never_found(tmp_path: Path, documents: list[ParsedDocument]) -> None:
    save_index(built(documents), tmp_path)
    index = load_index(tmp_path, MODEL)
    removed, replaced = documents[0].doc_id, documents[1].doc_id
    changed = documents[1]
    changed = ParsedDocument(changed.doc_id, changed.source, "changed", changed.text, changed.metadata,
                             changed.sections, changed.chunks[:5])
    save_update(tmp_path, index, built([changed], joining=index), gone={removed})
    after = load_index(tmp_path, MODEL)

    assert removed not in after.documents and after.documents[replaced].content_hash == "changed"
    assert len(after.chunks_of(replaced)) == 5 and after.chunks_of(replaced) == changed.chunks[:5]
    assert after.dead_chunks == len(documents[0].chunks) + len(documents[1].chunks)
    live = [c.doc_id for _, c in after.live_chunks()]
    assert removed not in live and live.count(replaced) == 5
    everything = np.arange(len(after.chunks))
    for query in QUERIES:
        for allowed in (None, everything):
            dense, bm25 = found(after, query, allowed)
            hits = [c.split("#")[0] for c in dense + bm25]
            assert removed not in hits, query
            old = {c.chunk_id for c in documents[1].chunks[5:]}
            assert not old & set(dense + bm25), query
    manifest = json.loads((current_version(tmp_path) / "manifest.json").read_text())
    assert manifest["segments"][0]["dead"] == sorted([removed, replaced])
    assert manifest["chunks"] == len(after.chunks) and removed not in manifest["documents"]
    save_update(tmp_path, after, None, gone={replaced})  # a segment with nothing left is dropped
    assert [s.path for s in load_index(tmp_path, MODEL).segments] == [after.segments[0].path]


def test_segments_no_version_needs_are_deleted(tmp_path: Path, documents: list[ParsedDocument]) -> None:
    save_index(built(documents[:2]), tmp_path)
    first = load_index(tmp_path, MODEL)
    save_update(tmp_path, first, built(documents[2:3], joining=first), gone=set())
    second = load_index(tmp_path, MODEL)
    save_update(tmp_path, second, built(documents[3:4], joining=second), gone=set())
    third = load_index(tmp_path, MODEL)
    # a full rebuild replaces every segment; the previous version's segments stay for its readers
    save_index(built(documents), tmp_path)
    on_disk = sorted(f"{SEGMENTS}/{p.name}" for p in (tmp_path / SEGMENTS).iterdir())
    assert on_disk == sorted({s.path for s in third.segments} | {load_index(tmp_path, MODEL).segments[0].path})
    save_index(built(documents), tmp_path)
    assert len(list((tmp_path / SEGMENTS).iterdir())) == 2 and len(list((tmp_path / VERSIONS).iterdir())) == 2


def test_a_format_2_index_is_still_read(tmp_path: Path, documents: list[ParsedDocument]) -> None:
    """Before segments a version folder held its files itself; such an index loads and can be updated."""
    save_index(built(documents[:3]), tmp_path / "new")
    index = load_index(tmp_path / "new", MODEL)
    old = tmp_path / "old"
    (old / VERSIONS / "v2").mkdir(parents=True)
    for path in (tmp_path / "new" / index.segments[0].path).iterdir():
        (shutil.copytree if path.is_dir() else shutil.copy)(path, old / VERSIONS / "v2" / path.name)
    manifest = {k: v for k, v in index.manifest.items() if k != "segments"}
    manifest["format_version"] = 2
    (old / VERSIONS / "v2" / "manifest.json").write_text(json.dumps(manifest))
    (old / "CURRENT").write_text("v2\n")
    loaded = load_index(old, MODEL)
    assert loaded.chunks == index.chunks and list(loaded.documents) == list(index.documents)
    save_update(old, loaded, built(documents[3:], joining=loaded), gone=set())
    updated = load_index(old, MODEL)
    assert updated.segments[0].path == f"{VERSIONS}/v2" and len(updated.documents) == len(documents)
    save_update(old, updated, None, gone={documents[4].doc_id})  # v2 is no longer CURRENT nor previous
    assert (old / VERSIONS / "v2" / "store.sqlite").is_file()  # but still a segment of both
    assert len(load_index(old, MODEL).documents) == len(documents) - 1


def test_the_merge_policy(tmp_path: Path, documents: list[ParsedDocument]) -> None:
    save_index(built(documents[:3]), tmp_path)
    index = load_index(tmp_path, MODEL)
    small = len(documents[3].chunks)
    assert MergePolicy().decide(index, small, set()) == "segment"
    assert MergePolicy(max_segments=1).decide(index, small, set()) == "merge"
    assert MergePolicy().decide(index, len(index.chunks) + 1, set()) == "compact"  # the added part outgrows the first
    biggest = max(index.documents, key=lambda d: len(index.chunks_of(d)))
    share = len(index.chunks_of(biggest)) / len(index.chunks)
    assert MergePolicy(max_dead_share=share - 0.01).decide(index, 0, {biggest}) == "compact"
    assert MergePolicy(max_dead_share=share + 0.01).decide(index, 0, {biggest}) == "segment"


def test_tags_are_found_in_every_segment_and_never_in_dead_documents(tmp_path: Path,
                                                                     documents: list[ParsedDocument]) -> None:
    tagged = [replace(d, chunks=[replace(c, needs=("融资/质押",) if i % 2 else ()) for i, c in enumerate(d.chunks)])
              for d in documents]
    save_index(built(tagged), tmp_path / "whole")
    whole = load_index(tmp_path / "whole", MODEL)
    save_index(built(tagged[:3]), tmp_path / "parts")
    base = load_index(tmp_path / "parts", MODEL)
    save_update(tmp_path / "parts", base, built(tagged[3:], joining=base), gone={tagged[0].doc_id})
    parts = load_index(tmp_path / "parts", MODEL)
    def ids(index: PolicyIndex) -> list[str]:
        return sorted(index.chunks[int(p)].chunk_id for p in index.tagged_positions("need", ["融资/质押"]))
    expected = [c for c in ids(whole) if not c.startswith(tagged[0].doc_id + "#")]
    assert ids(parts) == expected and expected
    # restricted to some positions (those of a dead document among them), in one segment or across several
    everywhere = parts.tagged_positions("need", ["融资/质押"])
    for within in (np.arange(len(parts.chunks)), np.arange(0, len(parts.chunks), 3), parts.layout.positions(
            [tagged[1].doc_id, tagged[-1].doc_id]), np.arange(parts.segments[1].offset - 5, parts.segments[1].offset + 5)):
        assert parts.tagged_positions("need", ["融资/质押"], within).tolist() == \
            sorted(set(everywhere.tolist()) & set(within.tolist()))
    first, count = parts.segments[0].spans[tagged[0].doc_id]  # the removed document's positions
    dead = np.arange(first, first + count)
    assert whole.tagged_positions("need", ["融资/质押"], dead).size  # tagged, but dead in ``parts``
    assert parts.tagged_positions("need", ["融资/质押"], dead).tolist() == []


def test_word_rarity_is_stored_per_segment_and_equals_counting_the_live_clauses(
        tmp_path: Path, documents: list[ParsedDocument]) -> None:
    save_index(built(documents[:3]), tmp_path)
    base = load_index(tmp_path, MODEL)
    assert all((tmp_path / s.path / "clause_bigrams.json").is_file() for s in base.segments)
    save_update(tmp_path, base, built(documents[3:], joining=base), gone={documents[0].doc_id})
    parts = load_index(tmp_path, MODEL)
    size, frequency = parts.clause_bigrams()
    live = [c.text for d in documents[1:] for c in d.chunks]
    assert size == len(live) and frequency == bigram_frequencies(live)


def test_the_stored_word_rarity_of_the_real_index_is_the_one_counted_from_its_clauses(assistant) -> None:
    index = assistant.index
    assert index.clause_bigrams() == (len(index.chunks), bigram_frequencies(c.text for c in index.chunks))
    assert assistant.current().reader.vocabulary.frequency is index.clause_bigrams()[1]


def test_stored_rows_of_segments_are_read_without_mapping_them_in(tmp_path: Path,
                                                                   documents: list[ParsedDocument]) -> None:
    """``dense.rows`` (and ``dense.vectors[...]``) of an index of approximate segments give the rows of each
    segment's memory-mapped vectors, read with pread: no page of the files stays resident."""
    from assistant.store.dense import DensePlan
    from tests.store.test_dense_rows import resident_kb

    plan = DensePlan(exact_max=1, nprobe=4)  # every segment approximate, its float vectors in dense.npy
    save_index(assemble_index(documents[:3], vectors_of(documents[:3]), "bigram", MODEL, DIMENSION, plan), tmp_path)
    base = load_index(tmp_path, MODEL)
    later = assemble_index(documents[3:], vectors_of(documents[3:]), "bigram", MODEL, DIMENSION, plan,
                           base.bm25.average_length)
    save_update(tmp_path, base, later, gone=set())
    index = load_index(tmp_path, MODEL)
    assert len(index.segments) == 2 and all(s.dense.approximate for s in index.segments)
    files = [tmp_path / s.path / "dense.npy" for s in index.segments]
    assert all(isinstance(s.dense.vectors, np.memmap) for s in index.segments)
    stored = np.vstack([np.load(f) for f in files])  # the files read whole, not through the maps
    built_vectors = vectors_of(documents)
    assert np.allclose(stored, built_vectors / np.linalg.norm(built_vectors, axis=1, keepdims=True), atol=1e-6)
    rng = np.random.default_rng(5)
    for positions in (rng.integers(0, len(index.chunks), 200), np.arange(len(index.chunks))[::-1],
                      np.array([index.segments[1].offset - 1, index.segments[1].offset, 0, 0]), np.array([], dtype=int)):
        assert np.array_equal(index.dense.rows(positions), stored[positions])
        assert np.array_equal(index.dense.vectors[positions], stored[positions])
    assert np.array_equal(index.dense.vectors[-1], stored[-1])
    assert np.array_equal(index.dense.vectors[3:9], stored[3:9])
    with pytest.raises(IndexError):
        index.dense.rows([len(index.chunks)])
    assert [resident_kb(f) for f in files] == [0, 0]


def test_holding_a_term_is_read_from_each_segments_postings(tmp_path: Path, documents: list[ParsedDocument]) -> None:
    save_index(built(documents), tmp_path / "whole")
    whole = load_index(tmp_path / "whole", MODEL)
    save_index(built(documents[:2]), tmp_path / "parts")
    base = load_index(tmp_path / "parts", MODEL)
    save_update(tmp_path / "parts", base, built(documents[2:], joining=base), gone=set())
    parts = load_index(tmp_path / "parts", MODEL)
    positions = np.arange(0, len(whole.chunks), 2)
    for term in ["知识", "质押", "商业秘密", "龘龘", "产权"]:
        expected = [term in whole.bm25.tokenize(passage_text(whole.documents[whole.chunks[int(p)].doc_id].metadata.title,
                                                             whole.chunks[int(p)])) for p in positions]
        assert whole.bm25.holding(term, positions).tolist() == expected, term
        assert parts.bm25.holding(term, positions).tolist() == expected, term
