"""AdapMoE: a trace-driven expert-cache simulator with adaptive gating, prefetching and DP cache sizing.

AdapMoE (ICCAD 2024, arXiv 2408.10284) serves a top-2 mixture-of-experts model from a device whose
memory holds only some experts; the rest are loaded on demand over a slow link. Three techniques cut the
loads:

* **adaptive gating** - the second expert of layer ``l`` is skipped when ``H_l * w2^2 < T`` (``w2`` its
  renormalised gate weight, ``H_l`` the layer's Hessian-based sensitivity, ``T`` a global threshold);
* **prefetching** - while layer ``l - 1`` computes, its hidden state is fed to layer ``l``'s router; the
  predicted top expert is loaded if it is not cached (the load overlaps with compute);
* **cache allocation** - per-layer LRU caches whose sizes are chosen by dynamic programming under a
  total slot budget.

A :class:`MoETrace` holds, per token and layer, the router's ranked top-2 experts and renormalised
weights, the prefetch prediction for the layer, and the per-layer sensitivities. :func:`simulate` replays
it under a :class:`Policy` and an overlap latency model (:class:`LatencyModel`): compute and expert
loads run in parallel on one load link; per layer, the router/attention part takes ``t_layer``, each
expert ``t_expert`` once it is resident, each load ``t_load`` of link time (loads are serialised).
A demand miss is queued when the layer needs it (on the critical path); a prefetch is queued as soon as
the previous layer's router has run, so its load overlaps that layer's expert compute. A layer's cache
contents depend only on its own access sequence and size, which makes the DP allocation of slots
(:func:`allocate_cache_dp`) exact for the demand-miss count of the trace it is computed from.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from eda.errors import SpecError

__all__ = [
    "MoETrace",
    "Policy",
    "LatencyModel",
    "SimResult",
    "LayerStats",
    "simulate",
    "simulate_layer",
    "allocate_cache_dp",
    "threshold_for_reduction",
    "threshold_for_quality",
    "run_ladder",
]


@dataclass
class MoETrace:
    """Router decisions of a top-2 MoE model over ``T`` tokens and ``L`` layers.

    Attributes:
        experts: ``(T, L, 2)`` int, ranked top-2 expert ids.
        weights: ``(T, L, 2)`` float, renormalised gate weights (``w1 >= w2``, ``w1 + w2 = 1``).
        predicted: ``(T, L)`` int, the expert predicted for layer ``l`` from layer ``l - 1``'s hidden state
            (``-1``: no prediction, e.g. layer 0).
        sensitivity: ``(L,)`` per-layer sensitivity ``H_l`` (>= 0).
        num_experts: experts per layer.
        source: where the trace came from (``generator``, ``moe-charlm``...).
    """

    experts: np.ndarray
    weights: np.ndarray
    predicted: np.ndarray
    sensitivity: np.ndarray
    num_experts: int
    source: str = "unknown"

    def __post_init__(self) -> None:
        t, layers, k = self.experts.shape
        if k != 2 or self.weights.shape != self.experts.shape or self.predicted.shape != (t, layers):
            raise SpecError("trace arrays must be experts/weights (T, L, 2) and predicted (T, L)")
        if self.sensitivity.shape != (layers,):
            raise SpecError(f"sensitivity needs one value per layer ({layers})")

    @property
    def tokens(self) -> int:
        return int(self.experts.shape[0])

    @property
    def layers(self) -> int:
        return int(self.experts.shape[1])

    def slice(self, start: int, stop: int) -> MoETrace:
        """Tokens ``start:stop`` of the trace."""
        return replace(
            self,
            experts=self.experts[start:stop],
            weights=self.weights[start:stop],
            predicted=self.predicted[start:stop],
        )

    def keep_second(self, threshold: float) -> np.ndarray:
        """``(T, L)`` bool: whether adaptive gating keeps the second expert (``H_l w2^2 >= T``)."""
        return self.sensitivity[None, :] * self.weights[:, :, 1] ** 2 >= threshold


@dataclass(frozen=True)
class Policy:
    """What the simulated runtime does.

    Attributes:
        cache_sizes: expert slots per layer (LRU).
        threshold: adaptive-gating threshold ``T`` (0 = always run both experts).
        prefetch: load the predicted expert of the next layer during the current layer.
    """

    cache_sizes: tuple[int, ...]
    threshold: float = 0.0
    prefetch: bool = False


@dataclass(frozen=True)
class LatencyModel:
    """Per-token timing (seconds): router/attention work per layer, one expert's compute, one expert load."""

    t_layer_s: float = 0.2e-3
    t_expert_s: float = 0.5e-3
    t_load_s: float = 2.0e-3


