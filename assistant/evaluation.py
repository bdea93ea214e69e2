"""Scoring the assistant against a gold file (the format of shared/eval/dev.jsonl).

Retrieval hit@k: one of the first k citations overlaps a gold span of the same document
(character offsets into the document's cleaned text); hit@1 is "citation in gold@1"; MRR over
the first k; key accuracy (every answer key appears in the answer text); citation faithfulness
(quote == text[start:end]); abstention precision and recall on unanswerable questions (category
E) and false abstentions on the others; intent accuracy; median answer length.  An item may carry
``history`` (earlier turns, each {question, answer}).  A conversation
(``{"id", "category": "F", "turns": [{question, gold, answer_keys}, …]}``) becomes one item per turn,
in categories ``F1``, ``F2`` …; each later turn is asked with the assistant's own earlier answers as
history, so ``F2`` key accuracy is the turn-2 accuracy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from assistant.models import Answer, Turn
from assistant.store.index import PolicyIndex

# The intent each gold category asks for (category E has none: it must abstain).
CATEGORY_INTENT = {"A": "support", "B": "who_leads", "C": "figure", "D": "locate"}
UNANSWERABLE = "E"


class GoldFileError(ValueError):
    pass


@dataclass(frozen=True)
class GoldSpan:
    doc: str
    section: str
    span: str


@dataclass(frozen=True)
class GoldItem:
    id: str
    category: str
    question: str
    gold: list[GoldSpan]
    answer_keys: list[str]
    history: list[Turn] = field(default_factory=list)  # earlier turns given with the item
    dialogue: str | None = None  # the conversation a turn belongs to; earlier turns are asked first


def _item(row: dict, **extra: object) -> GoldItem:
    return GoldItem(
        id=str(extra.pop("id") if "id" in extra else row["id"]),
        category=str(extra.pop("category") if "category" in extra else row.get("category", "?")),
        question=str(row["question"]),
        gold=[GoldSpan(g["doc"], g.get("section", ""), g["span"]) for g in row.get("gold", [])],
        answer_keys=[str(k) for k in row.get("answer_keys", [])],
        history=[Turn(question=str(t["question"]), answer=str(t.get("answer", ""))) for t in row.get("history", [])],
        **extra,  # type: ignore[arg-type]
    )


def load_gold(path: Path) -> list[GoldItem]:
    """Read a gold file; a malformed line is an error naming the file and line."""
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise GoldFileError(f"cannot read gold file {path}: {err.strerror}") from err
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if "turns" in row:
                dialogue = str(row["id"])
                items.extend(_item(turn, id=f"{dialogue}.{n}", category=f"F{n}", dialogue=dialogue)
                             for n, turn in enumerate(row["turns"], start=1))
            else:
                items.append(_item(row))
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise GoldFileError(f"{path}:{number}: not a gold item ({err.__class__.__name__}: {err})") from err
    if not items:
        raise GoldFileError(f"{path}: no gold items")
    return items


def locate(index: PolicyIndex, span: GoldSpan) -> list[tuple[str, int, int]]:
    """Every place a gold span occurs in its document's cleaned text."""
    doc_id = Path(span.doc).stem
    document = index.documents.get(doc_id)
    if document is None or not span.span:
        return []
    found, start = [], document.text.find(span.span)
    while start >= 0:
        found.append((doc_id, start, start + len(span.span)))
        start = document.text.find(span.span, start + 1)
    return found


def first_hit_rank(answer: Answer, spans: list[tuple[str, int, int]], k: int) -> int | None:
    for rank, citation in enumerate(answer.citations[:k], start=1):
        for doc_id, start, end in spans:
            if citation.doc_id == doc_id and citation.start < end and start < citation.end:
                return rank
    return None


@dataclass
class ItemResult:
    item: GoldItem
    answer: Answer
    rank: int | None
    located: bool
    keys_ok: bool


@dataclass
class CategoryScore:
    n: int = 0
    answerable: int = 0
    hit1: float = 0.0
    hitk: float = 0.0
    mrr: float = 0.0
    key_accuracy: float = 0.0
    abstained: float = 0.0
    intent_accuracy: float = 0.0
    median_answer_chars: float = 0.0


