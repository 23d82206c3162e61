"""Quantisation shared by the methods: uniform quantisers, fake-quantised torch models, bit allocation.

* :func:`quantize_weights` — symmetric per-output-channel integer weights (``bits`` signed);
* :func:`quantize_activations` — uniform unsigned (non-negative inputs) or signed activations;
* :func:`quantized_model` — a copy of a Conv2d/Linear model whose layers use given (weight, activation)
  bits, activation scales calibrated on real data (max over a calibration batch);
* :func:`choose_per_layer` — the multiple-choice knapsack integer program every method uses to pick one
  option per layer (bit widths, ranks, block sizes) minimising a summed error proxy under a summed cost
  budget, solved exactly with HiGHS (scipy.optimize.milp); :func:`choose_by_enumeration` is the brute-force reference.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from eda.errors import SpecError

__all__ = [
    "quantize_weights",
    "quantize_activations",
    "weight_layers",
    "observe_layers",
    "calibrate_input_ranges",
    "quantized_model",
    "choose_per_layer",
    "choose_by_enumeration",
]


def quantize_weights(w: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-channel quantisation: integers in [-(2^(b-1)-1), 2^(b-1)-1] and scales.

    ``w`` has the output channel first; returns (int64 array like ``w``, per-channel scale) with
    ``w ≈ q * scale[:, None, ...]``.
    """
    if bits < 2:
        raise SpecError(f"weight bits must be >= 2 for signed symmetric quantisation, got {bits}")
    levels = 2 ** (bits - 1) - 1
    flat = w.reshape(w.shape[0], -1)
    scale = np.abs(flat).max(axis=1) / levels
    scale = np.where(scale > 0, scale, 1.0)
    q = np.clip(np.round(flat / scale[:, None]), -levels, levels).astype(np.int64)
    return q.reshape(w.shape), scale


def quantize_activations(x: np.ndarray, bits: int, x_max: float, signed: bool = False) -> np.ndarray:
    """Uniform activation quantisation to integers (unsigned [0, 2^b-1] or signed symmetric)."""
    if signed:
        levels = 2 ** (bits - 1) - 1
        return np.clip(np.round(x / x_max * levels), -levels, levels).astype(np.int64)
    levels = 2**bits - 1
    return np.clip(np.round(x / x_max * levels), 0, levels).astype(np.int64)


def weight_layers(model: Any) -> list[tuple[str, Any]]:
    """(name, module) of every Conv2d/Linear layer in forward-registration order."""
    import torch.nn as nn

    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def observe_layers(
    model: Any,
    x: Any,
    observe: Callable[[str, Any, Any, Any], None],
    layers: Sequence[tuple[str, Any]] | None = None,
) -> None:
    """Run ``model(x)`` once without gradients, calling ``observe(name, module, inputs, output)`` after each
    of ``layers`` (``(name, module)``; default :func:`weight_layers`) runs; the hooks are removed afterwards,
    also when the model or ``observe`` raises."""
    import torch

    hooks = [
        module.register_forward_hook(lambda mod, inputs, output, _n=name: observe(_n, mod, inputs, output))
        for name, module in (weight_layers(model) if layers is None else layers)
    ]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()


def calibrate_input_ranges(model: Any, x: Any) -> dict[str, tuple[float, bool]]:
    """Per layer: (max |input|, input has negative values) on a calibration batch."""
    ranges: dict[str, tuple[float, bool]] = {}

    def record(name: str, mod: Any, inputs: Any, output: Any) -> None:
        t = inputs[0].detach()
        ranges[name] = (float(t.abs().max()), bool((t < 0).any()))

    observe_layers(model, x, record)
    return ranges


