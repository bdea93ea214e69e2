"""The precision questions are embedded in.

Passages (what is stored) are always embedded in float32.  Questions (one per request, where
latency counts) can be embedded in bfloat16: a copy of the model's layers in bfloat16 that shares
the float32 word-embedding table and the tokenizer (about 70 MB more per process for e5-small, not
a second model) took a third off the CPU time of a question (26.4 -> 17.4 ms, one thread, bench/precision.py) on a CPU
with native bfloat16 (avx512_bf16), with vectors within cosine 0.99996 of float32 on the dev
questions.  On a CPU without it bfloat16 is emulated and slower, so ``auto`` keeps float32 there.

Retrieval fuses ranks, so moving a vector by 3e-5 reorders clauses whose similarities are that
close.  On the 208 dev, unseen and holdout questions (bench/precision.py) no answer text
and no first citation changed, and 13 answers listed lower citations in another order; every
evaluation figure was the same.  (With the reader's earlier depth of 8 clauses one answer text
changed, which is why it reads 10.)
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

QueryPrecision = Literal["auto", "float32", "bfloat16"]
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})  # /proc/cpuinfo flags of CPUs computing in bfloat16


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo); empty where that cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def resolve_query_precision(precision: QueryPrecision, flags: frozenset[str] | None = None) -> QueryPrecision:
    """``auto`` -> bfloat16 where the CPU computes in it natively, else float32."""
    if precision != "auto":
        return precision
    return "bfloat16" if NATIVE_BF16_FLAGS & (cpu_flags() if flags is None else flags) else "float32"


class _CastLookup:
    """The float32 word-embedding table, looked up and cast to the copy's dtype.  A plain callable
    held outside the copy's parameters, so converting the copy leaves the table (most of the
    model's memory: 250k tokens x 384) float32 and shared.  It reads the table's weights detached
    (the same storage), so a trace of the copy can hold them as a constant."""

    def __init__(self, table: torch.nn.Embedding, dtype: torch.dtype):
        self.table, self.dtype = table, dtype
        self.weight = table.weight.detach()

    def __call__(self, input_ids: torch.Tensor) -> torch.Tensor:
        from torch.nn.functional import embedding

        return embedding(input_ids, self.weight, self.table.padding_idx).to(self.dtype)


def reduced_precision_copy(model: SentenceTransformer) -> SentenceTransformer:
    """A bfloat16 copy of ``model``'s layers that shares its tokenizer and float32 word-embedding
    table (about 45 MB more for e5-small, not a second model); ``model`` itself when its first
    module is not a Hugging Face transformer with an input-embedding table."""
    import torch

    first = model[0]
    auto_model = getattr(first, "auto_model", None)
    table = auto_model.get_input_embeddings() if auto_model is not None else None
    if not isinstance(table, torch.nn.Embedding):
        log.warning("query precision: %s has no word-embedding table to share; questions stay float32",
                    type(first).__name__)
        return model
    shared = {id(table): table}
    processor = getattr(first, "processor", None) or getattr(first, "tokenizer", None)
    if processor is not None:
        shared[id(processor)] = processor
    reduced = copy.deepcopy(model, shared)
    reduced_table = _CastLookup(table, torch.bfloat16)
    for holder in list(reduced.modules()):
        for name, child in list(holder.named_children()):
            if child is table:
                delattr(holder, name)
                object.__setattr__(holder, name, reduced_table)  # not a module: .to() must not convert it
    reduced.to(torch.bfloat16)
    reduced.eval()
    return reduced