@dataclass
class EvalReport:
    k: int
    overall: CategoryScore
    categories: dict[str, CategoryScore]
    unfaithful_citations: int
    unlocated_spans: list[str] = field(default_factory=list)
    items: list[ItemResult] = field(default_factory=list)

    def abstention(self) -> dict[str, float]:
        """Precision and recall of abstaining on unanswerable (E) items; false abstentions on the rest."""
        abstained = [r for r in self.items if r.answer.abstained]
        unanswerable = [r for r in self.items if r.item.category == UNANSWERABLE]
        answerable = [r for r in self.items if r.item.category != UNANSWERABLE]
        correct = sum(r.item.category == UNANSWERABLE for r in abstained)
        return {
            "precision": correct / len(abstained) if abstained else 1.0,
            "recall": correct / len(unanswerable) if unanswerable else 1.0,
            "false_abstention_rate": sum(r.answer.abstained for r in answerable) / len(answerable) if answerable else 0.0,
        }

    def summary(self) -> dict[str, float | None]:
        """The figures compared across question sets: keys and hits over the answerable
        categories A–D, abstention, turn-2 keys, length, faithfulness (None where a set has none)."""
        answerable = [r for r in self.items if r.item.category in CATEGORY_INTENT]
        located = [r for r in answerable if r.item.gold]
        turn_two = self.categories.get("F2")
        abstention = self.abstention()
        has_unanswerable = any(r.item.category == UNANSWERABLE for r in self.items)

        def share(values: list[bool]) -> float | None:
            return sum(values) / len(values) if values else None

        return {
            "keys A–D": share([r.keys_ok for r in located]),
            "hit@1 A–D": share([r.rank == 1 for r in located]),
            f"hit@{self.k} A–D": share([r.rank is not None for r in located]),
            "abstention recall (E)": abstention["recall"] if has_unanswerable else None,
            "abstention precision": abstention["precision"] if has_unanswerable else None,
            "false abstention": abstention["false_abstention_rate"],
            "turn-2 keys (F2)": turn_two.key_accuracy if turn_two else None,
            "median answer chars": self.overall.median_answer_chars,
            "unfaithful citations": float(self.unfaithful_citations),
        }

    def to_dict(self) -> dict:
        def as_dict(score: CategoryScore) -> dict:
            return {key: round(value, 4) if isinstance(value, float) else value for key, value in vars(score).items()}

        return {
            "k": self.k,
            "overall": as_dict(self.overall),
            "categories": {name: as_dict(score) for name, score in sorted(self.categories.items())},
            "unfaithful_citations": self.unfaithful_citations,
            "abstention": {key: round(value, 4) for key, value in self.abstention().items()},
            "unlocated_spans": self.unlocated_spans,
            "misses": [r.item.id for r in self.items if r.item.gold and r.rank is None],
        }


def _score(results: list[ItemResult], k: int) -> CategoryScore:
    score = CategoryScore(n=len(results))
    answerable = [r for r in results if r.item.gold]
    score.answerable = len(answerable)
    if answerable:
        score.hit1 = sum(r.rank == 1 for r in answerable) / len(answerable)
        score.hitk = sum(r.rank is not None and r.rank <= k for r in answerable) / len(answerable)
        score.mrr = sum(1 / r.rank for r in answerable if r.rank) / len(answerable)
        score.key_accuracy = sum(r.keys_ok for r in answerable) / len(answerable)
    with_intent = [r for r in results if r.item.category in CATEGORY_INTENT]
    if with_intent:
        score.intent_accuracy = sum(r.answer.intent == CATEGORY_INTENT[r.item.category] for r in with_intent) / len(
            with_intent)
    if results:
        score.abstained = sum(r.answer.abstained for r in results) / len(results)
        score.median_answer_chars = float(median(len(r.answer.answer) for r in results))
    return score


def evaluate(index: PolicyIndex, items: list[GoldItem], ask: Callable[[str, list[Turn]], Answer],
             k: int = 5) -> EvalReport:
    results: list[ItemResult] = []
    unlocated: list[str] = []
    unfaithful = 0
    asked: dict[str, list[Turn]] = {}  # conversation -> the turns asked so far, with the assistant's answers
    for item in items:
        history = asked.setdefault(item.dialogue, []) if item.dialogue else item.history
        answer = ask(item.question, list(history))
        if item.dialogue:
            history.append(Turn(question=item.question, answer=answer.answer))
        spans = []
        for span in item.gold:
            places = locate(index, span)
            if not places:
                unlocated.append(f"{item.id}: {span.doc} «{span.span[:30]}»")
            spans.extend(places)
        for citation in answer.citations:
            document = index.documents.get(citation.doc_id)
            if document is None or document.text[citation.start:citation.end] != citation.quote:
                unfaithful += 1
        keys_ok = all(key in answer.answer for key in item.answer_keys)
        results.append(ItemResult(item, answer, first_hit_rank(answer, spans, k), bool(spans), keys_ok))
    categories = sorted({r.item.category for r in results})
    return EvalReport(
        k=k,
        overall=_score(results, k),
        categories={c: _score([r for r in results if r.item.category == c], k) for c in categories},
        unfaithful_citations=unfaithful,
        unlocated_spans=unlocated,
        items=results,
    )


def gold_documents(items: list[GoldItem]) -> set[str]:
    """The documents (file stems, the index's doc ids) a gold file's spans are in."""
    return {Path(span.doc).stem for item in items for span in item.gold}


def side_by_side(reports: dict[str, EvalReport]) -> str:
    """One table, a column per question set, a row per summary figure."""
    names = list(reports)
    summaries = {name: report.summary() for name, report in reports.items()}
    rows = list(next(iter(summaries.values()))) if summaries else []
    width = max([len(r) for r in rows] + [10])
    lines = [f"{'':<{width}}" + "".join(f"{name:>16}" for name in names)]
    for row in rows:
        cells = []
        for name in names:
            value = summaries[name][row]
            cells.append("–" if value is None else f"{value:.0f}" if row.startswith(("median", "unfaithful"))
                         else f"{value:.3f}")
        lines.append(f"{row:<{width}}" + "".join(f"{cell:>16}" for cell in cells))
    return "\n".join(lines)
