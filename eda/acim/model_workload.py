"""Workload-aware mode: energy and latency per inference of every design point for a list of layers.

A layer is a matrix product reduced to five numbers (a :class:`LayerCost` or any mapping/object with these
keys): ``rows`` (reduction length k), ``cols`` (output features n), ``input_bits``, ``weight_bits`` and
``macs`` (multiply-accumulates per inference, m·k·n summed over repeats). Mapping onto one macro
(weight-stationary, weights assumed resident, one macro):

* the G = ``cols_per_adc`` columns of an ADC group charge-share into one conversion, so they hold
  consecutive reduction rows of the same weight bit (the same convention as the SNR model and
  :mod:`eda.workloads.mapping`): a weight tile is H·G reduction rows × ⌊W/(G·b_w)⌋ output features (a
  weight spans ``weight_bits`` columns); a layer needs ⌈k/(H·G)⌉·⌈n/⌊W/(G·b_w)⌋⌉ tiles and
  m = macs/(k·n) input vectors per tile;
* one input vector through one tile takes ``input_bits`` bit-planes × L compute cycles (one row per local
  array per cycle), each of the point's ``cycle_time_ns``;
* every compute cycle costs the macro's full-utilisation cycle energy (energy per op × ops per cycle):
  idle rows still reset, share and convert, so partial tiles are charged in full.

``workload_cost(points, layers)`` returns per-point arrays ``energy_uJ``, ``latency_ms``, ``cycles`` and
``utilisation`` (useful MACs / MAC slots), so the workload front-ends can rank design points.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eda.acim.models import DesignPoints, evaluate
from eda.errors import SpecError

__all__ = ["LayerCost", "workload_cost", "layers_from_workload"]


@dataclass(frozen=True)
class LayerCost:
    """One matrix product of a workload (see the module docstring)."""

    rows: int
    cols: int
    input_bits: int
    weight_bits: int
    macs: int
    name: str = ""


def _as_layer(item: Any, index: int) -> LayerCost:
    get = item.get if isinstance(item, dict) else (lambda key, default=None: getattr(item, key, default))
    try:
        layer = LayerCost(rows=int(get("rows")), cols=int(get("cols")), input_bits=int(get("input_bits")),
                          weight_bits=int(get("weight_bits")), macs=int(get("macs")),
                          name=str(get("name", "") or f"layer{index}"))
    except (TypeError, ValueError):
        raise SpecError(f"layer {index} needs integer rows, cols, input_bits, weight_bits and macs",
                        hint="pass LayerCost records or dicts with those keys") from None
    if min(layer.rows, layer.cols, layer.input_bits, layer.weight_bits) < 1 or layer.macs < 0:
        raise SpecError(f"layer {index} ({layer.name}) has a non-positive size: {layer}")
    return layer


def workload_cost(points: DesignPoints, layers: Iterable[Any], *, tech: Any = None, library: Any = None,
                  metrics: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Energy (µJ) and latency (ms) per inference of every design point for ``layers``.

    Args:
        points: design points (vectorised).
        layers: records with ``rows``, ``cols``, ``input_bits``, ``weight_bits``, ``macs``.
        metrics: precomputed :func:`eda.acim.models.evaluate` output for ``points`` (optional).
    """
    layers = [_as_layer(item, i) for i, item in enumerate(layers)]
    if not layers:
        raise SpecError("the workload has no layers")
    m = metrics if metrics is not None else evaluate(points, tech, library=library)
    n = points.caps_per_column.astype(float)
    ops_per_cycle = 2.0 * n * points.cols / (points.input_bits * points.weight_bits)
    energy_cycle_J = m["energy_per_op_fJ"] * 1e-15 * ops_per_cycle
    cycles = np.zeros(len(points))
    slots = np.zeros(len(points))
    useful = 0.0
    for layer in layers:
        outputs_per_tile = np.floor(points.cols / (points.cols_per_adc * layer.weight_bits))
        if np.any(outputs_per_tile < 1):
            raise SpecError(f"layer {layer.name}: {layer.weight_bits}-bit weights do not fit an ADC group "
                            "layout of some design point", hint="use fewer weight bits, fewer columns per ADC "
                                                                "or wider arrays")
        depth = points.rows * points.cols_per_adc
        tiles = np.ceil(layer.rows / depth) * np.ceil(layer.cols / outputs_per_tile)
        vectors = layer.macs / (layer.rows * layer.cols)
        cycles += tiles * vectors * layer.input_bits * points.local_array_size
        slots += tiles * vectors * depth * outputs_per_tile
        useful += layer.macs
    return {
        "energy_uJ": cycles * energy_cycle_J * 1e6,
        "latency_ms": cycles * m["cycle_time_ns"] * 1e-6,
        "cycles": cycles,
        "utilisation": useful / np.maximum(slots, 1.0),
    }


def layers_from_workload(path: str | Path) -> list[LayerCost]:
    """The matrix products of a saved :class:`eda.workloads.workload.Workload` (YAML/JSON) as LayerCosts."""
    from eda.workloads.workload import Workload

    workload = Workload.load(path)
    runs = workload.layer_runs()
    out: list[LayerCost] = []
    for layer in workload.layers:
        for op in layer.gemm_ops():
            macs = op.m * op.k * op.n * op.repeats * runs[layer.name]
            if macs:
                out.append(LayerCost(rows=op.k, cols=op.n, input_bits=layer.activation_bits,
                                     weight_bits=layer.weight_bits, macs=macs, name=f"{layer.name}.{op.part}"))
    return out
