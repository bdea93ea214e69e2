"""Abuse benchmark (issue 14): a real server under oversized and slow requests.

    .venv/bin/python bench/abuse.py [--index DIR] [--seconds 20] [--out bench/results/abuse.json]

Starts `policy-assistant serve` in its own process (the index is built first if DIR has none),
measures normal questions sequentially in blocks that alternate between quiet and attacked (so
background load on the machine affects both alike); while attacked, attackers in a process of their
own send, concurrently, for --seconds in all:
  - 200 MB JSON bodies to /api/ask, streamed without a Content-Length;
  - 300 MB uploads to /api/documents without a token (Content-Length declared, body streamed);
  - questions with a 1,000,000-character history turn (over the body limit), and with a
    2,001-character one (within it, over the question limit);
  - lone surrogates to /api/ask, /api/ask/stream and /api/match;
  - slow clients: connections that send a body one byte a second.
Reports the server's peak RSS (VmHWM) and the p50/p95 of normal questions quiet and under attack,
the attackers' status codes, and whether p95 under attack stays within 2x quiet.  Bounded: every
attacker stops after --seconds; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"
FALLBACK = ["武汉知识产权信用分级分类监管由哪个部门牵头？", "广西到2025年地理标志总量的目标是多少？",
            "淄博知识产权服务业人才培养由哪些单位负责？", "四川知识产权质押融资有什么支持政策？"]
TOKEN = "bench-operator-token"
PACE = 10  # requests a second per attacker at most


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def questions(limit: int) -> list[str]:
    found = []
    if DEV.exists():
        for line in DEV.read_text(encoding="utf-8").splitlines():
            if line.strip():
                found.append(json.loads(line)["question"])
    return (found or FALLBACK) * (limit // max(len(found or FALLBACK), 1) + 1)


def ask(port: int, question: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"question": question}).encode()
    conn.request("POST", "/api/ask", body=body, headers={"content-type": "application/json"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - started


def normal_latencies(port: int, items: list[str]) -> list[float]:
    latencies = []
    for question in items:
        status, seconds = ask(port, question)
        assert status == 200, f"a normal question got {status}"
        latencies.append(seconds)
    return latencies


def streamed_post(port: int, path: str, headers: dict[str, str], total: int, piece: int = 64 * 1024,
                  delay: float = 0.0, until: float = float("inf")) -> int:
    """POST ``total`` bytes in pieces (stopping at ``until``); the status the server answers, 0 if
    it closed on us, -1 for a slow body given up at ``until``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", path)
        for name, value in headers.items():
            conn.putheader(name, value)
        chunked = "content-length" not in {k.lower() for k in headers}
        if chunked:
            conn.putheader("transfer-encoding", "chunked")
        conn.endheaders()
        sent = 0
        while sent < total:
            data = b"a" * min(piece, total - sent)
            conn.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            sent += len(data)
            if delay:
                time.sleep(delay)
            if time.monotonic() > until:
                return -1
        if chunked:
            conn.send(b"0\r\n\r\n")
        return conn.getresponse().status
    except (BrokenPipeError, ConnectionResetError, socket.timeout, http.client.HTTPException, OSError):
        try:  # the server may have answered 413 and closed before we finished sending
            return conn.getresponse().status
        except Exception:  # noqa: BLE001 - connection gone: the body was refused
            return 0
    finally:
        conn.close()


