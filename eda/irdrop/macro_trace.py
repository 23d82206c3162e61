"""Worst-case dynamic IR drop of an ACIM macro over a long workload trace, predicted by PDNNet.

A trace (:func:`eda.macro.activity.cycle_trace`) is thousands of compute cycles: every cycle runs the same
phases (charge, charge sharing, conversion, shift-add) with its own load (the layer's columns, the cycle's
input bits). The golden answer is a transient over the whole trace; the prediction never integrates in
time. The dynamic macro checkpoint was trained on one compute cycle cut into
:data:`eda.irdrop.synthetic.DEFAULT_SLICES` equal slices, so the trace is **folded by the cycle**: each
cycle is cut into the same slices and every node keeps its largest slice current over all cycles (the
envelope cycle, which bounds every cycle's load node by node); the current channel is each node's peak
current over the trace. One network evaluation then predicts the worst drop over the whole trace.

The design's maps (:class:`MacroDesign`: PDN structure, effective distance, PDN density) are built once
per design and reused for every trace; the trace's maps (:func:`trace_maps`,
:func:`eda.macro.activity.cycle_slice_maps`) are exact integrals of the piecewise-linear currents.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from eda.irdrop.synthetic import DEFAULT_SLICES

__all__ = ["MacroDesign", "TraceMaps", "macro_design", "trace_maps", "predict_trace"]


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
    """The trace's current maps (A per 1 µm tile): ``slices`` ``[S, X, Y]`` of the envelope cycle and the
    per-node ``peak`` ``[X, Y]``; ``cycles`` folded; ``seconds`` to compute them."""

    slices: np.ndarray
    peak: np.ndarray
    cycles: int
    seconds: float = 0.0


def macro_design(grid: Any, tile_um: int = 4) -> MacroDesign:
    """Build the per-design part of a prediction for ``grid`` (a :class:`eda.macro.grid.PowerGrid`): the PDN
    structure of its netlist without loads (the rail priors then take the current map), effective distance,
    PDN density, and — cached on the structure — the PDN-only feature maps, the tiles' nearest nodes and the
    PDNGraph's edges for ``tile_um`` µm graph tiles (the checkpoint's)."""
    from eda.irdrop.features import design_maps, node_map
    from eda.irdrop.graph import build_pdn_graph
    from eda.irdrop.netlist_adapter import structure_from_pdn
    from eda.macro.spice import grid_netlist
    from eda.pdn.features import effective_distance_map, pdn_density_map

    t0 = time.perf_counter()
    net = grid_netlist(grid)
    shape = grid.map_shape
    pdn = structure_from_pdn(net)
    design_maps(pdn, shape)
    node_map(pdn, np.zeros(pdn.num_nodes), shape)
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
    slices: int = DEFAULT_SLICES,
) -> TraceMaps:
    """Fold a trace by its compute cycle into the dynamic checkpoint's inputs.

    Args:
        grid: the macro's power grid; times: breakpoints (s); drawing: node indices that draw;
        currents: their piecewise-linear currents ``[len(drawing), len(times)]`` (A), as
        :func:`eda.macro.activity.drawn_waveforms` returns them; cycle_s: compute cycle (s); slices: per cycle.
    """
    from eda.macro.activity import cycle_slice_maps, whole_cycles

    t0 = time.perf_counter()
    slice_maps, peak = cycle_slice_maps(grid, times, drawing, currents, cycle_s, slices)
    cycles = whole_cycles(float(times[-1]), cycle_s)
    return TraceMaps(slices=slice_maps, peak=peak, cycles=cycles, seconds=time.perf_counter() - t0)


def predict_trace(
    predictor: Any, design: MacroDesign, maps: TraceMaps
) -> tuple[np.ndarray, dict[str, float]]:
    """Worst drop per tile over the trace (V ``[X, Y]``) from the dynamic checkpoint loaded in ``predictor``
    (:class:`eda.irdrop.predict.Predictor`), and the time of each part (s): ``features_s`` (structural maps,
    rail priors, graph) and ``network_s``."""
    from eda.irdrop.dataset import sample_from_maps

    t0 = time.perf_counter()
    sample = sample_from_maps(
        "trace", maps.peak, design.eff_dist, design.pdn_density, design.pdn, time_slices=maps.slices
    )
    sample.graph(0, False)
    t1 = time.perf_counter()
    drop = predictor.predict_sample(
        sample
    )  # the graph's node features are the trace's; its edges the design's
    t2 = time.perf_counter()
    if not np.all(np.isfinite(drop)):
        from eda.errors import EdaError

        raise EdaError("the network predicted non-finite drops from finite inputs", hint="please report it")
    return drop, {"features_s": t1 - t0, "network_s": t2 - t1}
