"""Train the reader's learned scorer and abstention model; report document-grouped cross-validation.

    .venv/bin/python bench/train_reader.py                 # CV report, then the model from every labelled document
    .venv/bin/python bench/train_reader.py --cv-only       # the report only, no model written
    .venv/bin/python bench/train_reader.py --check         # retrain and compare with the committed model (bit for bit)

Training data (committed): the labelled questions in bench/reader_data/questions/ (written blind, one
file per document) and the development sets (../shared/eval/dev.jsonl, bench/dev_unseen.jsonl,
bench/dev_holdout.jsonl, grouped by their gold document).  The final holdout
(bench/reader_data/holdout/) is never read here.

For each question the reader runs with its hand-set scores (no model), and every candidate sentence
of every facet becomes a row of assistant/reading/features.py's columns, labelled 1 when it overlaps
a gold span of the question.  The sentence model is a logistic regression on those rows; the
answerable model a logistic regression on assistant/answer/abstain.py's SIGNALS, whose probability
columns come from sentence models that did not see the question's document (inner folds), labelled
by whether the question is answerable (category E is not).  Its threshold keeps false abstention on
the training folds' out-of-fold rows at or under --max-false-abstention, then abstains as often as it can.
Deterministic: the same questions and index give the same model file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from reader_eval import SETS, folds_of, open_assistant  # noqa: E402

from assistant.answer.polarity import POLARITY_FEATURES, SURE, polarity_row, rule_lead
from assistant.answer.abstain import SIGNALS, reading_signals, rule_findings, signal_row  # noqa: E402
from assistant.evaluation import GoldItem, load_gold, locate  # noqa: E402
from assistant.models import Answer, Turn  # noqa: E402
from assistant.reading.features import FEATURES, feature_matrix  # noqa: E402
from assistant.reading.learned import MODEL_FILE, LinearModel, save_models  # noqa: E402
from assistant.service import PolicyAssistant, read_in_conversation  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.understanding.conversation import follow_up  # noqa: E402
from assistant.understanding.question import analyse_question  # noqa: E402

SENTENCE_C = 0.5  # L2 strength of the sentence model (chosen by the CV report's comparison)
ANSWERABLE_C = 1.0
POLARITY_C = 0.3  # chosen on folds with SURE (bench/train_reader.py prints the comparison)
MAX_FALSE_ABSTENTION = 0.03
INNER_FOLDS = 4
FACET_FALSE_GAP = 0.02  # share of answered facets a facet threshold may call unanswered (on training rows)


@dataclass
class FacetRows:
    rows: np.ndarray
    labels: np.ndarray


@dataclass
class QuestionRows:
    id: str
    group: str  # the document the question was written for
    category: str
    answerable: bool
    facets: list[FacetRows]
    signals: dict[str, float]
    located: bool = True


@dataclass
class Table:
    questions: list[QuestionRows] = field(default_factory=list)

    def of(self, groups: set[str]) -> list[QuestionRows]:
        return [q for q in self.questions if q.group in groups]


def holdout_documents() -> set[str]:
    """The documents of the final holdout (by corpus file number): no training row may come from them."""
    numbers = {path.stem for path in SETS["holdout"]}
    more = SETS["labelled"][0].parents[3] / "shared" / "corpus" / "more" if SETS["labelled"] else None
    return {p.stem for p in (more.glob("*") if more and more.exists() else []) if p.stem[:2] in numbers}


def training_groups() -> dict[str, list[GoldItem]]:
    """The labelled questions by document, and the development sets by the gold document of each item;
    a dialogue turn or question whose gold lies in a holdout document is left out."""
    held = holdout_documents()
    groups = {path.stem: [i for i in load_gold(path) if not any(Path(s.doc).stem in held for s in i.gold)]
              for path in SETS["labelled"]}
    for path in SETS["dev"]:
        if not path.exists():
            continue
        for item in load_gold(path):
            doc = Path(item.gold[0].doc).stem if item.gold else f"dev-{path.stem}-unanswerable"
            groups.setdefault(f"dev:{doc}", []).append(item)
    return groups


def question_rows(assistant: PolicyAssistant, item: GoldItem, group: str, history: list[Turn]) -> QuestionRows:
    """Run the reader with its hand-set scores and turn the reading into rows."""
    state = assistant.current()
    reader = state.reader
    reading = read_in_conversation(reader, follow_up(item.question, history), assistant.settings.top_k)
    spans = [place for span in item.gold for place in locate(state.index, span)]
    facets = []
    for facet_reading in reading.facets:
        ranked = facet_reading.ranked
        vector = facet_reading.vector
        if vector is None:  # read without retrieval (a named part, a list of documents): embedded as answering does
            vector = reader.retriever.embed(reader._query(facet_reading.facet, reading.analysis)[1])
        rows = feature_matrix(ranked, [s.score for s in ranked], facet_reading.placement,
                              reader.similarities(ranked, vector))
        labels = np.array([any(s.candidate.chunk.doc_id == d and s.candidate.start < e and b < s.candidate.end
                               for d, b, e in spans) for s in ranked], dtype=np.int64)
        facets.append(FacetRows(rows, labels))
    findings = rule_findings(reading, state.index, state.reader.names)
    signals = reading_signals(reading, findings)
    if findings.structural is not None:
        signals = {**signals, "structural": 1.0}
    return QuestionRows(item.id, group, item.category, item.category != "E", facets, signals, bool(spans) or not item.gold)


def build_table(assistant: PolicyAssistant, groups: dict[str, list[GoldItem]]) -> Table:
    reader = assistant.current().reader
    saved, reader.sentence_model = reader.sentence_model, None  # the rows are made with the hand-set scores
    table = Table()
    try:
        for group, items in sorted(groups.items()):
            asked: dict[str, list[Turn]] = {}
            for item in items:
                history = asked.setdefault(item.dialogue, []) if item.dialogue else list(item.history)
                table.questions.append(question_rows(assistant, item, group, history))
                if item.dialogue:
                    answer = assistant.ask(item.question, history=list(history))
                    history.append(Turn(question=item.question, answer=answer.answer))
    finally:
        reader.sentence_model = saved
    return table


def cached_table(assistant: PolicyAssistant, groups: dict[str, list[GoldItem]], folder: Path) -> Table:
    """The table, rebuilt when the questions, the index version or the feature code change."""
    code = "".join((HERE.parent / "assistant" / p).read_text(encoding="utf-8") for p in (
        "reading/features.py", "reading/scoring.py", "reading/candidates.py", "reading/reader.py", "answer/abstain.py",
        "understanding/conversation.py", "understanding/question.py", "service.py"))
    questions = json.dumps({g: [(i.id, i.question, [s.span for s in i.gold]) for i in items]
                            for g, items in sorted(groups.items())}, ensure_ascii=False)
    key = hashlib.sha256((code + questions + assistant.index.version).encode()).hexdigest()[:16]
    path = folder / f"reader-table-{key}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    table = build_table(assistant, groups)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(table))
    return table


# -- fitting -------------------------------------------------------------------------------------

def fit_sentence(questions: list[QuestionRows], c: float = SENTENCE_C) -> LinearModel:
    rows = [f.rows for q in questions for f in q.facets if len(f.rows)]
    labels = [f.labels for q in questions for f in q.facets if len(f.rows)]
    return LinearModel.fit(np.vstack(rows), np.concatenate(labels), FEATURES, c=c)


def best_probabilities(model: LinearModel, question: QuestionRows) -> list[float]:
    return [float(model.predict_proba(f.rows).max()) if len(f.rows) else 0.0 for f in question.facets]


def out_of_fold_signals(questions: list[QuestionRows], folds: int = INNER_FOLDS) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Signal rows whose probabilities come from sentence models that never saw the question's document;
    with the answerable labels and, for answered facets, the best probability when it is a right sentence."""
    groups = sorted({q.group for q in questions})
    rows, labels, answered = [], [], []
    for held in folds_of(groups, min(folds, len(groups))):
        held_set = set(held)
        model = fit_sentence([q for q in questions if q.group not in held_set])
        for question in (q for q in questions if q.group in held_set and not q.signals.get("structural")):
            probabilities = best_probabilities(model, question)  # (a structural refusal needs no model)
            rows.append(signal_row(question.signals, probabilities)[0])
            labels.append(int(question.answerable))
            if question.answerable:
                answered += [p for p, f in zip(probabilities, question.facets) if f.labels.any()]
    return np.array(rows), np.array(labels), answered


