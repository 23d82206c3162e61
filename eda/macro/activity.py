"""Cell supply currents of an ACIM macro from its energy model and a workload's activity over time.

Power per component comes from the ACIM models (:func:`eda.acim.models.evaluate`): energy per operation
(fJ) times operations per second at full activity. Each component is drawn by one kind of cell, inside one
phase of the compute cycle (timing from the same models):

=================  ============  ========================================
component          cells          phase of the compute cycle
=================  ============  ========================================
caps, switch       compute        charge (switch: charge + share)
wordline           row_driver     charge
cdac, sar_logic    sar            conversion (sar_logic includes its clock: B + 1 edges)
comparator         adc            conversion
digital            sar            after the conversion (shift-add)
=================  ============  ========================================

A workload changes the picture through its mapping (:func:`eda.workloads.mapping.map_workload`) onto
this macro: while a layer runs, the data-dependent components (caps, word lines) scale with the layer's
input bit density (the models assume ½) and only the columns holding its weights (cell utilisation)
draw them, each its full-activity share, so a layer on a fraction u of the columns draws u of the array's
capacitor power (the word lines span every column); the converter and digital parts run every operation. Static analysis uses the time-weighted
average; dynamic analysis uses the most demanding layer, cycle by cycle, as trapezoidal current pulses
whose charge per cycle equals the average current times the cycle time (charge is conserved).
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from eda.acim.spec import ACIMSpec
from eda.macro.grid import PowerGrid

__all__ = [
    "COMPONENTS",
    "Segment",
    "MacroPower",
    "macro_power",
    "activity_segments",
    "worst_segment",
    "window_means",
    "interval_means",
    "cycle_trace",
    "cycle_slice_maps",
    "CycleLoad",
    "cycle_load_maps",
    "trace_loads",
    "whole_cycles",
    "distinct_waveforms",
    "drawn_waveforms",
    "static_currents",
    "dynamic_waveforms",
    "cell_decaps_fF",
    "DECAP_ROLES",
    "node_decaps_f",
]

#: component -> (cell kind drawing it, phase); phases: charge, share+charge, conversion, cycle, digital
COMPONENTS: dict[str, tuple[str, str]] = {
    "caps": ("compute", "charge"),
    "switch": ("compute", "charge_share"),
    "wordline": ("row_driver", "charge"),
    "cdac": ("sar", "conversion"),
    "sar_logic": ("sar", "conversion"),
    "comparator": ("adc", "conversion"),
    "digital": ("sar", "digital"),
}
#: components whose energy scales with input data (the models assume a bit density of ½)
DATA_DEPENDENT = ("caps", "wordline")


@dataclass(frozen=True)
class Segment:
    """A stretch of time with one activity level.

    Attributes:
        name: the layer (or ``full-activity``); ``seconds``: its duration.
        data_scale: data-dependent power relative to the model's random data (input density / ½).
        column_fraction: fraction of the columns that hold weights (they draw the data-dependent current).
        column_start: where those columns begin, as a fraction of the width (experts sit side by side).
    """

    name: str
    seconds: float
    data_scale: float = 1.0
    column_fraction: float = 1.0
    column_start: float = 0.0


@dataclass
class MacroPower:
    """Full-activity power of each component (W) and the phase timing of one compute cycle (s)."""

    vdd: float
    component_w: dict[str, float]
    cycle_s: float
    charge_s: float
    share_s: float
    conversion_s: float
    segments: list[Segment] = field(default_factory=list)

    def window(self, phase: str) -> tuple[float, float]:
        """(start, end) of a phase inside the cycle (s)."""
        conv0 = self.charge_s + self.share_s
        conv1 = min(self.cycle_s, conv0 + self.conversion_s)
        return {
            "charge": (0.0, self.charge_s),
            "charge_share": (0.0, conv0),
            "conversion": (conv0, conv1),
            "cycle": (0.0, self.cycle_s),
            "digital": (conv1, self.cycle_s) if self.cycle_s - conv1 > 1e-12 else (0.0, self.cycle_s),
        }[phase]

    def to_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in asdict(self).items() if k != "segments"},
            "segments": [asdict(s) for s in self.segments],
        }


def macro_power(spec: ACIMSpec, clock_MHz: float = 200.0, library: Any = None) -> MacroPower:
    """Component powers at full activity (random data) and cycle timing from the ACIM models."""
    from eda.acim.models import DesignPoints, evaluate

    points = DesignPoints.from_specs([spec.to_dict()], clock_MHz=clock_MHz)
    m = evaluate(points, library=library)
    ops_per_s = float(m["throughput_tops"][0]) * 1e12
    power = {name: float(m[f"energy_{name}_fJ_per_op"][0]) * 1e-15 * ops_per_s for name in COMPONENTS}
    from eda.acim.models.area import library_tech

    vdd = float(library_tech(library).vdd_V)
    return MacroPower(
        vdd=vdd,
        component_w=power,
        cycle_s=float(m["cycle_time_ns"][0]) * 1e-9,
        charge_s=float(m["t_charge_ns"][0]) * 1e-9,
        share_s=float(m["t_share_ns"][0]) * 1e-9,
        conversion_s=float(m["t_conversion_ns"][0]) * 1e-9,
    )


def activity_segments(workload: Any, spec: ACIMSpec, clock_MHz: float = 200.0) -> list[Segment]:
    """The macro's activity over one inference of ``workload`` (a :class:`~eda.workloads.workload.Workload`)."""
    from eda.workloads.mapping import ArraySpec, map_workload

    array = ArraySpec.from_any({**spec.to_dict(), "clock_MHz": clock_MHz})
    mapping = map_workload(workload, array)
    by_name = {layer.name: layer for layer in mapping.layers}
    records = {layer.name: layer for layer in workload.layers}
    experts: dict[str, int] = {}
    for record in workload.layers:  # experts per layer group: 'l0.e3.up' belongs to group 'l0'
        if record.expert_id is not None:
            group = record.name.split(".")[0]
            experts[group] = max(experts.get(group, 0), record.expert_id + 1)
    segments = []
    for name, start, end in mapping.timeline:
        layer, record = by_name[name], records[name]
        fraction, offset = max(layer.cell_utilisation, 1.0 / spec.cols), 0.0
        if record.expert_id is not None:  # the macro holds a column slice of every expert of the layer
            share = 1.0 / experts[name.split(".")[0]]
            fraction, offset = share * min(1.0, fraction / share), record.expert_id * share
        segments.append(
            Segment(
                name,
                end - start,
                data_scale=layer.active_fraction / 0.5,
                column_fraction=fraction,
                column_start=offset,
            )
        )
    return segments


