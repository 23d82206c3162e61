"""Layer-wise rail estimate of the IR drop: a structural physics prior for the learned predictors.

The predictors may not solve the PDN (no factorisation or iterative solve of the full conductance
matrix). This module derives an *estimate* of the drop from the netlist that never couples the layers:

1. **Upward pass, one layer at a time** (lowest first). The layer's nodes are free, every connection to
   a node above (via) or to a pad is held at zero drop. Because the nodes of a lower layer only connect
   along their rail or stripe, the layer's system is block-diagonal: one small chain per rail segment,
   solved independently. Its solution is the *local* drop of that layer, and the currents it sends
   through its vias become the sinks of the layer above.
2. **Top mesh** (:func:`mesh_layers`: from the first layer, counted upward, that is not a set of
   one-axis chains each reaching a pad or a via up, extended downward until it has wires along both
   axes; none when every layer is chains): a homogenised anisotropic sheet on the 1 µm map grid with
   sheet conductances ``σ_x = Σ g·Δx² / links_x`` and ``σ_y = Σ g·Δy² / links_y`` of its wires (S per
   link of the 5-point stencil), insulating die edges, the pads as point sources at equal potential. The sheet is inverted in closed form by a cosine transform
   and the pad currents follow from a ``(pads + 1)``-sized dense system.
3. **Downward pass**: each chain layer's drop is its local drop plus the harmonic interpolation of the
   drops of the nodes above it (the same chain factors, a second right-hand side).

Every step is linear in the currents. What the estimate leaves out: the currents that flow along a
lower-layer rail *between* two vias because the vias sit at different voltages, and the discreteness
of the top mesh. On the ICCAD 2023 real cases it tracks the golden map with a correlation of about
0.95-0.98 and a 5-10 % low bias; the learned models correct the rest (see docs/irdrop.md).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.fft import dctn, idctn
from scipy.sparse import csgraph
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from eda.irdrop.structure import PdnStructure
from eda.pdn.system import stamp

__all__ = ["rail_estimate", "sinks_from_current_map", "mesh_layers"]

#: a layer is a set of chains when at most this fraction of its nodes sit in pieces with no way up
_CHAIN_TOLERANCE = 0.05


def sinks_from_current_map(pdn: PdnStructure, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Assign each tile's current (A, map ``[X, Y]``) to the nearest lowest-layer node: ``(nodes, amps)``."""
    low = np.flatnonzero(pdn.layer == pdn.layer.min())
    ix, iy = np.nonzero(np.asarray(current) != 0)
    if ix.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    _, idx = cKDTree(pdn.xy[low]).query(np.c_[ix + 0.5, iy + 0.5])
    amps = np.bincount(idx, weights=np.asarray(current)[ix, iy], minlength=low.size)
    keep = amps != 0
    return low[keep], amps[keep]


