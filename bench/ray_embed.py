"""Ingest embedding throughput: the local encoder against the Ray Data job (issue 11, the `ray` extra).

    .venv/bin/python bench/ray_embed.py [--copies 2] [--rounds 1] [--out bench/results/ray_embed.json]

Passages are those an ingest embeds (title + section path + clause): the bundled corpus, and a larger
set made of the bundled and ../shared/corpus/extra passages repeated --copies times (each copy
prefixed with its number, so no two passages are equal).  Every configuration runs in a fresh process
(torch imported, model loaded, Ray started there, as in `policy-assistant ingest`), configurations
alternating for --rounds rounds; reported per run: the embedding call's wall time and passages/s
(for Ray the job: actors started, model loaded in each, passages embedded; Ray's own start apart),
and the whole process's wall time.  Medians over rounds, with the load average seen.

Skips the Ray configurations (says so) when ray is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRA = ROOT.parent / "shared" / "corpus" / "extra"
CONFIGS = {  # name: (backend, actors, threads per process or actor)
    "local-1thread": ("local", 1, 1),
    "local-2threads": ("local", 1, 2),
    "ray-1actor-1thread": ("ray", 1, 1),
    "ray-2actors-1thread": ("ray", 2, 1),
}


def passages(corpus: str, copies: int) -> list[str]:
    from assistant.ingest.chunker import passage_text
    from assistant.ingest.pipeline import bundled_corpus_dir
    from assistant.settings import Settings
    from assistant.store.updater import ingester

    folders = [bundled_corpus_dir()] + ([EXTRA] if corpus == "large" else [])
    documents = ingester(Settings()).run(folders).documents
    texts = [passage_text(d.metadata.title, c) for d in documents for c in d.chunks]
    if corpus == "large":
        texts = [f"{copy} {text}" for copy in range(copies) for text in texts]
    return texts


def child(config: str, corpus: str, copies: int) -> dict:
    """One measurement in this (fresh) process."""
    backend, actors, threads = CONFIGS[config]
    from assistant.runtime import limit_threads

    limit_threads(threads)
    started = time.perf_counter()
    from assistant.embedding.ray_batch import embed_passages
    from assistant.service import load_encoder, ray_job
    from assistant.settings import Settings

    settings = Settings(threads=threads, ray_actors=actors)
    texts = passages(corpus, copies)
    encoder = load_encoder(settings)
    result: dict = {"passages": len(texts)}
    if backend == "local":
        t = time.perf_counter()
        encoder.encode_passages(texts)
        result["embed_s"] = time.perf_counter() - t
    else:
        import logging

        import ray

        t = time.perf_counter()
        ray.init(num_cpus=actors * threads, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)
        result["ray_start_s"] = time.perf_counter() - t
        t = time.perf_counter()
        embed_passages(texts, ray_job(settings), encoder.dimension)
        result["embed_s"] = time.perf_counter() - t
        ray.shutdown()
    result["passages_per_s"] = len(texts) / result["embed_s"]
    result["process_s"] = time.perf_counter() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--corpora", default="bundled,large")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ray_embed.json")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "CORPUS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.copies)))
        return 0
    configs = [c for c in args.configs.split(",") if c]
    if importlib.util.find_spec("ray") is None:
        print("ray is not installed (pip install -e '.[ray]'): Ray configurations skipped", file=sys.stderr)
        configs = [c for c in configs if CONFIGS[c][0] == "local"]
    runs: dict[str, dict[str, list[dict]]] = {}
    for corpus in args.corpora.split(","):
        for round_ in range(args.rounds):
            for config in configs:
                load = os.getloadavg()[0]
                out = subprocess.run([sys.executable, __file__, "--copies", str(args.copies), "--child", config,
                                      corpus], capture_output=True, text=True, cwd=ROOT)
                if out.returncode != 0:
                    sys.exit(f"{config} on {corpus} failed:\n{out.stderr[-3000:]}")
                run = json.loads(out.stdout.strip().splitlines()[-1]) | {"load_before": round(load, 2)}
                runs.setdefault(corpus, {}).setdefault(config, []).append(run)
                print(f"{corpus:8} {config:26} round {round_ + 1}: {run['passages']} passages, embed "
                      f"{run['embed_s']:.1f} s ({run['passages_per_s']:.1f}/s), process {run['process_s']:.1f} s, "
                      f"load {load:.1f}", flush=True)
    summary = {corpus: {config: {key: round(statistics.median(r[key] for r in rs), 2)
                                 for key in ("passages", "embed_s", "passages_per_s", "process_s")}
                        for config, rs in by_config.items()} for corpus, by_config in runs.items()}
    args.out.write_text(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                                    "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                    "summary": summary, "runs": runs}, ensure_ascii=False, indent=1) + "\n")
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
