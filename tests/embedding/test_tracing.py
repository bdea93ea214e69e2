"""The traced question model of `serve` workers: the same vectors as the eager model, its weights
shared, and a model it cannot trace left eager."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling

from assistant.embedding.encoder import TRACE_PROBES, Encoder
from assistant.embedding.precision import reduced_precision_copy
from assistant.embedding.tracing import traced_copy
from assistant.service import PolicyAssistant
from tests.embedding.test_encoder import QUESTIONS


def trace(encoder: Encoder, model: SentenceTransformer) -> SentenceTransformer | None:
    return traced_copy(model, lambda text: encoder.model.preprocess([text], prompt=encoder._query_prefix),
                       encoder.embed_one, TRACE_PROBES)


@pytest.fixture(scope="module")
def traced(encoder: Encoder) -> SentenceTransformer:
    model = trace(encoder, encoder.model)
    assert model is not None
    return model


@pytest.mark.parametrize("question", QUESTIONS, ids=range(len(QUESTIONS)))
def test_the_trace_embeds_every_length_as_the_model_does(encoder: Encoder, traced: SentenceTransformer,
                                                         question: str) -> None:
    """From one character to past the model's 512 tokens, Chinese and English."""
    assert np.abs(encoder.embed_one(traced, question) - encoder.embed_one(encoder.model, question)).max() <= 1e-6


def test_the_trace_shares_the_weights(encoder: Encoder, traced: SentenceTransformer) -> None:
    eager = {p.data_ptr() for p in encoder.model.parameters()}
    graph = {p.data_ptr() for p in traced[0].model.graph.parameters()}
    assert graph and graph <= eager
    assert traced[0].processor is encoder.model[0].processor


def test_a_bfloat16_copy_traces_too(encoder: Encoder) -> None:
    reduced = reduced_precision_copy(encoder.model)
    traced = trace(encoder, reduced)
    assert traced is not None
    question = QUESTIONS[0]
    assert np.abs(encoder.embed_one(traced, question) - encoder.embed_one(reduced, question)).max() <= 1e-6


def test_a_model_without_a_transformer_is_not_traced(encoder: Encoder) -> None:
    assert trace(encoder, SentenceTransformer(modules=[Pooling(8)], device="cpu")) is None


@pytest.mark.parametrize("enabled", [True, False])
def test_warm_up_traces_when_the_settings_say_so(assistant: PolicyAssistant, encoder: Encoder, enabled: bool) -> None:
    own = copy.copy(encoder)  # the session's encoder stays as it is
    worker = PolicyAssistant(assistant.settings.model_copy(update={"trace_questions": enabled}),
                             assistant.index, own)
    worker.warm_up()
    assert own.query_traced is enabled and encoder.query_traced is False
    assert (own.query_model is not encoder.query_model) is enabled
    question = "武汉知识产权质押融资有什么支持政策？"
    assert worker.ask(question).citations == assistant.ask(question).citations
