"""What the query precision changes in the answers: every dev, unseen and holdout question asked
with questions embedded in float32 and in bfloat16 (QUERY_PRECISION), answer by answer.

    .venv/bin/python bench/precision.py [--index DIR] [--eval-index DIR] [--out bench/results/precision.json]

``--index`` is an index of the bundled corpus (dev is asked of it, as `policy-assistant eval`
does); ``--eval-index`` one of the bundled corpus plus ../shared/corpus/extra (unseen and holdout),
e.g. the DATA_DIR/eval-index that `policy-assistant eval` builds.  Both are built into a temporary
folder when not given.  For each answer it records whether the bfloat16 one is identical, lists
only its lower citations in another order, changes its first citation, or changes its text; with
each file's evaluation figures under both precisions and the CPU time of a question embedding
(eager, and traced as a `serve` worker runs it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.evaluation import EvalReport, evaluate, gold_documents, load_gold  # noqa: E402
from assistant.ingest.pipeline import bundled_corpus_dir  # noqa: E402
from assistant.models import Answer  # noqa: E402
from assistant.runtime import limit_threads  # noqa: E402
from assistant.service import PolicyAssistant, build_index, load_encoder  # noqa: E402
from assistant.settings import Settings  # noqa: E402

GOLD = [ROOT.parent / "shared" / "eval" / "dev.jsonl", ROOT / "bench" / "dev_unseen.jsonl",
        ROOT / "bench" / "dev_holdout.jsonl"]
EXTRA = ROOT.parent / "shared" / "corpus" / "extra"
PRECISIONS = ("float32", "bfloat16")


def change(before: Answer, after: Answer) -> str:
    cited = [(c.doc_id, c.start, c.end) for c in before.citations]
    now = [(c.doc_id, c.start, c.end) for c in after.citations]
    if after.answer != before.answer:
        return "answer text"
    if cited[:1] != now[:1]:
        return "first citation"
    return "lower citations" if cited != now else "identical"


def embedding_ms(assistant: PolicyAssistant, questions: list[str]) -> float:
    encode = assistant.encoder.encode_queries
    encode(questions[:5])
    started = time.process_time()
    encode(questions)
    return round((time.process_time() - started) * 1000 / len(questions), 2)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--eval-index", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "precision.json")
    args = parser.parse_args()
    limit_threads(1)
    gold = {path.stem: load_gold(path) for path in GOLD if path.exists()}
    with tempfile.TemporaryDirectory() as folder:
        index, wider = args.index, args.eval_index
        encoder = load_encoder(Settings(query_precision="float32"))
        if index is None:
            index = Path(folder) / "bundled"
            build_index(Settings(index_dir=index), encoder=encoder)
        if wider is None:
            wider = Path(folder) / "wider"
            build_index(Settings(index_dir=wider), [bundled_corpus_dir(), EXTRA], encoder=encoder)
        del encoder
        reports: dict[str, dict[str, EvalReport]] = {p: {} for p in PRECISIONS}
        cpu: dict[str, float] = {}
        for precision in PRECISIONS:
            encoder = load_encoder(Settings(query_precision=precision))
            assistants = [PolicyAssistant.open(Settings(index_dir=i, query_precision=precision), encoder=encoder)
                          for i in (index, wider)]
            for name, items in gold.items():
                assistant = next(a for a in assistants if gold_documents(items) <= set(a.index.documents))
                reports[precision][name] = evaluate(assistant.index, items,
                                                    lambda q, h, a=assistant: a.ask(q, history=h))
            questions = [i.question for items in gold.values() for i in items]
            cpu[precision] = embedding_ms(assistants[0], questions)
            encoder.trace_queries()  # as a `serve` worker does at start-up
            cpu[f"{precision}, traced"] = embedding_ms(assistants[0], questions)
            del assistants, encoder
    result = {"embedding_cpu_ms_per_question": cpu, "files": {}}
    for name in gold:
        before, after = reports["float32"][name], reports["bfloat16"][name]
        changes = {item.item.id: change(item.answer, later.answer) for item, later in zip(before.items, after.items)}
        result["files"][name] = {
            "questions": len(changes),
            "changes": {kind: sorted(k for k, v in changes.items() if v == kind)
                        for kind in ("answer text", "first citation", "lower citations")},
            "figures": {p: reports[p][name].to_dict()["overall"] for p in PRECISIONS},
        }
        counts = {kind: len(ids) for kind, ids in result["files"][name]["changes"].items()}
        print(name, len(changes), "questions;", json.dumps(counts, ensure_ascii=False), flush=True)
    print("embedding CPU ms per question", cpu)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
