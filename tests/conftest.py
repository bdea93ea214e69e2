"""Shared fixtures: the real embedding model and one index of the bundled corpus per session."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path

import pytest

from assistant.embedding.encoder import Encoder
from assistant.ingest.pipeline import bundled_corpus_dir
from assistant.service import load_encoder
from assistant.settings import Settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEV_FILE = SHARED / "eval" / "dev.jsonl"
EXTRA_DIR = SHARED / "corpus" / "extra"
BUNDLED_FILES = sorted(bundled_corpus_dir().glob("*.txt"))


def dev_items() -> list[dict]:
    return [json.loads(line) for line in DEV_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a fresh index directory; the model cache is the user's (converted once)."""
    return Settings(index_dir=tmp_path_factory.mktemp("index"))


LEFT_BEHIND_BYTES = 300 * 1024 * 1024


def _resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(autouse=True)
def _free_dropped_models():
    """A test that left 300 MB more resident (a model loaded in-process, as `main(["ask", ...])`
    does) is followed by a garbage collection: sentence-transformers keeps every model in a
    reference cycle with its model card data, so a dropped model is freed only by the cyclic
    collector, which may not run for many tests (the suite's peak: 9.0 GB without this)."""
    if not os.path.exists("/proc/self/statm"):
        yield
        return
    before = _resident_bytes()
    yield
    if _resident_bytes() - before > LEFT_BEHIND_BYTES:
        gc.collect()


@pytest.fixture(scope="session")
def encoder(session_settings: Settings) -> Encoder:
    return load_encoder(session_settings)


@pytest.fixture(scope="session")
def assistant(session_settings: Settings, encoder: Encoder):
    """A PolicyAssistant over an index of the bundled corpus, built once for the session."""
    from assistant.service import PolicyAssistant, build_index

    build_index(session_settings, encoder=encoder)
    return PolicyAssistant.open(session_settings, encoder=encoder)


@pytest.fixture(scope="session")
def unseen_assistant(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder):
    """A PolicyAssistant over the bundled corpus plus ../shared/corpus/extra (bench/dev_unseen.jsonl)."""
    from assistant.service import PolicyAssistant, build_index

    if not EXTRA_DIR.is_dir():
        pytest.skip(f"{EXTRA_DIR} is not present")
    settings = Settings(index_dir=tmp_path_factory.mktemp("index-unseen"))
    build_index(settings, [bundled_corpus_dir(), EXTRA_DIR], encoder=encoder)
    return PolicyAssistant.open(settings, encoder=encoder)
