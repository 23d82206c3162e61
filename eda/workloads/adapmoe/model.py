"""A small top-2 mixture-of-experts language model trained locally, and real routing traces from it.

No MoE weights ship offline, so the project trains one: a character-level decoder-only transformer
whose feed-forward blocks are top-2 mixtures of experts (softmax router, the two gate weights
renormalised to sum to 1, a switch-style load-balancing loss). The text is the Python documentation
shipped with every CPython (``pydoc_data.topics``, ~465k characters of English prose and code), split
into training and held-out parts. A few hundred Adam steps on one CPU thread give a model whose routing is
real: experts specialise, routers disagree with uniform, and the held-out loss reacts to which experts
are skipped.

:func:`extract_trace` runs the model on held-out text and records per token and layer the ranked top-2
experts and weights, the prefetch prediction for layer ``l`` (layer ``l``'s router applied to the hidden
state that leaves layer ``l - 1``, before layer ``l``'s attention), and the per-layer sensitivity

``H_l = mean_tokens (g_l . (E1(x) - E2(x)))^2``

where ``g_l`` is the gradient of the loss with respect to the layer's MoE output and ``E1, E2`` the two
experts' outputs: dropping the second expert (renormalising ``w1 -> 1``) changes the output by
``w2 (E1 - E2)``, so ``H_l w2^2`` is the Gauss-Newton estimate of the squared loss change - AdapMoE's
gating criterion. :func:`held_out_loss` measures the loss under a gating threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from eda.workloads.adapmoe.adapmoe import MoETrace

__all__ = [
    "load_corpus",
    "encode",
    "MoEConfig",
    "MoELanguageModel",
    "train_moe",
    "extract_trace",
    "held_out_loss",
]


def load_corpus() -> str:
    """The ASCII text of CPython's bundled documentation topics (deterministic order)."""
    import pydoc_data.topics as topics

    text = "".join(topics.topics[key] for key in sorted(topics.topics))
    return text.encode("ascii", "ignore").decode("ascii")


def encode(text: str) -> torch.Tensor:
    """Characters to byte ids (vocabulary 128)."""
    return torch.tensor(list(text.encode("ascii", "ignore")), dtype=torch.long)


@dataclass(frozen=True)
class MoEConfig:
    """Model size: ``layers`` blocks of width ``dim``, ``experts`` experts of hidden width ``ffn``."""

    vocab: int = 128
    dim: int = 64
    heads: int = 4
    layers: int = 4
    experts: int = 8
    ffn: int = 128
    context: int = 64


class _MoE(nn.Module):
    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        self.router = nn.Linear(cfg.dim, cfg.experts, bias=False)
        self.up = nn.Parameter(torch.randn(cfg.experts, cfg.dim, cfg.ffn) / cfg.dim**0.5)
        self.down = nn.Parameter(torch.randn(cfg.experts, cfg.ffn, cfg.dim) / cfg.ffn**0.5)

    def expert(self, x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """Outputs of expert ``ids[n]`` on ``x[n]`` (``x``: (N, dim), ``ids``: (N,)), dispatched per expert."""
        out = x.new_zeros(x.shape)
        for e in range(self.up.shape[0]):
            rows = (ids == e).nonzero(as_tuple=True)[0]
            if len(rows):
                out = out.index_add(0, rows, torch.relu(x[rows] @ self.up[e]) @ self.down[e])
        return out

    def forward(self, x: torch.Tensor, keep_second: torch.Tensor | None = None):
        flat = x.reshape(-1, x.shape[-1])
        probs = torch.softmax(self.router(flat), dim=-1)
        top_w, top_i = probs.topk(2, dim=-1)
        weights = top_w / top_w.sum(-1, keepdim=True)
        e1, e2 = self.expert(flat, top_i[:, 0]), self.expert(flat, top_i[:, 1])
        if keep_second is not None:
            keep = keep_second.reshape(-1, 1).to(flat.dtype)
            w2 = weights[:, 1:2] * keep
            out = (1 - w2) * e1 + w2 * e2
        else:
            out = weights[:, :1] * e1 + weights[:, 1:2] * e2
        balance = (
            probs.shape[-1]
            * (probs.mean(0) * nn.functional.one_hot(top_i[:, 0], probs.shape[-1]).float().mean(0)).sum()
        )
        return out.reshape(x.shape), {
            "top_i": top_i,
            "weights": weights,
            "e1": e1,
            "e2": e2,
            "balance": balance,
        }


class _Block(nn.Module):
    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.dim), nn.LayerNorm(cfg.dim)
        self.attn = nn.MultiheadAttention(cfg.dim, cfg.heads, batch_first=True)
        self.moe = _MoE(cfg)


