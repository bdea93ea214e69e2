"""The Milvus store (milvus-lite, a local file) answers the retrieval checks as the embedded store does.

Skipped when the optional extra is not installed (``pip install -e '.[milvus]'``)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from assistant.ingest.pipeline import bundled_corpus_dir  # noqa: E402
from assistant.retrieval.milvus import MilvusRetriever  # noqa: E402
from assistant.retrieval.retriever import HybridRetriever  # noqa: E402
from assistant.store.index import load_index  # noqa: E402
from assistant.store.updater import IndexUpdater  # noqa: E402
from assistant.retrieval.choice import make_retriever  # noqa: E402
from assistant.retrieval.retriever import Filters  # noqa: E402
from assistant.store.milvus import MilvusStore, expression, milvus_uri  # noqa: E402
from tests.conftest import dev_items  # noqa: E402

WUHAN = "wuhan-ip-strong-city-work-plan-2022-2025"
QUESTIONS = [d["question"] for d in dev_items()] + ["知识产权质押融资", "专利导航", "地理标志产品保护", "商标品牌建设"]


def top(retriever, question: str, filters: Filters | None = None) -> list[tuple[str, str]]:
    return [(hit.chunk.doc_id, hit.chunk.section) for hit in retriever.run(question, top_k=5, filters=filters)]


@pytest.fixture(scope="module")
def milvus(assistant, tmp_path_factory: pytest.TempPathFactory) -> MilvusRetriever:
    settings = assistant.settings.model_copy(
        update={"store": str(tmp_path_factory.mktemp("milvus") / "policy.db")})
    retriever = make_retriever(settings, assistant.index, assistant.encoder)
    assert isinstance(retriever, MilvusRetriever)
    yield retriever
    retriever.store.close()


def test_same_top_results_as_the_embedded_store(assistant, milvus: MilvusRetriever) -> None:
    embedded = assistant.retriever
    for question in QUESTIONS:
        assert top(milvus, question) == top(embedded, question), question


def test_filters_by_jurisdiction_document_and_status(assistant, milvus: MilvusRetriever) -> None:
    embedded = assistant.retriever
    for filters in (Filters(jurisdictions=frozenset({"国家"})), Filters(doc_ids=frozenset({WUHAN})),
                    Filters(statuses=frozenset({"repealed"}))):
        got = top(milvus, "知识产权质押融资有什么支持", filters)
        assert got == top(embedded, "知识产权质押融资有什么支持", filters)
    assert {d for d, _ in top(milvus, "知识产权质押融资", Filters(jurisdictions=frozenset({"国家"})))} == \
        {"national-ip-protection-use-plan-14th-fyp"}
    assert top(milvus, "知识产权质押融资", Filters(statuses=frozenset({"repealed"}))) == []  # none is stated repealed


def test_documents_are_removed_and_added_one_by_one(assistant, milvus: MilvusRetriever) -> None:
    index = assistant.index
    store: MilvusStore = milvus.store
    without = replace(index, documents={k: v for k, v in index.documents.items() if k != WUHAN})
    assert store.sync(without) == ([], [WUHAN])
    assert WUHAN not in store.held()
    assert store.search_dense(assistant.encoder.encode_queries(["武汉"])[0], 5, expression(frozenset({WUHAN}))) == []
    assert store.sync(index) == ([WUHAN], [])  # only the missing document is written again
    assert store.sync(index) == ([], [])
    assert top(milvus, "武汉知识产权质押融资") == top(assistant.retriever, "武汉知识产权质押融资")


def test_an_index_of_segments_syncs_only_the_added_document(assistant, milvus: MilvusRetriever, tmp_path) -> None:
    """After ``add`` wrote a segment, Milvus gets that document alone and ranks like the embedded store."""
    settings = assistant.settings.model_copy(update={"index_dir": tmp_path / "index"})
    shutil.copytree(assistant.settings.index_dir, settings.index_dir)
    IndexUpdater(settings, assistant.encoder).remove([WUHAN])
    report = IndexUpdater(settings, assistant.encoder).add([bundled_corpus_dir() / f"{WUHAN}.txt"])
    index = load_index(settings.index_dir, settings.model)
    assert report.merge == "segment" and len(index.segments) == 2 and index.dead_chunks
    store: MilvusStore = milvus.store
    assert store.sync(index) == ([], [])  # the same content hashes: nothing to write
    store.client.delete(store.collection, filter=expression(doc_ids=frozenset({WUHAN})))
    assert store.sync(index) == ([WUHAN], [])
    segmented = HybridRetriever(index, assistant.encoder)
    for question in ("武汉知识产权质押融资", "知识产权质押融资", "专利导航"):
        assert top(MilvusRetriever(index, assistant.encoder, store), question) == top(segmented, question), question
        assert top(segmented, question) == top(assistant.retriever, question), question


def test_store_setting() -> None:
    assert milvus_uri("milvus://milvus.internal:19530") == "http://milvus.internal:19530"
    assert milvus_uri("/srv/policy/milvus.db") == "/srv/policy/milvus.db"
    assert expression(frozenset({"a"}), frozenset({"武汉"})) == 'doc_id in ["a"] and jurisdiction in ["武汉"]'
