"""The bundled model computed in plain torch gives sentence-transformers' vectors (queries and
passages, short and truncated, batched with padding), and the Encoder uses it for that model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.embedding.bert import bert_shape
from assistant.embedding.encoder import Encoder, _PlainBert, resolve_model_path
from tests.conftest import BUNDLED_FILES, dev_items


@pytest.fixture(scope="module")
def reference(session_settings):
    from sentence_transformers import SentenceTransformer

    path = resolve_model_path(session_settings.model, session_settings.cache_dir)
    return SentenceTransformer(path, device="cpu", local_files_only=True)


def _texts() -> tuple[list[str], list[str]]:
    queries = [item["question"] for item in dev_items()] + ["Wuhan patent pledge loan", "？"]
    text = BUNDLED_FILES[0].read_text(encoding="utf-8")
    passages = [line for line in text.splitlines() if line.strip()][:40] + [text[:6000], "短"]  # one over 512 tokens
    return queries, passages


def test_plain_torch_vectors_equal_sentence_transformers(encoder: Encoder, reference) -> None:
    assert isinstance(encoder.backend, _PlainBert)
    queries, passages = _texts()
    for mine, prompt, texts in ((encoder.encode_queries(queries), "query", queries),
                                (encoder.encode_passages(passages), "passage", passages)):
        theirs = reference.encode(texts, prompt_name=prompt, batch_size=16, normalize_embeddings=True,
                                  convert_to_numpy=True)
        assert mine.shape == theirs.shape == (len(texts), encoder.dimension) and mine.dtype == np.float32
        assert np.abs(mine - theirs).max() < 1e-5
        assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)


def test_other_models_are_left_to_sentence_transformers(tmp_path: Path, session_settings) -> None:
    folder = Path(resolve_model_path(session_settings.model, session_settings.cache_dir))
    assert bert_shape(folder) is not None
    for name in ("modules.json", "config.json", "sentence_bert_config.json"):
        (tmp_path / name).write_text((folder / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "1_Pooling").mkdir()
    pooling = (folder / "1_Pooling" / "config.json").read_text(encoding="utf-8")
    (tmp_path / "1_Pooling" / "config.json").write_text(pooling, encoding="utf-8")
    assert bert_shape(tmp_path) is None  # no weights
    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    assert bert_shape(tmp_path) is not None
    (tmp_path / "1_Pooling" / "config.json").write_text(pooling.replace('"pooling_mode_cls_token": false',
                                                                        '"pooling_mode_cls_token": true'))
    assert bert_shape(tmp_path) is None  # CLS pooling: not computed here