def choose_threshold(probabilities: np.ndarray, answerable: np.ndarray, max_false: float) -> float:
    """The highest threshold whose false abstention (answerable below it) stays within ``max_false``."""
    scores = np.sort(probabilities[answerable == 1])
    if not len(scores):
        return 0.5
    allowed = int(np.floor(max_false * len(scores)))
    return float(scores[allowed]) - 1e-9 if allowed < len(scores) else 0.5


def fit_models(questions: list[QuestionRows], max_false: float = MAX_FALSE_ABSTENTION) -> tuple[LinearModel, LinearModel]:
    """The sentence model (all rows) and the answerable model (out-of-fold signals), thresholds included."""
    sentence = fit_sentence(questions)
    rows, labels, answered = out_of_fold_signals(questions)
    facet_threshold = float(np.quantile(answered, FACET_FALSE_GAP)) if answered else 0.0
    answerable = LinearModel.fit(rows, labels, SIGNALS, c=ANSWERABLE_C, balanced=True)
    threshold = choose_threshold(answerable.predict_proba(rows), labels, max_false)
    return sentence.with_threshold(facet_threshold), answerable.with_threshold(threshold)


# -- yes or no --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class YesNo:
    group: str
    question: str
    sentence: str  # the gold spans, as the answer would quote them
    yes: bool


