"""Load benchmark (issue 11): `POST /api/ask` under wrk, quiet and with one core taken, and the
wall time of `policy-assistant ask` with and without a server.

    .venv/bin/python bench/load.py [--index DIR] [--seconds 20] [--rounds 3] [--out bench/results/load.json]

For each configuration (by default: 2 workers x 1 thread, the shipped way; and the single process
with torch's default of a thread per core, as before; and the shipped way with questions embedded in float32,
QUERY_PRECISION=float32) a server is started with
`policy-assistant serve` (all of them at once; an idle one costs memory only), warmed, and wrk (Debian package `wrk`) posts the dev questions in turn
(a Lua script rotates the JSON bodies) for --seconds at concurrency 4, then at concurrency 4 while
a second process spins on one core (a Python busy loop).  Configurations, quiet and loaded runs
alternate for --rounds rounds, so drift on the machine affects all alike; the medians are reported,
with every round and the load average seen.  Errors are wrk's socket errors plus non-2xx answers.

Each run also records the CPU seconds the server's processes spent per request (from /proc, the
server's whole process group): unlike wall time, this barely moves when other jobs share the cores,
so it is the figure to compare two versions by on a busy machine.  `--baseline DIR` serves the
first configuration a second time from another source tree (e.g. `git worktree add /tmp/base
HEAD~3`; its `assistant` package, this venv), in the same alternating rounds, as "<name>@baseline"
(a tree older than the converted model's current format would convert the model cache again).

Then `ask` as a user runs it: a fresh process answering locally (model and index loaded each time)
and a fresh process sending the question to the running server, --asks times each, median wall.

Skips (exit 0, says why) when wrk is not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
FALLBACK = ["武汉知识产权信用分级分类监管由哪个部门牵头？", "广西到2025年地理标志总量的目标是多少？",
            "淄博知识产权服务业人才培养由哪些单位负责？", "四川知识产权质押融资有什么支持政策？"]
ASK = "武汉的公司想拿专利去银行贷款,有没有什么支持政策?"


class Configuration(NamedTuple):
    workers: int
    threads: int
    query_precision: str | None = None  # None: the setting's default (auto)


CONFIGURATIONS = {"workers2_threads1": Configuration(2, 1), "workers1_threads2": Configuration(1, 2),
                  "workers2_threads1_float32": Configuration(2, 1, "float32")}

LUA = """
local bodies = {%(bodies)s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/ask", {["Content-Type"] = "application/json"}, bodies[(counter %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, '
    .. '"status": %%d, "timeout": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def questions() -> list[str]:
    if not DEV.exists():
        return FALLBACK
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["question"] for row in rows] or FALLBACK


def lua_script(folder: Path) -> Path:
    bodies = ", ".join(f"[==[{json.dumps({'question': q})}]==]" for q in questions())  # ASCII JSON (\\u escapes)
    path = folder / "ask.lua"
    path.write_text(LUA % {"bodies": bodies}, encoding="utf-8")
    return path


