"""The tag index written with each index version (needs, traits, regions -> chunk positions), and the
matcher reading only the clauses it points to."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from assistant.matching.matcher import EnterpriseProfile, ProfileMatcher
from assistant.models import Chunk
from assistant.store.index import PolicyIndex, load_index
from assistant.store.tables import ChunkTable, Database


def own_tags(chunks: Sequence[Chunk]) -> dict[tuple[str, str], list[int]]:
    """(kind, tag) -> positions, read from each chunk's own fields."""
    found: dict[tuple[str, str], list[int]] = {}
    for position, chunk in enumerate(chunks):
        tags = {("need", n) for n in chunk.needs} | {("trait", t) for t in chunk.traits}
        tags |= {("region", code) for span in chunk.regions for code in span.codes}
        for tag in tags:
            found.setdefault(tag, []).append(position)
    return found


def assert_agrees(index: PolicyIndex, expected: dict[tuple[str, str], list[int]]) -> None:
    for (kind, tag), positions in expected.items():
        assert index.tagged_positions(kind, [tag]).tolist() == positions, (kind, tag)
    for kind in ("need", "trait", "region"):
        tags = sorted(t for k, t in expected if k == kind)
        union = sorted({p for t in tags for p in expected[(kind, t)]})
        assert index.tagged_positions(kind, iter(tags)).tolist() == union, kind
        assert index.tagged_positions(kind, ["没有这个标签"]).tolist() == []
        assert index.tagged_positions(kind, []).tolist() == []
    assert_agrees_within(index, expected)


