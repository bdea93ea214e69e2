"""A sentence-transformers BERT model (mean pooling, normalised: the bundled multilingual e5) run in
plain torch, with the `tokenizers` library for its tokenizer.

Why: importing sentence-transformers pulls in transformers, scikit-learn and torch.distributed
(5.5 s here) and transformers reads the 16 MB tokenizer.json twice (1.4 s); every `ask` without a
server paid that before its first answer.  This reads the same folder (config.json,
model.safetensors, tokenizer.json, the pooling and prompt settings) in about a second after torch is
imported, and gives the same vectors (tests/embedding/test_bert.py compares them with
sentence-transformers).  A folder this cannot read exactly (another architecture, pooling or
position scheme) is left to sentence-transformers by ``Encoder``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

TRANSFORMER, POOLING, NORMALIZE = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                                   "sentence_transformers.models.Normalize")


@dataclass(frozen=True)
class BertShape:
    hidden: int
    heads: int
    layers: int
    eps: float
    max_tokens: int


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def bert_shape(folder: Path) -> BertShape | None:
    """The model's shape if the folder holds a model this module computes exactly, else None."""
    try:
        modules = [m["type"] for m in _read_json(folder / "modules.json")]
        config = _read_json(folder / "config.json")
        pooling_dir = next(m["path"] for m in _read_json(folder / "modules.json") if m["type"] == POOLING)
        pooling = _read_json(folder / pooling_dir / "config.json")
        sentence = _read_json(folder / "sentence_bert_config.json")
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return None
    modes = {key for key, value in pooling.items() if key.startswith("pooling_mode_") and value}
    if (modules != [TRANSFORMER, POOLING, NORMALIZE] or modes != {"pooling_mode_mean_tokens"}
            or config.get("model_type") != "bert" or config.get("hidden_act") != "gelu"
            or config.get("position_embedding_type", "absolute") != "absolute"
            or sentence.get("do_lower_case") or not (folder / "model.safetensors").is_file()
            or not (folder / "tokenizer.json").is_file()):
        return None
    return BertShape(hidden=int(config["hidden_size"]), heads=int(config["num_attention_heads"]),
                     layers=int(config["num_hidden_layers"]), eps=float(config["layer_norm_eps"]),
                     max_tokens=min(int(sentence.get("max_seq_length") or 512),
                                    int(config["max_position_embeddings"])))


class BertSentenceModel:
    """Encodes texts (the prompt already prepended) into L2-normalised mean-pooled vectors."""

    def __init__(self, folder: Path, shape: BertShape):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        self.torch = torch
        self.shape = shape
        # stored as float16 (half the file), computed in float32 as sentence-transformers does
        self.weights = {name: tensor.float() for name, tensor in load_file(str(folder / "model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(shape.max_tokens)
        self.tokenizer.no_padding()
        self.pad_id = self.tokenizer.token_to_id("<pad>") or 0
        prompts = {}
        if (folder / "config_sentence_transformers.json").is_file():
            prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts") or {}
        self.prompts: dict[str, str] = prompts

    @property
    def dimension(self) -> int:
        return self.shape.hidden

    def encode(self, texts: list[str], batch_size: int, progress: Any = None) -> np.ndarray:
        """Vectors in the order of ``texts``; batches of similar length, as sentence-transformers does."""
        torch = self.torch
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.zeros((len(texts), self.shape.hidden), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                longest = max(len(encodings[i].ids) for i in batch)
                ids = torch.full((len(batch), longest), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), longest), dtype=torch.long)
                for row, i in enumerate(batch):
                    tokens = encodings[i].ids
                    ids[row, :len(tokens)] = torch.tensor(tokens, dtype=torch.long)
                    mask[row, :len(tokens)] = 1
                out[batch] = self._pooled(ids, mask).numpy()
                if progress is not None:
                    progress.update(1)
        return out

    def _pooled(self, ids: Any, mask: Any) -> Any:
        torch = self.torch
        functional = torch.nn.functional
        w, s = self.weights, self.shape
        batch, length = ids.shape
        head = s.hidden // s.heads
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = functional.layer_norm(x, (s.hidden,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                                  s.eps)
        keep = mask[:, None, None, :].bool()  # padding keys are never attended to

        def linear(value: Any, name: str) -> Any:
            return functional.linear(value, w[f"{name}.weight"], w[f"{name}.bias"])

        def heads(value: Any) -> Any:
            return value.view(batch, length, s.heads, head).transpose(1, 2)

        for layer in range(s.layers):
            p = f"encoder.layer.{layer}."
            context = functional.scaled_dot_product_attention(
                heads(linear(x, p + "attention.self.query")), heads(linear(x, p + "attention.self.key")),
                heads(linear(x, p + "attention.self.value")), attn_mask=keep)
            context = context.transpose(1, 2).reshape(batch, length, s.hidden)
            x = functional.layer_norm(linear(context, p + "attention.output.dense") + x, (s.hidden,),
                                      w[p + "attention.output.LayerNorm.weight"],
                                      w[p + "attention.output.LayerNorm.bias"], s.eps)
            inner = functional.gelu(linear(x, p + "intermediate.dense"))
            x = functional.layer_norm(linear(inner, p + "output.dense") + x, (s.hidden,),
                                      w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], s.eps)
        weights = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        return functional.normalize(pooled, p=2, dim=1)
