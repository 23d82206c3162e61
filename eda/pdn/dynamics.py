"""Dynamic load of a PDN: cell and decap capacitance per node and clock-like PWL activity per current sink.

The synthetic generator (:mod:`eda.pdn.generate`) builds its transient grids with these, and
:func:`with_activity` turns a static netlist (an ICCAD 2023 case holds only ``R``, ``V`` and DC ``I``
elements) into a transient one that draws the same load on average:

* **capacitance** on the bottom-layer (cell) nodes: ``cap_per_um2_f`` per µm² of cells, each node's area
  being its share of the load (``area × I_node / I_total``; a generated grid knows it exactly), plus a
  ``decap_f`` decap cell on a random ``decap_fraction`` of the bottom nodes;
* **activity**: every sink draws a current pulse at each clock edge (idle, 10 % rise, peak, 30 % decay)
  whose height is drawn per cycle, more active where the load is denser; the waveform's time average is
  the DC value times the activity (0.5-1.5 × a bias that grows with the node's relative load, clipped to
  0.5-2, normalised so that the die draws its DC total on average).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from eda.errors import NetlistError
from eda.pdn.netlist import PdnNetlist, Waveforms

__all__ = ["clock_activity", "load_capacitance", "with_activity"]

#: PWL pulse of one clock cycle, as fractions of the period and multiples of the mean-free base current
_PULSE_T = np.array([0.0, 0.05, 0.15, 0.45, 1.0])
_PULSE_V = np.array([0.2, 0.2, 3.0, 0.6, 0.2])


def load_capacitance(
    cell_area_um2: np.ndarray,
    rng: np.random.Generator,
    *,
    cap_per_um2_f: float = 2e-15,
    decap_fraction: float = 0.05,
    decap_f: float = 50e-15,
) -> np.ndarray:
    """Capacitance to ground (F) of every bottom-layer node from its cell area (µm²) plus random decaps.

    ``round(decap_fraction × nodes)`` distinct nodes drawn from ``rng`` get a ``decap_f`` decap each.
    """
    area = np.asarray(cell_area_um2, dtype=np.float64)
    cap = cap_per_um2_f * area
    n_decap = int(round(decap_fraction * len(area)))
    if n_decap:
        cap[rng.choice(len(area), size=n_decap, replace=False)] += decap_f
    return cap


def clock_activity(
    amps: np.ndarray, relative_load: np.ndarray, cycles: int, clock_period_s: float, rng: np.random.Generator
) -> Waveforms:
    """PWL per sink: a clock-edge current pulse each cycle with a per-cycle random activity factor.

    ``amps`` are the sinks' DC currents (A), ``relative_load`` their load relative to the die mean (1 is
    an average node): the activity of a cycle is ``U(0.5, 1.5) × b`` with ``b ∝ clip(relative_load, 0.5,
    2)`` scaled so that the die's total current is its DC total on average (denser regions toggle more),
    and the waveform's mean over a cycle is ``amps`` times that activity.
    """
    n = len(amps)
    if n == 0:
        return Waveforms.dc(0)
    T = clock_period_s
    shape_t = _PULSE_T * T
    mean_shape = np.trapezoid(_PULSE_V, shape_t) / T
    times = np.concatenate([c * T + shape_t[:-1] for c in range(cycles)] + [np.array([cycles * T])])
    amps = np.asarray(amps, dtype=np.float64)
    bias = np.clip(relative_load, 0.5, 2.0)
    bias /= max(
        float(np.sum(amps * bias)) / max(float(amps.sum()), 1e-300), 1e-300
    )  # die total: DC on average
    act = rng.uniform(0.5, 1.5, size=(n, cycles)) * bias[:, None]
    vals = (
        np.concatenate(
            [
                np.repeat(act, len(shape_t) - 1, axis=1) * np.tile(_PULSE_V[:-1], cycles),
                act[:, -1:] * _PULSE_V[-1],
            ],
            axis=1,
        )
        / mean_shape
    )
    vals *= amps[:, None]
    npts = len(times)
    return Waveforms(
        kind=np.ones(n, np.int8),
        pwl_ptr=np.arange(n + 1, dtype=np.int64) * npts,
        pwl_t=np.tile(times, n),
        pwl_v=vals.ravel(),
        pulse=np.full((n, 7), np.nan),
    )


def with_activity(
    net: PdnNetlist,
    *,
    cycles: int = 4,
    clock_period_s: float = 1e-9,
    cap_per_um2_f: float = 2e-15,
    decap_fraction: float = 0.05,
    decap_f: float = 50e-15,
    seed: int = 0,
) -> PdnNetlist:
    """A transient copy of the static ``net``: bottom-layer capacitance and clock activity on every sink.

    The sinks are the ``I`` elements from a node to ground; each one's DC value sets its relative load
    (its current over the mean sink current) and, summed per node, the node's share of the die's cell
    area (the bounding box of the bottom-layer nodes). Capacitors and waveforms already in ``net`` are
    replaced. Deterministic for a given ``seed``; ``tran`` is set to ``(T / 50, cycles × T)``.

    Raises:
        NetlistError: when the netlist has no current sink or no node coordinates to place the cells.
    """
    sinks = np.flatnonzero((net.i_a >= 0) & (net.i_b < 0) & (net.i_amp > 0))
    if sinks.size == 0:
        raise NetlistError(
            "the netlist draws no current: nothing to switch",
            where=net.source,
            hint="add I elements from supply nodes to ground",
        )
    placed = np.isfinite(net.x_um) & np.isfinite(net.y_um) & (net.layer >= 0)
    if not placed.any():
        raise NetlistError(
            "no node carries coordinates: the cell area cannot be placed",
            where=net.source,
            hint="use node names with coordinates, e.g. n1_m1_<x>_<y>",
        )
    bottom = np.flatnonzero(placed & (net.layer == net.layer[placed].min()))
    x, y = net.x_um[bottom], net.y_um[bottom]
    area = max(float(np.ptp(x)), 1.0) * max(float(np.ptp(y)), 1.0)
    node_amps = np.bincount(net.i_a[sinks], weights=net.i_amp[sinks], minlength=net.n_nodes)
    rng = np.random.default_rng(seed)
    cap = load_capacitance(
        area * node_amps[bottom] / node_amps.sum(),
        rng,
        cap_per_um2_f=cap_per_um2_f,
        decap_fraction=decap_fraction,
        decap_f=decap_f,
    )
    has = cap > 0
    act = clock_activity(
        net.i_amp[sinks], net.i_amp[sinks] / net.i_amp[sinks].mean(), cycles, clock_period_s, rng
    )
    # the sinks switch (PWL rows in element order); any other current source keeps its DC value
    n_src = len(net.i_a)
    kind, points = np.zeros(n_src, np.int8), np.zeros(n_src, np.int64)
    kind[sinks], points[sinks] = 1, np.diff(act.pwl_ptr)
    waves = Waveforms(
        kind=kind,
        pwl_ptr=np.concatenate([[0], np.cumsum(points)]),
        pwl_t=act.pwl_t,
        pwl_v=act.pwl_v,
        pulse=np.full((n_src, 7), np.nan),
    )
    return replace(
        net,
        c_a=bottom[has].astype(np.int64),
        c_b=np.full(int(has.sum()), -1, np.int64),
        c_f=cap[has],
        c_line=np.zeros(int(has.sum()), np.int64),
        waves=waves,
        tran=(clock_period_s / 50, clock_period_s * cycles),
    )
