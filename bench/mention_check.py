"""The abstention's mention check on a large index: the first questions needing it, in a fresh process.

    .venv/bin/python bench/mention_check.py INDEX_DIR [--label after] [--code DIR] [--out bench/results/mention_check.json]

INDEX_DIR is any index, e.g. the 100k-chunk one ``bench/match_scale.py --keep DIR`` builds (``DIR/index``).
A child process loads it (no model: the check needs none), loads jieba's dictionary, then times the two
callers of the check, ``missing_from_corpus`` and ``unknown_document`` (assistant/answer/abstain.py), on
three questions that need it (an absent fee, a document the corpus does not hold, an absent tax rate), one
after another: wall and CPU time and the growth of the process's resident memory for each, and the
process's RSS at the end.  ``--code DIR`` runs another checkout's ``assistant`` package (e.g. an older
commit extracted with ``git archive``) on the same index, for a before/after pair.  Results are merged
into the JSON under ``--label``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["申请发明专利要交多少官费?", "江苏省专利促进条例对专利奖励怎么规定?", "高新技术企业的税率是多少?"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(folder: Path) -> dict:
    """Child process: load the index and time the check on each question."""
    import jieba.posseg

    from assistant.answer.abstain import missing_from_corpus, unknown_document
    from assistant.store.index import load_index, read_manifest
    from assistant.understanding.question import analyse_question

    jieba.posseg.lcut("预热")  # the dictionary is loaded before timing
    index = load_index(folder, read_manifest(folder)["model"])
    analyses = [analyse_question(q) for q in QUESTIONS]
    rows = []
    for question, analysis in zip(QUESTIONS, analyses):
        before, wall, cpu = rss_mb(), time.perf_counter(), time.process_time()
        missing = missing_from_corpus(analysis, index)
        unknown = unknown_document(analysis, index, [])
        rows.append({"question": question, "wall_ms": round((time.perf_counter() - wall) * 1000, 1),
                     "cpu_ms": round((time.process_time() - cpu) * 1000, 1),
                     "rss_growth_mb": round(rss_mb() - before, 1), "missing": missing, "unknown": unknown})
    import assistant

    return {"package": str(Path(assistant.__file__).parent), "chunks": len(index.chunks),
            "documents": len(index.documents), "questions": rows,
            "rss_mb": round(rss_mb(), 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index", type=Path)
    parser.add_argument("--label", default="after")
    parser.add_argument("--code", type=Path, help="the checkout whose assistant package is measured (default: this one)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "mention_check.json")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.index), ensure_ascii=False))
        return
    code = (args.code or ROOT).resolve()
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "PYTHONPATH": str(code)}
    out = subprocess.run([sys.executable, __file__, str(args.index.resolve()), "--measure"], env=env, cwd="/",
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{out.stderr[-4000:]}")
    row = {**json.loads(out.stdout.strip().splitlines()[-1]), "code": str(code),
           "load_average": os.getloadavg()[0], "measured": time.strftime("%Y-%m-%d %H:%M")}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    results[args.label] = row
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
