"""ProPD: token-tree parallel decoding with early pruning and dynamic tree sizing.

ProPD (ICCAD 2024, arXiv 2402.13485) speeds up greedy decoding of a language model:

* **Token tree** - Medusa-style heads propose the top-k tokens of the next few positions; their
  combinations form a tree (root = the base model's next token, depth ``d`` = head ``d``'s candidates).
  One forward pass verifies the whole tree with a tree attention mask (each node sees the committed
  context and its own ancestors). The longest path whose every token equals the base model's argmax at its
  parent is accepted, so the output is exactly greedy decoding.
* **Early pruning** - after layer ``m`` the intermediate hidden states go through the final norm and
  head; a node whose token is not in its parent's early top-``k`` is dropped (with its subtree), so the
  remaining layers process fewer rows. Kept rows see exactly the same keys/values as in the full pass
  (a node only attends to its ancestors, which are kept), so their logits are unchanged.
* **Dynamic tree sizing** - per depth and candidate rank, the running acceptance rate ``p[d][r]`` is
  counted; a tree of ``n`` nodes is grown best-first by path probability (the product of ``p`` along the
  path), its expected accepted length is the sum of its nodes' path probabilities, and each step picks the
  size maximising ``(1 + E[accepted]) / T(n, C)`` with ``T`` a weighted least-squares fit of measured
  verification latency against rows and context length (:class:`VerifyLatency`).

:func:`decode` runs plain, fixed-tree and dynamic-tree decoding and reports accepted tokens per step,
rows processed, measured wall time and the modelled time.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from eda.errors import SpecError
from eda.workloads.propd.model import CharLM, KVCache, MedusaHeads

__all__ = [
    "TokenTree",
    "build_tree",
    "tree_mask",
    "accept_path",
    "AcceptanceStats",
    "VerifyLatency",
    "fit_latency_samples",
    "fit_verify_latency",
    "DecodeResult",
    "decode",
    "prune_fn",
    "verify_workload",
]


@dataclass
class TokenTree:
    """Nodes in parent-before-child order; node 0 is the root (depth 0)."""

    tokens: list[int]
    parents: list[int]
    depths: list[int]
    ranks: list[int]
    path_probs: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def expected_accepted(self) -> float:
        """Expected accepted nodes beyond the root (sum of non-root path probabilities)."""
        return float(sum(self.path_probs[1:]))


def build_tree(root: int, candidates: np.ndarray, probs: np.ndarray, size: int) -> TokenTree:
    """Grow the ``size``-node tree of highest path probability.

    Args:
        root: the base model's next token.
        candidates: ``(K, k)`` token ids, head ``d``'s ranked top-k (depth ``d + 1``).
        probs: ``(K, k)`` acceptance probability of rank ``r`` at depth ``d + 1`` given its parent.
        size: nodes including the root (>= 1).
    """
    if size < 1:
        raise SpecError("a token tree needs at least its root")
    depth_max, topk = candidates.shape
    tree = TokenTree([int(root)], [-1], [0], [0], [1.0])
    heap: list[tuple[float, int, int, int]] = []  # (-path prob, parent, depth, rank)
    if depth_max:
        for r in range(topk):
            heapq.heappush(heap, (-float(probs[0, r]), 0, 1, r))
    while len(tree) < size and heap:
        neg, parent, depth, rank = heapq.heappop(heap)
        node = len(tree)
        tree.tokens.append(int(candidates[depth - 1, rank]))
        tree.parents.append(parent)
        tree.depths.append(depth)
        tree.ranks.append(rank)
        tree.path_probs.append(-neg)
        if depth < depth_max:
            for r in range(topk):
                heapq.heappush(heap, (neg * float(probs[depth, r]), node, depth + 1, r))
    return tree


def tree_mask(tree: TokenTree) -> torch.Tensor:
    """(n, n) bool: ``mask[i, j]`` when node ``j`` is node ``i`` or one of its ancestors."""
    n = len(tree)
    mask = torch.zeros(n, n, dtype=torch.bool)
    for i in range(n):
        j = i
        while j >= 0:
            mask[i, j] = True
            j = tree.parents[j]
    return mask


def accept_path(tree: TokenTree, argmax: dict[int, int]) -> list[int]:
    """Accepted node indices (root first): follow children equal to the argmax at their parent.

    ``argmax`` maps node index -> the base model's greedy next token at that node (nodes absent from it
    were pruned and cannot be accepted).
    """
    children: dict[int, list[int]] = {}
    for node, parent in enumerate(tree.parents):
        if parent >= 0 and node in argmax:
            children.setdefault(parent, []).append(node)
    path = [0]
    while True:
        want = argmax[path[-1]]
        nxt = next((c for c in children.get(path[-1], []) if tree.tokens[c] == want), None)
        if nxt is None:
            return path
        path.append(nxt)


class AcceptanceStats:
    """Running acceptance rates ``p[d][r]`` with a Beta(1, 1) prior."""

    def __init__(self, depth: int, topk: int) -> None:
        self.proposed = np.zeros((depth, topk))
        self.accepted = np.zeros((depth, topk))

    def update(self, level: int, candidates: np.ndarray, truth: int) -> None:
        """Head ``level``'s ranked candidates were checked against the true token ``truth``."""
        self.proposed[level] += 1
        self.accepted[level] += candidates == truth

    @property
    def probs(self) -> np.ndarray:
        return (self.accepted + 1) / (self.proposed + 2)


