"""Profile matching at scale: ``POST /api/match``'s work on a synthetic 100k-chunk index.

    .venv/bin/python bench/match_scale.py [--size 100000] [--label after] [--profiles 48] [--rounds 2]
                                          [--real-index DIR] [--out bench/results/match_scale.json]

The corpus is bench/scale.py's: the real documents (bundled + ../shared/corpus/extra) cloned under new
doc ids and gazetteer jurisdictions (provinces, cities, some national).  Matching needs what indexing
gives each clause, so the real documents are first indexed with the real model (or ``--real-index``, an
index of exactly those documents, is reused): every clone of a clause carries that clause's need and
trait tags, its vector lies near the clause's real vector (cosine ≈ 0.85), and its region-confined
sentences are found again under the clone's own jurisdiction.

The index is built in one child process and matched in another (fresh memory figures).  Each profile
is timed through the API route's own steps: ``assistant.current().matcher.run(profile)`` and
``match_to_dict`` (HTTP excluded), with the real query encoder, as the server runs them.  Profiles mix
locations at province and city level (and none), taxonomy traits and needs, everyday words and free
text.  ``first`` is each profile's first run (its clauses read from disk), ``again`` the later rounds;
``cpu_ms`` the process's CPU time per request (less moved by other work on the machine than wall time).
Results are merged into the JSON under ``--label``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import CHUNK_COS, ROOT, memory, near, percentile, real_documents, synthetic_documents  # noqa: E402

NEEDS_TYPED = ["融资/质押", "保险", "维权/纠纷", "海外布局", "品牌/商标", "专利转化", "人才/培训", "数据/信息服务",
               "贷款", "版权", "地理标志"]
FREE_TEXT = ["商业秘密保护", "专利侵权诉讼费用", "商标海外注册", "高价值专利培育", "技术合同登记",
             "展会知识产权保护"]
SHAPES = ["1-3 taxonomy needs", "1-3 taxonomy needs", "1-3 taxonomy needs", "free text", "taxonomy + free text",
          "no need"]  # by profile number modulo 6, as profiles() makes them
TRAITS_TYPED = ["专精特新", "高新技术企业", "中小微企业", "老字号", "生物医药企业", "高校"]


def real_index(folder: Path, reuse: Path | None):
    """The real documents indexed with the real model (tags, vectors), or ``reuse`` if given."""
    from assistant.service import build_index
    from assistant.settings import Settings
    from assistant.store.index import load_index

    settings = Settings(index_dir=reuse or folder / "real")
    if reuse is None:
        from assistant.ingest.pipeline import bundled_corpus_dir
        from scale import EXTRA

        build_index(settings, [bundled_corpus_dir()] + ([EXTRA] if EXTRA.is_dir() else []))
    return load_index(settings.index_dir, settings.model), settings


def build(size: int, folder: Path, seed: int, reuse: Path | None) -> dict:
    """Child process: the synthetic index, tagged as indexing would tag it, saved in ``folder/index``."""
    from assistant.ingest.tagging import document_scope
    from assistant.store.builder import assemble_index
    from assistant.store.index import save_index
    from assistant.text.regions import confined_spans

    started = time.perf_counter()
    real, settings = real_index(folder, reuse)
    by_clause = {(c.doc_id, c.chunk_id): (c, position) for position, c in enumerate(real.chunks)}
    clauses = [by_clause[(doc.doc_id, chunk.chunk_id)] for doc in real_documents() for chunk in doc.chunks]
    documents, topic_of, _ = synthetic_documents(size, seed)  # topic = the real clause's number
    real_vectors = real.dense.rows(np.arange(len(real.chunks)))
    sources = np.array([clauses[t][1] for t in topic_of], dtype=np.int64)
    rng = np.random.default_rng(seed + 1)
    vectors = np.empty((size, real_vectors.shape[1]), dtype=np.float32)
    for begin in range(0, size, 100_000):
        vectors[begin:begin + 100_000] = near(real_vectors[sources[begin:begin + 100_000]], CHUNK_COS, rng)
    spans: dict[tuple[str, str | None], tuple] = {}
    n = 0
    for doc in documents:
        scope = document_scope(doc.metadata)
        tagged = []
        for chunk in doc.chunks:
            source = clauses[topic_of[n]][0]
            key = (source.chunk_id, scope.code if scope else None)
            if key not in spans:
                spans[key] = confined_spans(chunk.text, scope)
            tagged.append(replace(chunk, needs=source.needs, traits=source.traits, regions=spans[key]))
            n += 1
        doc.chunks = tagged
    generated = time.perf_counter() - started
    started = time.perf_counter()
    index = assemble_index(documents, vectors, settings.bm25_tokenizer, real.model, real.dense.dimension)
    save_index(index, folder / "index")
    jurisdictions = sorted({d.metadata.jurisdiction for d in documents if d.metadata.level != "national"})
    (folder / "places.json").write_text(json.dumps(jurisdictions, ensure_ascii=False))
    return {"documents": len(documents), "chunks": size, "generate_s": round(generated, 1),
            "build_s": round(time.perf_counter() - started, 1), "build_peak_rss_mb": memory()["peak_rss_mb"]}


def profiles(places: list[str], count: int, seed: int) -> list[dict]:
    """A spread of profiles: province and city locations of the corpus (and none), traits, needs from
    the taxonomy, everyday words and free text, and some with no need at all."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        profile: dict = {"location": rng.choice(places) if i % 8 else None}
        if i % 3 == 0:
            profile["traits"] = rng.sample(TRAITS_TYPED, rng.randint(1, 2))
        shape = i % 6
        if shape in (0, 1, 2):
            profile["needs"] = rng.sample(NEEDS_TYPED, rng.randint(1, 3))
        elif shape == 3:
            profile["needs"] = [rng.choice(FREE_TEXT)]
        elif shape == 4:
            profile["needs"] = [rng.choice(NEEDS_TYPED), rng.choice(FREE_TEXT)]
        made.append(profile)  # shape 5: no need (every measure of the covering documents)
    return made