def restrictions(index: PolicyIndex) -> list[np.ndarray]:
    """Position sets a lookup may be restricted to: documents' positions (runs), scattered positions
    (unsorted, repeated), single positions at the ends, nothing."""
    rng = np.random.default_rng(11)
    doc_ids = list(index.documents)
    size = len(index.chunks)
    return [index.layout.positions(doc_ids[::2]), index.layout.positions(doc_ids[1:2]),
            rng.choice(size, size // 3), np.array([0, size - 1]), np.array([], dtype=np.int64),
            np.arange(size)]


def assert_agrees_within(index: PolicyIndex, expected: dict[tuple[str, str], list[int]]) -> None:
    """Restricted to some positions, a lookup finds exactly the tagged ones among them."""
    for within in restrictions(index):
        allowed = set(within.tolist())
        for kind in ("need", "trait", "region"):
            tags = sorted(t for k, t in expected if k == kind)
            for chosen in (tags[:1], tags[1:4], tags):
                wanted = sorted({p for t in chosen for p in expected[(kind, t)]} & allowed)
                assert index.tagged_positions(kind, chosen, within).tolist() == wanted, (kind, chosen, len(within))


@pytest.fixture(scope="module")
def expected(assistant) -> dict[tuple[str, str], list[int]]:
    found = own_tags(list(assistant.index.chunks))
    kinds = {kind for kind, _ in found}
    assert kinds == {"need", "trait", "region"}, kinds  # the bundled corpus has every kind of tag
    return found


def test_the_stored_tag_table_agrees_with_the_chunks_own_tags(assistant, expected) -> None:
    index = load_index(assistant.settings.index_dir, assistant.settings.model)
    assert index.chunks.tagged("need", ["保险"]) is not None  # answered by the chunk_tags table
    assert_agrees(index, expected)
    with pytest.raises(ValueError, match="unknown tag kind"):
        index.tagged_positions("colour", ["红"])


def test_a_built_index_reads_its_chunks_tags(assistant, expected) -> None:
    index = assistant.index
    built = PolicyIndex(index.manifest, dict(index.documents), list(index.chunks), index.dense, index.bm25)
    assert_agrees(built, expected)


def test_an_index_stored_before_the_tag_table_falls_back_to_the_chunks(assistant, expected, tmp_path) -> None:
    old = tmp_path / "index"
    shutil.copytree(assistant.settings.index_dir, old)
    for database in old.rglob("store.sqlite"):
        with sqlite3.connect(database) as connection:
            connection.execute("DROP TABLE chunk_tags")
    index = load_index(old, assistant.settings.model)
    assert index.chunks.tagged("need", ["保险"]) is None
    assert_agrees(index, expected)


def test_the_matcher_reads_only_the_clauses_the_tags_point_to(assistant, expected, monkeypatch) -> None:
    index = load_index(assistant.settings.index_dir, assistant.settings.model)
    read: set[int] = set()
    real_getitem = ChunkTable.__getitem__

    def getitem(table: ChunkTable, position):
        read.add(position)
        return real_getitem(table, position)

    def walk(table: ChunkTable) -> Iterator[Chunk]:
        raise AssertionError("the matcher walked every chunk")

    monkeypatch.setattr(ChunkTable, "__getitem__", getitem)
    monkeypatch.setattr(ChunkTable, "__iter__", walk)
    matcher = ProfileMatcher(index, assistant.encoder, assistant.settings.today)
    result = matcher.run(EnterpriseProfile(location="南宁", needs=["保险"]))
    assert result.measures and all("保险" in m.needs for m in result.measures)
    covering = set(index.layout.positions(result.covering).tolist())
    successors = {m.validity.successor for m in result.measures if m.validity.successor}
    allowed = (covering & set(expected[("need", "保险")])) | set(index.layout.positions(successors).tolist())
    assert read and read <= allowed, sorted(read - allowed)
    assert len(read) < len(covering) / 2


def test_a_restricted_lookup_reads_only_the_rows_of_its_positions(assistant, expected, monkeypatch) -> None:
    index = load_index(assistant.settings.index_dir, assistant.settings.model)
    doc_id = max(index.documents, key=lambda d: len(index.layout.positions([d])))
    within = index.layout.positions([doc_id])
    tag = max((t for k, t in expected if k == "need"), key=lambda t: len(expected[("need", t)]))
    inside = sorted(set(expected[("need", tag)]) & set(within.tolist()))
    assert inside and len(inside) < len(expected[("need", tag)])  # the tag is also elsewhere
    returned: list[int] = []
    real_rows = Database.rows

    def rows(database: Database, sql: str, args: tuple = ()) -> list[tuple]:
        found = real_rows(database, sql, args)
        if "chunk_tags" in sql and "sqlite_master" not in sql:
            returned.append(len(found))
        return found

    monkeypatch.setattr(Database, "rows", rows)
    assert index.tagged_positions("need", [tag], within).tolist() == inside
    assert sum(returned) == len(inside)  # the rows of the document's positions, no others


FREE_TEXTS = ["商业秘密保护", "专利侵权诉讼费用", "技术合同登记", "展会知识产权保护", "高价值专利培育", "老字号品牌",
              "PCT国际申请资助", "数据知识产权登记", "质押融资风险补偿", "知识产权 人才 培训"]


def test_free_text_candidates_are_bounded_from_the_postings_without_losing_any(assistant, monkeypatch) -> None:
    """A clause the bound leaves out cannot cover half of the free text's words (the score's own test), and
    leaving those out changes no match."""
    from assistant.matching.matcher import FREE_TEXT_COVERAGE, _covered, _words

    index = load_index(assistant.settings.index_dir, assistant.settings.model)
    matcher = ProfileMatcher(index, assistant.encoder, assistant.settings.today)
    positions = np.arange(len(index.chunks))
    covering = left_out = 0
    for text in FREE_TEXTS:
        may = matcher._may_cover(positions, [text])
        covers = np.array([_covered(_words(text), f"{c.heading} {c.text}") >= FREE_TEXT_COVERAGE for c in index.chunks])
        assert not (covers & ~may).any(), text  # never leaves out a clause that covers the text
        covering += int(covers.sum())
        left_out += int((~may).sum())
    assert covering > 20 and left_out > len(positions) * len(FREE_TEXTS) / 2  # most others are left out
    profiles = [EnterpriseProfile(location=place, needs=[text]) for text in FREE_TEXTS for place in ("武汉", None)]
    bounded = [[(m.chunk.chunk_id, m.score, m.needs) for m in matcher.run(p).measures] for p in profiles]
    monkeypatch.setattr(ProfileMatcher, "_may_cover", lambda self, positions, queries: np.ones(len(positions), bool))
    every = ProfileMatcher(index, assistant.encoder, assistant.settings.today)
    assert bounded == [[(m.chunk.chunk_id, m.score, m.needs) for m in every.run(p).measures] for p in profiles]