@dataclass(frozen=True)
class VerifyLatency:
    """``T = a + (b + c * C) * R`` seconds: ``R`` rows per layer (average), ``C`` cached tokens."""

    a: float
    b: float
    c: float

    def __call__(self, rows: float, context: float) -> float:
        return self.a + (self.b + self.c * context) * rows


def fit_latency_samples(samples: list[tuple[float, float, float]]) -> VerifyLatency:
    """Least-squares fit of :class:`VerifyLatency` to ``(rows, context, seconds)`` samples, weighted by
    ``1 / T`` (relative error)."""
    x = np.array([[1.0, n, n * c] for n, c, _ in samples])
    y = np.array([t for _, _, t in samples])
    w = 1.0 / y
    coef, *_ = np.linalg.lstsq(x * w[:, None], y * w, rcond=None)
    return VerifyLatency(*map(float, coef))


def fit_verify_latency(
    model: CharLM, sizes=(1, 2, 4, 8, 16, 32, 64), contexts=(32, 96, 160), repeats: int = 7
) -> tuple[VerifyLatency, list[tuple[int, int, float]]]:
    """Measure verification passes of ``n`` rows after ``C`` cached tokens (fastest of ``repeats``, which
    filters out interference on a shared machine) and fit them with :func:`fit_latency_samples`."""
    samples = []
    with torch.no_grad():
        for ctx_len in contexts:
            cache = _prefill(model, torch.zeros(ctx_len, dtype=torch.long))[0]
            for n in sizes:
                tokens = torch.zeros(n, dtype=torch.long)
                pos = torch.full((n,), ctx_len)
                mask = torch.tril(torch.ones(n, n, dtype=torch.bool))
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    model.step(tokens, pos, mask, cache)
                    times.append(time.perf_counter() - t0)
                samples.append((n, ctx_len, float(np.min(times))))
    return fit_latency_samples(samples), samples


def _prefill(model: CharLM, prompt: torch.Tensor):
    n = len(prompt)
    out = model.step(
        prompt, torch.arange(n), torch.tril(torch.ones(n, n, dtype=torch.bool)), model.empty_cache()
    )
    cache = KVCache(out.new_keys, out.new_values)
    return cache, out


def prune_fn(model: CharLM, tree: TokenTree, topk: int):
    """The early-pruning rule: keep a node when its token is in its parent's early top-``topk``."""

    def keep(hidden: torch.Tensor, alive: torch.Tensor) -> torch.Tensor:
        row_of = {int(node): i for i, node in enumerate(alive)}
        top = model.unembed(hidden).topk(topk, dim=-1).indices
        kept = torch.zeros(len(alive), dtype=torch.bool)
        for i, node in enumerate(alive.tolist()):
            parent = tree.parents[node]
            if parent < 0:
                kept[i] = True
            elif parent in row_of and kept[row_of[parent]]:
                kept[i] = bool((top[row_of[parent]] == tree.tokens[node]).any())
        return kept

    return keep


@dataclass
class DecodeResult:
    """Outcome of :func:`decode`."""

    tokens: list[int]
    steps: int
    rows_per_layer: float
    wall_s: float
    modelled_s: float
    tree_sizes: list[int] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)

    @property
    def tokens_per_step(self) -> float:
        return len(self.tokens) / self.steps if self.steps else 0.0


