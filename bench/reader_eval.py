"""Reader quality, document-held-out: the rule-free sentence reader, the reader, side by side.

    .venv/bin/python bench/reader_eval.py [--sets labelled,dev] [--systems baseline,reader] [--folds 5]
                                          [--out bench/results/reader_eval.json]

One index of every document (the bundled policies, ../shared/corpus/extra and ../shared/corpus/more),
built once into DATA_DIR/reader-index.  Question sets:
- ``labelled``: bench/reader_data/questions/*.jsonl, written blind per document (bench/reader_data/README.md);
- ``holdout``: bench/reader_data/holdout/*.jsonl, the final holdout (8 documents): measure once;
- ``holdout2``, ``holdout3``, ``holdout4``: later holdouts over documents of their own (documents2/ to documents4/),
  each measured alone in an index that adds them (DATA_DIR/reader-index-wide, -widest, -fourth): measure once;
- ``dev``: ../shared/eval/dev.jsonl, bench/dev_unseen.jsonl, bench/dev_holdout.jsonl (development sets).
The labelled questions are split into folds by document (no document in two folds); every figure is
given per fold and pooled.  A learned system (``learned``) is trained on the other folds' questions
for each fold (assistant/reading/learned.py), so no answer is scored by a model that saw its document.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from assistant.evaluation import EvalReport, GoldItem, evaluate, load_gold, side_by_side  # noqa: E402
from assistant.ingest.pipeline import bundled_corpus_dir  # noqa: E402
from assistant.models import Answer, Turn  # noqa: E402
from assistant.service import PolicyAssistant, build_index, load_encoder  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store.index import IndexNotFoundError, load_index  # noqa: E402

SHARED = HERE.parents[1] / "shared"
CORPUS = [bundled_corpus_dir(), SHARED / "corpus" / "extra", SHARED / "corpus" / "more"]
# the second holdout's ten documents (bench/reader_data/documents2/README.md: sources and commits), indexed
# with all the others in an index of their own, so the training index (and its tables) stay as they are
WIDER_CORPUS = [*CORPUS, HERE / "reader_data" / "documents2"]
# the third holdout's eight documents (bench/reader_data/documents3/README.md), likewise in an index of their own
WIDEST_CORPUS = [*WIDER_CORPUS, HERE / "reader_data" / "documents3"]
# the fourth holdout's eight documents (bench/reader_data/documents4/README-*.md), likewise
FOURTH_CORPUS = [*WIDEST_CORPUS, HERE / "reader_data" / "documents4"]
DOCUMENT_SUFFIXES = (".txt", ".md")  # the corpus folders' README.md describe them and are no documents
DATA = HERE / "reader_data"
SETS = {
    "labelled": sorted((DATA / "questions").glob("*.jsonl")),
    "holdout": sorted((DATA / "holdout").glob("*.jsonl")),
    "holdout2": sorted((DATA / "holdout2").glob("*.jsonl")),
    "holdout3": sorted((DATA / "holdout3").glob("*.jsonl")),
    "holdout4": sorted((DATA / "holdout4").glob("*.jsonl")),
    "dev": [SHARED / "eval" / "dev.jsonl", HERE / "dev_unseen.jsonl", HERE / "dev_holdout.jsonl"],
}
FOLD_SEED = 21


def open_assistant(settings: Settings, corpus: list[Path] = CORPUS, name: str = "reader-index") -> PolicyAssistant:
    """The reader over every document of ``corpus``, indexed once into DATA_DIR/``name``."""
    wider = settings.model_copy(update={"index_dir": settings.data_dir / name})
    encoder = load_encoder(wider)
    try:
        index = load_index(wider.index_dir, wider.model)
    except IndexNotFoundError:
        print(f"building {wider.index_dir} from {', '.join(map(str, corpus))} …", file=sys.stderr, flush=True)
        files = [f for folder in corpus if folder.exists() for f in sorted(folder.iterdir())
                 if f.suffix in DOCUMENT_SUFFIXES and f.name != "README.md"]
        build_index(wider, files, encoder=encoder)
        index = load_index(wider.index_dir, wider.model)
    return PolicyAssistant(wider, index, encoder, auto_reload=False)


def hand_set(assistant: PolicyAssistant) -> Callable[[str, list[Turn]], Answer]:
    """The reader with its hand-set scores and rules (no learned model installed)."""
    state = assistant.current()
    state.reader.sentence_model = None
    assistant._loaded = replace(state, answerable=None)
    return lambda question, history: assistant.ask(question, history=history)


VERDICT = re.compile(r"不符合|符合|需核实")
YES_LEAD = re.compile(r"^(可以|需要|有|是|能|符合|已施行|yes)", re.I)
NO_LEAD = re.compile(r"^(不能|不需要|不可以|不得|不是|没有|无|否|不符合|不|一般不能|no\b)", re.I)


def labelled_extras(files: list[Path]) -> dict[str, dict]:
    """id -> the fields the evaluator does not read (yes_no, verdict, tags) of each question."""
    extras = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                extras[str(record["id"])] = record
    return extras


def side_figures(report: EvalReport, extras: dict[str, dict]) -> dict[str, float | None]:
    """Verdict accuracy on numeric conditions (the first 符合/不符合/需核实 of the answer is the one
    expected) and yes/no accuracy (the answer opens with a yes or a no as expected)."""
    verdicts, yes_no = [], []
    for result in report.items:
        record = extras.get(result.item.id, {})
        first = result.answer.answer.splitlines()[0] if result.answer.answer else ""
        if record.get("verdict"):
            found = VERDICT.search(first)
            verdicts.append(bool(found) and found.group(0) == record["verdict"])
        if record.get("yes_no"):
            lead = NO_LEAD if record["yes_no"] == "no" else YES_LEAD
            yes_no.append(bool(lead.search(first)) and not (record["yes_no"] == "yes" and NO_LEAD.search(first)))
    share = (lambda values: sum(values) / len(values) if values else None)
    return {"verdict (numeric conditions)": share(verdicts), "yes/no stated": share(yes_no)}


def grouped(files: list[Path]) -> dict[str, list[GoldItem]]:
    """Items by the document they were written for (the file name: one file per document)."""
    return {path.stem: load_gold(path) for path in files}


def folds_of(groups: list[str], folds: int, seed: int = FOLD_SEED) -> list[list[str]]:
    """Documents dealt into ``folds`` folds after a seeded shuffle: each document in exactly one."""
    order = sorted(groups)
    random.Random(seed).shuffle(order)
    return [sorted(order[i::folds]) for i in range(folds)]


def run_system(ask: Callable[[str, list[Turn]], Answer], assistant: PolicyAssistant, items: list[GoldItem]) -> tuple[EvalReport, float]:
    started = time.perf_counter()
    report = evaluate(assistant.index, items, ask)
    return report, (time.perf_counter() - started) / max(len(items), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="labelled,dev")
    parser.add_argument("--systems", default="baseline,reader")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--answers", type=Path, default=None,
                        help="also write every item's answer per system (JSON lines) for reading a development set's errors")
    args = parser.parse_args()
    settings = Settings()
    training = open_assistant(settings)  # the index the learned models' training rows come from
    wide = {"holdout2": (WIDER_CORPUS, "reader-index-wide"), "holdout3": (WIDEST_CORPUS, "reader-index-widest"),
            "holdout4": (FOURTH_CORPUS, "reader-index-fourth")}
    corpus = [wide[name] for name in args.sets.split(",") if name in wide]
    if corpus and len(args.sets.split(",")) > 1:
        parser.error("holdout2, holdout3 and holdout4 are each measured alone, in the index that holds their documents")
    assistant = open_assistant(settings, *corpus[0]) if corpus else training
    systems: dict[str, Callable[[tuple[set[str], bool]], Callable[[str, list[Turn]], Answer]]] = {}
    names = args.systems.split(",")
    if "baseline" in names:
        from sentence_baseline import SentenceBaseline

        baseline = SentenceBaseline(assistant.index, assistant.encoder, settings.data_dir / "reader-cache")
        systems["baseline"] = lambda train: baseline.ask
    if "reader" in names:  # the hand-set reader (tag reader-rules-baseline): no learned model
        systems["reader"] = lambda train: hand_set(assistant)
    if "learned" in names:  # the learned scorer and abstention, fitted per fold on the other folds only
        from train_reader import cached_table, install, training_groups

        table = cached_table(training, training_groups(), settings.data_dir / "reader-cache")
        systems["learned"] = lambda train: install(assistant, table, {
            q.group for q in table.questions if q.group in train[0] or (train[1] and q.group.startswith("dev:"))})
    results: dict = {"systems": list(systems), "sets": {}}
    for set_name in args.sets.split(","):
        groups = grouped(SETS[set_name])
        fold_docs = folds_of(list(groups), args.folds) if set_name == "labelled" else [sorted(groups)]
        pooled: dict[str, list[EvalReport]] = {name: [] for name in systems}
        per_fold = []
        labelled = {path.stem for path in SETS["labelled"]}
        for number, docs in enumerate(fold_docs, start=1):
            items = [item for d in docs for item in groups[d]]
            # what a learned system may train on: never the documents it is scored on
            # (labelled documents, whether the development sets' documents are included)
            train = {"labelled": (labelled - set(docs), True), "dev": (labelled, False),
                     "holdout": (labelled, True), "holdout2": (labelled, True),
                     "holdout3": (labelled, True), "holdout4": (labelled, True)}[set_name]
            reports = {}
            for name, make in systems.items():
                report, seconds = run_system(make(train), assistant, items)
                reports[name] = report
                pooled[name].append(report)
            label = f"{set_name} fold {number}" if len(fold_docs) > 1 else set_name
            print(f"\n## {label}: {len(items)} items over documents {', '.join(docs)}")
            print(side_by_side(reports))
            per_fold.append({"fold": number, "documents": docs, "items": len(items),
                             "summary": {n: r.summary() for n, r in reports.items()}})
        merged = {name: merge(reports) for name, reports in pooled.items()}
        extras = labelled_extras(SETS[set_name])
        sides = {name: side_figures(report, extras) for name, report in merged.items()}
        if len(fold_docs) > 1:
            print(f"\n## {set_name} pooled over {len(fold_docs)} folds")
            print(side_by_side(merged))
        for row in next(iter(sides.values()), {}):
            print(f"{row:<28}" + "".join("–".rjust(16) if sides[n][row] is None else f"{sides[n][row]:>16.3f}" for n in sides))
        results["sets"][set_name] = {"folds": per_fold, "pooled": {n: {**r.summary(), **sides[n]} for n, r in merged.items()},
                                     "misses": {n: r.to_dict()["misses"] for n, r in merged.items()}}
        if args.answers:
            write_answers(args.answers, set_name, merged)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


def write_answers(path: Path, set_name: str, reports: dict[str, EvalReport]) -> None:
    """One line per item and system: the question, whether its keys and gold were met, the answer."""
    with path.open("a", encoding="utf-8") as out:
        for system, report in reports.items():
            for result in report.items:
                out.write(json.dumps({"set": set_name, "system": system, "id": result.item.id,
                                      "category": result.item.category, "question": result.item.question,
                                      "keys": result.item.answer_keys, "keys_ok": result.keys_ok, "rank": result.rank,
                                      "abstained": result.answer.abstained, "answer": result.answer.answer},
                                     ensure_ascii=False) + "\n")


def merge(reports: list[EvalReport]) -> EvalReport:
    """One report over the items of several (the folds pooled)."""
    from assistant.evaluation import _score

    items = [r for report in reports for r in report.items]
    categories = sorted({r.item.category for r in items})
    return EvalReport(k=reports[0].k, overall=_score(items, reports[0].k),
                      categories={c: _score([r for r in items if r.item.category == c], reports[0].k) for c in categories},
                      unfaithful_citations=sum(r.unfaithful_citations for r in reports),
                      unlocated_spans=[s for r in reports for s in r.unlocated_spans], items=items)


if __name__ == "__main__":
    main()
