"""The command line, run in-process against the session's index."""

import io
import json
import re

import pytest

from assistant.cli import main


@pytest.fixture()
def index_args(assistant, session_settings) -> list[str]:
    return ["--index", str(session_settings.index_dir)]


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_follows_the_contract(index_args, capsys) -> None:
    code, out, _ = run(["ask", "淄博知识产权服务业人才培养由哪些单位负责?", "--json", "--k", "3", *index_args], capsys)
    assert code == 0
    answer = json.loads(out)
    assert set(answer) >= {"question", "answer", "abstained", "citations"}
    assert isinstance(answer["abstained"], bool) and len(answer["citations"]) == 3
    for c in answer["citations"]:
        assert set(c) >= {"doc_id", "title", "section", "quote", "start", "end", "score"}
    code, out, _ = run(["doc", answer["citations"][0]["doc_id"], "--json", *index_args], capsys)
    text = json.loads(out)["text"]
    for c in answer["citations"]:
        if c["doc_id"] == answer["citations"][0]["doc_id"]:
            assert text[c["start"]:c["end"]] == c["quote"]


@pytest.mark.parametrize("question", ["", "   ", "问" * 2001])
def test_bad_questions_exit_2_with_a_reason(question: str, capsys) -> None:
    code, out, err = run(["ask", question], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: 问题") and err.count("\n") == 1


def test_missing_index_path_says_how_to_fix(tmp_path, capsys) -> None:
    code, _, err = run(["ask", "问题", "--index", str(tmp_path / "none")], capsys)
    assert code == 1 and "policy-assistant ingest --index" in err


def test_model_mismatch_is_reported(index_args, capsys, monkeypatch) -> None:
    monkeypatch.setenv("POLICY_ASSISTANT_MODEL", "some/other-model")
    code, _, err = run(["docs", *index_args], capsys)
    assert code == 1 and "built with embedding model" in err


def test_ask_from_stdin_answers_each_line(index_args, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("武汉商业秘密保护有什么措施\n\n广西地理标志总量目标\n"))
    code, out, _ = run(["ask", "-", *index_args], capsys)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [a["question"] for a in lines] == ["武汉商业秘密保护有什么措施", "广西地理标志总量目标"]


def test_docs_and_doc(index_args, capsys) -> None:
    code, out, _ = run(["docs", "--json", *index_args], capsys)
    docs = {d["doc_id"]: d for d in json.loads(out)}
    assert code == 0 and len(docs) == 5
    assert docs["national-ip-protection-use-plan-14th-fyp"]["number"] == "国发〔2021〕20号"
    code, out, _ = run(["doc", "wuhan-ip-strong-city-work-plan-2022-2025", "--json", *index_args], capsys)
    doc = json.loads(out)
    assert code == 0 and "19855109130" not in doc["text"]
    assert any(s["path"] == "二、 (四) 4." for s in doc["sections"])
    code, _, err = run(["doc", "nope", *index_args], capsys)
    assert code == 2 and "no document 'nope'" in err


def test_eval_reports_per_category(index_args, capsys, tmp_path) -> None:
    from tests.conftest import DEV_FILE

    code, out, _ = run(["eval", str(DEV_FILE), "--json", *index_args], capsys)
    report = json.loads(out)["dev"]
    assert code == 0 and set(report["categories"]) == {"A", "B", "C", "D", "E"}
    assert report["unfaithful_citations"] == 0
    who = tmp_path / "who.jsonl"  # a second set, reported beside the first
    who.write_text("".join(line + "\n" for line in DEV_FILE.read_text(encoding="utf-8").splitlines()
                           if '"category": "B"' in line), encoding="utf-8")
    code, out, _ = run(["eval", str(DEV_FILE), str(who), *index_args], capsys)
    table = out[out.rindex("keys A–D") - 200:]
    assert code == 0 and "dev" in table and "who" in table and "abstention recall (E)" in table
    assert re.search(r"keys A–D\s+\d\.\d{3}\s+\d\.\d{3}", table)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    code, _, err = run(["eval", str(bad), *index_args], capsys)
    assert code == 1 and "bad.jsonl:1" in err


def test_ingest_skips_bad_files_and_keeps_previous_index(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("POLICY_ASSISTANT_INDEX_DIR", str(tmp_path / "idx"))
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("一、总体要求\n加强知识产权质押融资服务，支持中小企业融资。\n", encoding="utf-8")
    (folder / "b.txt").write_bytes(bytes(range(256)) * 10)
    code, out, err = run(["ingest", "-q", str(folder)], capsys)
    assert code == 0 and "indexed 1 documents" in out and "b.txt" in err
    code, out, _ = run(["docs", "--json"], capsys)
    assert [d["doc_id"] for d in json.loads(out)] == ["a"]
    code, _, err = run(["ingest", "-q", str(tmp_path / "missing")], capsys)
    assert code == 1 and "missing" in err
    code, out, _ = run(["docs", "--json"], capsys)
    assert [d["doc_id"] for d in json.loads(out)] == ["a"]


def test_a_bad_setting_is_named_not_a_traceback(monkeypatch, capsys) -> None:
    monkeypatch.setenv("POLICY_ASSISTANT_QUERY_PRECISION", "fp16")
    assert main(["ask", "武汉知识产权质押融资"]) == 2
    error = capsys.readouterr().err
    assert "设置无效" in error and "POLICY_ASSISTANT_QUERY_PRECISION='fp16'" in error and "bfloat16" in error
