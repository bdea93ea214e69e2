"""Issue 14 (store): an ingest never drops a document acknowledged while it ran; a version and the
switch of CURRENT are on disk (fsync) before they are trusted; crash litter is cleaned."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

from assistant.ingest.pipeline import bundled_corpus_dir
from assistant.service import build_index
from assistant.settings import Settings
from assistant.store.index import CURRENT, SEGMENTS, VERSIONS, load_index, save_index
from assistant.store.updater import IndexUpdater
from tests.ingest.test_formats import as_text

ZIBO = "zibo-ip-service-industry-opinions-2023"


class GatedEncoder:
    """The real encoder, but embedding waits for ``gate``: an ingest held in the middle of its work."""

    def __init__(self, encoder):
        self._encoder = encoder
        self.embedding = threading.Event()
        self.gate = threading.Event()

    def __getattr__(self, name):
        return getattr(self._encoder, name)

    def encode_passages(self, passages, **kwargs):
        self.embedding.set()
        assert self.gate.wait(120), "the test never opened the gate"
        return self._encoder.encode_passages(passages, **kwargs)


def start_gated_ingest(settings: Settings, paths: list[Path], encoder) -> tuple[GatedEncoder, threading.Thread, dict]:
    gated, outcome = GatedEncoder(encoder), {}
    thread = threading.Thread(target=lambda: outcome.update(report=build_index(settings, paths, encoder=gated)))
    thread.start()
    assert gated.embedding.wait(120), "the ingest never started embedding"
    return gated, thread, outcome


def indexed_corpus_and_upload(tmp_path: Path, encoder) -> tuple[Path, Path, Settings]:
    """A one-document corpus, indexed, and a file ready to upload while the next ingest runs."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(bundled_corpus_dir() / f"{ZIBO}.txt", corpus)
    upload = tmp_path / "upload" / "plan.txt"
    upload.parent.mkdir()
    upload.write_text(as_text(), encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index")
    build_index(settings, [corpus], encoder=encoder)
    return corpus, upload, settings


def test_an_upload_acknowledged_during_an_ingest_is_kept(tmp_path, encoder) -> None:
    corpus, upload, settings = indexed_corpus_and_upload(tmp_path, encoder)

    gated, thread, outcome = start_gated_ingest(settings, [corpus], encoder)
    acknowledged = IndexUpdater(settings, encoder).add([upload])  # what POST /api/documents answers 201 on
    assert acknowledged.added == ["plan"]
    gated.gate.set()
    thread.join(120)

    assert outcome["report"].merged == ["plan"]
    index = load_index(settings.index_dir, settings.model)
    assert set(index.documents) == {ZIBO, "plan"}
    assert {c.doc_id for c in index.chunks} == {ZIBO, "plan"} and index.dense.index.ntotal == len(index.chunks)


def test_a_removal_during_an_ingest_of_the_same_content_stays_removed(tmp_path, encoder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(bundled_corpus_dir() / f"{ZIBO}.txt", corpus)
    (corpus / "plan.txt").write_text(as_text(), encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index")
    build_index(settings, [corpus], encoder=encoder)

    gated, thread, outcome = start_gated_ingest(settings, [corpus], encoder)
    IndexUpdater(settings, encoder).remove(["plan"])
    gated.gate.set()
    thread.join(120)

    assert outcome["report"].merged == []
    assert set(load_index(settings.index_dir, settings.model).documents) == {ZIBO}


def test_the_version_and_current_are_fsynced_before_they_count(tmp_path, session_settings, assistant, monkeypatch):
    index = load_index(session_settings.index_dir, session_settings.model)  # a copy: the session index stays
    index_dir = tmp_path / "index"
    (index_dir / VERSIONS / ".half.partial").mkdir(parents=True)
    (index_dir / f".{CURRENT}.crashed.tmp").write_text("x")  # litter of a crash between write and rename
    synced: list[str] = []
    switches: list[tuple[str, list[str]]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def replace(src, dst) -> None:
        real_replace(src, dst)
        switches.append((str(dst), list(synced)))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    final = save_index(index, index_dir)

    to_current = [before for target, before in switches if target == str(index_dir / CURRENT)]
    assert len(to_current) == 1
    before = set(to_current[0])
    manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    folders = [final, *(index_dir / s["path"] for s in manifest["segments"])]
    written = [(folder, p) for folder in folders for p in folder.rglob("*") if p.is_file()]
    assert len(written) >= 5
    for folder, path in written:  # every file, under its staging name, was flushed before CURRENT named it
        staged = str(path).replace(f"/{folder.name}/", f"/.{folder.name}.partial/")
        assert staged in before, path
    assert str(index_dir / VERSIONS) in before and str(index_dir / SEGMENTS) in before  # the renames themselves
    assert any(p.startswith(str(index_dir / f".{CURRENT}.{final.name}")) for p in before)  # the pointer file
    assert synced[-1] == str(index_dir)  # and the switch
    assert not list(index_dir.glob(f".{CURRENT}.*.tmp")) and not (index_dir / VERSIONS / ".half.partial").exists()
    assert load_index(index_dir, session_settings.model).version == final.name


def test_an_upload_acknowledged_while_the_corpus_is_parsed_is_kept(tmp_path, encoder, monkeypatch) -> None:
    """Issue 25.3: the rebuild took the live version only after the model had loaded and the corpus
    was parsed, so an upload acknowledged in that window was lost."""
    import assistant.service as service

    corpus, upload, settings = indexed_corpus_and_upload(tmp_path, encoder)

    parsing, gate = threading.Event(), threading.Event()
    real_ingester = service.ingester

    class HeldIngester:
        def __init__(self, settings):
            self._ingester = real_ingester(settings)

        def run(self, paths):
            result = self._ingester.run(paths)
            parsing.set()
            assert gate.wait(120), "the test never opened the gate"
            return result

    monkeypatch.setattr(service, "ingester", HeldIngester)
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.update(report=build_index(settings, [corpus], encoder=encoder)))
    thread.start()
    assert parsing.wait(120), "the ingest never parsed"
    assert IndexUpdater(settings, encoder).add([upload]).added == ["plan"]  # acknowledged (201)
    gate.set()
    thread.join(120)

    assert outcome["report"].merged == ["plan"]
    assert set(load_index(settings.index_dir, settings.model).documents) == {ZIBO, "plan"}
