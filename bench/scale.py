"""Synthetic-scale benchmark: the search path and memory at 10k, 100k and 1M chunks.

    .venv/bin/python bench/scale.py [--sizes 10000 100000] [--million] [--label after]
                                    [--queries 300] [--out bench/results/scale.json] [--keep DIR]

The corpus is the real documents (bundled + ../shared/corpus/extra) cloned under new doc ids,
each clone given a jurisdiction drawn from the gazetteer (provinces, cities, some national), so
texts, sections and chunk shapes are real and BM25 sees real posting lists.  Vectors are random
and L2-normalised in the model's dimension, shaped like text embeddings: every real clause gets a
random "topic" vector and each clone of it lies near that topic (cosine ≈ 0.85), so the clauses
that repeat across provinces form clusters as they would with the real model.  Queries are the
dev questions (understood once, outside the timing) with a vector near a random topic; a quarter
of them carry a jurisdiction filter.

Each size is built in one child process and searched in another (fresh memory figures):
``search_ms`` is HybridRetriever.run minus the query embedding (FAISS, BM25, fusion, place lift,
filters), wall time, and ``search_cpu_ms`` the same in CPU time (less sensitive to other jobs on
a shared machine; ``load_average`` is recorded beside); ``parts_ms`` times the parts one by one;
``rss_mb`` is the searching process's resident memory after loading and querying (``memory_mb``
splits it into anonymous memory and pages of the memory-mapped index files), ``peak_rss_mb`` its
high-water mark; ``build_peak_rss_mb`` the building process's.  When the dense index is
approximate, ``recall_at_10`` compares its top 10 with exact search over the same stored vectors
on the same queries.  Results are merged into the JSON under ``--label``.

``--keep DIR`` keeps each built corpus in ``DIR/scale-SIZE`` and only searches it on the next
run (a 1M build takes 10–15 minutes); delete the folder after changing how indexes are built.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "dev.jsonl"
EXTRA = SHARED / "corpus" / "extra"
CHUNK_COS = 0.85  # a clone's cosine to its clause's topic vector
QUERY_COS = 0.90  # a query's cosine to the topic it asks about


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def memory() -> dict[str, float]:
    """Resident and peak resident memory of this process, in MB (from /proc/self/status)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": fields["VmRSS"], "peak_rss_mb": fields["VmHWM"]}


