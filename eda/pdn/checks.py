"""Physical sanity checks of a :class:`~eda.pdn.netlist.PdnNetlist`, run before any solve.

Every problem is a :class:`~eda.errors.NetlistError` (or :class:`~eda.errors.FloatingNetError`) naming
the element's ``file:line`` or the nodes with their coordinates, never a "singular matrix" later on.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from eda.errors import FloatingNetError, NetlistError
from eda.pdn.netlist import PdnNetlist

__all__ = ["check_netlist", "floating_islands", "short_groups"]

_SHOW = 5


def _bad_values(net: PdnNetlist, kind: str, values: np.ndarray, ok: np.ndarray, what: str, hint: str) -> None:
    bad = np.flatnonzero(~ok)
    if len(bad) == 0:
        return
    a = getattr(net, {"r": "r_a", "c": "c_a", "l": "l_a"}[kind])
    b = getattr(net, {"r": "r_b", "c": "c_b", "l": "l_b"}[kind])
    k = int(bad[0])
    more = f" ({len(bad) - 1} more)" if len(bad) > 1 else ""
    raise NetlistError(f"{kind.upper()} element between {net.node_name(int(a[k]))} and {net.node_name(int(b[k]))} "
                       f"has {what} {values[k]:g}{more}", where=net.where(kind, k), hint=hint)


def short_groups(net: PdnNetlist) -> np.ndarray:
    """DC representative of every node: inductors are shorts at DC, so their ends share one voltage."""
    n = net.n_nodes
    if len(net.l_a) == 0:
        return np.arange(n)
    keep = (net.l_a >= 0) & (net.l_b >= 0)
    if np.any(~keep):
        k = int(np.flatnonzero(~keep)[0])
        raise NetlistError("an inductor to ground shorts its node to 0 V at DC", where=net.where("l", k),
                           hint="connect package inductors in series between the pad source and the grid")
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
    groups = np.split(floating[np.argsort(labels[floating], kind="stable")],
                      np.flatnonzero(np.diff(np.sort(labels[floating]))) + 1)
    return sorted(groups, key=len, reverse=True)


def check_netlist(net: PdnNetlist) -> None:
    """Raise on anything that makes the PDN physically meaningless or unsolvable.

    Checks: at least one pad; pads are sources to ground; resistances > 0 and finite; capacitances >= 0;
    inductances > 0; no current/voltage source on a node that no resistor or inductor touches;
    no floating island (no path to a pad; transient analysis needs a DC operating point too, so islands
    held only by capacitors are an error as well).
    """
    if len(net.v_pos) == 0:
        raise NetlistError("the PDN has no voltage source (pad)", where=net.source,
                           hint="add pads as 'V<name> <top-layer node> 0 <supply volts>'")
    if np.any(net.v_neg >= 0):
        k = int(np.flatnonzero(net.v_neg >= 0)[0])
        raise NetlistError("voltage source between two non-ground nodes is not supported in a PDN",
                           where=net.where("v", k), hint="pads are 'V<name> <node> 0 <volts>'")
    if np.any(net.v_pos < 0):
        k = int(np.flatnonzero(net.v_pos < 0)[0])
        raise NetlistError("voltage source with its + terminal on ground", where=net.where("v", k),
                           hint="write pads as 'V<name> <node> 0 <volts>'")
    _bad_values(net, "r", net.r_ohm, np.isfinite(net.r_ohm) & (net.r_ohm > 0), "resistance",
                "resistances must be positive; a zero-ohm connection should merge the two nodes")
    _bad_values(net, "c", net.c_f, np.isfinite(net.c_f) & (net.c_f >= 0), "capacitance",
                "capacitances must be >= 0")
    _bad_values(net, "l", net.l_h, np.isfinite(net.l_h) & (net.l_h > 0), "inductance",
                "inductances must be positive")
    pads, counts = np.unique(net.v_pos, return_counts=True)
    for p in pads[counts > 1]:
        volts = np.unique(net.v_volt[net.v_pos == p])
        if len(volts) > 1:
            k = int(np.flatnonzero(net.v_pos == p)[1])
            raise NetlistError(f"node {net.describe_node(int(p))} has voltage sources of {volts.tolist()} V",
                               where=net.where("v", k), hint="a node can be held at one voltage only")
    n = net.n_nodes
    touched = np.zeros(n, bool)
    for arr in (net.r_a, net.r_b, net.l_a, net.l_b):
        touched[arr[arr >= 0]] = True
    for kind, arrs in (("i", (net.i_a, net.i_b)), ("v", (net.v_pos,)), ("c", (net.c_a, net.c_b))):
        for arr in arrs:
            bad = np.flatnonzero((arr >= 0) & ~touched[np.maximum(arr, 0)])
            if len(bad):
                k = int(bad[0])
                raise NetlistError(f"{kind.upper()} element on node {net.describe_node(int(arr[k]))}, which no "
                                   f"resistor connects to the grid ({len(bad)} such elements)",
                                   where=net.where(kind, k),
                                   hint="check the node name (typo?) or add the missing wire/via resistor")
    islands = floating_islands(net)
    if islands:
        total = sum(len(g) for g in islands)
        first = islands[0]
        shown = ", ".join(net.describe_node(int(i)) for i in first[:_SHOW])
        more = f" and {len(first) - _SHOW} more" if len(first) > _SHOW else ""
        raise FloatingNetError(
            f"{len(islands)} floating island(s) with no path to any pad ({total} nodes); the largest has "
            f"{len(first)} nodes: {shown}{more}", where=net.source,
            hint="connect the island with a via/wire resistor or remove it; its voltage is undefined")