def quantized_model(model: Any, bits: dict[str, tuple[int, int]], calibration: Any) -> Any:
    """A fake-quantised copy: layer ``name`` uses ``bits[name] = (weight_bits, activation_bits)``.

    Layers not in ``bits`` stay in floating point. Weights: symmetric per output channel. Inputs: uniform
    with the scale from ``calibration`` (unsigned when the calibration inputs are non-negative).
    """
    import torch

    ranges = calibrate_input_ranges(model, calibration)
    q_model = copy.deepcopy(model)
    modules = dict(weight_layers(q_model))
    unknown = sorted(set(bits) - set(modules))
    if unknown:
        raise SpecError(f"no weight layers named {unknown}", hint=f"layers: {sorted(modules)}")
    for name, (wb, ab) in bits.items():
        module = modules[name]
        q, scale = quantize_weights(module.weight.detach().numpy(), wb)
        shape = (-1,) + (1,) * (q.ndim - 1)
        module.weight.data = torch.from_numpy((q * scale.reshape(shape)).astype(np.float32))
        x_max, signed = ranges[name]

        def pre(
            mod: Any, inputs: Any, _ab: int = ab, _max: float = max(x_max, 1e-12), _signed: bool = signed
        ) -> Any:
            t = inputs[0]
            levels = 2 ** (_ab - 1) - 1 if _signed else 2**_ab - 1
            low = -levels if _signed else 0
            return (torch.clamp(torch.round(t / _max * levels), low, levels) * (_max / levels),)

        module.register_forward_pre_hook(pre)
    return q_model.eval()


def choose_per_layer(
    errors: Sequence[Sequence[float]], costs: Sequence[Sequence[float]], budget: float
) -> list[int]:
    """Pick option ``c_l`` per layer minimising Σ errors[l][c_l] subject to Σ costs[l][c_l] ≤ budget.

    Exact 0/1 integer program (multiple-choice knapsack: one binary per option, one equality per layer,
    one budget row) solved by HiGHS through :func:`scipy.optimize.milp`. Raises :class:`SpecError` when
    even the cheapest options exceed the budget.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    _check_tables(errors, costs)
    cheapest = sum(min(row) for row in costs)
    if cheapest > budget * (1 + 1e-12):
        raise SpecError(
            f"budget {budget:.6g} is below the cheapest assignment {cheapest:.6g}",
            hint="raise the budget or add cheaper options",
        )
    sizes = [len(row) for row in errors]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n = int(offsets[-1])
    scale = max(abs(v) for row in errors for v in row) or 1.0
    objective = np.array([v / scale for row in errors for v in row])
    cost_row = np.array([v for row in costs for v in row], dtype=float)
    one_each = np.zeros((len(sizes), n))
    for i in range(len(sizes)):
        one_each[i, offsets[i] : offsets[i + 1]] = 1.0
    constraints = [
        LinearConstraint(one_each, 1.0, 1.0),
        LinearConstraint(cost_row[None, :], -np.inf, budget * (1 + 1e-12)),
    ]
    result = milp(
        objective,
        constraints=constraints,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0.0},
    )
    if result.x is None:
        raise SpecError(f"bit-allocation integer program failed: {result.message}")
    x = np.round(result.x)
    return [int(np.argmax(x[offsets[i] : offsets[i + 1]])) for i in range(len(sizes))]


def choose_by_enumeration(
    errors: Sequence[Sequence[float]], costs: Sequence[Sequence[float]], budget: float
) -> list[int] | None:
    """Brute-force reference for :func:`choose_per_layer` (small instances only); ``None`` if infeasible."""
    _check_tables(errors, costs)
    best: tuple[float, list[int]] | None = None
    for choice in itertools.product(*[range(len(row)) for row in errors]):
        cost = sum(costs[i][c] for i, c in enumerate(choice))
        if cost <= budget * (1 + 1e-12):
            err = sum(errors[i][c] for i, c in enumerate(choice))
            if best is None or err < best[0] - 1e-12:
                best = (err, list(choice))
    return None if best is None else best[1]


def _check_tables(errors: Sequence[Sequence[float]], costs: Sequence[Sequence[float]]) -> None:
    if len(errors) != len(costs) or any(
        len(a) != len(b) or not a for a, b in zip(errors, costs, strict=True)
    ):
        raise SpecError("errors and costs need the same non-empty option lists per layer")