def near(topics: np.ndarray, cosine: float, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors at about ``cosine`` to the given unit topic vectors."""
    spread = np.tan(np.arccos(cosine)) / np.sqrt(topics.shape[1])
    vectors = topics + rng.normal(scale=spread, size=topics.shape).astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def real_documents():
    from assistant.ingest.pipeline import DocumentIngester, bundled_corpus_dir

    folders = [bundled_corpus_dir()] + ([EXTRA] if EXTRA.is_dir() else [])
    return DocumentIngester().run(folders).documents


def synthetic_documents(size: int, seed: int):
    """Clones of the real documents under new ids and gazetteer jurisdictions, ``size`` chunks in
    all; also returns each chunk's real-clause number (its topic)."""
    from assistant.geo import gazetteer

    rng = random.Random(seed)
    real = real_documents()
    clause_number = {}
    for doc in real:
        for chunk in doc.chunks:
            clause_number[(doc.doc_id, chunk.chunk_id)] = len(clause_number)
    places = gazetteer()
    regions = [p for p in places.places.values() if p.level in ("province", "city")]
    documents, topics, total, n = [], [], 0, 0
    while total < size:
        source = rng.choice(real)
        place = None if rng.random() < 0.05 else rng.choice(regions)
        doc_id = f"syn{n:07d}-{source.doc_id}"
        prefix = places.full_name(place) if place else "国家"
        meta = replace(source.metadata, title=prefix + source.metadata.title,
                       jurisdiction=place.name if place else "国家",
                       jurisdiction_full=places.full_name(place) if place else None,
                       level=place.level if place else "national", region_code=place.code if place else None,
                       supersedes=None, repeals=())
        chunks = source.chunks[: size - total]
        documents.append(replace(source, doc_id=doc_id, metadata=meta, source=f"synthetic/{doc_id}.txt",
                                 content_hash=f"{n:064x}",
                                 chunks=[replace(c, doc_id=doc_id, chunk_id=f"{doc_id}#{i}")
                                         for i, c in enumerate(chunks)]))
        topics += [clause_number[(source.doc_id, c.chunk_id)] for c in chunks]
        total += len(chunks)
        n += 1
    return documents, np.array(topics, dtype=np.int64), len(clause_number)


def topic_vectors(count: int, dimension: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(count, dimension)).astype(np.float32)
    return topics / np.linalg.norm(topics, axis=1, keepdims=True)


def build(size: int, folder: Path, seed: int, queries: int) -> dict:
    """Child process: write the synthetic index and the queries into ``folder``."""
    from assistant.settings import Settings
    from assistant.store.builder import assemble_index
    from assistant.store.index import save_index

    settings = Settings(index_dir=folder / "index")
    started = time.perf_counter()
    documents, topic_of, n_topics = synthetic_documents(size, seed)
    dimension = 384
    topics = topic_vectors(n_topics, dimension, seed)
    rng = np.random.default_rng(seed + 1)
    vectors = np.empty((size, dimension), dtype=np.float32)
    for begin in range(0, size, 100_000):  # in blocks: no second copy of 1M vectors
        vectors[begin:begin + 100_000] = near(topics[topic_of[begin:begin + 100_000]], CHUNK_COS, rng)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    index = assemble_index(documents, vectors, settings.bm25_tokenizer, "synthetic", dimension)
    save_index(index, settings.index_dir)
    seconds = time.perf_counter() - started
    questions = [json.loads(line)["question"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    asked = [questions[i % len(questions)] for i in range(queries)]
    query_topics = rng.integers(0, n_topics, size=queries)
    jurisdictions = sorted({d.metadata.jurisdiction for d in documents})
    filters = [rng.choice(jurisdictions) if i % 4 == 3 else None for i in range(queries)]
    np.save(folder / "query_vectors.npy", near(topics[query_topics], QUERY_COS, rng))
    (folder / "queries.json").write_text(json.dumps({"questions": asked, "filters": filters}, ensure_ascii=False))
    return {"documents": len(documents), "chunks": size, "generate_s": round(generated, 1),
            "build_s": round(seconds, 1), "build_peak_rss_mb": memory()["peak_rss_mb"],
            "index_mb": round(sum(p.stat().st_size for p in (folder / "index").rglob("*") if p.is_file()) / 2**20, 1)}


class PrecomputedQueries:
    """Stands in for the encoder in the search process: the query embedding is not part of the
    search path measured, so each query's vector is made beforehand and handed over before it runs."""

    def __init__(self) -> None:
        self.vector = np.zeros(1, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self.vector for _ in texts])


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> list[set[int]]:
    """Exact top-k positions by inner product, scanning the stored vectors in blocks."""
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), k), dtype=np.int64)
    for begin in range(0, len(vectors), 200_000):
        block = np.asarray(vectors[begin:begin + 200_000], dtype=np.float32)
        scores = queries @ block.T
        top = np.argpartition(-scores, k, axis=1)[:, :k] if scores.shape[1] > k else np.tile(np.arange(scores.shape[1]), (len(queries), 1))
        merged_scores = np.hstack([best_scores, np.take_along_axis(scores, top, axis=1)])
        merged_ids = np.hstack([best_ids, top + begin])
        keep = np.argsort(-merged_scores, axis=1)[:, :k]
        best_scores = np.take_along_axis(merged_scores, keep, axis=1)
        best_ids = np.take_along_axis(merged_ids, keep, axis=1)
    return [set(map(int, row)) for row in best_ids]


def search(folder: Path) -> dict:
    """Child process: load the index, run the queries through the retriever, measure."""
    from assistant.retrieval.retriever import Filters, HybridRetriever
    from assistant.store.index import load_index
    from assistant.understanding.question import analyse_question

    started = time.perf_counter()
    index = load_index(folder / "index", "synthetic")
    load_s = time.perf_counter() - started
    spec = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    vectors = np.load(folder / "query_vectors.npy")
    analyses = [analyse_question(q) for q in spec["questions"]]
    encoder = PrecomputedQueries()
    retriever = HybridRetriever(index, encoder)
    filters = [Filters(jurisdictions=frozenset({j})) if j else Filters() for j in spec["filters"]]
    encoder.vector = vectors[0]
    retriever.run("", analysis=analyses[0], filters=filters[0])  # warm-up
    timings, cpu = [], []
    for analysis, chosen, vector in zip(analyses, filters, vectors):
        encoder.vector = vector
        begin, begin_cpu = time.perf_counter(), time.process_time()
        retriever.run("", analysis=analysis, filters=chosen)
        timings.append((time.perf_counter() - begin) * 1000)
        cpu.append((time.process_time() - begin_cpu) * 1000)
    result = {"load_s": round(load_s, 1), "queries": len(timings),
              "search_ms_p50": round(statistics.median(timings), 2),
              "search_ms_p95": round(percentile(timings, 0.95), 2),
              # CPU time of the searching process: what the search costs, less what the others' jobs add
              "search_cpu_ms_p50": round(statistics.median(cpu), 2),
              "search_cpu_ms_p95": round(percentile(cpu, 0.95), 2), **memory(),
              "memory_mb": memory_split(), "dense_index": dense_kind(index.dense),
              "parts_ms": part_timings(retriever, analyses, filters, vectors)}
    stored = getattr(index.dense, "vectors", None)
    if stored is not None and index.dense.approximate:
        truth = exact_top(stored, vectors, 10)
        found = [set(map(int, index.dense.search(v, 10)[0])) for v in vectors]
        result["recall_at_10"] = round(float(np.mean([len(a & b) / 10 for a, b in zip(found, truth)])), 4)
    return result


