"""Expert-routing traces for the AdapMoE simulator: a parametric generator and workload export.

The generator draws a top-2 routing trace whose statistics vary across layers the way real MoE models do
(expert popularity skew, token-to-token reuse, router confidence, predictability from the previous layer):

* popularity of layer ``l``: a Dirichlet(``alpha_l``) distribution over experts (small ``alpha`` = skewed);
* temporal locality: with probability ``reuse_l`` a token repeats the previous token's top-2 at that layer;
* gate weights: the second expert's renormalised weight ``w2 ~ 0.5 * Beta(a, b)`` (so ``w2 <= w1``);
* sensitivity ``H_l``: log-uniform over two decades (the Hessian-based values of a real model span orders);
* prefetch prediction for layer ``l > 0``: the true top-1 with probability ``accuracy_l``, else a random
  expert.

Per-layer parameters are drawn from ranges by ``seed`` (deterministic). :func:`moe_workload` turns a trace
into a :class:`~eda.workloads.workload.Workload` whose layers are the experts (``expert_id`` set) and whose
time trace lists, per token, the experts that ran - the activity the ACIM mapping turns into current maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eda.errors import SpecError
from eda.workloads.adapmoe.adapmoe import MoETrace

__all__ = ["GeneratorParams", "generate_trace", "moe_workload"]


@dataclass(frozen=True)
class GeneratorParams:
    """Ranges of the per-layer statistics (each layer draws uniformly inside the range)."""

    layers: int = 8
    num_experts: int = 8
    tokens: int = 2000
    alpha: tuple[float, float] = (0.2, 3.0)
    reuse: tuple[float, float] = (0.0, 0.6)
    accuracy: tuple[float, float] = (0.6, 0.95)
    sensitivity_decades: float = 2.0
    w2_beta: tuple[float, float] = (2.0, 2.0)


def generate_trace(params: GeneratorParams | None = None, seed: int = 0) -> MoETrace:
    """Draw a routing trace (see the module docstring); deterministic for a given ``seed``."""
    p = params or GeneratorParams()
    if p.num_experts < 2 or p.layers < 1 or p.tokens < 1:
        raise SpecError("the generator needs >= 2 experts, >= 1 layer and >= 1 token")
    rng = np.random.default_rng(seed)
    L, E, T = p.layers, p.num_experts, p.tokens
    alpha = rng.uniform(*p.alpha, size=L)
    reuse = rng.uniform(*p.reuse, size=L)
    accuracy = rng.uniform(*p.accuracy, size=L)
    sensitivity = 10 ** rng.uniform(0.0, p.sensitivity_decades, size=L)
    experts = np.zeros((T, L, 2), dtype=np.int64)
    for layer in range(L):
        popularity = rng.dirichlet(np.full(E, alpha[layer]))
        popularity = np.clip(popularity, 1e-9, None)
        for t in range(T):
            if t > 0 and rng.random() < reuse[layer]:
                experts[t, layer] = experts[t - 1, layer]
            else:
                experts[t, layer] = rng.choice(E, size=2, replace=False, p=popularity / popularity.sum())
    w2 = 0.5 * rng.beta(*p.w2_beta, size=(T, L))
    weights = np.stack([1.0 - w2, w2], axis=-1)
    predicted = np.where(
        rng.random((T, L)) < accuracy[None, :], experts[:, :, 0], rng.integers(0, E, size=(T, L))
    )
    predicted[:, 0] = -1
    return MoETrace(experts, weights, predicted, sensitivity, E, source=f"generator(seed={seed})")


def moe_workload(
    trace: MoETrace,
    hidden: int,
    ffn: int,
    *,
    tokens: int | None = None,
    threshold: float = 0.0,
    name: str = "adapmoe",
    weight_bits: int = 8,
    activation_bits: int = 8,
):
    """A Workload: per layer, a router GEMM and ``num_experts`` expert FFNs (up and down projections).

    The time trace has one phase per token listing, layer by layer, the router and the experts that ran
    (the second expert only where adaptive gating with ``threshold`` keeps it). ``tokens`` limits the
    number of phases (default: the whole trace).
    """
    from eda.workloads.workload import LayerRecord, TracePhase, Workload

    layers: list[LayerRecord] = []
    for layer in range(trace.layers):
        layers.append(
            LayerRecord.gemm(
                f"l{layer}.router",
                1,
                hidden,
                trace.num_experts,
                weight_bits=weight_bits,
                activation_bits=activation_bits,
            )
        )
        for expert in range(trace.num_experts):
            for part, k, n in (("up", hidden, ffn), ("down", ffn, hidden)):
                layers.append(
                    LayerRecord.gemm(
                        f"l{layer}.e{expert}.{part}",
                        1,
                        k,
                        n,
                        expert_id=expert,
                        weight_bits=weight_bits,
                        activation_bits=activation_bits,
                    )
                )
    keep = trace.keep_second(threshold) if threshold > 0 else np.ones((trace.tokens, trace.layers), bool)
    phases = []
    for t in range(min(trace.tokens, tokens or trace.tokens)):
        names: list[str] = []
        for layer in range(trace.layers):
            names.append(f"l{layer}.router")
            chosen = trace.experts[t, layer, : 2 if keep[t, layer] else 1]
            for expert in chosen:
                names += [f"l{layer}.e{int(expert)}.up", f"l{layer}.e{int(expert)}.down"]
        phases.append(TracePhase(f"token{t}", names))
    activated = float(keep[: len(phases)].sum() + keep[: len(phases)].size) / max(len(phases), 1)
    return Workload(
        name=name,
        layers=layers,
        trace=phases,
        meta={
            "method": "adapmoe",
            "trace_source": trace.source,
            "threshold": threshold,
            "activated_experts_per_token": activated,
        },
    )
