"""The encoder's one-question path (the loaded model's own preprocess and modules, without
``encode()``) gives the vectors ``encode()`` gives in float32, and vectors within cosine 0.9999 of
them at the session's query precision (bfloat16 on a CPU that has it)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embedding.encoder import Encoder
from tests.conftest import dev_items

QUESTIONS = [item["question"] for item in dev_items()[:12]] + [
    "担保",  # one word
    "What does the Wuhan pilot say about patent pledge loans?",  # not Chinese
    "武汉" * 400,  # longer than the model's 512 tokens: truncated the same way
]


def reference(encoder: Encoder, texts: list[str]) -> np.ndarray:
    return encoder.model.encode(texts, prompt_name=encoder.query_prompt, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)


@pytest.mark.parametrize("question", QUESTIONS, ids=range(len(QUESTIONS)))
def test_one_question_is_embedded_as_encode_does(encoder: Encoder, question: str) -> None:
    vector = encoder.embed_one(encoder.model, question)
    assert vector.shape == (1, encoder.dimension) and vector.dtype == np.float32
    assert np.abs(vector - reference(encoder, [question])).max() < 1e-6


@pytest.mark.parametrize("question", QUESTIONS, ids=range(len(QUESTIONS)))
def test_a_question_at_the_query_precision_stays_close(encoder: Encoder, question: str) -> None:
    vector = encoder.encode_queries([question])
    assert vector.shape == (1, encoder.dimension) and vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert float(vector[0] @ reference(encoder, [question])[0]) > 0.9999


def test_the_query_prompt_is_used(encoder: Encoder) -> None:
    """A wrong prefix would still give a unit vector: the e5 prompt must change it."""
    assert encoder.query_prompt == "query"
    bare = encoder.model.encode(["武汉知识产权质押融资"], normalize_embeddings=True, show_progress_bar=False)
    assert np.abs(encoder.encode_queries(["武汉知识产权质押融资"]) - bare).max() > 1e-3


def test_several_questions_are_embedded_one_by_one(encoder: Encoder) -> None:
    """A question's vector never depends on the questions embedded with it."""
    texts = QUESTIONS[:5]
    assert np.array_equal(encoder.encode_queries(texts), np.vstack([encoder.encode_queries([t]) for t in texts]))
    assert encoder.encode_queries([]).shape == (0, encoder.dimension)
