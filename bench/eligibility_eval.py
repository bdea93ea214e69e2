"""Eligibility from outside (issue 23): company questions that state their own figures, sent through the chat
contract (``PolicyAssistant.ask`` → ``Answer``) on the day each case names, scored against written gold.

    .venv/bin/python bench/eligibility_eval.py [--sets dev,holdout] [--systems baseline,before,assistant]
                                               [--answers F.jsonl] [--out F.json]

Sets: ``dev`` is bench/eligibility_gold.jsonl (over ../shared/corpus/more 33–40 and documents2 49, 51, 52),
``holdout`` is bench/eligibility_holdout.jsonl over bench/eligibility_docs (documents no rule was written for).
Both were written by helpers that never ran the assistant.  Systems, in one run:
- ``baseline``: the rule-free sentence reader (bench/sentence_baseline.py);
- ``before``: the reader's answer without the eligibility step (what the assistant said before issue 23);
- ``assistant``: the assistant as served.

Scores, per case: the verdict the answer leads with (the first of 不符合 / 需核实 / 符合 it says), the amount
(a sum the answer states equals the gold amount, on cases that have one), the deciding clause cited (a
citation of the case's document overlaps the gold quote), and false 符合 (符合 said where gold is 不符合).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from assistant.models import Answer  # noqa: E402
from assistant.service import PolicyAssistant, add_documents  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store.index import IndexNotFoundError, load_index  # noqa: E402
from assistant.text.numbers import MONEY, find_quantities  # noqa: E402
from assistant.text.thresholds import stated_figures  # noqa: E402
from reader_eval import WIDER_CORPUS, open_assistant  # noqa: E402
from sentence_baseline import SentenceBaseline  # noqa: E402

SETS = {"dev": HERE / "eligibility_gold.jsonl", "holdout": HERE / "eligibility_holdout.jsonl"}
DOCUMENTS = HERE / "eligibility_docs"
VERDICT = re.compile(r"不符合|需核实|符合")
WIDE, WITH_DOCUMENTS = "reader-index-wide", "eligibility-index"


def load_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def open_index(settings: Settings) -> PolicyAssistant:
    """The 65-document index of the reader's sets, with the eligibility documents added (a copy, once)."""
    wide = open_assistant(settings, WIDER_CORPUS, WIDE)
    target = settings.data_dir / WITH_DOCUMENTS
    documents = sorted(p for p in DOCUMENTS.glob("*.txt")) if DOCUMENTS.exists() else []
    if not documents:
        return wide
    there = settings.model_copy(update={"index_dir": target})
    try:
        index = load_index(target, there.model)
    except IndexNotFoundError:
        print(f"adding {len(documents)} documents of {DOCUMENTS} to a copy of {WIDE} …", file=sys.stderr, flush=True)
        shutil.copytree(settings.data_dir / WIDE, target)
        add_documents(there, documents, encoder=wide.encoder)
        index = load_index(target, there.model)
    return PolicyAssistant(there, index, wide.encoder, auto_reload=False)


def lead_verdict(text: str) -> str | None:
    found = VERDICT.search(text)
    return found.group(0) if found else None


def sums(text: str) -> set[float]:
    """Every sum of money an answer states (20万元, 9000元, 3亿)."""
    found = {q.value for q in find_quantities(text) if q.kind == MONEY and q.value is not None}
    return found | {f.value for f in stated_figures(text) if f.kind == MONEY}


def gold_span(assistant: PolicyAssistant, case: dict) -> tuple[str, int, int] | None:
    doc_id = Path(case["doc"]).stem
    document = assistant.index.documents.get(doc_id)
    if document is None:
        return None
    at = document.text.find(case["deciding_quote"])
    if at < 0:
        squeezed = "".join(case["deciding_quote"].split())
        plain = [(k, c) for k, c in enumerate(document.text) if not c.isspace()]
        joined = "".join(c for _, c in plain)
        found = joined.find(squeezed)
        if found < 0:
            return None
        return doc_id, plain[found][0], plain[found + len(squeezed) - 1][0] + 1
    return doc_id, at, at + len(case["deciding_quote"])


