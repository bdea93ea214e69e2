"""Passages embedded as a Ray Data job (the optional `ray` extra) are the local encoder's vectors, in
order, and an index ingested through the ray backend answers as the local one does.

The Ray tests are skipped when ray is not installed (``pip install -e '.[ray]'``); Ray is started
once for the module (two CPUs, two actors) and shut down after it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import cli
from assistant.embedding.ray_batch import RayEncoder, RayJobConfig
from assistant.service import PolicyAssistant
from assistant.settings import Settings
from assistant.store.index import load_index
from tests.conftest import dev_items

ACTORS = 2
ROWS_PER_BATCH = 16  # the bundled corpus (~240 passages) in ~15 batches over both actors


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=ACTORS, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def ray_index_dir(ray_session, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus ingested by the command line with --ray (Ray joined, not started, by the job)."""
    index_dir = tmp_path_factory.mktemp("ray-index")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POLICY_ASSISTANT_RAY_ACTORS", str(ACTORS))
        env.setenv("POLICY_ASSISTANT_RAY_BATCH", str(ROWS_PER_BATCH))
        assert cli.main(["ingest", "--ray", "--quiet", "--index", str(index_dir)]) == 0
    assert ray_session.is_initialized()  # the module's session was used and left up
    return index_dir


def test_ray_vectors_are_the_local_encoders_in_input_order(assistant, ray_index_dir: Path) -> None:
    ray_index = load_index(ray_index_dir, assistant.settings.model)
    local_index = assistant.index
    assert [(c.doc_id, c.section) for c in ray_index.chunks] == [(c.doc_id, c.section) for c in local_index.chunks]
    ray_vectors, local_vectors = ray_index.dense.vectors, local_index.dense.vectors
    assert ray_vectors.dtype == np.float32 and ray_vectors.shape == local_vectors.shape
    assert len(ray_vectors) > 200
    assert np.allclose(ray_vectors, local_vectors, rtol=0, atol=1e-5)


def test_ray_index_answers_a_dev_question_as_the_local_one(assistant, encoder, ray_index_dir: Path) -> None:
    ray_assistant = PolicyAssistant(assistant.settings.model_copy(update={"index_dir": ray_index_dir}),
                                    load_index(ray_index_dir, encoder.model_id), encoder, auto_reload=False)
    question = dev_items()[0]["question"]
    ray_answer, local_answer = ray_assistant.ask(question), assistant.ask(question)
    assert not local_answer.abstained
    assert ray_answer.answer == local_answer.answer
    assert [(c.doc_id, c.section, c.quote) for c in ray_answer.citations] == \
        [(c.doc_id, c.section, c.quote) for c in local_answer.citations]
    for item in dev_items():  # the same top five for every dev question
        ray_top = [(hit.chunk.doc_id, hit.chunk.section) for hit in ray_assistant.retriever.run(item["question"], 5)]
        local_top = [(hit.chunk.doc_id, hit.chunk.section) for hit in assistant.retriever.run(item["question"], 5)]
        assert ray_top == local_top, item["question"]


def test_ray_encoder_embeds_queries_locally(ray_session, encoder) -> None:
    ray_encoder = RayEncoder(encoder, RayJobConfig(model=encoder.model_id, cache_dir=Settings().cache_dir,
                                                   encode_batch=encoder.batch_size))
    assert (ray_encoder.model_id, ray_encoder.dimension) == (encoder.model_id, encoder.dimension)
    assert np.array_equal(ray_encoder.encode_queries(["专利质押"]), encoder.encode_queries(["专利质押"]))
    assert ray_encoder.encode_passages([]).shape == (0, encoder.dimension)  # no job for nothing
    with pytest.raises(ValueError, match="not the local encoder"):
        RayEncoder(encoder, RayJobConfig(model="another-model", cache_dir=Settings().cache_dir, encode_batch=16))


def test_ray_backend_without_ray_says_how_to_install(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    assert cli.main(["ingest", "--ray", "--index", str(tmp_path / "index")]) == 1
    err = capsys.readouterr().err
    assert "未安装 Ray" in err and "pip install -e '.[ray]'" in err
    assert not (tmp_path / "index").exists()  # refused before anything was built