@dataclass
class LayerStats:
    """Counts of one layer over a trace."""

    active: int = 0
    hits: int = 0
    demand_loads: int = 0
    prefetch_loads: int = 0
    prefetch_useful: int = 0


@dataclass
class SimResult:
    """Totals of a simulation (per-token values are averages over the trace)."""

    tokens: int
    layers: list[LayerStats] = field(default_factory=list)
    latency_s: float = 0.0

    def _sum(self, key: str) -> float:
        return float(sum(getattr(s, key) for s in self.layers))

    @property
    def activated_per_token(self) -> float:
        """Experts run per token, over all layers."""
        return self._sum("active") / self.tokens

    @property
    def hit_rate(self) -> float:
        """Fraction of expert uses found in the cache (prefetched experts count as hits)."""
        active = self._sum("active")
        return self._sum("hits") / active if active else 0.0

    @property
    def loads_per_token(self) -> float:
        """Expert loads (demand + prefetch) per token."""
        return (self._sum("demand_loads") + self._sum("prefetch_loads")) / self.tokens

    @property
    def latency_per_token_s(self) -> float:
        """Modelled decode latency per token (s)."""
        return self.latency_s / self.tokens

    def summary(self) -> dict[str, float]:
        """The headline numbers."""
        return {
            "activated_experts_per_token": self.activated_per_token,
            "hit_rate": self.hit_rate,
            "loads_per_token": self.loads_per_token,
            "latency_per_token_s": self.latency_per_token_s,
        }