def measure(folder: Path, count: int, rounds: int, seed: int) -> dict:
    """Child process: open the service on the index and time each profile through the route's steps."""
    from assistant.matching.matcher import EnterpriseProfile
    from assistant.matching.presenter import match_to_dict
    from assistant.service import PolicyAssistant
    from assistant.settings import Settings

    started = time.perf_counter()
    assistant = PolicyAssistant.open(Settings(index_dir=folder / "index"), build_if_missing=False)
    load_s = time.perf_counter() - started
    places = json.loads((folder / "places.json").read_text(encoding="utf-8"))
    cases = [EnterpriseProfile(**p) for p in profiles(places, count, seed)]
    warm = EnterpriseProfile(location="北京", needs=["融资/质押"])  # model, need vectors, first-use costs

    def run(profile: EnterpriseProfile) -> tuple[float, float, int]:
        begin, cpu = time.perf_counter(), time.process_time()
        state = assistant.current()
        result = state.matcher.run(profile, limit=10)
        match_to_dict(result, state.index)
        return (time.perf_counter() - begin) * 1000, (time.process_time() - cpu) * 1000, len(result.measures)

    begin = time.perf_counter()
    run(warm)
    warm_ms = (time.perf_counter() - begin) * 1000
    first, again, cpu, found = [], [], [], []
    by_shape: dict[str, list[float]] = {}
    for round_number in range(rounds):
        for number, profile in enumerate(cases):
            elapsed, used, measures = run(profile)
            (first if round_number == 0 else again).append(elapsed)
            cpu.append(used)
            found.append(measures)
            by_shape.setdefault(SHAPES[number % len(SHAPES)], []).append(elapsed)
    every = first + again
    result = {"load_s": round(load_s, 1), "first_call_ms": round(warm_ms, 1), "profiles": len(cases),
              "rounds": rounds, "match_ms_p50": round(statistics.median(every), 1),
              "match_ms_p95": round(percentile(every, 0.95), 1), "match_ms_max": round(max(every), 1),
              "first_ms_p50": round(statistics.median(first), 1), "first_ms_p95": round(percentile(first, 0.95), 1),
              "cpu_ms_p50": round(statistics.median(cpu), 1), "cpu_ms_p95": round(percentile(cpu, 0.95), 1),
              "ms_p50_by_shape": {shape: round(statistics.median(v), 1) for shape, v in by_shape.items()},
              "measures_mean": round(float(np.mean(found)), 2), **memory()}
    if again:
        result |= {"again_ms_p50": round(statistics.median(again), 1),
                   "again_ms_p95": round(percentile(again, 0.95), 1)}
    return result


def run_child(args: list[str]) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--label", default="after")
    parser.add_argument("--profiles", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--real-index", type=Path, help="an index of the bundled + extra documents to take tags from")
    parser.add_argument("--keep", type=Path, help="build the synthetic index here and keep it (reused if present)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "match_scale.json")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print(json.dumps(build(args.size, args.build, args.seed, args.real_index)))
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.profiles, args.rounds, args.seed)))
        return
    with tempfile.TemporaryDirectory(prefix="match-scale-") as tmp:
        folder = args.keep or Path(tmp)
        built = {}
        if not (folder / "index").is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            built = run_child(["--build", str(folder), "--size", str(args.size), "--seed", str(args.seed),
                               *(["--real-index", str(args.real_index)] if args.real_index else [])])
        measured = run_child(["--measure", str(folder), "--profiles", str(args.profiles), "--rounds",
                              str(args.rounds), "--seed", str(args.seed)])
    row = {**built, **measured, "load_average": os.getloadavg()[0], "measured": time.strftime("%Y-%m-%d %H:%M")}
    print(json.dumps({"size": args.size, **row}, ensure_ascii=False), flush=True)
    results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    results.setdefault(args.label, {})[str(args.size)] = row
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