def worst_segment(segments: list[Segment]) -> Segment:
    """The most demanding segment: the largest data-dependent load (data scale x columns in use)."""
    return max(segments, key=lambda s: s.data_scale * s.column_fraction)


def interval_means(
    times: np.ndarray, currents: np.ndarray, edges: np.ndarray, block_bytes: int = 1 << 22
) -> np.ndarray:
    """Mean of piecewise-linear waveforms over the intervals between successive ``edges`` (s).

    ``currents`` ``[N, T]`` (A) at the shared breakpoints ``times`` ``[T]`` (s, increasing; zero outside
    them); ``edges`` increasing, within ``[times[0], times[-1]]``. Returns ``[len(edges) - 1, N]`` (A).
    Exact for piecewise-linear waveforms: the running charge is integrated in closed form up to each edge,
    in ``O(N (T + E))`` without a per-waveform loop. The waveforms are taken in blocks of about
    ``block_bytes`` so that the temporaries stay small and the time grows linearly with the trace.
    """
    times = np.asarray(times, dtype=float)
    edges = np.asarray(edges, dtype=float)
    values = np.atleast_2d(np.asarray(currents, dtype=float))
    if edges[-1] > times[-1] * (1 + 1e-12) + 1e-30 or edges[0] < times[0] - 1e-30:
        raise ValueError(f"windows up to {edges[-1]} s reach past the waveforms' last time {times[-1]} s")
    if np.any(np.diff(edges) <= 0):
        raise ValueError("interval edges must increase")
    dt = np.diff(times)
    half_dt = 0.5 * dt
    e = np.clip(edges, times[0], times[-1])
    k = np.clip(np.searchsorted(times, e, side="right") - 1, 0, len(times) - 2)
    tau = e - times[k]
    span = np.where(dt[k] > 0, dt[k], 1.0)
    width = np.diff(edges)
    out = np.empty((len(edges) - 1, values.shape[0]))
    rows = max(1, block_bytes // (8 * values.shape[1]))
    for first in range(0, values.shape[0], rows):
        v = values[first : first + rows]
        charge = np.zeros_like(v)  # running integral at every breakpoint (C)
        area = v[:, 1:] + v[:, :-1]
        area *= half_dt
        np.cumsum(area, axis=1, out=charge[:, 1:])
        start = v[:, k]
        slope = (v[:, k + 1] - start) / span
        at_edges = charge[:, k] + start * tau + 0.5 * slope * tau**2
        out[:, first : first + rows] = (np.diff(at_edges, axis=1) / width).T
    return out


def window_means(times: np.ndarray, currents: np.ndarray, stop: float, windows: int) -> np.ndarray:
    """Mean of piecewise-linear waveforms over ``windows`` equal windows of ``[0, stop]`` s.

    ``currents`` ``[N, T]`` (A) at ``times`` ``[T]`` (s), with ``stop <= times[-1]``; returns ``[windows, N]``
    (A) (:func:`interval_means`).
    """
    return interval_means(times, currents, np.linspace(0.0, stop, windows + 1))


def cycle_trace(
    segments: list[Segment], spec: ACIMSpec, cycle_s: float, cycles: int, seed: int = 0, per_layer: int = 4
) -> list[Segment]:
    """A workload trace of ``cycles`` compute cycles, one :class:`Segment` per cycle (``cycle_s`` s each).

    The layers of ``segments`` (:func:`activity_segments`) run in order, ``per_layer`` cycles each, from the
    first again when the trace outlasts them. A cycle's input bits are ``spec.rows`` Bernoulli draws at the
    layer's input density (``data_scale / 2``), so its data-dependent load fluctuates around the layer's
    mean by the binomial spread; columns in use are the layer's.
    """
    if cycles < 1 or per_layer < 1:
        raise ValueError(f"cycles and per_layer must be >= 1, got {cycles}, {per_layer}")
    if not segments:
        raise ValueError("no activity segments to trace")
    rng = np.random.default_rng(seed)
    trace = []
    for k in range(cycles):
        layer = segments[(k // per_layer) % len(segments)]
        density = min(1.0, max(0.0, 0.5 * layer.data_scale))
        ones = rng.binomial(spec.rows, density)
        trace.append(
            Segment(
                f"{layer.name}#{k}",
                cycle_s,
                data_scale=ones / spec.rows / 0.5,
                column_fraction=layer.column_fraction,
                column_start=layer.column_start,
            )
        )
    return trace


def whole_cycles(stop_s: float, cycle_s: float) -> int:
    """Whole compute cycles of ``cycle_s`` s in ``[0, stop_s]`` (a cycle ending at ``stop_s`` within 1 ppb counts)."""
    return int(np.floor(stop_s / cycle_s * (1 + 1e-9)))


def cycle_slice_maps(
    grid: PowerGrid,
    times: np.ndarray,
    drawing: np.ndarray,
    currents: np.ndarray,
    cycle_s: float,
    slices: int = 8,
    wave_index: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fold waveforms by the compute cycle into tile maps (A per 1 µm tile): ``(slices [S, X, Y], peak [X, Y])``.

    Every whole cycle in ``times`` is cut into ``slices`` equal windows; each node keeps its largest window
    mean over all cycles (the envelope cycle, which bounds every cycle's load node by node), summed per tile.
    ``peak`` is each node's largest current over the waveforms, summed per tile. ``drawing``/``currents`` as
    :func:`drawn_waveforms` returns them (``currents`` ``[len(drawing), len(times)]``, A), or with
    ``wave_index`` as :func:`distinct_waveforms` does (``currents`` the distinct waveforms ``[U, len(times)]``,
    node ``drawing[i]`` drawing ``currents[wave_index[i]]``; folded once each).
    """
    index = _wave_index(drawing, currents, wave_index)
    means = _cycle_means(times, currents, cycle_s, slices)
    return (
        np.stack([grid.node_tile_map(drawing, m[index]) for m in means.max(axis=0)]),
        grid.node_tile_map(drawing, np.asarray(currents).max(axis=1)[index]),
    )


@dataclass
class CycleLoad:
    """The cycles of a trace that share a load, folded (:func:`cycle_load_maps`).

    Attributes:
        grid: the macro's power grid; drawing: the nodes that draw (as :func:`drawn_waveforms`);
        node_slices: the envelope of those cycles' window means per drawing node ``[S, len(drawing)]`` (A);
        node_peak: each drawing node's largest current in those cycles ``[len(drawing)]`` (A);
        cycles: indices of the cycles (from 0 at the waveforms' first time).
    The tile maps (:attr:`slices`, :attr:`peak`, A per 1 µm tile) are summed on first use.
    """

    grid: PowerGrid = field(repr=False)
    drawing: np.ndarray = field(repr=False)
    node_slices: np.ndarray = field(repr=False)
    node_peak: np.ndarray = field(repr=False)
    cycles: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @cached_property
    def slices(self) -> np.ndarray:
        """Envelope cycle's window-mean maps ``[S, X, Y]`` (A per tile)."""
        return np.stack([self.grid.node_tile_map(self.drawing, m) for m in self.node_slices])

    @cached_property
    def peak(self) -> np.ndarray:
        """Peak-current map ``[X, Y]`` (A per tile)."""
        return self.grid.node_tile_map(self.drawing, self.node_peak)

    def bounds(self, other: CycleLoad) -> bool:
        """Whether this load draws at least ``other``'s window-mean and peak current at every node."""
        return bool(
            np.all(self.node_peak >= other.node_peak) and np.all(self.node_slices >= other.node_slices)
        )


def trace_loads(trace: list[Segment]) -> list[tuple[float, float]]:
    """The load of each cycle of a trace (:func:`cycle_trace`): the columns its weights occupy, as
    ``(column_start, column_fraction)``; cycles of layers mapped onto the same columns share a load."""
    return [(round(s.column_start, 12), round(s.column_fraction, 12)) for s in trace]


def cycle_load_maps(
    grid: PowerGrid,
    times: np.ndarray,
    drawing: np.ndarray,
    currents: np.ndarray,
    cycle_s: float,
    loads: Sequence[Hashable],
    slices: int = 8,
    wave_index: np.ndarray | None = None,
) -> list[CycleLoad]:
    """Fold waveforms by the compute cycle separately for every **load** (``loads``: one label per whole
    cycle, e.g. :func:`trace_loads`; cycles with equal labels fold together).

    Within a load the cycles draw on the same cells and differ only by how much, so the envelope cycle is
    close to the busiest one; across loads it is not: the envelope of a layer on the left columns and one
    on the right draws on both halves at once, which no cycle does. The worst drop over a trace is the
    largest of the worst drops over each load's cycles (up to the decaps' carry-over between cycles), so a
    prediction per load never adds loads that do not coincide. Returns the loads in order of their first
    cycle; window means and peaks are exact for piecewise-linear waveforms (a cycle's peak includes the
    waveforms' values at its two edges). Other arguments as :func:`cycle_slice_maps`.
    """
    currents = np.asarray(currents, dtype=float)
    index = _wave_index(drawing, currents, wave_index)
    means = _cycle_means(times, currents, cycle_s, slices)
    if len(loads) < len(means):
        raise ValueError(f"{len(loads)} load labels for {len(means)} whole compute cycles")
    peaks = _cycle_peaks(times, currents, cycle_s, len(means))
    members: dict[Hashable, list[int]] = {}
    for cycle, label in enumerate(loads[: len(means)]):
        members.setdefault(label, []).append(cycle)
    return [
        CycleLoad(
            grid=grid,
            drawing=np.asarray(drawing),
            node_slices=means[cycles].max(axis=0)[:, index],
            node_peak=peaks[cycles].max(axis=0)[index],
            cycles=np.array(cycles),
        )
        for cycles in members.values()
    ]


def _wave_index(drawing: np.ndarray, currents: np.ndarray, wave_index: np.ndarray | None) -> np.ndarray:
    """The row of ``currents`` that each drawing node draws (its own row without ``wave_index``)."""
    rows = np.asarray(currents).shape[0]
    if wave_index is None:
        if rows != len(drawing):
            raise ValueError(f"{rows} waveforms for {len(drawing)} drawing nodes (pass wave_index)")
        return np.arange(rows)
    index = np.asarray(wave_index)
    if index.shape != (len(drawing),) or (len(index) and (index.min() < 0 or index.max() >= rows)):
        raise ValueError(
            f"wave_index must give each of the {len(drawing)} drawing nodes one of {rows} waveforms"
        )
    return index


def _cycle_means(times: np.ndarray, currents: np.ndarray, cycle_s: float, slices: int) -> np.ndarray:
    """Window means ``[cycles, slices, N]`` (A) of every whole compute cycle in ``times``."""
    cycles = whole_cycles(float(times[-1]), cycle_s)
    if cycles < 1:
        raise ValueError(
            f"the waveforms ({times[-1]:g} s) are shorter than one compute cycle ({cycle_s:g} s)"
        )
    edges = np.linspace(0.0, cycles * cycle_s, cycles * slices + 1)
    return interval_means(times, currents, edges).reshape(cycles, slices, -1)


def _cycle_peaks(times: np.ndarray, currents: np.ndarray, cycle_s: float, cycles: int) -> np.ndarray:
    """Largest value ``[cycles, N]`` (A) of each piecewise-linear waveform in each of the first ``cycles``
    compute cycles: over the breakpoints inside the cycle and the interpolated values at its two edges."""
    times = np.asarray(times, dtype=float)
    edges = np.minimum(np.arange(cycles + 1) * cycle_s, times[-1])
    k = np.clip(np.searchsorted(times, edges, side="right") - 1, 0, len(times) - 2)
    frac = (edges - times[k]) / np.where(times[k + 1] > times[k], times[k + 1] - times[k], 1.0)
    at_edges = currents[:, k] * (1 - frac) + currents[:, k + 1] * frac  # [N, cycles + 1]
    peaks = np.maximum(at_edges[:, :-1], at_edges[:, 1:])
    first = np.searchsorted(times, edges, side="left")  # first breakpoint at or after each edge
    inside = first[1:] > first[:-1]  # cycles with a breakpoint in [start, end)
    if inside.any():
        starts = first[:-1][inside]
        bounds = np.append(starts, first[-1]) if first[-1] < len(times) else starts
        within = np.maximum.reduceat(currents, bounds, axis=1)[:, : len(starts)]
        peaks[:, inside] = np.maximum(peaks[:, inside], within)
    return peaks.T


def _active(grid: PowerGrid, kind: str, segment: Segment, data_dependent: bool) -> np.ndarray:
    """Boolean mask of the sinks of ``kind`` that draw a component (weight-holding columns only for data)."""
    cols = grid.sink_columns[kind]
    if not data_dependent or kind == "row_driver":
        return np.ones(len(cols), dtype=bool)
    width = int(cols.max()) + 1
    first = min(width - 1, int(math.floor(segment.column_start * width + 1e-9)))
    used = max(1, math.ceil(segment.column_fraction * width - 1e-9))
    return (cols >= first) & (cols < first + used)


def static_currents(grid: PowerGrid, power: MacroPower, segments: list[Segment] | None = None) -> np.ndarray:
    """Average current (A) drawn at every node of ``grid`` (zero where no cell draws)."""
    segments = segments or [Segment("full-activity", 1.0)]
    total = sum(s.seconds for s in segments)
    current = np.zeros(grid.n_nodes)
    for segment in segments:
        weight = segment.seconds / total
        for name, (kind, _) in COMPONENTS.items():
            data = name in DATA_DEPENDENT
            amps = power.component_w[name] / power.vdd * weight * (segment.data_scale if data else 1.0)
            mask = _active(grid, kind, segment, data)
            # each cell in use draws its full-activity share: a layer on a fraction of the columns draws
            # that fraction of the array's data-dependent power (columns without its weights switch nothing)
            np.add.at(current, grid.sinks[kind][mask], amps / len(mask))
    return current


def _pulse(t0: float, t1: float, charge: float) -> tuple[list[float], list[float]]:
    """Trapezoid carrying ``charge`` (C) between t0 and t1 with 10% edges: times and currents."""
    edge = 0.1 * (t1 - t0)
    amp = charge / (t1 - t0 - edge)
    return [t0, t0 + edge, t1 - edge, t1], [0.0, amp, amp, 0.0]


def distinct_waveforms(
    grid: PowerGrid, power: MacroPower, segments: Segment | list[Segment], cycles: int = 8
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The drawing nodes' current waveforms, each distinct one once: ``cycles`` compute cycles of each segment,
    one segment after another.

    Returns ``(times_s, drawing, wave_index, waves)``: a common time grid (s), the indices of the nodes that
    draw current, for each of them the row of ``waves`` it draws, and the distinct waveforms
    ``[U, len(times)]`` (A). Every (segment, component) pulse train is one waveform spread over its cells by a
    sparse node x waveform matrix; nodes whose rows of that matrix are equal (the cells of one kind on the
    same columns, whatever the trace's length) draw the same waveform, which is computed once. A trace of
    thousands of cycles on a 320x256 macro has 7 distinct waveforms for its ~10,000 drawing nodes.
    """
    import scipy.sparse as sp

    segments = [segments] if isinstance(segments, Segment) else list(segments)
    span = cycles * power.cycle_s
    pulses: list[tuple[int, str, list[float], list[float]]] = []
    edges = {0.0, len(segments) * span}
    for s_index, segment in enumerate(segments):
        for name, (_kind, phase) in COMPONENTS.items():
            t0, t1 = power.window(phase)
            data = name in DATA_DEPENDENT
            charge = (
                power.component_w[name] / power.vdd * power.cycle_s * (segment.data_scale if data else 1.0)
            )
            for k in range(cycles):
                base = s_index * span + k * power.cycle_s
                ts, vs = _pulse(base + t0, base + t1, charge)
                pulses.append((s_index, name, ts, vs))
                edges.update(ts)
    # breakpoints on a 1 fs grid: pulse edges computed in floating point coincide exactly
    times = np.unique(np.round(np.array(sorted(edges)), 15))
    keys = [(s_index, name) for s_index in range(len(segments)) for name in COMPONENTS]
    column = {key: j for j, key in enumerate(keys)}
    waves = np.zeros((len(keys), len(times)))
    for s_index, name, ts, vs in pulses:
        waves[column[(s_index, name)]] += np.interp(times, ts, vs, left=0.0, right=0.0)
    rows, cols, vals = [], [], []
    for (s_index, name), j in column.items():
        kind = COMPONENTS[name][0]
        mask = _active(grid, kind, segments[s_index], name in DATA_DEPENDENT)
        nodes = grid.sinks[kind][mask]
        rows.append(nodes)
        cols.append(np.full(len(nodes), j))
        vals.append(np.full(len(nodes), 1.0 / len(mask)))  # each cell its share (static_currents)
    share = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(grid.n_nodes, len(keys))
    )  # duplicate (node, waveform) entries add up, as the cells on one node do
    drawing = np.flatnonzero(share.getnnz(axis=1))
    share = share[drawing]
    # equal rows have equal projections; the check below makes the grouping exact whatever the projections
    projection = share @ np.random.default_rng(0).uniform(0.5, 1.5, size=(len(keys), 2))
    _, first, wave_index = np.unique(projection, axis=0, return_index=True, return_inverse=True)
    wave_index = wave_index.ravel()
    if abs(share - share[first][wave_index]).max() != 0:  # pragma: no cover - a projection collision
        first, wave_index = np.arange(len(drawing)), np.arange(len(drawing))
    distinct = np.asarray(share[first] @ waves)
    keep = np.abs(distinct).max(axis=1) > 0
    renumber = np.cumsum(keep) - 1
    nodes = keep[wave_index]
    return times, drawing[nodes], renumber[wave_index[nodes]], distinct[keep]


def drawn_waveforms(
    grid: PowerGrid, power: MacroPower, segments: Segment | list[Segment], cycles: int = 8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Current waveforms of the nodes that draw: ``cycles`` compute cycles of each segment, one segment after
    another.

    Returns ``(times_s, drawing, currents)``: a common time grid (s), the indices of the nodes that draw
    current and their waveforms ``[len(drawing), times]`` (A) (:func:`distinct_waveforms`, one row per node).
    """
    times, drawing, wave_index, waves = distinct_waveforms(grid, power, segments, cycles)
    return times, drawing, waves[wave_index]


def dynamic_waveforms(
    grid: PowerGrid, power: MacroPower, segments: Segment | list[Segment], cycles: int = 8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-node current waveforms: ``cycles`` compute cycles of each segment, one segment after another.

    Returns ``(times_s, currents, drawing)``: a common time grid (s), ``currents`` of shape (nodes, times) in
    A, and the indices of the nodes that draw current (:func:`drawn_waveforms` on every node).
    """
    times, drawing, drawn = drawn_waveforms(grid, power, segments, cycles)
    current = np.zeros((grid.n_nodes, len(times)))
    current[drawing] = drawn
    return times, current, drawing


_MOS = re.compile(r"^M\S*\s.*?\bW=([\d.eE+-]+)u?\s+L=([\d.eE+-]+)u?", re.IGNORECASE)


def cell_decaps_fF(library_path: Path, cells: dict[str, str], gate_cap_fF_per_um2: float) -> dict[str, float]:
    """Intrinsic decoupling capacitance of each cell kind (fF): its devices' gate area times C_ox.

    ``cells`` maps the sink kind to the cell name whose SPICE subcircuit lists its transistors. Gate
    capacitance is the first-order estimate of a cell's non-switching charge reservoir on the supply.
    """
    out = {}
    for kind, cell in cells.items():
        spice = library_path / f"{cell}.spice"
        area = 0.0
        if spice.is_file():
            for line in spice.read_text().splitlines():
                match = _MOS.match(line.strip())
                if match:
                    area += float(match.group(1)) * float(match.group(2))
        out[kind] = area * gate_cap_fF_per_um2
    return out


#: sink kind -> library role of the cell whose transistors give its decap (the SAR blocks are drawn from
#: standard cells per macro: none)
DECAP_ROLES = {
    "bitcell": "bitcell",
    "row_driver": "row_driver",
    "compute": "compute",
    "colper": "colper",
    "adc": "adc",
}


def node_decaps_f(grid: PowerGrid, library: Any) -> np.ndarray:
    """Decoupling capacitance (F) at every node of ``grid``: each sink's cell gate capacitance
    (:func:`cell_decaps_fF`, with the library's C_ox)."""
    from eda.acim.models.area import library_tech

    roles = {k: library.role(r).name for k, r in DECAP_ROLES.items() if k in grid.sinks}
    per_kind = cell_decaps_fF(library.path, roles, library_tech(library).gate_cap_fF_per_um2)
    decap = np.zeros(grid.n_nodes)
    for kind, fF in per_kind.items():
        np.add.at(decap, grid.sinks[kind], fF * 1e-15)
    return decap