@torch.no_grad()
def decode(
    model: CharLM,
    prompt: torch.Tensor,
    new_tokens: int,
    *,
    heads: MedusaHeads | None = None,
    tree_size: int | str = 1,
    topk: int = 3,
    prune_layer: int | None = None,
    prune_topk: int = 3,
    latency: VerifyLatency | None = None,
    sizes=(1, 2, 4, 8, 16, 32, 64),
    stats: AcceptanceStats | None = None,
) -> DecodeResult:
    """Greedy decoding of ``new_tokens`` after ``prompt`` with a token tree.

    ``tree_size``: 1 = plain decoding, an int = fixed tree, ``"dynamic"`` = ProPD's size choice per step
    (needs ``latency``). ``prune_layer``: early pruning after that block (``None`` = off).
    """
    if tree_size != 1 and heads is None:
        raise SpecError("tree decoding needs Medusa heads")
    if tree_size == "dynamic" and latency is None:
        raise SpecError("dynamic tree sizing needs a latency model", hint="fit one with fit_verify_latency")
    depth = len(heads.heads) if heads is not None else 0
    stats = stats or AcceptanceStats(max(depth, 1), topk)
    cache, out = _prefill(model, prompt)
    root = int(out.logits[-1].argmax())
    last_hidden = out.hidden[-1][-1]
    produced: list[int] = []
    steps, rows, modelled, sizes_used, accepted_counts = 0, 0, 0.0, [], []
    start_wall = time.perf_counter()
    while len(produced) < new_tokens:
        if heads is not None and tree_size != 1:
            head_logits = heads(model.ln_f(last_hidden))
            candidates = head_logits.topk(topk, dim=-1).indices.numpy()
        else:
            candidates = np.zeros((0, topk), dtype=np.int64)
        size = tree_size
        if tree_size == "dynamic":
            size = max(
                sizes,
                key=lambda n: (
                    (1 + build_tree(root, candidates, stats.probs, n).expected_accepted)
                    / latency(n, cache.length)
                ),
            )
        tree = build_tree(root, candidates, stats.probs, int(size))
        positions = torch.tensor([cache.length + d for d in tree.depths])
        prune = (prune_layer, prune_fn(model, tree, prune_topk)) if prune_layer is not None else None
        out = model.step(torch.tensor(tree.tokens), positions, tree_mask(tree), cache, prune)
        greedy = {int(node): int(tok) for node, tok in zip(out.kept, out.logits.argmax(-1), strict=True)}
        path = accept_path(tree, greedy)
        for node in path:  # acceptance statistics along the verified path
            if tree.depths[node] < len(candidates):
                stats.update(tree.depths[node], candidates[tree.depths[node]], greedy[node])
        keys, values = [], []
        for layer in range(model.cfg.layers):
            where = [out.alive[layer].tolist().index(node) for node in path]
            keys.append(torch.cat([cache.keys[layer], out.new_keys[layer][:, where]], 1))
            values.append(torch.cat([cache.values[layer], out.new_values[layer][:, where]], 1))
        cache = KVCache(keys, values)
        produced += [tree.tokens[node] for node in path]
        root = greedy[path[-1]]
        last_hidden = out.hidden[-1][out.kept.tolist().index(path[-1])]
        steps += 1
        step_rows = out.rows_processed / model.cfg.layers
        rows += out.rows_processed
        modelled += latency(step_rows, cache.length) if latency is not None else 0.0
        sizes_used.append(len(tree))
        accepted_counts.append(len(path))
        if cache.length + depth + 2 > model.cfg.context:
            break
    wall = time.perf_counter() - start_wall
    return DecodeResult(
        produced[:new_tokens],
        steps,
        rows / max(steps, 1) / model.cfg.layers,
        wall,
        modelled,
        sizes_used,
        accepted_counts,
    )


def verify_workload(
    cfg,
    rows: float,
    kept_rows: float | None = None,
    prune_layer: int | None = None,
    context: int = 128,
    name: str = "propd-verify",
    weight_bits: int = 8,
    activation_bits: int = 8,
    meta: dict | None = None,
):
    """The GEMMs of one verification pass of ``rows`` tree tokens (``kept_rows`` after ``prune_layer``).

    Per block: QKV, output projection, FFN up/down (``m`` = rows alive in that block) and the attention
    products over ``context`` cached tokens (recorded as an attention layer of ``seq_len = context``); then
    the LM head on the kept rows.
    """
    from eda.workloads.workload import LayerRecord, Workload

    layers = []
    for layer in range(cfg.layers):
        m = rows if prune_layer is None or layer <= prune_layer else (kept_rows or rows)
        m = max(1, int(round(m)))
        bits = {"weight_bits": weight_bits, "activation_bits": activation_bits}
        layers += [
            LayerRecord.gemm(f"b{layer}.qkv", m, cfg.dim, 3 * cfg.dim, **bits),
            LayerRecord.attention(f"b{layer}.attn", context, cfg.heads, cfg.dim // cfg.heads, **bits),
            LayerRecord.gemm(f"b{layer}.proj", m, cfg.dim, cfg.dim, **bits),
            LayerRecord.gemm(f"b{layer}.up", m, cfg.dim, cfg.ffn, **bits),
            LayerRecord.gemm(f"b{layer}.down", m, cfg.ffn, cfg.dim, **bits),
        ]
    final = max(1, int(round(kept_rows if kept_rows is not None else rows)))
    layers.append(
        LayerRecord.gemm(
            "lm_head", final, cfg.dim, cfg.vocab, weight_bits=weight_bits, activation_bits=activation_bits
        )
    )
    return Workload(name=name, layers=layers, meta={"method": "propd", **(meta or {})})