def environment(threads: int | None = None, source: Path | None = None,
                query_precision: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_ASSISTANT_") and k != "OMP_NUM_THREADS"}
    if threads is not None:
        env["POLICY_ASSISTANT_THREADS"] = str(threads)
    if query_precision is not None:
        env["POLICY_ASSISTANT_QUERY_PRECISION"] = query_precision
    if source is not None:  # another checkout's package ahead of this one's (an editable install)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    return env


def group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of the live processes in a process group (a server and its workers)."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # after the name: state, ppid, pgrp, …, utime (11), stime (12)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class Server:
    """`policy-assistant serve` in its own process group, ready when every worker said so."""

    def __init__(self, index: Path, workers: int, threads: int, query_precision: str | None = None,
                 source: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--index", str(index), "--port", str(self.port),
             "--workers", str(workers)],
            cwd=source or ROOT, env=environment(threads, source, query_precision), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, start_new_session=True)
        threading.Thread(target=lambda: self.lines.extend(self.process.stderr), daemon=True).start()
        deadline = time.monotonic() + 300
        while sum("ready (worker pid" in line for line in self.lines) < workers:
            if self.process.poll() is not None or time.monotonic() > deadline:
                if self.process.poll() is None:
                    self.stop()
                raise RuntimeError("server did not start:\n" + "".join(self.lines))
            time.sleep(0.2)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def run_wrk(url: str, script: Path, connections: int, seconds: int, server: Server | None = None) -> dict:
    cpu_before = group_cpu_seconds(server.process.pid) if server else 0.0
    done = subprocess.run(["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s",
                           "--timeout", "10s", "-s", str(script), url], capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    cpu_ms = ((group_cpu_seconds(server.process.pid) - cpu_before) * 1000 / max(raw["requests"], 1)) if server else None
    return {"server_cpu_ms_per_request": round(cpu_ms, 1) if cpu_ms is not None else None,
            "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
            "p50_ms": round(raw["p50_us"] / 1000, 1), "p95_ms": round(raw["p95_us"] / 1000, 1),
            "p99_ms": round(raw["p99_us"] / 1000, 1), "max_ms": round(raw["max_us"] / 1000, 1),
            "requests": raw["requests"], "errors": errors, "load_average": round(os.getloadavg()[0], 2)}


def spinner() -> subprocess.Popen:
    """A second process keeping one core busy."""
    return subprocess.Popen([sys.executable, "-c", "while True:\n    pass"])


def median_of(runs: list[dict]) -> dict:
    keys = ("requests_per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms", "load_average", "server_cpu_ms_per_request")
    return {**{key: round(statistics.median(run[key] for run in runs), 1) for key in keys},
            "errors": sum(run["errors"] for run in runs), "requests": sum(run["requests"] for run in runs)}


def measure_http(index: Path, names: list[str], script: Path, args: argparse.Namespace) -> dict:
    """Every configuration's server runs at once (idle ones cost memory only) and the rounds go
    A, B, A, B …, so that the machine's drift falls on all of them alike."""
    servers: dict[str, Server] = {}
    try:  # a server that fails to start stops the ones already started (they were left running before)
        for name in names:
            servers[name] = Server(index, *CONFIGURATIONS[name])
        if args.baseline:
            servers[f"{names[0]}@baseline"] = Server(index, *CONFIGURATIONS[names[0]], source=args.baseline)
        rounds: dict[str, dict[str, list[dict]]] = {name: {"c1": [], "quiet": [], "one_core_busy": []}
                                                     for name in servers}
        for server in servers.values():
            run_wrk(server.url, script, args.connections, 3)  # warm every worker
        for _ in range(args.rounds):
            for name, server in servers.items():
                rounds[name]["c1"].append(run_wrk(server.url, script, 1, max(args.seconds // 2, 5), server))
                rounds[name]["quiet"].append(run_wrk(server.url, script, args.connections, args.seconds, server))
                busy = spinner()
                try:
                    time.sleep(0.5)
                    rounds[name]["one_core_busy"].append(run_wrk(server.url, script, args.connections, args.seconds,
                                                                 server))
                finally:
                    busy.kill()
                    busy.wait()
        return {name: {**CONFIGURATIONS[name.split("@")[0]]._asdict(),
                       **({"source": str(args.baseline)} if name.endswith("@baseline") else {}),
                       **{kind: {"median": median_of(runs), "rounds": runs} for kind, runs in rounds[name].items()}}
                for name in servers}
    finally:
        for server in servers.values():
            server.stop()


def ask_wall(command: list[str], times: int) -> dict:
    walls = []
    for _ in range(times):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=environment(), stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(walls), 2), "runs_s": [round(w, 2) for w in walls]}


def measure_ask(index: Path, times: int) -> dict:
    cli = [sys.executable, "-m", "assistant", "ask", ASK]
    local = ask_wall([*cli, "--index", str(index)], times)
    server = Server(index, 1, 1)
    try:
        remote = ask_wall([*cli, "--server", server.url], times)
    finally:
        server.stop()
    return {"question": ASK, "local_fresh_process": local, "with_server": remote,
            "help": ask_wall([sys.executable, "-m", "assistant", "--help"], times)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, default=None, help="an index of the bundled corpus (built if absent)")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--asks", type=int, default=5, help="fresh `ask` processes timed, each way")
    parser.add_argument("--configurations", default=",".join(CONFIGURATIONS), help="of " + ", ".join(CONFIGURATIONS))
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another source tree whose package serves the first configuration alongside")
    parser.add_argument("--skip-ask", action="store_true", help="HTTP only (no fresh `ask` processes)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("skipped: wrk is not installed (Debian: apt-get install wrk)")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        index = args.index or Path(folder) / "index"
        if not (index / "CURRENT").exists():
            subprocess.run([sys.executable, "-m", "assistant", "ingest", "--index", str(index), "--quiet"],
                           cwd=ROOT, env=environment(), check=True)
        script = lua_script(Path(folder))
        result = {"machine": f"{platform.machine()} cores={os.cpu_count()}",
                  "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                  "questions": len(questions()), "connections": args.connections, "seconds": args.seconds,
                  "rounds": args.rounds, "http": {}}
        result["http"] = measure_http(index, args.configurations.split(","), script, args)
        for name, figures in result["http"].items():
            print(name, json.dumps({k: v["median"] for k, v in figures.items() if isinstance(v, dict)}), flush=True)
        if not args.skip_ask:
            result["ask"] = measure_ask(index, args.asks)
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result.get("ask"), ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
