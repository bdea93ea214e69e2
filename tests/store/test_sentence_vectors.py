"""Sentence vectors: one per candidate sentence of every clause, stored with the index, following
documents through add, replace and remove, and equal to embedding the sentence afresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from assistant.ingest.pipeline import bundled_corpus_dir
from assistant.settings import Settings
from assistant.store.index import load_index
from assistant.store.sentences import sentence_entries, sentence_spans
from assistant.store.updater import IndexUpdater
from tests.conftest import EXTRA_DIR

WUHAN = "wuhan-ip-strong-city-work-plan-2022-2025"
ZIBO = "zibo-ip-service-industry-opinions-2023"
SHANGHAI = "03_shanghai_pudong_gaoshuiping_zscq_baohu_guiding"


def entries_of(index, doc_id: str):
    return sentence_entries([(doc_id, index.documents[doc_id].metadata.title, index.chunks_of(doc_id))])


def test_every_candidate_sentence_has_its_vector_through_add_replace_remove(tmp_path: Path, encoder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for doc_id in (WUHAN, ZIBO):
        shutil.copy(bundled_corpus_dir() / f"{doc_id}.txt", folder)
    settings = Settings(index_dir=tmp_path / "index")
    updater = IndexUpdater(settings, encoder)
    updater.add([folder])
    updater.add([EXTRA_DIR / f"{SHANGHAI}.txt"])
    index = load_index(settings.index_dir, settings.model)
    assert len(index.segments) == 2
    for doc_id in (WUHAN, ZIBO, SHANGHAI):
        entries = entries_of(index, doc_id)
        vectors, found = index.sentence_lookup.vectors([(e.doc_id, e.start, e.end) for e in entries])
        assert entries and found.all(), doc_id
        # the quote a candidate cites is the document's text at its offsets
        text = index.documents[doc_id].text
        assert all(e.passage.endswith(text[e.start:e.end]) for e in entries)
        norms = np.linalg.norm(vectors, axis=1)
        assert np.allclose(norms, 1.0, atol=2e-3)
    # a stored vector is the sentence embedded afresh (float16 on disk: cosine within 1e-3)
    sample = entries_of(index, SHANGHAI)[:5]
    stored, _ = index.sentence_lookup.vectors([(e.doc_id, e.start, e.end) for e in sample])
    fresh = encoder.encode_passages([e.passage for e in sample])
    assert np.all(np.sum(stored * fresh, axis=1) > 0.999)
    # replacing a document: its sentences are read from the new segment, none is lost
    edited = tmp_path / f"{ZIBO}.txt"
    edited.write_text((bundled_corpus_dir() / f"{ZIBO}.txt").read_text(encoding="utf-8") + "\n九、本意见自印发之日起施行。\n",
                      encoding="utf-8")
    updater.add([edited])
    index = load_index(settings.index_dir, settings.model)
    entries = entries_of(index, ZIBO)
    _, found = index.sentence_lookup.vectors([(e.doc_id, e.start, e.end) for e in entries])
    assert found.all() and any("本意见自印发之日起施行" in e.passage for e in entries)
    # removing one: its sentences are no longer found, the others still are
    updater.remove([WUHAN])
    index = load_index(settings.index_dir, settings.model)
    _, found = index.sentence_lookup.vectors([(WUHAN, 0, 10)])
    assert not found.any()
    entries = entries_of(index, SHANGHAI)
    assert index.sentence_lookup.vectors([(e.doc_id, e.start, e.end) for e in entries])[1].all()


def test_sentence_spans_are_the_readers_candidates() -> None:
    from assistant.models import Chunk
    from assistant.reading.candidates import sentences_of

    text = "第十条 有约定的，从其约定；没有约定的，由当事人承担。（牵头单位：市知识产权局）另行规定。"
    chunk = Chunk("c", "d", "第十条", "", 100, 100 + len(text), text)
    assert sentence_spans(chunk) == [(c.start, c.end) for c in sentences_of(chunk)]