def _components(pdn: PdnStructure, on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected pieces of the nodes ``on`` through same-layer resistors: ``(index into on-nodes, label)``."""
    a, b = pdn.res_a, pdn.res_b
    idx = np.full(pdn.num_nodes, -1)
    m = int(on.sum())
    idx[on] = np.arange(m)
    both = on[a] & on[b]
    adj = sp.coo_matrix((np.ones(int(both.sum())), (idx[a[both]], idx[b[both]])), shape=(m, m))
    return idx, csgraph.connected_components(adj, directed=False)[1]


def mesh_layers(pdn: PdnStructure) -> list[int]:
    """The top layers the rail estimate treats as one homogenised mesh (empty: every layer is chains).

    Counting upward, the first layer whose wires run along both axes, or where more than 5 % of the nodes
    sit in pieces that reach neither a pad nor a higher layer, starts the mesh; the mesh then grows
    downward until it has wires along both x and y (a sheet needs both). Every layer below the mesh is
    a set of independent one-axis chains.
    """
    layer, a, b = pdn.layer, pdn.res_a, pdn.res_b
    layers = sorted(np.unique(layer).tolist())
    pad = np.zeros(pdn.num_nodes, dtype=bool)
    pad[pdn.pad_nodes] = True
    axes = pdn.resistor_axes()
    same = layer[a] == layer[b]
    first = None
    for lay in layers:
        on = layer == lay
        if np.unique(axes[same & on[a]]).size > 1:
            first = lay
            break
        idx, comp = _components(pdn, on)
        up = np.r_[a[on[a] & (layer[b] > lay)], b[on[b] & (layer[a] > lay)], np.flatnonzero(on & pad)]
        ok = np.zeros(int(comp.max()) + 1 if comp.size else 0, dtype=bool)
        ok[comp[idx[up]]] = True
        if np.mean(~ok[comp]) > _CHAIN_TOLERANCE:
            first = lay
            break
    if first is None:
        return []
    mesh = [lay for lay in layers if lay >= first]
    below = [lay for lay in layers if lay < first]
    while below and not all(np.any(same & np.isin(layer[a], mesh) & (axes == ax)) for ax in (0, 1)):
        mesh.insert(0, below.pop())
    return mesh


def _alive(pdn: PdnStructure, chain: list[int], mesh: np.ndarray) -> np.ndarray:
    """Nodes with a path upward to the mesh (a lower-layer stub that only hangs below carries no current)."""
    layer, a, b = pdn.layer, pdn.res_a, pdn.res_b
    alive = mesh.copy()
    alive[pdn.pad_nodes] = True
    for lay in reversed(chain):
        on = layer == lay
        idx, comp = _components(pdn, on)
        up_a = on[a] & alive[b] & (layer[b] > lay)
        up_b = on[b] & alive[a] & (layer[a] > lay)
        ok = np.zeros(int(comp.max()) + 1 if comp.size else 0, dtype=bool)
        ok[comp[idx[np.r_[a[up_a], b[up_b], np.flatnonzero(on & alive)]]]] = True
        alive[np.flatnonzero(on)[ok[comp]]] = True
    return alive


def _sheet_drop(pdn: PdnStructure, mesh: np.ndarray, sink_xy: np.ndarray, sink_amp: np.ndarray,
                shape: tuple[int, int]) -> np.ndarray:
    """Drop (V) of a homogenised sheet of the mesh wires on the map grid, fed by point pads."""
    nx, ny = shape
    a, b = pdn.res_a, pdn.res_b
    g = 1.0 / pdn.res_ohm
    d = pdn.xy[b] - pdn.xy[a]
    wire = mesh[a] & mesh[b] & (pdn.layer[a] == pdn.layer[b])
    # per link of the 5-point stencil ((nx - 1) * ny links along x): exact for a full 1 µm mesh
    sx = max(float(np.sum(g[wire] * d[wire, 0] ** 2)) / max((nx - 1) * ny, 1), 1e-12)
    sy = max(float(np.sum(g[wire] * d[wire, 1] ** 2)) / max(nx * (ny - 1), 1), 1e-12)
    kx = np.pi * np.arange(nx) / nx
    ky = np.pi * np.arange(ny) / ny
    lam = 4 * sx * np.sin(kx / 2)[:, None] ** 2 + 4 * sy * np.sin(ky / 2)[None, :] ** 2  # 5-point stencil
    lam[0, 0] = np.inf  # the constant mode is fixed by the pads

    def potential(source: np.ndarray) -> np.ndarray:
        return idctn(dctn(source, norm="ortho") / lam, norm="ortho")

    def cell(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.clip(np.floor(xy[:, 0]).astype(int), 0, nx - 1), np.clip(np.floor(xy[:, 1]).astype(int), 0, ny - 1))

    load = np.zeros(shape)
    np.add.at(load, cell(sink_xy), sink_amp)
    pi, pj = cell(pdn.xy[pdn.pad_nodes])
    key = np.unique(pi * ny + pj)
    pi, pj = key // ny, key % ny
    n_pad = key.size
    v_load = potential(-load)
    unit = []
    resp = np.empty((n_pad, n_pad))
    for q in range(n_pad):
        e = np.zeros(shape)
        e[pi[q], pj[q]] = 1.0
        unit.append(potential(e))
        resp[:, q] = unit[-1][pi, pj]
    # pad currents P and the common pad potential c: v_load + resp @ P = c at every pad, Σ P = Σ load
    m = np.zeros((n_pad + 1, n_pad + 1))
    m[:n_pad, :n_pad] = resp
    m[:n_pad, n_pad] = -1.0
    m[n_pad, :n_pad] = 1.0
    sol = np.linalg.lstsq(m, np.r_[-v_load[pi, pj], load.sum()], rcond=None)[0]
    v = v_load + np.tensordot(sol[:n_pad], np.asarray(unit), axes=1)
    return sol[n_pad] - v


def rail_estimate(pdn: PdnStructure, shape: tuple[int, int], sink_nodes: np.ndarray | None = None,
                  sink_amp: np.ndarray | None = None) -> np.ndarray:
    """Estimated IR drop (V) per node of ``pdn`` (see the module docstring).

    ``sink_nodes``/``sink_amp`` (A) default to the netlist's current sinks; ``shape`` is the ``(X, Y)``
    map grid in 1 µm tiles that the top-mesh sheet is discretised on. Nodes with no path to a pad get 0.
    """
    nodes = pdn.sink_nodes if sink_nodes is None else np.asarray(sink_nodes, dtype=np.int64)
    amps = pdn.sink_amp if sink_amp is None else np.asarray(sink_amp, dtype=np.float64)
    n = pdn.num_nodes
    layer, a, b = pdn.layer, pdn.res_a, pdn.res_b
    g = 1.0 / pdn.res_ohm
    top = mesh_layers(pdn)
    chain = [lay for lay in sorted(np.unique(layer).tolist()) if lay not in top]
    mesh = np.isin(layer, top)
    pad = np.zeros(n, dtype=bool)
    pad[pdn.pad_nodes] = True
    alive = _alive(pdn, chain, mesh)
    inj = np.zeros(n)
    np.add.at(inj, nodes, amps)
    local = np.zeros(n)
    factors = []
    for lay in chain:
        free = (layer == lay) & ~pad & alive
        m = int(free.sum())
        if m == 0:
            continue
        idx = np.full(n, -1)
        idx[free] = np.arange(m)
        both = free[a] & free[b]
        up_a = free[a] & alive[b] & ((layer[b] > lay) | pad[b])
        up_b = free[b] & alive[a] & ((layer[a] > lay) | pad[a])
        ends, above, gu = np.r_[a[up_a], b[up_b]], np.r_[b[up_a], a[up_b]], np.r_[g[up_a], g[up_b]]
        # wires within the layer, plus the vias up as conductances to ground (the node above held at 0)
        mat = stamp(m, np.r_[idx[a[both]], idx[ends]], np.r_[idx[b[both]], np.full(ends.size, -1)],
                    np.r_[g[both], gu])
        lu = splu(mat.tocsc())  # block-diagonal: one independent chain per rail / stripe segment
        x = lu.solve(inj[free])
        local[free] = x
        np.add.at(inj, above, gu * x[idx[ends]])  # what the vias carry up
        factors.append((free, idx, lu, ends, above, gu))
    drop = np.zeros(n)
    if top:
        fed = np.flatnonzero(mesh & (inj != 0))
        sheet = _sheet_drop(pdn, mesh, pdn.xy[fed], inj[fed], shape)
        on_mesh = np.flatnonzero(mesh)
        cx = np.clip(np.floor(pdn.xy[on_mesh, 0]).astype(int), 0, shape[0] - 1)
        cy = np.clip(np.floor(pdn.xy[on_mesh, 1]).astype(int), 0, shape[1] - 1)
        drop[on_mesh] = sheet[cx, cy]
    for free, idx, lu, ends, above, gu in reversed(factors):
        rhs = np.zeros(int(free.sum()))
        np.add.at(rhs, idx[ends], gu * drop[above])
        drop[free] = local[free] + lu.solve(rhs)
    return drop