def yes_no_examples() -> list[YesNo]:
    """Every labelled question (and dialogue turn) with a ``yes_no`` field, with its gold sentences."""
    examples = []
    for path in SETS["labelled"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            for turn in record.get("turns", [record]):
                answer = turn.get("yes_no") or record.get("yes_no") if turn is record else turn.get("yes_no")
                if answer in ("yes", "no") and turn.get("gold"):
                    examples.append(YesNo(path.stem, turn["question"], "".join(g["span"] for g in turn["gold"]),
                                          answer == "yes"))
    return examples


def fit_polarity(examples: list[YesNo]) -> LinearModel:
    rows = np.array([polarity_row(e.question, e.sentence) for e in examples])
    return LinearModel.fit(rows, np.array([int(e.yes) for e in examples]), POLARITY_FEATURES, c=POLARITY_C)


def stated(lead: str, yes: bool) -> tuple[bool, bool]:
    """(whether the lead says yes or no, whether it says the right one)."""
    says_yes = lead.startswith(("可以", "符合条件的可以", "需要", "有：", "是：", "已施行", "可以不予"))
    says_no = lead.startswith(("不能", "不需要", "一般不能", "没有", "不是", "已废止"))
    return says_yes or says_no, (says_yes and yes) or (says_no and not yes)


def polarity_report(examples: list[YesNo], folds: int) -> dict:
    """Document-grouped folds: how often the yes/no is stated and stated right, learned against the rule."""
    from assistant.answer.polarity import yes_no_lead

    groups = sorted({e.group for e in examples})
    counts = {"rule": [0, 0], "learned": [0, 0]}
    for held in folds_of(groups, folds):
        model = fit_polarity([e for e in examples if e.group not in held])
        for e in (e for e in examples if e.group in held):
            for name, lead in (("rule", rule_lead(e.question, e.sentence)), ("learned", yes_no_lead(e.question, e.sentence, model))):
                said, right = stated(lead, e.yes)
                counts[name][0] += said
                counts[name][1] += right
    report = {name: {"stated": said / len(examples), "right": right / len(examples),
                     "precision": right / said if said else None} for name, (said, right) in counts.items()}
    for name, figures in report.items():
        print(f"yes/no on gold sentences ({len(examples)} over {len(groups)} documents, folds by document) {name}: "
              f"stated {figures['stated']:.3f}, stated right {figures['right']:.3f}, precision "
              f"{figures['precision'] or 0:.3f} (sure at {SURE})", flush=True)
    return report


def install(assistant: PolicyAssistant, table: Table, groups: set[str]) -> Callable[[str, list[Turn]], Answer]:
    """Fit the models on the questions of ``groups`` only and answer with them (a fold's system)."""
    sentence, answerable = fit_models(table.of(groups))
    state = assistant.current()
    state.reader.sentence_model = sentence
    state.composer.polarity = fit_polarity([e for e in yes_no_examples() if e.group in groups])
    assistant._loaded = replace(state, answerable=answerable)
    return lambda question, history: assistant.ask(question, history=history)


# -- the cross-validation report ----------------------------------------------------------------

def top1(model_or_rank, questions: list[QuestionRows]) -> float:
    """Share of answerable, located facets with a positive candidate whose top candidate is positive."""
    right = total = 0
    for question in questions:
        for facet in question.facets:
            if not question.answerable or not facet.labels.any():
                continue
            scores = model_or_rank(facet.rows)
            right += int(facet.labels[int(np.argmax(scores))])
            total += 1
    return right / total if total else 0.0


def rule_scores(rows: np.ndarray) -> np.ndarray:
    return rows[:, FEATURES.index("rule_score")]


def cv_report(table: Table, folds: int) -> dict:
    groups = sorted({q.group for q in table.questions})
    report = {"folds": [], "documents": len(groups), "questions": len(table.questions)}
    pooled = {"hand-set": [], "logistic": [], "gbm": []}
    for number, held in enumerate(folds_of(groups, folds), start=1):
        train, test = table.of(set(groups) - set(held)), table.of(set(held))
        logistic = fit_sentence(train)
        gbm = fit_gbm(train)
        row = {"fold": number, "documents": held,
               "hand-set": top1(rule_scores, test), "logistic": top1(logistic.predict_proba, test),
               "gbm": top1(lambda r: gbm.predict_proba(r)[:, 1], test)}
        for name in pooled:
            pooled[name].append((row[name], sum(1 for q in test for f in q.facets if q.answerable and f.labels.any())))
        report["folds"].append(row)
        print(f"fold {number}: facet top-1 hand-set {row['hand-set']:.3f}  logistic {row['logistic']:.3f}  "
              f"gbm {row['gbm']:.3f}", flush=True)
    report["pooled"] = {name: sum(v * n for v, n in values) / max(sum(n for _, n in values), 1)
                        for name, values in pooled.items()}
    print("pooled facet top-1: " + "  ".join(f"{k} {v:.3f}" for k, v in report["pooled"].items()))
    return report


def fit_gbm(questions: list[QuestionRows]):
    from sklearn.ensemble import HistGradientBoostingClassifier

    rows = np.vstack([f.rows for q in questions for f in q.facets if len(f.rows)])
    labels = np.concatenate([f.labels for q in questions for f in q.facets if len(f.rows)])
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.08, max_leaf_nodes=15, random_state=0).fit(rows, labels)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cv-only", action="store_true")
    parser.add_argument("--check", action="store_true", help="retrain and compare with the committed model")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args()
    settings = Settings()
    assistant = open_assistant(settings)
    groups = training_groups()
    table = cached_table(assistant, groups, settings.data_dir / "reader-cache")
    print(f"{len(table.questions)} questions over {len({q.group for q in table.questions})} documents, "
          f"{sum(len(f.rows) for q in table.questions for f in q.facets)} candidate rows", flush=True)
    examples = yes_no_examples()
    if not args.check:
        cv_report(table, args.folds)
        polarity_report(examples, args.folds)
    if args.cv_only:
        return
    # the committed model learns from every labelled question, the development sets' too (other
    # questions over the bundled policies are what users ask); the held-out figures are the folds'
    training = list(table.questions)
    sentence, answerable = fit_models(training)
    polarity = fit_polarity(examples)
    about = {"trained_by": "bench/train_reader.py", "questions": len(training),
             "documents": len({q.group for q in training}), "candidate_rows": sum(len(f.rows) for q in training
                                                                                 for f in q.facets)}
    if args.check:
        fresh = {"sentence": sentence.to_dict(), "answerable": answerable.to_dict(), "polarity": polarity.to_dict()}
        stored = json.loads(args.out.read_text(encoding="utf-8"))["models"]
        same = fresh == stored
        print("the committed model is reproduced bit for bit" if same else "the retrained model DIFFERS from the committed one")
        sys.exit(0 if same else 1)
    about["yes_no_questions"] = len(examples)
    save_models(args.out, {"sentence": sentence, "answerable": answerable, "polarity": polarity}, about)
    print(f"wrote {args.out} (facet threshold {sentence.threshold:.4f}, answerable threshold {answerable.threshold:.4f})")


if __name__ == "__main__":
    import train_reader  # the table's classes pickle under this module's name, not __main__

    train_reader.main()
