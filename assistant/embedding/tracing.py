"""A traced question model for long-lived processes (`serve` workers).

Running a small transformer eagerly costs Python work around every layer (transformers' decorators,
output capturing, signature checks): 10-16 % of a question's CPU time with e5-small (bench/precision.py).  A
TorchScript trace of the transformer inside the sentence-transformers model runs the same
operations without it, and gives the same vector (the difference measured was 0.0 on 118
questions of 3 to 512 tokens).  Tracing takes about 0.3 s, so only a process that answers many
questions does it (``PolicyAssistant.warm_up``); this module imports torch, so it is imported there.

``torch.jit.trace`` is deprecated in favour of ``torch.export`` and ``torch.compile``; both were
measured here and saved little (export 2 %, compile 8 % after 34 s of compiling).  The trace is
checked against the eager model on probe questions when it is made, and any failure (a model it
cannot trace, a torch without TorchScript, a different vector) keeps the eager model, with a
warning: the trace is an optimisation, never a requirement.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"  # what the sentence-transformers Transformer module takes from a text model
SAME_VECTOR = 1e-5  # largest difference accepted between the traced and the eager vector


def traced_copy(model: SentenceTransformer, features_of: Callable[[str], dict[str, Any]],
                embed: Callable[[SentenceTransformer, str], np.ndarray],
                probes: Sequence[str]) -> SentenceTransformer | None:
    """``model`` with its transformer traced (sharing its weights and tokenizer), or None when it
    cannot be traced or the traced copy embeds any probe differently.  ``features_of(text)`` gives
    a question's model inputs and ``embed(model, text)`` its vector."""
    first = model[0]
    transformer = getattr(first, "model", None)
    config = getattr(transformer, "config", None)
    modality = getattr(first, "modality_config", {}).get("text", {})
    if not isinstance(transformer, torch.nn.Module) or config is None or modality.get("method_output_name") != OUTPUT_NAME:
        log.warning("question model: %s is not a text transformer; not traced", type(first).__name__)
        return None
    example = features_of(probes[0])
    names = tuple(name for name in INPUT_NAMES if isinstance(example.get(name), torch.Tensor))
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the deprecation notice and the tracer's shape warnings
            graph = torch.jit.trace(_Positional(transformer, names).eval(), tuple(example[n] for n in names),
                                    check_trace=False)
    except Exception as err:  # noqa: BLE001 - an optimisation: any failure keeps the eager model
        log.warning("question model: tracing failed (%s: %s); not traced", err.__class__.__name__, err)
        return None
    processor = getattr(first, "processor", None)
    shared = {id(transformer): _Traced(graph, names, config)}
    if processor is not None:
        shared[id(processor)] = processor
    traced = copy.deepcopy(model, shared)
    worst = max(float(np.abs(embed(traced, text) - embed(model, text)).max()) for text in probes)
    if worst > SAME_VECTOR:
        log.warning("question model: the trace differs from the model by %.1e; not traced", worst)
        return None
    return traced


class _Positional(torch.nn.Module):
    """The transformer called with positional tensors, returning its last hidden state (what
    ``torch.jit.trace`` records)."""

    def __init__(self, transformer: Any, names: tuple[str, ...]):
        super().__init__()
        self.transformer, self.names = transformer, names

    def forward(self, *tensors: Any) -> Any:
        return self.transformer(**dict(zip(self.names, tensors)), return_dict=False)[0]


class _Traced(torch.nn.Module):
    """Stands where the transformer stood in the sentence-transformers module: takes its keyword
    inputs, answers ``{"last_hidden_state": …}``, and keeps its ``config``."""

    def __init__(self, graph: Any, names: tuple[str, ...], config: Any):
        super().__init__()
        self.graph, self.names, self.config = graph, names, config

    def forward(self, **features: Any) -> dict[str, Any]:
        return {OUTPUT_NAME: self.graph(*(features[name] for name in self.names))}
