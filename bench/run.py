"""Benchmark: ingest time and throughput of the bundled corpus, warm query latency, peak memory.

    .venv/bin/python bench/run.py [--questions 200] [--out bench/results/latest.json]

Questions are the dev questions followed by clause headings of the corpus (as users would type
a topic), up to --questions.  Everything runs in one process on the CPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

from assistant.embedding.encoder import Encoder
from assistant.service import PolicyAssistant, build_index
from assistant.settings import Settings
from assistant.store.index import load_index

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(index_dir=Path(folder))
        started = time.perf_counter()
        encoder = Encoder(settings.model, settings.cache_dir, settings.embed_batch_size)
        load_seconds = time.perf_counter() - started
        report = build_index(settings, encoder=encoder)
        assistant = PolicyAssistant(settings, load_index(settings.index_dir, settings.model), encoder)

        questions = []
        if DEV.exists():
            questions = [json.loads(line)["question"] for line in DEV.read_text(encoding="utf-8").splitlines() if line]
        questions += [f"{c.heading}有哪些措施" for c in assistant.index.chunks if c.heading]
        questions = (questions * (args.questions // max(len(questions), 1) + 1))[: args.questions]
        assistant.ask(questions[0])  # warm-up
        latencies = []
        slowest = (0.0, "")
        for question in questions:
            begin = time.perf_counter()
            assistant.ask(question)
            latencies.append((time.perf_counter() - begin) * 1000)
            slowest = max(slowest, (latencies[-1], question))

    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} cores={__import__('os').cpu_count()}".strip(),
        "model_load_s": round(load_seconds, 2),
        "documents": report.documents,
        "chunks": report.chunks,
        "ingest_s": round(report.seconds, 2),
        "chunks_per_s": round(report.chunks / report.seconds, 1),
        "questions": len(latencies),
        "latency_ms_p50": round(statistics.median(latencies), 1),
        "latency_ms_p95": round(percentile(latencies, 0.95), 1),
        "slowest_question": slowest[1],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
