"""Check the labelled reader questions: every gold span is verbatim in its document, every answer key
is verbatim in one of its question's gold spans, ids are unique, fields are well formed.

    python3 bench/reader_data/check.py [FILE.jsonl ...]     (default: every file in bench/reader_data/questions/)

Plain Python, no project imports: a question writer runs it without running the assistant.
Exit status 1 and one line per problem when anything is wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[2] / "shared" / "corpus"
CATEGORIES = {"A", "B", "C", "D", "E", "F"}
TAGS = {"yes_no", "cn_numeral", "numeric_condition", "multi_part", "near_miss", "english", "colloquial", "typo",
        "abbreviation", "who", "date", "amount", "penalty", "condition", "locate", "support", "list"}
VERDICTS = {"符合", "不符合", "需核实"}


FOLDERS = (CORPUS / "more", CORPUS / "extra", CORPUS / "policies", HERE / "documents2", HERE / "documents3",
           HERE / "documents4")


def document_text(name: str) -> str | None:
    for folder in FOLDERS:
        path = folder / name
        if path.exists():
            return path.read_text(encoding="utf-8-sig")
    return None


def check_turn(where: str, turn: dict, problems: list[str], category: str) -> None:
    question = turn.get("question")
    if not isinstance(question, str) or not question.strip():
        problems.append(f"{where}: empty question")
    gold, keys = turn.get("gold", []), turn.get("answer_keys", [])
    if not isinstance(gold, list) or not isinstance(keys, list):
        problems.append(f"{where}: gold and answer_keys must be lists")
        return
    if category == "E":
        if gold or keys:
            problems.append(f"{where}: an E question has empty gold and answer_keys")
        return
    if not gold:
        problems.append(f"{where}: no gold span")
    if not keys:
        problems.append(f"{where}: no answer key")
    spans = []
    for item in gold:
        text = document_text(item.get("doc", ""))
        if text is None:
            problems.append(f"{where}: unknown document {item.get('doc')!r}")
            continue
        span = item.get("span", "")
        if not span or span not in text:
            problems.append(f"{where}: span not verbatim in {item['doc']}: {span!r}")
        if not item.get("section"):
            problems.append(f"{where}: gold without section")
        spans.append(span)
    for key in keys:
        if not isinstance(key, str) or not key:
            problems.append(f"{where}: empty answer key")
        elif not any(key in span for span in spans):
            problems.append(f"{where}: answer key {key!r} is in none of its gold spans")


def check_line(record: dict, problems: list[str], seen: set[str]) -> None:
    rid = record.get("id")
    where = str(rid)
    if not rid or rid in seen:
        problems.append(f"{where}: missing or repeated id")
    seen.add(rid)
    category = record.get("category")
    if category not in CATEGORIES:
        problems.append(f"{where}: category must be one of A-F")
        return
    unknown = set(record.get("tags", [])) - TAGS
    if unknown:
        problems.append(f"{where}: unknown tags {sorted(unknown)}")
    if "verdict" in record and record["verdict"] not in VERDICTS:
        problems.append(f"{where}: verdict must be one of {sorted(VERDICTS)}")
    if "yes_no" in record and record["yes_no"] not in ("yes", "no"):
        problems.append(f"{where}: yes_no must be 'yes' or 'no'")
    if category == "F":
        turns = record.get("turns", [])
        if len(turns) < 2:
            problems.append(f"{where}: a dialogue has two or more turns")
        for number, turn in enumerate(turns, 1):
            check_turn(f"{where} turn {number}", turn, problems, turn.get("category", "C"))
    else:
        check_turn(where, record, problems, category)


def main(paths: list[str]) -> int:
    files = [Path(p) for p in paths] or sorted((HERE / "questions").glob("*.jsonl"))
    problems: list[str] = []
    seen: set[str] = set()
    count = 0
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"{path.name}:{number}: not JSON ({error})")
                continue
            check_line(record, problems, seen)
            count += 1
    for problem in problems:
        print(problem)
    print(f"{count} records in {len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