def raw_post(port: int, path: str, body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", path, body=body, headers={"content-type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status


ATTACKS = {
    "200MB JSON, chunked": lambda port, until: streamed_post(port, "/api/ask", {"content-type": "application/json"},
                                                     200 * 1024 * 1024),
    "300MB upload, no token": lambda port, until: streamed_post(
        port, "/api/documents", {"content-type": "multipart/form-data; boundary=x",
                                 "content-length": str(300 * 1024 * 1024)}, 300 * 1024 * 1024),
    "1M-char history": lambda port, until: raw_post(port, "/api/ask", json.dumps(
        {"question": "那责任单位呢?", "history": [{"question": "武汉" * 500_000, "answer": "a"}]}).encode()),
    "history turn of 2,001 chars": lambda port, until: raw_post(port, "/api/ask", json.dumps(
        {"question": "那责任单位呢?", "history": [{"question": "武" * 2001, "answer": "a"}]}).encode()),
    "lone surrogates": lambda port, until: max(raw_post(port, path, body) for path, body in (
        ("/api/ask", b'{"question": "\\ud800"}'), ("/api/ask/stream", b'{"question": "\\ud800"}'),
        ("/api/match", b'{"location": "\\ud800"}'))),
    "slow body (1 B/s)": lambda port, until: streamed_post(
        port, "/api/ask", {"content-type": "application/json", "content-length": "4096"}, 4096, 1, 1.0, until),
}


def attack(name: str, port: int, until: float, statuses: Counter) -> None:
    """One attacker: requests one after another, at most PACE a second (oversized and slow
    requests, not a request flood — rate limiting a flood is the reverse proxy's job)."""
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            statuses[f"{name}: {ATTACKS[name](port, until)}"] += 1
        except Exception as err:  # noqa: BLE001 - recorded, the attack goes on
            statuses[f"{name}: {err.__class__.__name__}"] += 1
        time.sleep(max(0.0, 1 / PACE - (time.monotonic() - started)))


def attackers_process(port: int, until: float, queue) -> None:
    """All attackers, in a process of their own so they do not slow the measuring client."""
    statuses: Counter = Counter()
    threads = [threading.Thread(target=attack, args=(name, port, until, statuses), daemon=True)
               for name in ATTACKS for _ in range(8 if name.startswith("slow") else 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, until - time.monotonic()) + 60)
    queue.put(dict(statuses))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=30.0, help="attack time in all (as long again quiet)")
    parser.add_argument("--rounds", type=int, default=3, help="quiet/attack blocks, alternating")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "POLICY_ASSISTANT_ADMIN_TOKEN": TOKEN,
           "POLICY_ASSISTANT_DATA_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / "abuse-bench-data")}
    if not (args.index / "CURRENT").exists():
        subprocess.run([sys.executable, "-m", "assistant", "ingest", "--index", str(args.index), "--quiet"],
                       env=env, check=True)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", str(args.index),
                               "--port", str(port)], env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                ask(port, FALLBACK[0])
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.5)
        items = questions(args.questions)[:args.questions]
        normal_latencies(port, items[:10])  # warm up
        rss_quiet = peak_rss_mb(server.pid)
        # Quiet and attacked blocks alternate, so background load on the machine hits both alike.
        quiet: list[float] = []
        loaded: list[float] = []
        statuses: Counter = Counter()
        for _ in range(args.rounds):
            block_end = time.monotonic() + args.seconds / args.rounds
            while time.monotonic() < block_end:
                quiet.extend(normal_latencies(port, items[len(quiet) % len(items):][:5]))
            until = time.monotonic() + args.seconds / args.rounds
            queue = multiprocessing.Queue()
            attackers = multiprocessing.Process(target=attackers_process, args=(port, until, queue))
            attackers.start()
            time.sleep(0.5)  # let the attack get going
            while time.monotonic() < until:
                loaded.extend(normal_latencies(port, items[len(loaded) % len(items):][:5]))
            statuses.update(queue.get(timeout=120))
            attackers.join(30)
        result = {
            "quiet_p50_ms": round(1000 * statistics.median(quiet), 1),
            "quiet_p95_ms": round(1000 * percentile(quiet, 0.95), 1),
            "attack_p50_ms": round(1000 * statistics.median(loaded), 1),
            "attack_p95_ms": round(1000 * percentile(loaded, 0.95), 1),
            "normal_questions_quiet": len(quiet),
            "normal_questions_under_attack": len(loaded),
            "rounds": args.rounds,
            "peak_rss_mb_before_attack": round(rss_quiet, 1),
            "peak_rss_mb": round(peak_rss_mb(server.pid), 1),
            "attack_seconds": args.seconds,
            "attackers": {name: 8 if name.startswith("slow") else 2 for name in ATTACKS},
            "attacker_pace_per_second": PACE,
            "attacker_statuses": dict(sorted(statuses.items())),
        }
        result["p95_within_2x_quiet"] = result["attack_p95_ms"] <= 2 * result["quiet_p95_ms"]
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if result["p95_within_2x_quiet"] else 1


if __name__ == "__main__":
    sys.exit(main())
