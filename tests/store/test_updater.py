"""Adding, replacing and removing documents without a rebuild, while queries keep running."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from assistant.ingest.pipeline import bundled_corpus_dir
from assistant.service import PolicyAssistant, build_index
from assistant.settings import Settings
from assistant.store.index import load_index, version_name
from assistant.store.updater import IndexUpdater, UpdateError
from tests.conftest import EXTRA_DIR

WUHAN = "wuhan-ip-strong-city-work-plan-2022-2025"
ZIBO = "zibo-ip-service-industry-opinions-2023"
SHANGHAI = "03_shanghai_pudong_gaoshuiping_zscq_baohu_guiding"


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for doc_id in (WUHAN, ZIBO):
        shutil.copy(bundled_corpus_dir() / f"{doc_id}.txt", folder)
    return folder


@pytest.fixture()
def updater(tmp_path: Path, encoder, corpus: Path) -> IndexUpdater:
    settings = Settings(index_dir=tmp_path / "index")
    updater = IndexUpdater(settings, encoder)
    updater.add([corpus])
    return updater


def fingerprint(index) -> list[tuple]:
    """Every searchable chunk, document by document (an updated index may hold them in other positions)."""
    live = {position for position, _ in index.live_chunks()}
    assert all(int(p) in live for d in index.documents for p in index.layout.positions([d]))
    return [(c.chunk_id, c.section, c.start, c.end, c.text, c.needs) for d in sorted(index.documents)
            for c in index.chunks_of(d)]


def top_results(settings: Settings, encoder, questions: list[str]) -> list[list[tuple[str, str]]]:
    assistant = PolicyAssistant(settings, load_index(settings.index_dir, settings.model), encoder)
    return [[(c.doc_id, c.section) for c in assistant.ask(q).citations[:3]] for q in questions]


def test_adding_embeds_only_the_new_document(updater: IndexUpdater) -> None:
    before = load_index(updater.settings.index_dir, updater.settings.model)
    report = updater.add([EXTRA_DIR / f"{SHANGHAI}.txt"])
    after = load_index(updater.settings.index_dir, updater.settings.model)
    added = [c for c in after.chunks if c.doc_id == SHANGHAI]
    assert report.added == [SHANGHAI] and report.embedded == len(added) and report.merge == "segment"
    assert set(after.documents) == {WUHAN, ZIBO, SHANGHAI}
    # the documents already indexed are neither read again nor rewritten: their segment stays as it was
    assert [s.path for s in after.segments] == [before.segments[0].path, after.segments[1].path]
    assert report.reused == len(before.chunks) and len(after.segments[1].chunks) == len(added)
    again = updater.add([EXTRA_DIR / f"{SHANGHAI}.txt"])
    assert again.unchanged == [SHANGHAI] and again.embedded == 0 and version_name(updater.settings.index_dir) == \
        after.version


def test_replacing_a_changed_file_re_embeds_only_changed_clauses(updater: IndexUpdater, corpus: Path) -> None:
    path = corpus / f"{ZIBO}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("强化政策支持。", "强化政策支持。新增：设立知识产权服务业发展专项资金。"),
                    encoding="utf-8")
    report = updater.add([path])
    assert report.replaced == [ZIBO] and report.embedded == 1
    index = load_index(updater.settings.index_dir, updater.settings.model)
    assert any("新增：设立知识产权服务业发展专项资金" in c.text for c in index.chunks)


def test_removing_really_deletes(updater: IndexUpdater) -> None:
    settings = updater.settings
    report = updater.remove([ZIBO])
    assert report.removed == [ZIBO]
    index = load_index(settings.index_dir, settings.model)
    assert ZIBO not in index.documents and all(c.doc_id != ZIBO for c in index.chunks)
    assert index.dense.index.ntotal == len(index.chunks)
    assistant = PolicyAssistant(settings, index, updater.encoder)
    answer = assistant.ask("淄博知识产权服务业人才培养由哪些单位负责")  # Zibo-only wording: no ghost chunks
    assert all(c.doc_id != ZIBO for c in answer.citations)
    with pytest.raises(UpdateError, match="no document 'nope'"):
        updater.remove(["nope"])
    with pytest.raises(UpdateError, match="leave the index empty"):
        updater.remove([WUHAN])
    assert set(load_index(settings.index_dir, settings.model).documents) == {WUHAN}


def test_unreadable_upload_changes_nothing(updater: IndexUpdater, tmp_path: Path) -> None:
    before = version_name(updater.settings.index_dir)
    bad = tmp_path / "fake.pdf"
    bad.write_text("not a pdf", encoding="utf-8")
    with pytest.raises(UpdateError, match="fake.pdf: the name says pdf but the content is text"):
        updater.add([bad])
    assert version_name(updater.settings.index_dir) == before


def test_killed_update_leaves_the_previous_index_intact(updater: IndexUpdater, monkeypatch) -> None:
    before = load_index(updater.settings.index_dir, updater.settings.model)

    def die(*args, **kwargs):
        raise KeyboardInterrupt  # the process is killed while embedding the new document

    monkeypatch.setattr(updater.encoder, "encode_passages", die)
    with pytest.raises(KeyboardInterrupt):
        updater.add([EXTRA_DIR / f"{SHANGHAI}.txt"])
    monkeypatch.undo()
    after = load_index(updater.settings.index_dir, updater.settings.model)
    assert after.version == before.version and fingerprint(after) == fingerprint(before)


def test_sidecar_metadata_and_supersedes(updater: IndexUpdater, tmp_path: Path) -> None:
    newer = tmp_path / "wuhan-2026-2030.txt"
    newer.write_text((bundled_corpus_dir() / f"{WUHAN}.txt").read_text(encoding="utf-8").replace(
        "(2022—2025年)", "(2026—2030年)"), encoding="utf-8")
    (tmp_path / "wuhan-2026-2030.meta.json").write_text(
        '{"supersedes": "%s", "issuer": "武汉市人民政府", "number": "武政〔2026〕1号"}' % WUHAN, encoding="utf-8")
    updater.add([newer])
    index = load_index(updater.settings.index_dir, updater.settings.model)
    meta = index.documents["wuhan-2026-2030"].metadata
    assert (meta.supersedes, meta.issuer, meta.number, meta.period.end_year) == (WUHAN, "武汉市人民政府", "武政〔2026〕1号", 2030)
    assistant = PolicyAssistant(updater.settings, index, updater.encoder)
    from assistant.matching.matcher import EnterpriseProfile

    result = assistant.match(EnterpriseProfile(location="武汉", needs=["融资"]), limit=20)
    wuhan = [m for m in result.measures if m.chunk.doc_id in (WUHAN, "wuhan-2026-2030")]
    assert wuhan[0].chunk.doc_id == "wuhan-2026-2030"
    assert all(m.validity.status == "superseded" for m in wuhan if m.chunk.doc_id == WUHAN)


def test_updates_under_parallel_queries_end_equal_to_a_fresh_build(updater: IndexUpdater, corpus: Path,
                                                                   tmp_path: Path, encoder) -> None:
    settings = updater.settings
    assistant = PolicyAssistant.open(settings, encoder=encoder)
    questions = ["武汉知识产权质押融资有什么支持", "淄博知识产权服务业人才培养由哪些单位负责", "浦东新区商业秘密保护有什么规定",
                 "广西地理标志总量目标"]
    errors: list[BaseException] = []
    versions: set[str] = set()
    stop = threading.Event()

    def ask_forever(offset: int) -> None:
        k = offset
        while not stop.is_set():
            try:
                answer = assistant.ask(questions[k % len(questions)])
                versions.add(assistant.index.version)
                for c in answer.citations:
                    assert c.quote and c.end > c.start
            except BaseException as err:  # noqa: BLE001 - collected and asserted below
                errors.append(err)
                return
            k += 1

    threads = [threading.Thread(target=ask_forever, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        updater.add([EXTRA_DIR / f"{SHANGHAI}.txt"])
        changed = corpus / f"{ZIBO}.txt"
        changed.write_text(changed.read_text(encoding="utf-8") + "\n二十、附则。本意见自印发之日起施行。\n", encoding="utf-8")
        updater.add([changed])
        updater.remove([SHANGHAI])
        updater.add([EXTRA_DIR / f"{SHANGHAI}.txt"])
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors[:3]
    assert len(versions) >= 2  # queries saw the index change under them

    fresh = Settings(index_dir=tmp_path / "fresh")
    folder = tmp_path / "all"
    folder.mkdir()
    for path in [*corpus.iterdir(), EXTRA_DIR / f"{SHANGHAI}.txt"]:
        shutil.copy(path, folder)
    build_index(fresh, [folder], encoder=encoder)
    updated = load_index(settings.index_dir, settings.model)
    rebuilt = load_index(fresh.index_dir, fresh.model)
    assert fingerprint(updated) == fingerprint(rebuilt)
    assert top_results(settings, encoder, questions) == top_results(fresh, encoder, questions)
