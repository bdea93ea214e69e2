"""``PolicyIndex.mentions(word)`` answers exactly as ``word in " ".join(texts)`` over the served documents,
reading only the documents that may hold the word (real documents, vectors drawn from the text, no model)."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from assistant.ingest.pipeline import DocumentIngester, bundled_corpus_dir
from assistant.models import ParsedDocument
from assistant.store.builder import assemble_index
from assistant.store.index import PolicyIndex, load_index, save_index, save_update
from assistant.store.mentions import FEW, CorpusWords
from assistant.store.tables import DocumentTable
from tests.conftest import DEV_FILE, EXTRA_DIR
from tests.store.test_segments import DIMENSION, MODEL, vectors_of

BENCH = Path(__file__).resolve().parents[2] / "bench"
QUESTION_FILES = [DEV_FILE, BENCH / "dev_unseen.jsonl", BENCH / "dev_holdout.jsonl"]
ABSENT = ["官费", "税率", "深圳市专利条例", "江苏省专利促进条例", "产权知识", "老板", "商标海外注册费", "Wuhan", "5G",
          "权 专", "。。", "龘", "知识产权\n\n知识产权"]


@pytest.fixture(scope="module")
def documents() -> list[ParsedDocument]:
    paths = sorted(bundled_corpus_dir().glob("*.txt")) + sorted(EXTRA_DIR.glob("*.txt"))
    return sorted(DocumentIngester().run(paths).documents, key=lambda d: d.doc_id)


def build(documents: list[ParsedDocument], tokenizer: str = "bigram", joining: PolicyIndex | None = None
          ) -> PolicyIndex:
    return assemble_index(documents, vectors_of(documents), tokenizer, MODEL, DIMENSION,
                          average_length=joining.bm25.average_length if joining else None)


def joined(index: PolicyIndex) -> str:
    """The old definition: every served document's text joined."""
    return " ".join(d.text for d in index.documents.values())


def question_words() -> list[str]:
    """Every stretch of up to six characters of every dev, unseen and holdout question."""
    words = set()
    for path in QUESTION_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                for question in [t["question"] for t in item.get("turns", [])] + [item.get("question", "")]:
                    words |= {question[i:i + n] for n in range(1, 7) for i in range(len(question) - n + 1)}
    return sorted(words)


def corpus_words(index: PolicyIndex, count: int, seed: int) -> list[str]:
    """Random stretches of the documents (titles, headings, joints between clauses, across two documents),
    each clause's last and next document's first characters, and the titles."""
    text = joined(index)
    rng = random.Random(seed)
    words = [text[i:i + rng.randint(1, 12)] for i in (rng.randrange(len(text)) for _ in range(count))]
    for doc_id, document in index.documents.items():
        words.append(document.metadata.title or "")
        words.append(document.text[:6])
        for chunk in index.chunks_of(doc_id):
            words.append(document.text[max(0, chunk.end - 3):chunk.end + 3])  # across a clause's end
    return words


def assert_same_answers(index: PolicyIndex, words: list[str]) -> None:
    text = joined(index)
    wrong = [(w, w in text) for w in words if index.mentions(w) != (w in text)]
    assert not wrong, wrong[:10]


@pytest.fixture(scope="module")
def stored(documents: list[ParsedDocument], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mentions") / "index"
    save_index(build(documents), folder)
    return folder


def test_every_question_word_and_any_stretch_of_the_corpus_gets_the_old_answer(stored: Path) -> None:
    index = load_index(stored, MODEL)
    words = question_words() + corpus_words(index, 4000, 1) + ABSENT
    text = joined(index)
    assert sum(w in text for w in words) > 1000 and sum(w not in text for w in words) > 1000  # both kinds tested
    assert_same_answers(index, words)


def test_text_outside_every_clause_is_found(stored: Path, documents: list[ParsedDocument]) -> None:
    index = load_index(stored, MODEL)
    clauses = " ".join(c.text for c in index.chunks)
    loose = []  # stretches of a document no clause holds (headings, title lines, the joints between clauses)
    for document in documents:
        for i in range(0, len(document.text) - 4):
            word = document.text[i:i + 4]
            if word.strip() and word not in clauses:
                loose.append(word)
    loose = sorted(set(loose))
    assert len(loose) > 100
    assert all(index.mentions(word) for word in random.Random(6).sample(loose, 400))


def test_only_the_documents_that_may_hold_the_word_are_read(stored: Path, monkeypatch) -> None:
    index = load_index(stored, MODEL)
    read: list[str] = []
    real_texts = DocumentTable.texts

    def texts(table: DocumentTable, doc_ids=None):
        if doc_ids is None:
            raise AssertionError("every text was read")
        doc_ids = list(doc_ids)
        read.extend(doc_ids)
        return real_texts(table, doc_ids)

    monkeypatch.setattr(DocumentTable, "texts", texts)
    for word in ["官费", "税率", "深圳市专利条例"]:
        read.clear()
        assert not index.mentions(word)
        assert len(read) <= FEW, (word, read)
    read.clear()
    assert index.mentions("知识产权质押融资")
    assert 0 < len(read) <= len(index.documents)


def test_an_index_of_segments_answers_for_its_live_documents(tmp_path: Path, documents: list[ParsedDocument]) -> None:
    save_index(build(documents[:6]), tmp_path)
    base = load_index(tmp_path, MODEL)
    removed, replaced = documents[0], documents[1]
    changed = ParsedDocument(replaced.doc_id, replaced.source, "changed", replaced.text[:400], replaced.metadata,
                             replaced.sections, [c for c in replaced.chunks if c.end <= 400])
    save_update(tmp_path, base, build([changed, *documents[6:]], joining=base), gone={removed.doc_id})
    index = load_index(tmp_path, MODEL)
    assert len(index.segments) == 2 and index.dead_chunks
    only_removed = [w for w in corpus_words(base, 3000, 2) if w in removed.text and w not in joined(index)]
    assert len(only_removed) > 50  # words only the removed document or the replaced version held
    assert not any(index.mentions(w) for w in only_removed)
    assert_same_answers(index, question_words()[::3] + corpus_words(index, 3000, 3) + ABSENT)


def test_an_index_written_before_the_loose_table_reads_its_chunks_once(stored: Path, tmp_path: Path) -> None:
    old = tmp_path / "index"
    shutil.copytree(stored, old)
    for database in old.rglob("store.sqlite"):
        with sqlite3.connect(database) as connection:
            connection.execute("DROP TABLE loose_bigrams")
    index = load_index(old, MODEL)
    assert index.documents.loose_holders("知识") is None
    assert_same_answers(index, question_words()[::2] + corpus_words(index, 3000, 4) + ABSENT)


def test_jieba_and_built_indexes_are_scanned_with_the_same_answers(documents: list[ParsedDocument], tmp_path: Path,
                                                                   monkeypatch) -> None:
    built = build(documents[:5])
    words = question_words()[::4] + corpus_words(built, 1500, 5) + ABSENT
    assert_same_answers(built, words)  # in memory: scanned
    save_index(build(documents[:5], tokenizer="jieba"), tmp_path)
    jieba = load_index(tmp_path, MODEL)
    scanned: list[int] = []
    real_texts = CorpusWords.texts
    monkeypatch.setattr(CorpusWords, "texts", lambda words: (scanned.append(1), real_texts(words))[1])
    assert_same_answers(jieba, words)
    assert len(scanned) == len(words)
