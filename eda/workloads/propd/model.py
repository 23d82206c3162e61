"""The small language model ProPD decodes: a character transformer with a KV cache, tree masks,
early-exit logits, and Medusa-style heads, all trained locally.

* Base model: decoder-only, pre-LayerNorm, learned positions, ``layers`` blocks, trained on CPython's
  bundled documentation text with whitespace runs collapsed (:func:`lm_corpus`).
* :meth:`CharLM.step` runs new rows (tree nodes) against a KV cache of committed tokens with an
  arbitrary row-to-row visibility mask (the token-tree attention mask), optionally dropping rows after
  a given layer (early pruning), and returns the final logits, the hidden state at every layer and the
  new keys/values.
* Medusa heads: head ``k`` (``k = 1..K``) maps the last hidden state to a distribution over the token
  ``k + 1`` positions ahead with one residual SiLU block and its own unembedding, trained with the base
  model frozen.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from eda.workloads.adapmoe.model import encode, load_corpus

__all__ = [
    "LMConfig",
    "CharLM",
    "KVCache",
    "StepOutput",
    "MedusaHeads",
    "lm_corpus",
    "train_lm",
    "train_heads",
]


@dataclass(frozen=True)
class LMConfig:
    """Model size (character vocabulary of 128)."""

    vocab: int = 128
    dim: int = 96
    heads: int = 4
    layers: int = 4
    ffn: int = 384
    context: int = 256


class _Block(nn.Module):
    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.dim), nn.LayerNorm(cfg.dim)
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.proj = nn.Linear(cfg.dim, cfg.dim)
        self.up, self.down = nn.Linear(cfg.dim, cfg.ffn), nn.Linear(cfg.ffn, cfg.dim)
        self.heads = cfg.heads

    def forward(self, x: torch.Tensor, past_k: torch.Tensor, past_v: torch.Tensor, mask: torch.Tensor):
        """``x``: (n, dim) new rows; ``past_k/v``: (heads, C, hd); ``mask``: (n, n) bool row-visibility."""
        n, dim = x.shape
        hd = dim // self.heads
        q, k, v = self.qkv(self.ln1(x)).reshape(n, 3, self.heads, hd).permute(1, 2, 0, 3)
        keys, values = torch.cat([past_k, k], 1), torch.cat([past_v, v], 1)
        allowed = torch.cat([torch.ones(n, past_k.shape[1], dtype=torch.bool), mask], 1)
        scores = (q @ keys.transpose(1, 2)) / hd**0.5
        att = torch.softmax(scores.masked_fill(~allowed, float("-inf")), -1) @ values
        x = x + self.proj(att.transpose(0, 1).reshape(n, dim))
        x = x + self.down(nn.functional.gelu(self.up(self.ln2(x))))
        return x, k, v


@dataclass
class KVCache:
    """Committed keys/values per layer, each (heads, C, head_dim)."""

    keys: list[torch.Tensor]
    values: list[torch.Tensor]

    @property
    def length(self) -> int:
        return int(self.keys[0].shape[1])


@dataclass
class StepOutput:
    """Result of :meth:`CharLM.step`.

    Attributes:
        logits: (n_kept, vocab) final logits of the rows that survived pruning.
        kept: (n_kept,) indices of those rows among the input rows.
        hidden: per layer (after it), the hidden states of the rows alive at that layer.
        new_keys, new_values: per layer, the new rows' keys/values (rows alive at that layer).
        alive: per layer, indices of rows alive at that layer.
        rows_processed: sum over layers of rows processed (the verification work).
    """

    logits: torch.Tensor
    kept: torch.Tensor
    hidden: list[torch.Tensor]
    new_keys: list[torch.Tensor]
    new_values: list[torch.Tensor]
    alive: list[torch.Tensor]
    rows_processed: int


class CharLM(nn.Module):
    """Character-level decoder-only transformer with tree-masked, KV-cached steps."""

    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed, self.pos = nn.Embedding(cfg.vocab, cfg.dim), nn.Embedding(cfg.context, cfg.dim)
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.layers))
        self.ln_f = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.vocab)

    def empty_cache(self) -> KVCache:
        hd = self.cfg.dim // self.cfg.heads
        empty = torch.zeros(self.cfg.heads, 0, hd)
        return KVCache([empty] * self.cfg.layers, [empty] * self.cfg.layers)

    def unembed(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits from a hidden state of any layer (early exit shares the final norm and head)."""
        return self.head(self.ln_f(hidden))

    def step(
        self, tokens: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor, cache: KVCache, prune=None
    ) -> StepOutput:
        """Run ``tokens`` (n,) at ``positions`` (n,) after ``cache`` with row visibility ``mask`` (n, n).

        ``prune``: optional ``(layer, fn)``; after block ``layer`` the rows for which
        ``fn(hidden_after_layer, alive_indices)`` returns False are dropped for the remaining layers.
        """
        x = self.embed(tokens) + self.pos(positions)
        alive = torch.arange(len(tokens))
        hidden, keys, values, alive_list, rows = [], [], [], [], 0
        for layer, block in enumerate(self.blocks):
            sub = mask[alive][:, alive]
            x, k, v = block(x, cache.keys[layer], cache.values[layer], sub)
            rows += len(alive)
            hidden.append(x)
            keys.append(k)
            values.append(v)
            alive_list.append(alive)
            if prune is not None and layer == prune[0] and layer < len(self.blocks) - 1:
                keep = prune[1](x, alive)
                alive, x = alive[keep], x[keep]
        return StepOutput(self.unembed(x), alive, hidden, keys, values, alive_list, rows)

    def forward(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Batched causal training pass: logits (B, T, vocab) and last-layer hidden (B, T, dim)."""
        b, t = idx.shape
        x = self.embed(idx) + self.pos(torch.arange(t))
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
        for block in self.blocks:
            hd = self.cfg.dim // block.heads
            q, k, v = block.qkv(block.ln1(x)).reshape(b, t, 3, block.heads, hd).permute(2, 0, 3, 1, 4)
            att = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=causal)
            x = x + block.proj(att.transpose(1, 2).reshape(b, t, -1))
            x = x + block.down(nn.functional.gelu(block.up(block.ln2(x))))
        return self.unembed(x), x


class MedusaHeads(nn.Module):
    """``K`` heads; head ``k`` predicts the token ``k + 1`` steps ahead from the last hidden state."""

    def __init__(self, cfg: LMConfig, num_heads: int = 3) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(nn.Linear(cfg.dim, cfg.dim) for _ in range(num_heads))
        self.heads = nn.ModuleList(nn.Linear(cfg.dim, cfg.vocab) for _ in range(num_heads))
        for block in self.blocks:
            nn.init.zeros_(block.weight)
            nn.init.zeros_(block.bias)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """(..., dim) -> (K, ..., vocab) logits."""
        return torch.stack(
            [
                head(hidden + nn.functional.silu(block(hidden)))
                for block, head in zip(self.blocks, self.heads, strict=True)
            ]
        )


def lm_corpus() -> str:
    """The documentation corpus with whitespace runs collapsed to one space (indentation runs would
    otherwise dominate a small character model's greedy output)."""
    return " ".join(load_corpus().split())


def _sample(data: torch.Tensor, context: int, batch: int, gen: torch.Generator, extra: int = 1):
    starts = torch.randint(0, len(data) - context - extra, (batch,), generator=gen)
    return torch.stack([data[s : s + context + extra] for s in starts])


def train_lm(
    cfg: LMConfig | None = None,
    steps: int = 600,
    batch: int = 32,
    seq: int = 96,
    lr: float = 3e-3,
    seed: int = 0,
    text: str | None = None,
) -> tuple[CharLM, torch.Tensor]:
    """Train the base model on 90% of the corpus; returns it and the held-out 10% (byte ids)."""
    cfg = cfg or LMConfig()
    torch.manual_seed(seed)
    data = encode(text if text is not None else lm_corpus())
    split = int(0.9 * len(data))
    model = CharLM(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        chunk = _sample(data[:split], seq, batch, gen)
        logits, _ = model(chunk[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab), chunk[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.eval(), data[split:]


def train_heads(
    model: CharLM,
    data: torch.Tensor,
    num_heads: int = 3,
    steps: int = 300,
    batch: int = 32,
    seq: int = 96,
    lr: float = 3e-3,
    seed: int = 0,
) -> MedusaHeads:
    """Train Medusa heads on the frozen base model's last hidden states (head k -> token t + k + 1)."""
    torch.manual_seed(seed)
    heads = MedusaHeads(model.cfg, num_heads)
    with torch.no_grad():
        for head in heads.heads:  # start from the base unembedding, as Medusa does
            head.weight.copy_(model.head.weight)
            head.bias.copy_(model.head.bias)
    opt = torch.optim.Adam(heads.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed + 1)
    for _ in range(steps):
        chunk = _sample(data, seq, batch, gen, extra=num_heads + 1)
        with torch.no_grad():
            _, hidden = model(chunk[:, :seq])
        normed = model.ln_f(hidden).detach()
        logits = heads(normed)
        loss = sum(
            nn.functional.cross_entropy(
                logits[k].reshape(-1, model.cfg.vocab), chunk[:, k + 2 : k + 2 + seq].reshape(-1)
            )
            for k in range(num_heads)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    return heads.eval()
