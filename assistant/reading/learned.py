"""The reader's learned decisions: which sentence answers a facet, and whether a question is answered.

Both are logistic models over named feature columns (features.py for sentences, abstention.py for
questions), fitted by scikit-learn in bench/train_reader.py on labelled questions written blind, and
stored as JSON (feature names, standardisation, weights, threshold) in ``reader_model.json`` beside
this file.  Answering needs only numpy: ``predict_proba`` is a dot product and a logistic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("reader_model.json")


class ModelMismatchError(ValueError):
    """The stored model's columns are not the ones this code computes."""


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over named columns, standardised by the training data's mean and scale."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    threshold: float = 0.5  # the decision threshold chosen on held-out folds (abstention)

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        if rows.size == 0:
            return np.zeros(len(rows))
        z = ((rows - self.mean) / self.scale) @ self.weights + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))

    @classmethod
    def fit(cls, rows: np.ndarray, labels: np.ndarray, features: tuple[str, ...], c: float = 1.0,
            sample_weight: np.ndarray | None = None, balanced: bool = False) -> LinearModel:
        """L2-regularised logistic regression (lbfgs: deterministic for the same rows)."""
        from sklearn.linear_model import LogisticRegression

        mean = rows.mean(axis=0)
        scale = rows.std(axis=0)
        scale[scale < 1e-9] = 1.0
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None)
        model.fit((rows - mean) / scale, labels, sample_weight=sample_weight)
        return cls(tuple(features), mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))

    def with_threshold(self, threshold: float) -> LinearModel:
        return LinearModel(self.features, self.mean, self.scale, self.weights, self.intercept, threshold)

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, data: dict, expected: tuple[str, ...]) -> LinearModel:
        features = tuple(data["features"])
        if features != expected:
            missing = sorted(set(expected) - set(features))
            extra = sorted(set(features) - set(expected))
            raise ModelMismatchError(f"reader model columns differ from the code's (missing {missing}, extra {extra}); "
                                     "retrain with bench/train_reader.py")
        return cls(features, np.array(data["mean"]), np.array(data["scale"]), np.array(data["weights"]),
                   float(data["intercept"]), float(data.get("threshold", 0.5)))


def save_models(path: Path, models: dict[str, LinearModel], about: dict) -> None:
    """Write the models (by name) with what they were trained on and the command that made them."""
    payload = {**about, "models": {name: model.to_dict() for name, model in models.items()}}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=4)
def _stored(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def stored_model(name: str, expected: tuple[str, ...], path: Path = MODEL_FILE) -> LinearModel | None:
    """One stored model by name (``sentence``, ``answerable``), or None where none is stored (the
    hand-set scores and rules are used then)."""
    data = _stored(path).get("models", {}).get(name)
    return LinearModel.from_dict(data, expected) if data else None
