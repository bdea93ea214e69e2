"""Benchmark: ingest time and throughput of the bundled corpus, warm query latency, peak memory.

    .venv/bin/python bench/run.py [--questions 200] [--out bench/results/latest.json]

Measures: full ingest of the bundled corpus; adding one more document (the Guangdong regulation in
shared/corpus/extra) to that index without a rebuild; mean profile-match time; answer latency
over --questions questions (the dev questions, then clause headings as topics, warm, in-process),
as wall time and as CPU time (the latter barely moves when other jobs share the cores; the load
average is recorded with it), and how much of that CPU time the query embedding took (the share
the embedding model has of an answer); peak memory.  Everything runs in one process on the CPU.
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

from assistant.service import PolicyAssistant, build_index, load_encoder
from assistant.settings import Settings
from assistant.matching.matcher import EnterpriseProfile
from assistant.store.index import load_index
from assistant.store.updater import IndexUpdater

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
        encoder = load_encoder(settings)
        load_seconds = time.perf_counter() - started
        report = build_index(settings, encoder=encoder)
        assistant = PolicyAssistant(settings, load_index(settings.index_dir, settings.model), encoder)

        questions = []
        if DEV.exists():
            questions = [json.loads(line)["question"] for line in DEV.read_text(encoding="utf-8").splitlines() if line]
        questions += [f"{c.heading}有哪些措施" for c in assistant.index.chunks if c.heading]
        questions = (questions * (args.questions // max(len(questions), 1) + 1))[: args.questions]
        extra = DEV.parents[1] / "corpus" / "extra" / "02_guangdong_zscq_baohu_tiaoli.txt"
        add_report = IndexUpdater(settings, encoder).add([extra]) if extra.exists() else None
        assistant = PolicyAssistant(settings, load_index(settings.index_dir, settings.model), encoder)
        assistant.ask(questions[0])  # warm-up
        latencies = []
        slowest = (0.0, "")
        match_started = time.perf_counter()
        for location in ("武汉", "南宁", "攀枝花", "淄博", "杭州"):
            assistant.match(EnterpriseProfile(location=location, needs=["融资", "维权"]))
        match_ms = (time.perf_counter() - match_started) * 1000 / 5
        cpu: list[float] = []  # CPU time per answer: what a quiet machine's wall time would be
        embedding_cpu = [0.0]  # CPU seconds inside the query encoder, over all answers
        encode_queries = encoder.encode_queries

        def timed_encode_queries(texts: list[str]):
            begin_embedding = time.process_time()
            try:
                return encode_queries(texts)
            finally:
                embedding_cpu[0] += time.process_time() - begin_embedding

        encoder.encode_queries = timed_encode_queries  # this instance only, for the measurement
        for question in questions:
            begin, begin_cpu = time.perf_counter(), time.process_time()
            assistant.ask(question)
            latencies.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.process_time() - begin_cpu) * 1000)
            slowest = max(slowest, (latencies[-1], question))
        del encoder.encode_queries  # the class's method again
        load = __import__("os").getloadavg()[0]

    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} cores={__import__('os').cpu_count()}".strip(),
        "model_load_s": round(load_seconds, 2),
        "documents": report.documents,
        "chunks": report.chunks,
        "ingest_s": round(report.seconds, 2),
        "chunks_per_s": round(report.chunks / report.seconds, 1),
        "add_one_document_s": round(add_report.seconds, 2) if add_report else None,
        "add_one_document_embedded": add_report.embedded if add_report else None,
        "add_one_document_reused": add_report.reused if add_report else None,
        "match_ms_mean": round(match_ms, 1),
        "questions": len(latencies),
        "latency_ms_p50": round(statistics.median(latencies), 1),
        "latency_ms_p95": round(percentile(latencies, 0.95), 1),
        "cpu_ms_p50": round(statistics.median(cpu), 1),
        "cpu_ms_p95": round(percentile(cpu, 0.95), 1),
        "cpu_ms_mean": round(statistics.mean(cpu), 1),
        "query_embedding_cpu_ms_mean": round(embedding_cpu[0] * 1000 / len(cpu), 1),
        "load_average_1min": round(load, 2),
        "slowest_question": slowest[1],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
