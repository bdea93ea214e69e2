"""Question precision: ``auto`` follows the CPU, and the bfloat16 copy leaves the loaded model (and so
every passage vector) float32 while sharing its word-embedding table and tokenizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling

from assistant.embedding.encoder import Encoder
from assistant.embedding.precision import cpu_flags, reduced_precision_copy, resolve_query_precision

SERVER_FLAGS = frozenset({"avx2", "avx512f", "avx512_bf16"})
OLDER_FLAGS = frozenset({"avx2", "fma", "avx512f"})


@pytest.mark.parametrize(("asked", "flags", "resolved"), [
    ("auto", SERVER_FLAGS, "bfloat16"),
    ("auto", frozenset({"amx_bf16"}), "bfloat16"),
    ("auto", OLDER_FLAGS, "float32"),
    ("auto", frozenset(), "float32"),
    ("float32", SERVER_FLAGS, "float32"),
    ("bfloat16", OLDER_FLAGS, "bfloat16"),
])
def test_auto_follows_the_cpu(asked: str, flags: frozenset[str], resolved: str) -> None:
    assert resolve_query_precision(asked, flags) == resolved


def test_this_machines_flags_are_read() -> None:
    flags = cpu_flags()
    assert not flags or "fpu" in flags or "sse2" in flags  # Linux lists them; elsewhere none


@pytest.fixture(scope="module")
def reduced(encoder: Encoder) -> SentenceTransformer:
    return encoder.query_model if encoder.query_precision == "bfloat16" else reduced_precision_copy(encoder.model)


def test_the_copy_is_bfloat16_and_the_model_stays_float32(encoder: Encoder, reduced: SentenceTransformer) -> None:
    assert reduced is not encoder.model
    assert {p.dtype for p in encoder.model.parameters()} == {torch.float32}
    assert {p.dtype for p in reduced.parameters()} == {torch.bfloat16}


def test_the_copy_shares_the_table_and_the_tokenizer(encoder: Encoder, reduced: SentenceTransformer) -> None:
    table = encoder.model[0].auto_model.get_input_embeddings()
    lookup = reduced[0].auto_model.embeddings.word_embeddings
    assert lookup.table is table  # not a second 250k x 384 matrix
    assert reduced[0].processor is encoder.model[0].processor
    ids = torch.tensor([[0, 5, 250001]])
    assert lookup(ids).dtype == torch.bfloat16 and table(ids).dtype == torch.float32


def test_passages_stay_float32(encoder: Encoder) -> None:
    texts = ["第一条 为了加强知识产权保护，制定本条例。", "鼓励金融机构开展知识产权质押融资。"]
    expected = encoder.model.encode(texts, prompt_name=encoder.passage_prompt, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
    assert np.array_equal(encoder.encode_passages(texts), expected)


def test_a_question_through_the_copy_is_close_but_not_the_same(encoder: Encoder, reduced: SentenceTransformer) -> None:
    question = "武汉知识产权质押融资有什么支持政策？"
    full, half = encoder.embed_one(encoder.model, question), encoder.embed_one(reduced, question)
    assert float(full[0] @ half[0]) > 0.9999
    assert not np.array_equal(full, half)  # the copy really computes in bfloat16


def test_a_model_without_a_transformer_stays_as_it_is() -> None:
    model = SentenceTransformer(modules=[Pooling(8)], device="cpu")
    assert reduced_precision_copy(model) is model
