"""The learned reader's models: fitted, stored and read back exactly; a stored model whose columns
differ from the code's is refused with the command that retrains it; the committed model matches
the columns the reader computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.answer.abstain import SIGNALS
from assistant.reading.features import FEATURES
from assistant.reading.learned import MODEL_FILE, LinearModel, ModelMismatchError, save_models, stored_model


def synthetic(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    rows = generator.normal(size=(400, 3))
    labels = (rows[:, 0] - 0.5 * rows[:, 1] + 0.1 * generator.normal(size=400) > 0).astype(int)
    return rows, labels


def test_fit_predicts_and_round_trips_bit_for_bit(tmp_path: Path) -> None:
    rows, labels = synthetic()
    model = LinearModel.fit(rows, labels, ("a", "b", "c")).with_threshold(0.42)
    probabilities = model.predict_proba(rows)
    assert ((probabilities > 0.5) == labels).mean() > 0.95
    assert model.weights[0] > 0 > model.weights[1]
    path = tmp_path / "model.json"
    save_models(path, {"sentence": model}, {"trained_by": "test"})
    again = stored_model("sentence", ("a", "b", "c"), path)
    assert again is not None and again.threshold == 0.42
    assert np.array_equal(again.predict_proba(rows), probabilities)
    assert LinearModel.fit(rows, labels, ("a", "b", "c")).to_dict() == LinearModel.fit(rows, labels, ("a", "b", "c")).to_dict()


def test_columns_that_differ_are_refused(tmp_path: Path) -> None:
    rows, labels = synthetic()
    path = tmp_path / "model.json"
    save_models(path, {"sentence": LinearModel.fit(rows, labels, ("a", "b", "c"))}, {})
    with pytest.raises(ModelMismatchError, match="bench/train_reader.py"):
        stored_model("sentence", ("a", "b", "d"), path)
    assert stored_model("answerable", SIGNALS, path) is None  # not stored: the rules decide


def test_committed_model_matches_the_code() -> None:
    assert MODEL_FILE.exists(), "assistant/reading/reader_model.json: run bench/train_reader.py"
    sentence = stored_model("sentence", FEATURES)
    answerable = stored_model("answerable", SIGNALS)
    assert sentence is not None and answerable is not None
    assert 0.0 < sentence.threshold < 1.0 and 0.0 < answerable.threshold < 1.0
