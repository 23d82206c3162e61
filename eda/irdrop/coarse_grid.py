"""Per-region coarse-grid correction of the rail estimate: a second physics prior for the learned models.

The global correction of :mod:`eda.irdrop.rail` spreads the Kirchhoff residual of the chain estimate
through sheets whose conductance is the *die average* of each layer, so a design whose stripe pitch
changes from block to block (the ICCAD 2023 cases: denser PDN under some macros) keeps an error in those
blocks, and that is where most hot spots sit. This module replaces the uniform sheets by a **coarse grid**
of ``cell_um`` cells per layer, each with its own conductances:

* along x and y, the sheet conductance of the layer's wires in the cell (``Σ g·Δ²`` of the wires with
  their midpoint in the cell, per cell²), averaged over one wire pitch (the current between two stripes
  is collected by both) and floored at 5 % of the layer mean so that no cell floats; neighbouring cells
  couple through the harmonic mean of their conductances;
* between adjacent layers, the conductance of the vias in the cell, averaged over a 32 µm square and
  floored the same way;
* a pad grounds the cells of its layer within one wire pitch of it (a pad sits on a stripe, which collects
  the current from a pitch on either side: grounding the pad's cell alone put a constriction there that
  shifted the whole map up by 20 % on some ICCAD fake cases).

The residual ``J - G·v`` of the chain estimate (no global correction) is summed per cell and layer, the
coarse grid is solved once with a sparse direct solve, and every node reads its layer's potential
interpolated bilinearly between the cell centres. The grid has ``layers × ⌈X / cell⌉ × ⌈Y / cell⌉``
cells, at most half the PDN's node count (:data:`MAX_NODE_FRACTION`): the cell is 4 µm or the smallest
edge above that keeps the grid within that bound and within about 100 × 100 cells per layer
(:func:`coarse_cell_um`), so the solve is always a smaller system than the netlist's. It is a homogenised
model of the PDN, never its conductance matrix. Every step is linear in the currents.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates, uniform_filter
from scipy.sparse.linalg import splu

from eda.irdrop.cost import record_system
from eda.irdrop.structure import PdnStructure, tile_of
from eda.pdn.system import stamp

__all__ = [
    "MAX_NODE_FRACTION",
    "coarse_cell_um",
    "coarse_unknowns",
    "coarse_grid_drop",
    "coarse_rail_estimate",
]

#: no cell of a layer conducts less than this fraction of the layer's mean (sheet or via) conductance
_FLOOR = 0.05
#: edge (µm) of the square the via conductance is averaged over
_VIA_BOX_UM = 32
#: the coarse cell grows with the die so that a layer has at most about this many cells per axis
_MAX_CELLS = 100
#: the coarse grid has at most this fraction of the PDN's node count in cells (unknowns)
MAX_NODE_FRACTION = 0.5


def coarse_cell_um(shape: tuple[int, int], num_nodes: int, num_layers: int, cell_um: int = 4) -> int:
    """Coarse cell edge (µm) for a ``shape = (X, Y)`` µm die and a PDN of ``num_nodes`` nodes on
    ``num_layers`` layers: the smallest edge of at least ``cell_um`` for which the grid has at most
    :data:`MAX_NODE_FRACTION` × ``num_nodes`` cells (:func:`coarse_unknowns`) and at most about
    ``_MAX_CELLS`` cells per axis. Only a PDN with fewer than two nodes per layer cannot meet the bound:
    it gets one cell per layer."""
    cell = max(int(cell_um), -(-max(shape) // _MAX_CELLS))
    while cell < max(shape) and coarse_unknowns(shape, cell, num_layers) > MAX_NODE_FRACTION * num_nodes:
        cell += 1
    return cell


def coarse_unknowns(shape: tuple[int, int], cell_um: int, num_layers: int) -> int:
    """Cells of the coarse grid (``layers × ⌈X / cell⌉ × ⌈Y / cell⌉``): the most unknowns of its solve."""
    return int(num_layers) * -(-shape[0] // int(cell_um)) * -(-shape[1] // int(cell_um))


def coarse_grid_drop(
    pdn: PdnStructure, injection: np.ndarray, shape: tuple[int, int], cell_um: int | None = None
) -> np.ndarray:
    """Drop (V) per node that the currents ``injection`` (A drawn per node) cause on the coarse grid.

    ``shape`` is the ``(X, Y)`` die in 1 µm tiles; ``cell_um`` the coarse cell (default
    :func:`coarse_cell_um`). Every node reads its layer's cell potentials, bilinearly interpolated.
    """
    nx, ny = shape
    layers = sorted(np.unique(pdn.layer).tolist())
    cell = coarse_cell_um(shape, pdn.num_nodes, len(layers)) if cell_um is None else int(cell_um)
    cx, cy = -(-nx // cell), -(-ny // cell)
    a, b = pdn.res_a, pdn.res_b
    g = 1.0 / pdn.res_ohm
    la, lb = pdn.layer[a], pdn.layer[b]
    pos = np.full(int(pdn.layer.max()) + 1, -1)
    pos[layers] = np.arange(len(layers))
    axes = pdn.resistor_axes()
    d = np.abs(pdn.xy[b] - pdn.xy[a])
    ci, cj = tile_of((pdn.xy[a] + pdn.xy[b]) / 2, (cx, cy), cell)
    idx = np.arange(len(layers) * cx * cy).reshape(len(layers), cx, cy)
    ends_a, ends_b, cond = [], [], []
    pitch = {}
    for k, lay in enumerate(layers):
        wire = (la == lay) & (lb == lay)
        len_x, len_y = float(d[wire & (axes == 0), 0].sum()), float(d[wire & (axes == 1), 1].sum())
        # one wire pitch in cells: wires along x sit area / length apart in y, and so on
        box = (
            max(1, round(nx * ny / len_y / cell)) if len_y else 1,
            max(1, round(nx * ny / len_x / cell)) if len_x else 1,
        )
        pitch[lay] = box
        for ax in (0, 1):
            sel = wire & (axes == ax)
            sig = np.zeros((cx, cy))
            np.add.at(sig, (ci[sel], cj[sel]), g[sel] * d[sel, ax] ** 2 / cell**2)
            sig = uniform_filter(sig, size=box, mode="reflect")
            sig = np.maximum(sig, _FLOOR * sig.mean())
            lo, hi = (sig[:-1], sig[1:]) if ax == 0 else (sig[:, :-1], sig[:, 1:])
            near, far = (idx[k, :-1], idx[k, 1:]) if ax == 0 else (idx[k, :, :-1], idx[k, :, 1:])
            ends_a.append(near.ravel())
            ends_b.append(far.ravel())
            cond.append((2 * lo * hi / np.maximum(lo + hi, 1e-300)).ravel())
        if k + 1 < len(layers):
            via = ((la == lay) & (lb == layers[k + 1])) | ((lb == lay) & (la == layers[k + 1]))
            gam = np.zeros((cx, cy))
            np.add.at(gam, (ci[via], cj[via]), g[via])
            gam = uniform_filter(gam, size=max(1, round(_VIA_BOX_UM / cell)), mode="reflect")
            gam = np.maximum(gam, _FLOOR * gam.mean())
            ends_a.append(idx[k].ravel())
            ends_b.append(idx[k + 1].ravel())
            cond.append(gam.ravel())
    n = idx.size
    cond_all = np.concatenate(cond)
    # a leak 1e-9 of the mean conductance to ground keeps a layer with no wires or vias from floating
    leak = 1e-9 * max(float(cond_all.mean()), 1e-30)
    mat = stamp(
        n,
        np.r_[np.concatenate(ends_a), np.arange(n)],
        np.r_[np.concatenate(ends_b), np.full(n, -1)],
        np.r_[cond_all, np.full(n, leak)],
    )

    grounded = []  # each pad's box of one wire pitch, its own cell included
    pi, pj = tile_of(pdn.xy[pdn.pad_nodes], (cx, cy), cell)
    for lay, i, j in zip(pdn.layer[pdn.pad_nodes], pi, pj, strict=True):
        bx, by = pitch[int(lay)]
        ii = np.clip(np.arange(i - bx // 2, i - bx // 2 + bx), 0, cx - 1)
        jj = np.clip(np.arange(j - by // 2, j - by // 2 + by), 0, cy - 1)
        grounded.append(idx[pos[lay]][np.ix_(ii, jj)].ravel())
    free = np.setdiff1d(np.arange(n), np.concatenate(grounded))
    at = idx[(pos[pdn.layer], *tile_of(pdn.xy, (cx, cy), cell))]
    rhs = np.bincount(at, weights=np.asarray(injection, dtype=np.float64), minlength=n)
    v = np.zeros(n)
    system = mat[free][:, free].tocsc()
    record_system(f"coarse grid, {cell} µm cells", system)
    # SPD: SuperLU with a symmetric minimum-degree ordering and no pivoting, as eda.pdn's ``splu`` backend
    # (called directly: the predictor must not call the eda.pdn solvers, and a test holds it to that;
    # about twice as fast as spsolve, the same solution to 2e-15)
    lu = splu(system, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    v[free] = lu.solve(rhs[free])
    # every node reads its layer's potential bilinearly between the cell centres
    grid = v.reshape(len(layers), cx, cy)
    out = np.empty(pdn.num_nodes)
    for k, lay in enumerate(layers):
        sel = pdn.layer == lay
        out[sel] = map_coordinates(grid[k], (pdn.xy[sel] / cell - 0.5).T, order=1, mode="nearest")
    return out


def coarse_rail_estimate(
    pdn: PdnStructure,
    shape: tuple[int, int],
    sink_nodes: np.ndarray | None = None,
    sink_amp: np.ndarray | None = None,
    cell_um: int | None = None,
    chains: np.ndarray | None = None,
) -> np.ndarray:
    """Estimated IR drop (V) per node: the chain estimate corrected on the per-region coarse grid.

    The chain estimate (:func:`eda.irdrop.rail.chain_estimate`, or ``chains`` (V) when given) is the rail
    estimate without its global correction; its
    Kirchhoff residual is solved on the coarse grid (:func:`coarse_grid_drop`) and added. Sinks default
    to the netlist's (A). With the pads on a bar or ring (:func:`eda.irdrop.rail.pads_on_bar`) the chain
    estimate is returned uncorrected, as the rail estimate does: grounding one pitch of a bar grounds half
    the die (a stripe mesh under a pad bar came out at -1.9 times the drop).
    """
    from eda.irdrop.rail import chain_estimate, kirchhoff_residual, pads_on_bar

    nodes = pdn.sink_nodes if sink_nodes is None else np.asarray(sink_nodes, dtype=np.int64)
    amps = pdn.sink_amp if sink_amp is None else np.asarray(sink_amp, dtype=np.float64)
    chains = chain_estimate(pdn, shape, nodes, amps)[0] if chains is None else np.asarray(chains)
    if pads_on_bar(pdn, shape):
        return chains
    residual = kirchhoff_residual(pdn, chains, nodes, amps)
    return chains + coarse_grid_drop(pdn, residual, shape, cell_um)
