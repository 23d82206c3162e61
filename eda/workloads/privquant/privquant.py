"""PrivQuant: communication-aware mixed precision for secure two-party inference (ICCAD 2024, arXiv 2410.09531).

Reconstructed pieces (no public code):

* **Sensitivity** — a diagonal-Fisher proxy of the loss Hessian measured on the real trained model:
  quantising layer ``l``'s weights with step ``Δ_w`` (uniform noise of variance ``Δ_w²/12``) raises the
  expected loss by about ``½ Σ_i F_ii · Δ_w²/12`` (``F_ii`` = mean squared gradient of weight ``i``); its
  inputs likewise with the mean squared gradient w.r.t. the layer input (:func:`fisher_sensitivity`).
* **Communication** (:func:`layer_comm_bits`) of a linear layer ``(d1 × d2)·(d2 × d3)`` on secret-shared
  ``a``-bit activations and the server's ``n``-bit weights: the OT-based product that
  :mod:`eda.workloads.privquant.two_party` runs in two processes, ``d2·d3·n·(λ + d1·ℓ)`` bits with λ = 128 and
  ``ℓ = a + n + ⌈log2 d2⌉`` (measured bytes equal the formula; base-OT set-up is once per session and
  not charged to a layer); plus the following ReLU and requantisation, which are *modelled*, not run: one
  millionaire's comparison on ``ℓ`` bits per output, about ``(λ + 14)·ℓ`` bits each (CrypTFlow2's
  comparison cost), and a truncation back to the next layer's bits, ``(λ + ℓ)`` bits per output.
* **Bit allocation** — the exact integer program (:func:`eda.workloads.quant.choose_per_layer`) choosing
  per-layer (weight, activation) bits minimising the summed sensitivity under a communication budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eda.workloads.privquant.two_party import LAMBDA_BITS, linear_comm_bits, ring_bits
from eda.workloads.quant import choose_per_layer, quantize_weights, quantized_model, weight_layers
from eda.workloads.workload import Workload

__all__ = [
    "LAMBDA_BITS",
    "layer_comm_bits",
    "layer_comm_parts",
    "fisher_sensitivity",
    "PrivQuantResult",
    "privquant",
]


def layer_comm_parts(d1: int, d2: int, d3: int, activation_bits: int, weight_bits: int) -> dict[str, int]:
    """Two-party communication (bits) of one linear layer: ``linear`` (the protocol run by
    :func:`eda.workloads.privquant.two_party.run_two_party_linear`), ``relu`` and ``truncate`` (modelled)."""
    acc = ring_bits(activation_bits, weight_bits, d2)
    return {
        "linear": linear_comm_bits(d1, d2, d3, activation_bits, weight_bits),
        "relu": d1 * d3 * (LAMBDA_BITS + 14) * acc,
        "truncate": d1 * d3 * (LAMBDA_BITS + acc),
    }


def layer_comm_bits(d1: int, d2: int, d3: int, activation_bits: int, weight_bits: int) -> int:
    """Two-party communication (bits) of one linear layer plus its ReLU and truncation (sum of the parts)."""
    return sum(layer_comm_parts(d1, d2, d3, activation_bits, weight_bits).values())


def _shapes(model: Any, example: Any) -> dict[str, tuple[int, int, int]]:
    """(d1, d2, d3) of every Conv2d/Linear as a matrix product for one example."""
    import torch.nn as nn

    from eda.workloads.quant import observe_layers

    out: dict[str, tuple[int, int, int]] = {}

    def record(name: str, mod: Any, inputs: Any, output: Any) -> None:
        if isinstance(mod, nn.Conv2d):
            kh, kw = mod.kernel_size
            out[name] = (
                output.shape[-2] * output.shape[-1],
                mod.in_channels * kh * kw // mod.groups,
                mod.out_channels,
            )
        else:
            out[name] = (1, mod.in_features, mod.out_features)

    observe_layers(model, example[:1], record)
    return out


def fisher_sensitivity(
    model: Any, x: Any, y: Any, options: tuple[tuple[int, int], ...]
) -> dict[str, list[float]]:
    """Per layer and (weight, activation) option: ½ Σ F·Δ²/12 over weights and inputs (loss units)."""
    import torch

    layers = weight_layers(model)
    inputs: dict[str, Any] = {}
    hooks = []
    for name, module in layers:

        def pre(mod: Any, args: Any, _n: str = name) -> None:
            t = args[0]
            t.retain_grad()
            inputs[_n] = t

        hooks.append(module.register_forward_pre_hook(pre))
    fisher_w = {name: torch.zeros_like(m.weight) for name, m in layers}
    fisher_x: dict[str, float] = {name: 0.0 for name, _ in layers}
    x_max: dict[str, float] = {name: 0.0 for name, _ in layers}
    model.zero_grad()
    for i in range(len(x)):
        xi = x[i : i + 1].clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(xi), y[i : i + 1])
        model.zero_grad()
        loss.backward()
        for name, module in layers:
            fisher_w[name] += module.weight.grad.detach() ** 2
            t = inputs[name]
            fisher_x[name] += float((t.grad.detach() ** 2).sum()) if t.grad is not None else 0.0
            x_max[name] = max(x_max[name], float(t.detach().abs().max()))
    for h in hooks:
        h.remove()
    model.zero_grad()
    out: dict[str, list[float]] = {}
    for name, module in layers:
        w = module.weight.detach().numpy()
        fw = (fisher_w[name] / len(x)).numpy()
        row = []
        for wb, ab in options:
            _, scale = quantize_weights(w, wb)
            step_w = scale.reshape((-1,) + (1,) * (w.ndim - 1))
            weight_term = float((fw * step_w**2 / 12).sum())
            step_x = x_max[name] / (2**ab - 1)
            act_term = fisher_x[name] / len(x) * step_x**2 / 12
            row.append(0.5 * (weight_term + act_term))
        out[name] = row
    return out


@dataclass
class PrivQuantResult:
    """Outcome of :func:`privquant`: bits, communication and measured accuracies."""

    bits: dict[str, tuple[int, int]]
    comm_bits: float
    comm_bits_uniform8: float
    accuracy: float
    accuracy_uniform8: float
    accuracy_float: float
    workload: Workload | None = None
    table: list[dict[str, Any]] = field(default_factory=list)

    @property
    def comm_reduction(self) -> float:
        return self.comm_bits_uniform8 / self.comm_bits if self.comm_bits else float("inf")


def privquant(
    model: Any,
    data: Any,
    budget_fraction: float = 0.5,
    options: tuple[tuple[int, int], ...] = ((3, 3), (3, 4), (4, 3), (4, 4), (4, 6), (6, 4), (6, 6), (8, 8)),
    fisher_samples: int = 128,
) -> PrivQuantResult:
    """Sensitivity-driven mixed precision under ``budget_fraction`` × the communication of uniform 8/8.

    Options start at 3 bits: the second-order (Fisher) estimate is only trustworthy for small
    perturbations, and on the digits CNN 2-bit layers cost far more accuracy than it predicts.
    """
    from eda.workloads.zoo import evaluate, torch_workload

    sens = fisher_sensitivity(model, data.x_train[:fisher_samples], data.y_train[:fisher_samples], options)
    shapes = _shapes(model, data.x_test)
    names = [name for name, _ in weight_layers(model)]
    errors = [sens[name] for name in names]
    costs = [[float(layer_comm_bits(*shapes[name], ab, wb)) for wb, ab in options] for name in names]
    uniform8 = sum(layer_comm_bits(*shapes[name], 8, 8) for name in names)
    choice = choose_per_layer(errors, costs, budget_fraction * uniform8)
    bits = {name: options[c] for name, c in zip(names, choice, strict=True)}
    calib = data.x_train[:256]
    q_model = quantized_model(model, bits, calib)
    q8 = quantized_model(model, {name: (8, 8) for name in names}, calib)
    table = [
        {"layer": name, "option": opt, "sensitivity": sens[name][j], "comm_bits": costs[i][j]}
        for i, name in enumerate(names)
        for j, opt in enumerate(options)
    ]
    workload = torch_workload(q_model, data.x_test, "privquant-digits", bits=bits)
    workload.meta.update(
        {"method": "privquant", "comm_bits": float(sum(costs[i][c] for i, c in enumerate(choice)))}
    )
    return PrivQuantResult(
        bits=bits,
        comm_bits=float(sum(costs[i][c] for i, c in enumerate(choice))),
        comm_bits_uniform8=float(uniform8),
        accuracy=evaluate(q_model, data.x_test, data.y_test),
        accuracy_uniform8=evaluate(q8, data.x_test, data.y_test),
        accuracy_float=evaluate(model, data.x_test, data.y_test),
        workload=workload,
        table=table,
    )
