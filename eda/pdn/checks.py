"""Physical sanity checks of a :class:`~eda.pdn.netlist.PdnNetlist`, run before any solve.

Every problem is a :class:`~eda.errors.NetlistError` (or :class:`~eda.errors.FloatingNetError`) naming
the element's ``file:line`` or the nodes with their coordinates, never a "singular matrix" later on.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from eda.errors import FloatingNetError, NetlistError
from eda.pdn.netlist import PdnNetlist

__all__ = [
    "check_netlist",
    "check_solution",
    "netlist_warnings",
    "floating_islands",
    "short_groups",
    "MAX_RESISTANCE_OHM",
    "SHORT_OHM",
    "MAX_SOURCE_A",
    "MAX_SUPPLY_V",
]

_SHOW = 5
_LOG = logging.getLogger("eda.pdn")

#: a resistor above this (Ω) is an open circuit in a PDN and leaves the conductance matrix near-singular
MAX_RESISTANCE_OHM = 1e12
#: a resistor below this (Ω) is a near-short: legal, but warned about (merge the nodes instead)
SHORT_OHM = 1e-6
#: one current source above this (A) is not a chip's load (a whole die draws ~1-100 A)
MAX_SOURCE_A = 1e3
#: a pad above this (V) is not a chip supply
MAX_SUPPLY_V = 1e3


def _bad_values(net: PdnNetlist, kind: str, values: np.ndarray, ok: np.ndarray, what: str, hint: str) -> None:
    bad = np.flatnonzero(~ok)
    if len(bad) == 0:
        return
    a = getattr(net, {"r": "r_a", "c": "c_a", "l": "l_a", "i": "i_a", "v": "v_pos"}[kind])
    b = getattr(net, {"r": "r_b", "c": "c_b", "l": "l_b", "i": "i_b", "v": "v_neg"}[kind])
    k = int(bad[0])
    more = f" ({len(bad) - 1} more)" if len(bad) > 1 else ""
    raise NetlistError(
        f"{kind.upper()} element between {net.node_name(int(a[k]))} and {net.node_name(int(b[k]))} "
        f"has {what} {values[k]:g}{more}",
        where=net.where(kind, k),
        hint=hint,
    )


def short_groups(net: PdnNetlist) -> np.ndarray:
    """DC representative of every node: inductors are shorts at DC, so their ends share one voltage."""
    n = net.n_nodes
    if len(net.l_a) == 0:
        return np.arange(n)
    keep = (net.l_a >= 0) & (net.l_b >= 0)
    if np.any(~keep):
        k = int(np.flatnonzero(~keep)[0])
        raise NetlistError(
            "an inductor to ground shorts its node to 0 V at DC",
            where=net.where("l", k),
            hint="connect package inductors in series between the pad source and the grid",
        )
    graph = sp.coo_matrix((np.ones(int(keep.sum())), (net.l_a[keep], net.l_b[keep])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # representative = smallest node index of each group
    rep = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(rep, labels, np.arange(n))
    return rep[labels]


def floating_islands(net: PdnNetlist, rep: np.ndarray | None = None) -> list[np.ndarray]:
    """Groups of nodes with no resistive/inductive path to a pad or to ground (largest first)."""
    n = net.n_nodes
    if n == 0:
        return []
    rep = short_groups(net) if rep is None else rep
    gnd = n  # extra vertex standing for ground
    a = np.where(net.r_a < 0, gnd, rep[np.maximum(net.r_a, 0)])
    b = np.where(net.r_b < 0, gnd, rep[np.maximum(net.r_b, 0)])
    pads = rep[net.v_pos[net.v_pos >= 0]]
    rows = np.concatenate([a, pads, rep])
    cols = np.concatenate([b, np.full(len(pads), gnd), np.arange(n)])
    graph = sp.coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    _, labels = connected_components(graph, directed=False)
    grounded = labels[gnd]
    floating = np.flatnonzero(labels[:n] != grounded)
    if len(floating) == 0:
        return []
    groups = np.split(
        floating[np.argsort(labels[floating], kind="stable")],
        np.flatnonzero(np.diff(np.sort(labels[floating]))) + 1,
    )
    return sorted(groups, key=len, reverse=True)


def _wave_extremes(net: PdnNetlist) -> tuple[np.ndarray, np.ndarray]:
    """Per current source, the smallest and largest value its DC value and waveform take (A)."""
    lo, hi = net.i_amp.copy(), net.i_amp.copy()
    w = net.waves
    if w is None or w.is_static:
        return lo, hi
    pwl = np.flatnonzero(w.kind == 1)
    if len(pwl) and len(w.pwl_v):
        starts, ends = w.pwl_ptr[pwl], w.pwl_ptr[pwl + 1]
        ok = ends > starts
        lo[pwl[ok]] = np.minimum(lo[pwl[ok]], np.minimum.reduceat(w.pwl_v, starts[ok]))
        hi[pwl[ok]] = np.maximum(hi[pwl[ok]], np.maximum.reduceat(w.pwl_v, starts[ok]))
    pulse = np.flatnonzero(w.kind == 2)
    if len(pulse):
        lo[pulse] = np.minimum(lo[pulse], w.pulse[pulse, :2].min(axis=1))
        hi[pulse] = np.maximum(hi[pulse], w.pulse[pulse, :2].max(axis=1))
    return lo, hi


def _check_sources(net: PdnNetlist) -> None:
    """Pad voltages and load currents: finite, within physical bounds, loads drawing (not injecting)."""
    _bad_values(
        net,
        "v",
        net.v_volt,
        np.isfinite(net.v_volt),
        "voltage",
        "a pad is 'V<name> <node> 0 <supply volts>' with a finite value",
    )
    _bad_values(
        net,
        "v",
        net.v_volt,
        (net.v_volt >= 0) & (net.v_volt <= MAX_SUPPLY_V),
        "voltage (V)",
        f"pads hold the positive supply (0 to {MAX_SUPPLY_V:g} V); ground-grid (VSS bounce) "
        "analysis is not supported",
    )
    if len(net.v_volt) and net.supply_v <= 0:
        raise NetlistError(
            f"every pad is at {net.supply_v:g} V: there is no supply to drop from",
            where=net.where("v", 0),
            hint="pads hold the supply, e.g. 'V1 <node> 0 1.1'",
        )
    lo, hi = _wave_extremes(net)
    w = net.waves
    if w is not None and not w.is_static:
        finite_t = np.isfinite(w.pwl_t)
        if not np.all(finite_t):
            k = int(np.searchsorted(w.pwl_ptr, np.flatnonzero(~finite_t)[0], side="right") - 1)
            raise NetlistError(
                "PWL time is not finite", where=net.where("i", k), hint="PWL(t1 v1 t2 v2 ...) in s and A"
            )
    _bad_values(
        net,
        "i",
        np.where(np.isfinite(lo), hi, lo),
        np.isfinite(lo) & np.isfinite(hi),
        "current",
        "a current source's value (and waveform) must be finite amperes",
    )
    big = np.maximum(np.abs(lo), np.abs(hi))
    _bad_values(
        net,
        "i",
        big,
        big <= MAX_SOURCE_A,
        "current magnitude (A)",
        f"one load above {MAX_SOURCE_A:g} A is not a chip's; check the unit (1m is 1 mA)",
    )
    to_ground = (net.i_b < 0) & (net.i_a >= 0)
    from_ground = (net.i_a < 0) & (net.i_b >= 0)
    injects = (to_ground & (lo < 0)) | (from_ground & (hi > 0))
    _bad_values(
        net,
        "i",
        np.where(to_ground, lo, hi),
        ~injects,
        "an injecting current (A)",
        "a PDN load draws current from its node: write 'I<name> <node> 0 <positive amps>'",
    )


def netlist_warnings(net: PdnNetlist) -> list[str]:
    """Suspicious but legal things in ``net``: duplicate element names (from the reader), near-shorts
    below :data:`SHORT_OHM`, pads at 0 V beside a positive supply."""
    out = list(net.warnings)
    shorts = np.flatnonzero(net.r_ohm < SHORT_OHM)
    if len(shorts):
        k = int(shorts[0])
        out.append(
            f"{net.where('r', k)}: resistor of {net.r_ohm[k]:g} Ω between {net.node_name(int(net.r_a[k]))} "
            f"and {net.node_name(int(net.r_b[k]))} is below {SHORT_OHM:g} Ω ({len(shorts)} such); a "
            "near-short makes the solve ill-conditioned: merge the two nodes instead"
        )
    if net.supply_v > 0:
        zero = np.flatnonzero(net.v_volt == 0)
        if len(zero):
            k = int(zero[0])
            out.append(
                f"{net.where('v', k)}: pad on {net.describe_node(int(net.v_pos[k]))} holds 0 V while the "
                f"supply is {net.supply_v:g} V ({len(zero)} such): a short to ground inside the grid?"
            )
    return out


def check_netlist(net: PdnNetlist) -> list[str]:
    """Raise on anything that makes the PDN physically meaningless or unsolvable; log and return the
    warnings of :func:`netlist_warnings`.

    Checks: at least one pad; pads are sources to ground at 0..1 kV with a positive supply; resistances
    finite, > 0 and <= 1 TΩ; capacitances >= 0; inductances > 0; currents (and waveforms) finite, at
    most 1 kA, loads drawing from their node; no current/voltage source on a node that no resistor or
    inductor touches; no floating island (no path to a pad; transient analysis needs a DC operating
    point too, so islands held only by capacitors are an error as well).
    """
    if len(net.v_pos) == 0:
        raise NetlistError(
            "the PDN has no voltage source (pad)",
            where=net.source,
            hint="add pads as 'V<name> <top-layer node> 0 <supply volts>'",
        )
    if np.any(net.v_neg >= 0):
        k = int(np.flatnonzero(net.v_neg >= 0)[0])
        raise NetlistError(
            "voltage source between two non-ground nodes is not supported in a PDN",
            where=net.where("v", k),
            hint="pads are 'V<name> <node> 0 <volts>'",
        )
    if np.any(net.v_pos < 0):
        k = int(np.flatnonzero(net.v_pos < 0)[0])
        raise NetlistError(
            "voltage source with its + terminal on ground",
            where=net.where("v", k),
            hint="write pads as 'V<name> <node> 0 <volts>'",
        )
    _bad_values(
        net,
        "r",
        net.r_ohm,
        np.isfinite(net.r_ohm) & (net.r_ohm > 0),
        "resistance",
        "resistances must be positive; a zero-ohm connection should merge the two nodes",
    )
    _bad_values(
        net,
        "r",
        net.r_ohm,
        net.r_ohm <= MAX_RESISTANCE_OHM,
        "resistance (Ω)",
        f"a resistor above {MAX_RESISTANCE_OHM:g} Ω is an open circuit in a PDN and makes the solve "
        "numerically meaningless: remove it",
    )
    _check_sources(net)
    _bad_values(
        net, "c", net.c_f, np.isfinite(net.c_f) & (net.c_f >= 0), "capacitance", "capacitances must be >= 0"
    )
    _bad_values(
        net, "l", net.l_h, np.isfinite(net.l_h) & (net.l_h > 0), "inductance", "inductances must be positive"
    )
    pads, counts = np.unique(net.v_pos, return_counts=True)
    for p in pads[counts > 1]:
        volts = np.unique(net.v_volt[net.v_pos == p])
        if len(volts) > 1:
            k = int(np.flatnonzero(net.v_pos == p)[1])
            raise NetlistError(
                f"node {net.describe_node(int(p))} has voltage sources of {volts.tolist()} V",
                where=net.where("v", k),
                hint="a node can be held at one voltage only",
            )
    n = net.n_nodes
    touched = np.zeros(n, bool)
    for arr in (net.r_a, net.r_b, net.l_a, net.l_b):
        touched[arr[arr >= 0]] = True
    for kind, arrs in (("i", (net.i_a, net.i_b)), ("v", (net.v_pos,)), ("c", (net.c_a, net.c_b))):
        for arr in arrs:
            bad = np.flatnonzero((arr >= 0) & ~touched[np.maximum(arr, 0)])
            if len(bad):
                k = int(bad[0])
                raise NetlistError(
                    f"{kind.upper()} element on node {net.describe_node(int(arr[k]))}, which no "
                    f"resistor connects to the grid ({len(bad)} such elements)",
                    where=net.where(kind, k),
                    hint="check the node name (typo?) or add the missing wire/via resistor",
                )
    islands = floating_islands(net)
    if islands:
        total = sum(len(g) for g in islands)
        first = islands[0]
        shown = ", ".join(net.describe_node(int(i)) for i in first[:_SHOW])
        more = f" and {len(first) - _SHOW} more" if len(first) > _SHOW else ""
        raise FloatingNetError(
            f"{len(islands)} floating island(s) with no path to any pad ({total} nodes); the largest has "
            f"{len(first)} nodes: {shown}{more}",
            where=net.source,
            hint="connect the island with a via/wire resistor or remove it; its voltage is undefined",
        )
    warnings = netlist_warnings(net)
    for text in warnings:
        _LOG.warning(text)
    return warnings


def check_solution(net: PdnNetlist, voltage: np.ndarray, vdd: float) -> None:
    """Raise when a static solution is physically impossible: a node below ground (the loads draw more
    than the grid can deliver at this supply) or above the supply (V), or a non-finite voltage."""
    if len(voltage) == 0:
        return
    tol = 1e-6 * max(vdd, 1e-12)
    bad = ~np.isfinite(voltage)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise NetlistError(
            f"the solve gave a non-finite voltage at {net.describe_node(k)}",
            where=net.source,
            hint="check the resistances and currents near that node",
        )
    k = int(np.argmin(voltage))
    if voltage[k] < -tol:
        total = float(np.sum(net.i_amp))
        raise NetlistError(
            f"the static solution puts {net.describe_node(k)} at {voltage[k]:.4g} V, below ground: the "
            f"loads (total {total:.4g} A) draw more than the grid can deliver at {vdd:g} V",
            where=net.source,
            hint="check the current values (A; 1m is 1 mA) and the resistances "
            "(Ω) on the path from the pads to that node",
        )
    k = int(np.argmax(voltage))
    if voltage[k] > vdd + tol:
        raise NetlistError(
            f"the static solution puts {net.describe_node(k)} at {voltage[k]:.4g} V, above the "
            f"{vdd:g} V supply",
            where=net.source,
            hint="a PDN of resistors and loads cannot exceed its highest pad voltage: check for "
            "current sources that inject current",
        )