class _LayerCache:
    """One layer's LRU cache; values are the time each resident expert becomes usable (s)."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise SpecError(f"cache size must be >= 0, got {size}")
        self.size = size
        self.ready: OrderedDict[int, float] = OrderedDict()
        self.prefetched: set[int] = set()

    def insert(self, expert: int, ready_s: float) -> None:
        if self.size == 0:
            return
        if len(self.ready) >= self.size:
            evicted, _ = self.ready.popitem(last=False)
            self.prefetched.discard(evicted)
        self.ready[expert] = ready_s


def _used_experts(trace: MoETrace, keep: np.ndarray, t: int, layer: int) -> list[int]:
    return [int(trace.experts[t, layer, 0])] + ([int(trace.experts[t, layer, 1])] if keep[t, layer] else [])


def simulate(trace: MoETrace, policy: Policy, timing: LatencyModel | None = None) -> SimResult:
    """Replay the trace under ``policy`` with one load link running in parallel with compute.

    Per token and layer: the router/attention part runs (``t_layer``); every expert the layer uses is a
    hit (possibly waiting for its in-flight prefetch) or a demand load queued on the link; then, with
    prefetching, the next layer's predicted expert is queued behind them if it is not cached, so its load
    overlaps this layer's expert compute; the experts compute (``t_expert`` each) once all are resident.
    Loads are serialised on the link.
    """
    timing = timing or LatencyModel()
    if len(policy.cache_sizes) != trace.layers:
        raise SpecError(f"policy has {len(policy.cache_sizes)} cache sizes, the trace {trace.layers} layers")
    caches = [_LayerCache(size) for size in policy.cache_sizes]
    keep = (
        trace.keep_second(policy.threshold)
        if policy.threshold > 0
        else np.ones((trace.tokens, trace.layers), bool)
    )
    stats = [LayerStats() for _ in range(trace.layers)]
    now = link_free = 0.0
    for t in range(trace.tokens):
        for layer in range(trace.layers):
            now += timing.t_layer_s
            start = now
            cache = caches[layer]
            for expert in _used_experts(trace, keep, t, layer):
                stats[layer].active += 1
                if expert in cache.ready:
                    stats[layer].hits += 1
                    if expert in cache.prefetched:
                        stats[layer].prefetch_useful += 1
                        cache.prefetched.discard(expert)
                    start = max(start, cache.ready[expert])
                    cache.ready.move_to_end(expert)
                else:
                    stats[layer].demand_loads += 1
                    link_free = max(now, link_free) + timing.t_load_s
                    start = max(start, link_free)
                    cache.insert(expert, link_free)
            nxt = layer + 1
            if policy.prefetch and nxt < trace.layers and caches[nxt].size > 0:
                guess = int(trace.predicted[t, nxt])
                if guess >= 0 and guess not in caches[nxt].ready:
                    link_free = max(now, link_free) + timing.t_load_s
                    caches[nxt].insert(guess, link_free)
                    caches[nxt].prefetched.add(guess)
                    stats[nxt].prefetch_loads += 1
            now = start + (1 + int(keep[t, layer])) * timing.t_expert_s
    return SimResult(tokens=trace.tokens, layers=stats, latency_s=now)


def simulate_layer(
    trace: MoETrace, layer: int, cache_size: int, threshold: float = 0.0, prefetch: bool = False
) -> LayerStats:
    """Cache counts of one layer alone (its cache contents do not depend on timing or other layers)."""
    keep = trace.keep_second(threshold) if threshold > 0 else np.ones((trace.tokens, trace.layers), bool)
    cache = _LayerCache(cache_size)
    stats = LayerStats()
    for t in range(trace.tokens):
        guess = int(trace.predicted[t, layer])
        if prefetch and layer > 0 and cache_size > 0 and guess >= 0 and guess not in cache.ready:
            cache.insert(guess, 0.0)
            cache.prefetched.add(guess)
            stats.prefetch_loads += 1
        for expert in _used_experts(trace, keep, t, layer):
            stats.active += 1
            if expert in cache.ready:
                stats.hits += 1
                if expert in cache.prefetched:
                    stats.prefetch_useful += 1
                    cache.prefetched.discard(expert)
                cache.ready.move_to_end(expert)
            else:
                stats.demand_loads += 1
                cache.insert(expert, 0.0)
    return stats


def allocate_cache_dp(
    trace: MoETrace,
    total_slots: int,
    threshold: float = 0.0,
    prefetch: bool = False,
    max_per_layer: int | None = None,
) -> tuple[int, ...]:
    """Cache slots per layer minimising the demand (critical-path) loads, ``sum = total_slots`` (exact DP).

    Each layer's curve ``misses_l(c)`` for ``c = 0..max_per_layer`` is counted by :func:`simulate_layer`
    on ``trace`` (use a calibration prefix of the real trace); the DP
    ``f[l][s] = min_c f[l-1][s-c] + misses_l(c)`` finds the optimal split. Cache contents do not depend
    on timing, so the split is optimal for the demand-miss count of ``trace`` exactly.
    """
    cap = min(trace.num_experts, total_slots) if max_per_layer is None else max_per_layer
    curves = np.array(
        [
            [simulate_layer(trace, layer, c, threshold, prefetch).demand_loads for c in range(cap + 1)]
            for layer in range(trace.layers)
        ],
        dtype=float,
    )
    if total_slots > cap * trace.layers:
        raise SpecError(f"{total_slots} slots exceed {trace.layers} layers x {cap} experts")
    inf = float("inf")
    best = np.full((trace.layers + 1, total_slots + 1), inf)
    best[0, 0] = 0.0
    choice = np.zeros((trace.layers + 1, total_slots + 1), dtype=int)
    for layer in range(1, trace.layers + 1):
        for s in range(total_slots + 1):
            for c in range(min(cap, s) + 1):
                value = best[layer - 1, s - c] + curves[layer - 1, c]
                if value < best[layer, s]:
                    best[layer, s], choice[layer, s] = value, c
    sizes, s = [], total_slots
    for layer in range(trace.layers, 0, -1):
        sizes.append(int(choice[layer, s]))
        s -= sizes[-1]
    return tuple(reversed(sizes))


def threshold_for_reduction(trace: MoETrace, reduction: float) -> float:
    """The gating threshold that skips the second expert for a fraction ``2 * reduction`` of (token, layer)
    pairs, i.e. cuts activated experts by ``reduction`` (0.25 = AdapMoE's 25%)."""
    if not 0.0 <= reduction <= 0.5:
        raise SpecError(f"reduction must lie in [0, 0.5], got {reduction}")
    scores = (trace.sensitivity[None, :] * trace.weights[:, :, 1] ** 2).ravel()
    if reduction == 0.0:
        return 0.0
    return float(np.quantile(scores, min(1.0, 2 * reduction)))


def threshold_for_quality(
    trace: MoETrace, loss_increase: Callable[[np.ndarray], float], budget: float, candidates: int = 21
) -> tuple[float, float]:
    """The largest gating threshold whose *measured* quality cost stays within ``budget``.

    ``loss_increase(keep)`` measures the held-out loss increase (e.g. nats per token) when the second
    expert runs only where ``keep`` ((T, L) bool, trace order) is true. Candidates are the thresholds at
    ``candidates`` evenly spaced quantiles of the trace's scores ``H_l w2²`` (quantile 0 keeps every second
    expert). Returns ``(threshold, measured increase)``; ``(0.0, 0.0)`` when no candidate fits.
    """
    scores = np.sort((trace.sensitivity[None, :] * trace.weights[:, :, 1] ** 2).ravel())
    best = (0.0, 0.0)
    for q in np.linspace(0.0, 1.0, candidates)[1:]:
        threshold = float(np.nextafter(scores[min(len(scores) - 1, int(q * len(scores)) - 1)], np.inf))
        cost = float(loss_increase(trace.keep_second(threshold)))
        if cost <= budget:
            best = (threshold, cost)
    return best


def run_ladder(
    trace: MoETrace,
    slots_per_layer: int,
    reduction: float = 0.25,
    timing: LatencyModel | None = None,
    calibration_fraction: float = 0.5,
    threshold: float | None = None,
) -> dict[str, SimResult]:
    """Baseline LRU, + adaptive gating, + prefetch, + DP allocation, evaluated on the trace's second part.

    The threshold (``threshold`` if given, e.g. from :func:`threshold_for_quality` on the calibration
    part; otherwise the one cutting ``reduction`` of the activated experts) and the DP curves come from the
    first ``calibration_fraction`` of the tokens; all four policies are measured on the rest, with the same
    total number of cache slots.
    """
    timing = timing or LatencyModel()
    split = int(trace.tokens * calibration_fraction)
    calib, test = trace.slice(0, split), trace.slice(split, trace.tokens)
    uniform = (slots_per_layer,) * trace.layers
    if threshold is None:
        threshold = threshold_for_reduction(calib, reduction)
    dp_sizes = allocate_cache_dp(calib, slots_per_layer * trace.layers, threshold, True)
    policies = {
        "lru": Policy(uniform),
        "gating": Policy(uniform, threshold),
        "gating+prefetch": Policy(uniform, threshold, True),
        "gating+prefetch+dp": Policy(dp_sizes, threshold, True),
    }
    return {name: simulate(test, policy, timing) for name, policy in policies.items()}
