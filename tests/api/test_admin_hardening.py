"""Issue 14 at the operator endpoints: file bombs refused with 413/422, no server paths in errors,
upload copies that no live document uses cleaned up on the next write."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.ingest.pipeline import bundled_corpus_dir
from assistant.service import PolicyAssistant, build_index
from assistant.settings import Settings
from assistant.store.index import load_index
from tests.api.test_admin import TOKEN, ZIBO, auth
from tests.ingest.test_extraction_limits import docx_bomb, pdf_bomb

PLAN = "一、总体要求\n（一）加强知识产权保护。支持企业维权，版本{}。\n（二）发展知识产权保险，由市地方金融局牵头。\n"


@pytest.fixture()
def operator(tmp_path, encoder):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(bundled_corpus_dir() / f"{ZIBO}.txt", folder)
    settings = Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", admin_token=TOKEN,
                        max_upload_bytes=1_000_000, extract_seconds=1)
    build_index(settings, [folder], encoder=encoder)
    assistant = PolicyAssistant(settings, load_index(settings.index_dir, settings.model), encoder)  # the session's model
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client, settings


def upload(client, name: str, data: bytes):
    return client.post("/api/documents", headers=auth(), files={"file": (name, data, "application/octet-stream")})


def test_file_bombs_are_refused_clearly_and_change_nothing(operator) -> None:
    client, settings = operator
    before = client.get("/api/documents").json()
    slow = upload(client, "slow.pdf", pdf_bomb())
    assert slow.status_code == 422 and "时间限制" in slow.json()["error"]
    expanding = upload(client, "big.docx", docx_bomb(100_000))  # 70 KB on the wire, 4 MB inside
    assert expanding.status_code == 413 and "解压后" in expanding.json()["error"]
    assert client.get("/api/documents").json() == before
    assert not list((settings.data_dir / "uploads").rglob("*.*"))  # refused files are not kept


def test_errors_show_no_server_paths(operator) -> None:
    client, settings = operator
    refused = upload(client, "fake.pdf", "一、总体要求".encode())
    assert refused.status_code == 415 and refused.json()["error"].startswith("fake.pdf: ")
    for path in (settings.data_dir, settings.index_dir, settings.data_dir.resolve()):
        assert str(path) not in refused.text
    assert str(settings.index_dir) not in client.get("/healthz").text


def test_upload_copies_are_cleaned_on_the_next_write(operator) -> None:
    client, settings = operator
    for version in range(4):  # the same document replaced four times
        assert upload(client, "plan.txt", PLAN.format(version).encode()).status_code == 201
    uploads = settings.data_dir / "uploads"
    assert len(list(uploads.iterdir())) == 4  # within the grace period nothing is touched
    old = time.time() - 2 * 3600
    for folder in uploads.iterdir():
        os.utime(folder, (old, old))
    assert upload(client, "plan.txt", PLAN.format(4).encode()).status_code == 201
    live = client.get("/api/documents").json()
    assert len(list(uploads.iterdir())) == 1  # only the folder the live document comes from
    assert {d["doc_id"] for d in live} == {ZIBO, "plan"}
    assert client.delete("/api/documents/plan", headers=auth()).status_code == 200
    for folder in uploads.iterdir():
        os.utime(folder, (old, old))
    assert upload(client, "other.txt", PLAN.format(5).encode()).status_code == 201
    assert [p.name for p in uploads.rglob("*.txt")] == ["other.txt"]