def score(answer: Answer, case: dict, span: tuple[str, int, int] | None) -> dict:
    verdict = lead_verdict(answer.answer)
    amount = case.get("amount_yuan")
    cited = span is not None and any(c.doc_id == span[0] and c.start < span[2] and span[1] < c.end
                                     for c in answer.citations)
    return {"id": case["id"], "gold": case["verdict"], "said": verdict, "verdict_ok": verdict == case["verdict"],
            "amount_ok": None if amount is None else any(abs(v - amount) < 0.5 for v in sums(answer.answer)),
            "cited": cited, "false_meets": verdict == "符合" and case["verdict"] == "不符合",
            "doc": case["doc"], "answer": answer.answer}


def summary(rows: list[dict]) -> dict:
    amounts = [r["amount_ok"] for r in rows if r["amount_ok"] is not None]
    by_gold = defaultdict(list)
    for r in rows:
        by_gold[r["gold"]].append(r["verdict_ok"])
    return {"cases": len(rows), "verdict": round(sum(r["verdict_ok"] for r in rows) / len(rows), 3),
            "amount": round(sum(amounts) / len(amounts), 3) if amounts else None, "amount_cases": len(amounts),
            "cited": round(sum(r["cited"] for r in rows) / len(rows), 3),
            "false_meets": sum(r["false_meets"] for r in rows),
            "verdict_by_gold": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_gold.items())}}


def before_ask(assistant: PolicyAssistant):
    """The reader's own answer, the eligibility step left out."""
    from assistant.answer.abstain import decide, facet_gaps
    from assistant.service import read_in_conversation
    from assistant.understanding.conversation import follow_up

    def ask(question: str) -> Answer:
        state = assistant.current()
        reading = read_in_conversation(state.reader, follow_up(question, []), assistant.settings.top_k)
        abstention = decide(reading, state.index, state.reader.names, state.answerable)
        return state.composer.run(reading, abstention, facet_gaps(reading))
    return ask


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="dev")
    parser.add_argument("--systems", default="baseline,before,assistant")
    parser.add_argument("--answers", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings()
    served = open_index(settings)
    encoder = served.encoder
    systems = args.systems.split(",")
    baseline = SentenceBaseline(served.index, encoder, settings.data_dir / "reader-cache") if "baseline" in systems \
        else None
    results: dict = {}
    answers = []
    for set_name in args.sets.split(","):
        cases = load_cases(SETS[set_name])
        by_day = defaultdict(list)
        for case in cases:
            by_day[case["today"]].append(case)
        rows: dict[str, list[dict]] = defaultdict(list)
        started = time.perf_counter()
        for day, group in sorted(by_day.items()):
            assistant = PolicyAssistant(served.settings.model_copy(update={"today": date.fromisoformat(day)}),
                                        served.index, encoder, auto_reload=False)
            asks = {"assistant": lambda q: assistant.ask(q), "before": before_ask(assistant),
                    "baseline": (lambda q: baseline.ask(q)) if baseline else None}
            for case in group:
                span = gold_span(assistant, case)
                if span is None:
                    print(f"{case['id']}: gold quote not found in {case['doc']}", file=sys.stderr)
                for system in systems:
                    row = score(asks[system](case["question"]), case, span)
                    rows[system].append(row)
                    answers.append({"set": set_name, "system": system, **row})
        results[set_name] = {system: summary(rows[system]) for system in systems}
        per_document = {}
        for system in systems:
            counts = defaultdict(Counter)
            for r in rows[system]:
                counts[r["doc"]]["n"] += 1
                counts[r["doc"]]["verdict"] += r["verdict_ok"]
            per_document[system] = {d: f"{c['verdict']}/{c['n']}" for d, c in sorted(counts.items())}
        results[set_name]["per_document"] = per_document
        results[set_name]["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results, ensure_ascii=False, indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.answers:
        args.answers.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")


if __name__ == "__main__":
    main()
