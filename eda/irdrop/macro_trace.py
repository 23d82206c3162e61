"""Worst-case dynamic IR drop of an ACIM macro over a long workload trace, predicted by PDNNet.

A trace (:func:`eda.macro.activity.cycle_trace`) is thousands of compute cycles: every cycle runs the same
phases (charge, charge sharing, conversion, shift-add) with its own load (the layer's columns, the cycle's
input bits). The golden answer is a transient over the whole trace; the prediction never integrates in
time. The dynamic macro checkpoint was trained on one compute cycle cut into
:data:`eda.irdrop.synthetic.DEFAULT_SLICES` equal slices, so the trace is **folded by the cycle, per
load** (:func:`eda.macro.activity.cycle_load_maps`): the cycles whose weights sit on the same columns
(one layer's, or several layers' mapped onto the same columns; :func:`eda.macro.activity.trace_loads`) are
cut into the same slices and every node keeps its largest slice current over those cycles (the envelope
cycle); the current channel is each node's peak current over them. Folding the whole trace into one envelope would add up loads that never
draw at once (the busiest cycles of layers on the first 30 % of the columns with those of a layer on 60 %
of them at a lower input density), which on a 320x256 MiniLM-L6 trace over-states the network's worst-case
drop by 4 % of the worst drop on average.

The worst drop over the trace is the largest of the loads' worst drops. A load that another bounds on
every tile (:func:`undominated_loads`) is left out; the rail estimate of each remaining load (linear in
its current; its factored systems are built once with the design) picks the loads worth a network
evaluation: those whose estimate is the largest at one tile at least; the prediction is the tile-wise
maximum of the network's output over them.

The design's maps (:class:`MacroDesign`: PDN structure, effective distance, PDN density) are built once
per design and reused for every trace; the trace's maps (:func:`trace_maps`) are exact integrals of the
piecewise-linear currents.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eda.irdrop.synthetic import DEFAULT_SLICES

__all__ = [
    "MacroDesign",
    "TraceMaps",
    "macro_design",
    "trace_maps",
    "predict_trace",
    "undominated_loads",
    "trace_priors",
]


@dataclass
class MacroDesign:
    """What a prediction needs of one macro design, whatever runs on it.

    Attributes:
        grid: the extracted power grid (:class:`eda.macro.grid.PowerGrid`); pdn: its structure without
        loads (:class:`eda.irdrop.structure.PdnStructure`); eff_dist: effective distance to the pads (µm per
        1 µm tile); pdn_density: stripes per 100 µm (per tile); seconds: time to build all of it (s).
    """

    grid: Any
    pdn: Any
    eff_dist: np.ndarray
    pdn_density: np.ndarray
    seconds: float = 0.0

    @property
    def shape(self) -> tuple[int, int]:
        """Map shape ``(X, Y)`` in 1 µm tiles."""
        return tuple(self.grid.map_shape)


@dataclass
class TraceMaps:
    """The trace folded per load: ``loads`` (:class:`eda.macro.activity.CycleLoad`: the envelope cycle's
    ``slices`` ``[S, X, Y]`` and ``peak`` ``[X, Y]`` current maps, A per 1 µm tile, and the load's cycles),
    ``cycles`` folded in all, ``seconds`` to compute them."""

    loads: list[Any]
    cycles: int
    seconds: float = 0.0


def macro_design(grid: Any, tile_um: int = 4) -> MacroDesign:
    """Build the per-design part of a prediction for ``grid`` (a :class:`eda.macro.grid.PowerGrid`): the PDN
    structure of its netlist without loads (the rail priors then take the current map), effective distance,
    PDN density, and — cached on the structure — the PDN-only feature maps, the tiles' nearest nodes, the
    rail estimate's factored systems (:func:`eda.irdrop.rail.prepare_rail_estimate`) and the PDNGraph's
    edges for ``tile_um`` µm graph tiles (the checkpoint's)."""
    from eda.irdrop.features import design_maps, node_map
    from eda.irdrop.graph import build_pdn_graph
    from eda.irdrop.netlist_adapter import structure_from_pdn
    from eda.irdrop.rail import prepare_rail_estimate
    from eda.macro.spice import grid_netlist
    from eda.pdn.features import effective_distance_map, pdn_density_map

    t0 = time.perf_counter()
    net = grid_netlist(grid)
    shape = grid.map_shape
    pdn = structure_from_pdn(net)
    design_maps(pdn, shape)
    node_map(pdn, np.zeros(pdn.num_nodes), shape)
    prepare_rail_estimate(pdn, shape)
    build_pdn_graph(np.zeros((1, *shape), dtype=np.float32), tile_um, pdn=pdn)
    return MacroDesign(
        grid=grid,
        pdn=pdn,
        eff_dist=effective_distance_map(net, shape, snap_um=None),
        pdn_density=pdn_density_map(net, shape, layer=4),
        seconds=time.perf_counter() - t0,
    )


def trace_maps(
    grid: Any,
    times: np.ndarray,
    drawing: np.ndarray,
    currents: np.ndarray,
    cycle_s: float,
    loads: Sequence[Hashable] | None = None,
    slices: int = DEFAULT_SLICES,
    wave_index: np.ndarray | None = None,
) -> TraceMaps:
    """Fold a trace by its compute cycle, per load, into the dynamic checkpoint's inputs.

    Args:
        grid: the macro's power grid; times: breakpoints (s); drawing: node indices that draw;
        currents: their piecewise-linear currents ``[len(drawing), len(times)]`` (A), as
        :func:`eda.macro.activity.drawn_waveforms` returns them; cycle_s: compute cycle (s); loads: one
        label per whole cycle (:func:`eda.macro.activity.trace_loads`; default: the whole trace is one load);
        slices: per cycle; wave_index: with ``currents`` the distinct waveforms, the one each drawing node
        draws (as :func:`eda.macro.activity.distinct_waveforms` returns them: each is folded once).
    """
    from eda.macro.activity import cycle_load_maps, whole_cycles

    t0 = time.perf_counter()
    cycles = whole_cycles(float(times[-1]), cycle_s)
    labels = [0] * cycles if loads is None else loads
    folded = cycle_load_maps(grid, times, drawing, currents, cycle_s, labels, slices, wave_index)
    return TraceMaps(loads=folded, cycles=cycles, seconds=time.perf_counter() - t0)


def predict_trace(
    predictor: Any, design: MacroDesign, maps: TraceMaps
) -> tuple[np.ndarray, dict[str, float]]:
    """Worst drop per tile over the trace (V ``[X, Y]``) from the dynamic checkpoint loaded in ``predictor``
    (:class:`eda.irdrop.predict.Predictor`), and what it took: ``features_s`` (the loads' rail estimates,
    structural maps, rail priors, graph; s), ``network_s`` (s), ``loads`` (in the trace) and
    ``predicted_loads`` (evaluated by the network: the rail estimate is the largest at a tile or more)."""
    from eda.errors import EdaError
    from eda.irdrop.dataset import sample_from_maps
    from eda.irdrop.features import rail_maps

    t0 = time.perf_counter()
    kept = undominated_loads(maps.loads)
    chosen: list[tuple[Any, Any]] = [(load, None) for load in kept]
    if len(kept) > 1:  # the network runs on the loads whose rail estimate is the largest at a tile
        rails = [rail_maps(design.pdn, design.shape, load.peak, coarse=True) for load in kept]
        top = np.max([r[0] for r in rails], axis=0)
        chosen = [
            (load, r) for load, r in zip(kept, rails, strict=True) if np.any((r[0] >= top) & (top > 0))
        ] or chosen
    features_s, network_s = time.perf_counter() - t0, 0.0
    drop = np.full(design.shape, -np.inf)
    for load, rail in chosen:
        t0 = time.perf_counter()
        sample = sample_from_maps(
            "trace",
            load.peak,
            design.eff_dist,
            design.pdn_density,
            design.pdn,
            time_slices=load.slices,
            rails=rail,
        )
        sample.graph(0, False)  # the graph's node features are the load's; its edges the design's
        t1 = time.perf_counter()
        drop = np.maximum(drop, predictor.predict_sample(sample))
        network_s += time.perf_counter() - t1
        features_s += t1 - t0
    if not np.all(np.isfinite(drop)):
        raise EdaError("the network predicted non-finite drops from finite inputs", hint="please report it")
    return drop, {
        "features_s": features_s,
        "network_s": network_s,
        "loads": len(maps.loads),
        "predicted_loads": len(chosen),
    }


def undominated_loads(loads: list[Any]) -> list[Any]:
    """The loads (:class:`eda.macro.activity.CycleLoad`) that no other load bounds: a load whose window-mean
    and peak currents are at or below another's at every node draws no more anywhere at any slice, and the
    drop of a resistive-capacitive grid only grows with its sinks' currents, so its worst drop is the
    other's at most (of equal loads the first is kept)."""
    return [
        load
        for i, load in enumerate(loads)
        if not any(
            other.bounds(load) and (j < i or not load.bounds(other))
            for j, other in enumerate(loads)
            if j != i
        )
    ]


def trace_priors(design: MacroDesign, maps: TraceMaps) -> dict[str, np.ndarray]:
    """The network's priors alone on a trace (mV ``[X, Y]``, by name as
    :func:`eda.irdrop.features.prior_maps`): each the tile-wise maximum over the trace's loads."""
    from eda.irdrop.dataset import sample_from_maps
    from eda.irdrop.features import prior_maps

    out: dict[str, np.ndarray] = {}
    for load in maps.loads:
        sample = sample_from_maps("trace", load.peak, design.eff_dist, design.pdn_density, design.pdn)
        for name, prior in prior_maps(sample.inputs).items():
            out[name] = np.maximum(out[name], prior) if name in out else prior
    return out
