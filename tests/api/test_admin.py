"""Operator endpoints: upload and delete documents, guarded by a token, picked up without restart."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.ingest.pipeline import bundled_corpus_dir
from assistant.store.index import load_index
from assistant.service import PolicyAssistant, build_index
from assistant.settings import Settings
from tests.ingest.test_formats import as_docx

TOKEN = "s3cret-token"
ZIBO = "zibo-ip-service-industry-opinions-2023"


@pytest.fixture()
def admin_client(tmp_path, encoder):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(bundled_corpus_dir() / f"{ZIBO}.txt", folder)
    settings = Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", admin_token=TOKEN,
                        max_upload_bytes=1_000_000)  # a .docx counts by its uncompressed size (~830 KB here)
    build_index(settings, [folder], encoder=encoder)
    # the session's model: a model loaded per test kept ~700 MB each until the module ended
    assistant = PolicyAssistant(settings, load_index(settings.index_dir, settings.model), encoder)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client, settings


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_disabled_without_a_configured_token(assistant, tmp_path) -> None:
    app = create_app(assistant.settings.model_copy(update={"data_dir": tmp_path}), assistant=assistant)
    with TestClient(app) as client:
        response = client.post("/api/documents", files={"file": ("a.txt", b"x")}, headers=auth())
        assert response.status_code == 404 and "disabled" in response.json()["error"]
        assert client.delete("/api/documents/x", headers=auth()).status_code == 404


def test_wrong_or_missing_token_is_401(admin_client) -> None:
    client, _ = admin_client
    assert client.post("/api/documents", files={"file": ("a.txt", b"x")}).status_code == 401
    assert client.delete(f"/api/documents/{ZIBO}", headers=auth("nope")).status_code == 401


def test_upload_then_ask_then_delete_without_restart(admin_client) -> None:
    client, settings = admin_client
    response = client.post("/api/documents", headers=auth(),
                           files={"file": ("plan.docx", as_docx(), "application/octet-stream")},
                           data={"issuer": "某市人民政府", "jurisdiction": "南宁"})
    assert response.status_code == 201, response.json()
    assert response.json()["added"] == ["plan"] and response.json()["reused"] > 0
    listed = {d["doc_id"]: d for d in client.get("/api/documents").json()}
    assert listed["plan"]["issuer"] == "某市人民政府" and listed["plan"]["jurisdiction"] == "南宁"
    answer = client.post("/api/ask", json={"question": "发展知识产权保险由谁牵头?"}).json()
    assert answer["citations"][0]["doc_id"] == "plan"
    assert answer["answer"].startswith("牵头单位：市地方金融局")
    assert (settings.data_dir / "uploads").is_dir()

    deleted = client.delete("/api/documents/plan", headers=auth())
    assert deleted.status_code == 200 and deleted.json()["removed"] == ["plan"]
    assert client.get("/api/documents/plan").status_code == 404
    assert client.delete("/api/documents/plan", headers=auth()).status_code == 404
    last = client.delete(f"/api/documents/{ZIBO}", headers=auth())
    assert last.status_code == 409 and "empty" in last.json()["error"]


@pytest.mark.parametrize(
    ("name", "data", "form", "status", "message"),
    [
        ("big.txt", "一、总体要求\n".encode() * 60_000, {}, 413, "上限"),
        ("tool.exe", b"MZ", {}, 415, "unsupported file name"),
        ("fake.pdf", "一、总体要求".encode(), {}, 415, "the name says pdf but the content is text"),
        ("empty.txt", b"", {}, 422, "empty"),
        ("ok.txt", "一、总体要求\n加强知识产权保护。".encode(), {"date": "yesterday"}, 422, "date"),
        ("ok.txt", "一、总体要求\n加强知识产权保护。".encode(), {"jurisdiction": "火星"}, 422, "jurisdiction"),
    ],
)
def test_bad_uploads_are_refused_and_change_nothing(admin_client, name, data, form, status, message) -> None:
    client, _ = admin_client
    before = client.get("/api/documents").json()
    response = client.post("/api/documents", headers=auth(), files={"file": (name, data)}, data=form)
    assert response.status_code == status and message in response.json()["error"]
    assert client.get("/api/documents").json() == before


def test_file_names_never_escape_the_upload_folder(admin_client) -> None:
    client, settings = admin_client
    response = client.post("/api/documents", headers=auth(),
                           files={"file": ("../../../etc/evil.txt", "一、总体要求\n加强知识产权保护，支持企业维权。".encode())})
    assert response.status_code == 201 and response.json()["added"] == ["evil"]
    stored = list((settings.data_dir / "uploads").rglob("evil.txt"))
    assert len(stored) == 1 and stored[0].resolve().is_relative_to((settings.data_dir / "uploads").resolve())