class MoELanguageModel(nn.Module):
    """Character-level decoder-only transformer with top-2 MoE feed-forward blocks."""

    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.dim)
        self.pos = nn.Embedding(cfg.context, cfg.dim)
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.layers))
        self.ln_f = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.vocab)

    def forward(self, idx: torch.Tensor, keep_second: torch.Tensor | None = None, record: bool = False):
        """Logits ``(B, T, vocab)``; with ``record`` also per-layer routing and MoE tensors.

        ``keep_second``: ``(B, T, layers)`` bool, whether each token keeps its second expert per layer.
        """
        t = idx.shape[1]
        x = self.embed(idx) + self.pos(torch.arange(t))
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        records = []
        for layer, block in enumerate(self.blocks):
            h = block.ln1(x)
            pre = x
            x = x + block.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            keep = keep_second[..., layer] if keep_second is not None else None
            moe_in = block.ln2(x)
            out, info = block.moe(moe_in, keep)
            if record:
                out.retain_grad()
                info["out"] = out
                info["pre_hidden"] = pre
            x = x + out
            records.append(info)
        logits = self.head(self.ln_f(x))
        return (logits, records) if record else (logits, sum(r["balance"] for r in records))


def _batches(data: torch.Tensor, context: int, batch: int, gen: torch.Generator):
    starts = torch.randint(0, len(data) - context - 1, (batch,), generator=gen)
    x = torch.stack([data[s : s + context] for s in starts])
    y = torch.stack([data[s + 1 : s + context + 1] for s in starts])
    return x, y


def train_moe(
    cfg: MoEConfig | None = None,
    steps: int = 400,
    batch: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    text: str | None = None,
) -> tuple[MoELanguageModel, torch.Tensor]:
    """Train on the first 90% of the corpus; returns the model and the held-out 10% as byte ids."""
    cfg = cfg or MoEConfig()
    torch.manual_seed(seed)
    data = encode(text if text is not None else load_corpus())
    split = int(0.9 * len(data))
    model = MoELanguageModel(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x, y = _batches(data[:split], cfg.context, batch, gen)
        logits, balance = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab), y.reshape(-1)) + 0.01 * balance
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), data[split:]


def _windows(held_out: torch.Tensor, context: int, tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(1, tokens // context)
    usable = held_out[: n * context + 1]
    n = (len(usable) - 1) // context
    x = usable[: n * context].reshape(n, context)
    y = usable[1 : n * context + 1].reshape(n, context)
    return x, y


def extract_trace(model: MoELanguageModel, held_out: torch.Tensor, tokens: int = 2048) -> MoETrace:
    """Routing trace of ``tokens`` held-out characters (consecutive windows of the model's context)."""
    cfg = model.cfg
    x, y = _windows(held_out, cfg.context, tokens)
    logits, records = model(x, record=True)
    nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab), y.reshape(-1)).backward()
    experts = torch.stack([r["top_i"] for r in records], dim=1).numpy()
    weights = torch.stack([r["weights"] for r in records], dim=1).detach().numpy()
    sensitivity = []
    for r in records:
        grad = r["out"].grad.reshape(-1, cfg.dim) * r["out"].grad.shape[0] * r["out"].grad.shape[1]
        sensitivity.append(float(((grad * (r["e1"] - r["e2"])).sum(-1) ** 2).mean().detach()))
    predicted = np.full(experts.shape[:2], -1, dtype=np.int64)
    with torch.no_grad():
        for layer in range(1, cfg.layers):
            block = model.blocks[layer]
            hidden = records[layer]["pre_hidden"].reshape(-1, cfg.dim)
            predicted[:, layer] = block.moe.router(block.ln2(hidden)).argmax(-1).numpy()
    model.zero_grad()
    return MoETrace(
        experts.astype(np.int64),
        weights.astype(np.float64),
        predicted,
        np.asarray(sensitivity),
        cfg.experts,
        source="moe-charlm(pydoc topics)",
    )


@torch.no_grad()
def held_out_loss(
    model: MoELanguageModel,
    held_out: torch.Tensor,
    keep_second: np.ndarray | None = None,
    tokens: int = 2048,
    per_token: bool = False,
) -> float | np.ndarray:
    """Mean cross-entropy (nats per character) on held-out text; ``keep_second`` is ``(T, L)`` bool in
    trace order (as from :meth:`MoETrace.keep_second`), ``None`` = always top-2. ``per_token``: the
    cross-entropy of every token instead, in trace order."""
    cfg = model.cfg
    x, y = _windows(held_out, cfg.context, tokens)
    keep = None
    if keep_second is not None:
        keep = torch.as_tensor(keep_second).reshape(x.shape[0], x.shape[1], cfg.layers)
    logits, _ = model(x, keep)
    losses = nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab), y.reshape(-1), reduction="none")
    return losses.numpy() if per_token else float(losses.mean())