def part_timings(retriever, analyses, filters, vectors) -> dict[str, dict[str, float]]:
    """The search path's parts timed one by one on the same queries (CPU ms, p50 / p95): the
    filter turned into positions, the dense search, BM25, and fusion with the place lift (its
    chunks already cached by the timed run)."""
    parts: dict[str, list[float]] = {"filters": [], "dense": [], "bm25": [], "fusion": []}
    index = retriever.index
    clock = time.process_time  # CPU time: the parts are short, and the machine is shared
    for analysis, chosen, vector in zip(analyses, filters, vectors):
        begin = clock()
        allowed = retriever.allowed_positions(chosen)
        parts["filters"].append(clock() - begin)
        if allowed is not None and len(allowed) == 0:
            continue
        begin = clock()
        dense_ids, _ = index.dense.search(vector, retriever.candidates, allowed)
        parts["dense"].append(clock() - begin)
        begin = clock()
        bm25_ids = index.bm25.top(analysis.expanded, retriever.candidates, allowed)
        parts["bm25"].append(clock() - begin)
        begin = clock()
        retriever.fuse([int(i) for i in dense_ids], [int(i) for i in bm25_ids], analysis, 5)
        parts["fusion"].append(clock() - begin)
    return {name: {"cpu_p50": round(statistics.median(v) * 1000, 2), "cpu_p95": round(percentile(v, 0.95) * 1000, 2)}
            for name, v in parts.items() if v}


def memory_split() -> dict[str, float]:
    """Resident memory split into anonymous pages and pages of mapped files (the memory-mapped
    index files the queries touched), in MB, from /proc/self/smaps_rollup."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Rss", "Anonymous"):
            fields[key] = int(value.split()[0]) / 1024
    return {"anonymous": round(fields["Anonymous"], 1), "file": round(fields["Rss"] - fields["Anonymous"], 1)}


def dense_kind(dense) -> str:
    """The FAISS index type (of every segment, when the index is segmented)."""
    inner = getattr(dense, "index", None)
    return type(inner).__name__ if inner is not None else str(getattr(dense, "kind", type(dense).__name__))


def run_child(mode: str, size: int, folder: Path, seed: int, queries: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    out = subprocess.run([sys.executable, __file__, f"--{mode}", str(folder), "--size", str(size),
                          "--seed", str(seed), "--queries", str(queries)],
                         env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{mode} at {size} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def kept_run(folder: Path, size: int, seed: int, queries: int) -> tuple[dict, dict]:
    """Build into ``folder`` unless an earlier run left a complete build there (same size, seed and
    queries), then search it."""
    stamp = folder / "build.json"
    expected = {"size": size, "seed": seed, "queries": queries}
    kept = json.loads(stamp.read_text(encoding="utf-8")) if stamp.exists() else {}
    if kept.get("spec") != expected:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        kept = {"spec": expected, "built": run_child("build", size, folder, seed, queries)}
        stamp.write_text(json.dumps(kept), encoding="utf-8")
    return kept["built"], run_child("search", size, folder, seed, queries)


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages when the row was measured (the machine is shared)."""
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 chunks (several minutes)")
    parser.add_argument("--label", default="after")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    parser.add_argument("--keep", type=Path, help="keep each built corpus in DIR/scale-SIZE and search it again "
                        "on the next run instead of rebuilding (delete the folder after a change to building)")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--search", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print(json.dumps(build(args.size, args.build, args.seed, args.queries)))
        return
    if args.search:
        print(json.dumps(search(args.search)))
        return
    sizes = args.sizes + ([1_000_000] if args.million else [])
    results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    for size in sizes:
        if args.keep:
            built, searched = kept_run(args.keep / f"scale-{size}", size, args.seed, args.queries)
        else:
            with tempfile.TemporaryDirectory(prefix=f"scale-{size}-") as tmp:
                built = run_child("build", size, Path(tmp), args.seed, args.queries)
                searched = run_child("search", size, Path(tmp), args.seed, args.queries)
        row = {**built, **searched, "measured": time.strftime("%Y-%m-%d %H:%M"), "load_average": load_average()}
        print(json.dumps({"size": size, **row}, ensure_ascii=False), flush=True)
        results.setdefault(args.label, {})[str(size)] = row
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
