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
   axes; none when every layer is chains): a stack of homogenised anisotropic sheets on the 1 µm map
   grid, one per mesh layer, with sheet conductances ``σ_x = Σ g·Δx² / links_x`` and ``σ_y = Σ g·Δy² /
   links_y`` of its wires (S per link of the 5-point stencil), coupled by the layer's vias spread over
   the die, insulating die edges, the pads at equal potential. A point source (pad, via from below) is
   spread over one wire pitch of its layer. Per cosine mode the stack is a small dense system, so it is
   inverted in closed form by a cosine transform; the pad currents follow from a ``(pads + 1)``-sized
   dense system. In the top mesh a layer with fewer than four wires across the die (a pad bar, a ring) is
   no sheet and joins its neighbour.
3. **Downward pass**: each chain layer's drop is its local drop plus the harmonic interpolation of the
   drops of the nodes above it (the same chain factors, a second right-hand side).
4. **Global correction**: the chains above are independent, so the current that flows along a rail
   *between* two vias at different drops, and the spreading of the load across the die through the many
   rails of the lower layers, are missing. The Kirchhoff residual ``J - G·v`` of steps 1-3 (one product
   with the conductance matrix) is exactly that misplaced current; it is fed into the sheet stack of step 2
   built from *every* layer (a layer of one-axis rails is a one-axis sheet), and the sheet potentials are
   added to the drop. This is one coarse correction on the homogenised PDN, not an iteration towards the
   solution of the netlist: the fine-scale error it leaves is what the learned models see in the residual
   channels.

Every step is linear in the currents. Steps 1-3 alone leave the hot spots high (the omitted
through-currents spread the load between stripes); step 4 removes most of that, and the learned models
correct the rest (measured figures: docs/irdrop.md, ``benchmarks/irdrop_rail_correction.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.fft import dctn, idctn
from scipy.ndimage import uniform_filter1d
from scipy.sparse import csgraph
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from eda.irdrop.cost import record_system
from eda.irdrop.structure import PdnStructure, tile_of
from eda.pdn.system import stamp

__all__ = [
    "rail_estimate",
    "unreaching_fraction",
    "chain_estimate",
    "kirchhoff_residual",
    "sinks_from_current_map",
    "mesh_layers",
    "sheet_groups",
    "pads_on_bar",
    "prepare_rail_estimate",
]

#: a layer is a set of chains when at most this fraction of its nodes sit in pieces with no way up
_CHAIN_TOLERANCE = 0.05


def low_node_tree(pdn: PdnStructure) -> tuple[np.ndarray, cKDTree]:
    """The lowest-layer nodes (indices) and their search tree (µm), built once per design (cached on ``pdn``)."""
    if ("low_node_tree",) not in pdn.cache:
        low = np.flatnonzero(pdn.layer == pdn.layer.min())
        pdn.cache[("low_node_tree",)] = low, cKDTree(pdn.xy[low])
    return pdn.cache[("low_node_tree",)]


def sinks_from_current_map(pdn: PdnStructure, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Assign each tile's current (A, map ``[X, Y]``) to the nearest lowest-layer node: ``(nodes, amps)``."""
    low, tree = low_node_tree(pdn)
    ix, iy = np.nonzero(np.asarray(current) != 0)
    if ix.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    _, idx = tree.query(np.c_[ix + 0.5, iy + 0.5])
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


def unreaching_fraction(pdn: PdnStructure, lay: int, cross_links: bool = True) -> float:
    """Fraction of layer ``lay``'s nodes in same-layer pieces that reach neither a pad nor a higher layer
    (0 for a layer with no nodes).

    ``cross_links=False`` leaves out the pieces joined to the layer below through two vias or more: such a
    piece carries current between the lower layer's wires (a macro's met2 line between met1 rails), it does
    not float.
    """
    layer, a, b = pdn.layer, pdn.res_a, pdn.res_b
    on = layer == lay
    if not on.any():
        return 0.0
    idx, comp = _components(pdn, on)
    pieces = int(comp.max()) + 1
    up = np.r_[
        a[on[a] & (layer[b] > lay)],
        b[on[b] & (layer[a] > lay)],
        np.intersect1d(np.flatnonzero(on), pdn.pad_nodes),
    ]
    ok = np.zeros(pieces, dtype=bool)
    ok[comp[idx[up]]] = True
    if not cross_links:
        down = np.r_[a[on[a] & (layer[b] < lay)], b[on[b] & (layer[a] < lay)]]
        ok |= np.bincount(comp[idx[down]], minlength=pieces) >= 2
    return float(np.mean(~ok[comp]))


def mesh_layers(pdn: PdnStructure, cross_links_float: bool = False) -> list[int]:
    """The top layers the rail estimate treats as one homogenised mesh (empty: every layer is chains).

    Counting upward, the first layer whose wires run along both axes, or where more than 5 % of the nodes
    sit in pieces that reach neither a pad nor a higher layer, starts the mesh; the mesh then grows
    downward until it has wires along both x and y (a sheet needs both). Every layer below the mesh is
    a set of independent one-axis chains.

    Below the top layer, pieces joined to the layer below through two vias or more are cross-links of the
    rails, not floating (:func:`unreaching_fraction`): on the toolkit's ACIM macros, where nearly half of
    met2 lies on lines that reach no met4 stripe, the mesh is met4 and the met5 pad bars; on the ICCAD 2023
    and generated designs it is m8 and m9 either way. ``cross_links_float=True`` is the rule of features
    version 10, which started the macros' mesh at met2 (``benchmarks/irdrop_macro_priors.py`` scores both).
    The result is cached on ``pdn``.
    """
    key = ("mesh_layers", cross_links_float)
    if key not in pdn.cache:
        pdn.cache[key] = _mesh_layers(pdn, cross_links_float)
    return list(pdn.cache[key])


def _mesh_layers(pdn: PdnStructure, cross_links_float: bool) -> list[int]:
    layer, a, b = pdn.layer, pdn.res_a, pdn.res_b
    layers = sorted(np.unique(layer).tolist())
    axes = pdn.resistor_axes()
    same = layer[a] == layer[b]
    first = None
    for lay in layers:
        on = layer == lay
        if np.unique(axes[same & on[a]]).size > 1:
            first = lay
            break
        if unreaching_fraction(pdn, lay, cross_links_float or lay == layers[-1]) > _CHAIN_TOLERANCE:
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


def _spread(field: np.ndarray, width: tuple[int, int]) -> np.ndarray:
    """Average ``field`` over a ``width`` box (cells), mirrored at the die edges (total conserved)."""
    out = field
    for axis, w in enumerate(width):
        if w > 1:
            out = uniform_filter1d(out, size=w, axis=axis, mode="reflect")
    return out


def sheet_groups(
    pdn: PdnStructure, layers: list[int], shape: tuple[int, int], only_pad_bars: bool = False
) -> list[list[int]]:
    """The homogenised sheets the ``layers`` (lowest first) become on the ``(X, Y)`` µm grid.

    Each layer is its own sheet, except one with fewer than 4 wires across the die along one of its axes
    (a pad bar, a ring): that is no sheet and joins the layer below (the lowest, the one above), the vias
    between them shorted. With ``only_pad_bars`` only such layers that carry pads are joined. The result
    depends on the design only (cached on ``pdn``).
    """
    key = ("sheet_groups", tuple(layers), tuple(shape), only_pad_bars)
    if key not in pdn.cache:
        pdn.cache[key] = _sheet_groups(pdn, layers, shape, only_pad_bars)
    return [list(lays) for lays in pdn.cache[key]]


def _sheet_groups(
    pdn: PdnStructure, layers: list[int], shape: tuple[int, int], only_pad_bars: bool
) -> list[list[int]]:
    nx, ny = shape
    a, b = pdn.res_a, pdn.res_b
    d = np.abs(pdn.xy[b] - pdn.xy[a])
    axes = pdn.resistor_axes()
    area = float(nx * ny)

    pad_layers = set(pdn.layer[pdn.pad_nodes].tolist())

    def is_bar(lay: int) -> bool:
        if only_pad_bars and lay not in pad_layers:
            return False
        wire = (pdn.layer[a] == lay) & (pdn.layer[b] == lay)
        lx, ly = float(d[wire & (axes == 0), 0].sum()), float(d[wire & (axes == 1), 1].sum())
        return (lx > 0 and area / lx > ny / 4) or (ly > 0 and area / ly > nx / 4)

    groups: list[list[int]] = []
    for lay in layers:
        if groups and is_bar(lay):
            groups[-1].append(lay)
        else:
            groups.append([lay])
    if len(groups) > 1 and len(groups[0]) == 1 and is_bar(groups[0][0]):
        groups[1] = groups.pop(0) + groups[0]
    return groups


def pads_on_bar(pdn: PdnStructure, shape: tuple[int, int], groups: list[list[int]] | None = None) -> bool:
    """Whether the pads sit on a layer that is no sheet (a bar or ring, fewer than 4 wires across the die).

    The global corrections (uniform sheets here, the coarse grid of :mod:`eda.irdrop.coarse_grid`) are
    skipped on such a PDN: the current they would redistribute crowds onto the vias next to the pads,
    which neither homogenised model represents. ``groups`` are :func:`sheet_groups` of every layer with
    ``only_pad_bars`` when the caller has them.
    """
    if groups is None:
        groups = sheet_groups(pdn, sorted(np.unique(pdn.layer).tolist()), shape, only_pad_bars=True)
    return any(len(lays) > 1 for lays in groups)


def _box_matrix(n: int, w: int) -> np.ndarray:
    """``B`` with ``B @ x == _spread`` of ``x`` along one axis of ``n`` cells (box of ``w`` cells, mirrored)."""
    eye = np.eye(n)
    return uniform_filter1d(eye, size=w, axis=0, mode="reflect") if w > 1 else eye


def _pad_response(
    kinv: np.ndarray, width: list[tuple[int, int]], pl: np.ndarray, pi: np.ndarray, pj: np.ndarray
) -> np.ndarray:
    """Potential each pad reads per ampere injected at each pad: ``[n_pad, n_pad]`` (Ω).

    A pad on sheet ``l`` at cell ``(i, j)`` injects ``B_x[:, i] ⊗ B_y[:, j]`` (its box) and reads the row
    ``B_x[i] ⊗ B_y[j]``; both are outer products, so their cosine transforms are products of 1-D
    transforms and the response is ``Σ_k R_p(kx) R_p(ky) K⁻¹(k)[l_p, l_q] S_q(kx) S_q(ky)``, summed over
    ``ky`` once per distinct pad row: no 2-D transform per pad (which cost 40 ms per pad at 740 × 740).
    """
    from scipy.fft import dct

    nx, ny = kinv.shape[:2]
    n_pad = pl.size
    boxes: dict[tuple[int, int], np.ndarray] = {}

    def box(n: int, w: int) -> np.ndarray:
        if (n, w) not in boxes:
            boxes[n, w] = _box_matrix(n, w)
        return boxes[n, w]

    # 1-D spectra of each pad's source box (columns) and reading box (rows)
    sx = np.stack([dct(box(nx, width[lay][0])[:, i], norm="ortho") for lay, i in zip(pl, pi, strict=True)])
    rx = np.stack([dct(box(nx, width[lay][0])[i, :], norm="ortho") for lay, i in zip(pl, pi, strict=True)])
    sy = np.stack([dct(box(ny, width[lay][1])[:, j], norm="ortho") for lay, j in zip(pl, pj, strict=True)])
    ry = np.stack([dct(box(ny, width[lay][1])[j, :], norm="ortho") for lay, j in zip(pl, pj, strict=True)])
    resp = np.empty((n_pad, n_pad))
    for a in np.unique(pl):
        for b in np.unique(pl):
            rows, cols = np.flatnonzero(pl == a), np.flatnonzero(pl == b)
            # distinct pad rows (y cells) on each side: pads on a grid share them
            _, fr, ir = np.unique(pj[rows], return_index=True, return_inverse=True)
            _, fc, ic = np.unique(pj[cols], return_index=True, return_inverse=True)
            # m[kx, u, v] = Σ_ky K⁻¹[kx, ky] R_u(ky) S_v(ky)
            m = np.einsum("xy,uy,vy->xuv", kinv[:, :, a, b], ry[rows[fr]], sy[cols[fc]], optimize=True)
            resp[np.ix_(rows, cols)] = np.einsum(
                "px,qx,xpq->pq", rx[rows], sx[cols], m[:, ir][:, :, ic], optimize=True
            )
    return resp


def _mesh_operator(pdn: PdnStructure, groups: list[list[int]], shape: tuple[int, int]) -> dict[str, Any]:
    """What :func:`_mesh_drop` needs of the design alone (sheet conductances inverted per cosine mode,
    spreading widths, pad cells and the pads' response), built once per design, sheets and grid (cached on
    ``pdn``): a trace's loads or a design's many current maps reuse it."""
    cache_key = ("mesh_operator", tuple(tuple(lays) for lays in groups), tuple(shape))
    if cache_key in pdn.cache:
        return pdn.cache[cache_key]
    nx, ny = shape
    a, b = pdn.res_a, pdn.res_b
    g = 1.0 / pdn.res_ohm
    d = np.abs(pdn.xy[b] - pdn.xy[a])
    la, lb = pdn.layer[a], pdn.layer[b]
    axes = pdn.resistor_axes()
    area = float(nx * ny)

    def wire_length(lays: list[int]) -> tuple[float, float]:
        wire = np.isin(la, lays) & np.isin(lb, lays)
        return float(d[wire & (axes == 0), 0].sum()), float(d[wire & (axes == 1), 1].sum())

    def pitch(length: float, extent: int, joined: bool) -> int:
        """Spacing (cells) of wires of this total length over the die, at most the die's ``extent``; on a
        sheet ``joined`` from a bar and its neighbour (:func:`sheet_groups`), 1 unless at least 4 fit across."""
        w = area / length if length > 0 else 1.0
        if joined:
            return int(round(w)) if 1.0 < w <= extent / 4 else 1
        return min(int(round(w)), extent) if w > 1.0 else 1

    n_lay = len(groups)
    group_of = np.full(int(pdn.layer.max()) + 1, -1)
    for i, lays in enumerate(groups):
        group_of[lays] = i
    kx = np.pi * np.arange(nx) / nx
    ky = np.pi * np.arange(ny) / ny
    sx, sy = np.sin(kx / 2)[:, None] ** 2, np.sin(ky / 2)[None, :] ** 2
    kmat = np.zeros((nx, ny, n_lay, n_lay))
    width = []
    ga, gb = group_of[la], group_of[lb]
    for i, lays in enumerate(groups):
        wire = (ga == i) & (gb == i)
        # per link of the 5-point stencil ((nx - 1) * ny links along x): exact for a full 1 µm mesh
        sig_x = float(np.sum(g[wire] * d[wire, 0] ** 2)) / max((nx - 1) * ny, 1)
        sig_y = float(np.sum(g[wire] * d[wire, 1] ** 2)) / max(nx * (ny - 1), 1)
        kmat[:, :, i, i] = 4 * sig_x * sx + 4 * sig_y * sy
        len_x, len_y = wire_length(lays)
        # wires along x, pitch area / length apart, each collect current from one pitch in y (and so on)
        width.append((pitch(len_y, nx, len(lays) > 1), pitch(len_x, ny, len(lays) > 1)))
        for j in range(n_lay):
            if j != i:
                gam = float(g[(ga == i) & (gb == j) | (ga == j) & (gb == i)].sum()) / area
                kmat[:, :, i, i] += gam
                kmat[:, :, i, j] -= gam
    scale = max(float(np.abs(kmat).max()), 1e-30)
    # one small L x L inverse per cosine mode (hundreds of thousands): torch's batched inverse is 3x
    # faster than numpy's at L = 5 (same LAPACK factorisation, float64)
    import torch

    names = ", ".join("+".join(f"m{lay}" for lay in lays) for lays in groups)
    kinv = torch.linalg.inv(torch.from_numpy(kmat + 1e-12 * scale * np.eye(n_lay))).numpy()
    kinv[0, 0] = np.linalg.pinv(kmat[0, 0])  # the constant mode is fixed by the pads

    on_mesh = np.isin(pdn.layer, [lay for lays in groups for lay in lays])
    pl = group_of[pdn.layer[pdn.pad_nodes]]
    pi, pj = tile_of(pdn.xy[pdn.pad_nodes], shape)
    key = np.unique((pl * nx + pi) * ny + pj)
    pl, pi, pj = key // (nx * ny), key // ny % nx, key % ny
    rows = sorted(set(pl.tolist()))
    at = np.searchsorted(rows, pl)
    pdn.cache[cache_key] = {
        "n_lay": n_lay,
        "group_of": group_of,
        "width": width,
        "kinv": kinv,
        "names": names,
        "on_mesh": on_mesh,
        "pl": pl,
        "pi": pi,
        "pj": pj,
        "rows": rows,
        "at": at,
        "resp": _pad_response(kinv, width, pl, pi, pj),
    }
    return pdn.cache[cache_key]


def _mesh_drop(
    pdn: PdnStructure, groups: list[list[int]], inj: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Drop (V) at every node of the layers in ``groups`` (:func:`sheet_groups`): a stack of homogenised
    sheets fed by point pads.

    Each mesh layer is its own anisotropic sheet on the map grid (5-point stencil, S per link, from the
    Σ g·Δ² of its wires) and adjacent sheets are coupled by their vias spread evenly over the die (S per
    cell), so a layer of one-axis stripes stays one-axis and the via resistance between mesh layers is
    kept. A point source on a layer (a pad, or a via from the chains below) is spread across one wire
    pitch of that layer — the pitch a wire collects current from, at most the die, however few wires the
    layer has — and a node reads its layer's sheet averaged over the same box (a sheet joined from a bar
    and its neighbour spreads over one cell along an axis with fewer than four wires across). Per cosine mode the stack is an ``L × L`` system, inverted in closed form
    for every mode at once; the pad currents follow from a ``(pads + 1)``-sized dense system.
    """
    op = _mesh_operator(pdn, groups, shape)
    nx, ny = shape
    n_lay, group_of, width, kinv = op["n_lay"], op["group_of"], op["width"], op["kinv"]
    pl, pi, pj, rows, at = op["pl"], op["pi"], op["pj"], op["rows"], op["at"]
    n_pad = pl.size
    record_system(f"sheets {op['names']}, per cosine mode", unknowns=nx * ny * n_lay, block=n_lay)

    def potential(source: np.ndarray, rows: list[int]) -> np.ndarray:
        """Sheet potentials of the layers ``rows`` for injected currents ``source`` ``[L, X, Y]`` (A)."""
        spec = dctn(source, axes=(1, 2), norm="ortho")
        out = np.einsum("xyij,jxy->ixy", kinv[:, :, rows, :], spec)
        return idctn(out, axes=(1, 2), norm="ortho")

    def cell(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (group_of[pdn.layer[nodes]], *tile_of(pdn.xy[nodes], shape))

    on_mesh = op["on_mesh"]
    load = np.zeros((n_lay, nx, ny))
    fed = np.flatnonzero(on_mesh & (inj != 0))
    np.add.at(load, cell(fed), inj[fed])
    for i in range(n_lay):
        load[i] = _spread(load[i], width[i])

    def read_pads(v: np.ndarray) -> np.ndarray:
        """The potential each pad reads: its layer's sheet averaged over the pad's box."""
        out = np.empty(n_pad)
        for r, lay in enumerate(rows):
            sel = at == r
            out[sel] = _spread(v[r], width[lay])[pi[sel], pj[sel]]
        return out

    v_load = read_pads(potential(-load, rows))
    resp = op["resp"]
    # pad currents P and the common pad potential c: v_load + resp @ P = c at every pad, Σ P = Σ load
    m = np.zeros((n_pad + 1, n_pad + 1))
    m[:n_pad, :n_pad] = resp
    m[:n_pad, n_pad] = -1.0
    m[n_pad, :n_pad] = 1.0
    record_system(f"sheets {op['names']}, pad currents", unknowns=n_pad + 1)
    sol = np.linalg.lstsq(m, np.r_[-v_load, load.sum()], rcond=None)[0]
    src = -load
    for q in range(n_pad):
        e = np.zeros((nx, ny))
        e[pi[q], pj[q]] = sol[q]
        src[pl[q]] += _spread(e, width[pl[q]])
    v = potential(src, list(range(n_lay)))
    drop = np.zeros(pdn.num_nodes)
    on = np.flatnonzero(on_mesh)
    ol, ox, oy = cell(on)
    for i in range(n_lay):
        sel = ol == i
        drop[on[sel]] = sol[n_pad] - _spread(v[i], width[i])[ox[sel], oy[sel]]
    return drop


def chain_estimate(
    pdn: PdnStructure,
    shape: tuple[int, int],
    sink_nodes: np.ndarray | None = None,
    sink_amp: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-3 of the rail estimate (no global correction): ``(drop V per node, alive mask)``.

    ``alive`` marks the nodes with a path up to the mesh or a pad; stubs hanging below the PDN get the
    drop of the node they hang from, nodes with no path to a pad 0. Arguments as :func:`rail_estimate`.
    """
    nodes = pdn.sink_nodes if sink_nodes is None else np.asarray(sink_nodes, dtype=np.int64)
    amps = pdn.sink_amp if sink_amp is None else np.asarray(sink_amp, dtype=np.float64)
    n = pdn.num_nodes
    top = mesh_layers(pdn)
    alive, factors = _chain_factors(pdn, top)
    inj = np.zeros(n)
    np.add.at(inj, nodes, amps)
    local = np.zeros(n)
    for lay, free, idx, lu, ends, above, gu, mat in factors:
        record_system(f"m{lay} chains", mat)
        x = lu.solve(inj[free])
        local[free] = x
        np.add.at(inj, above, gu * x[idx[ends]])  # what the vias carry up
    drop = _mesh_drop(pdn, sheet_groups(pdn, top, shape), inj, shape) if top else np.zeros(n)
    for _, free, idx, lu, ends, above, gu, _ in reversed(factors):
        rhs = np.zeros(int(free.sum()))
        np.add.at(rhs, idx[ends], gu * drop[above])
        drop[free] = local[free] + lu.solve(rhs)
    _extend_to_stubs(pdn, alive, drop)
    return drop, alive


def prepare_rail_estimate(pdn: PdnStructure, shape: tuple[int, int]) -> None:
    """Build the parts of the rail estimate that depend on the design alone (the chain layers' factored
    systems, the mesh sheets' operator, the lowest-layer nodes' search tree), cached on ``pdn`` so that
    every current map estimated on it afterwards pays only its own solves."""
    top = mesh_layers(pdn)
    _chain_factors(pdn, top)
    if top:
        _mesh_operator(pdn, sheet_groups(pdn, top, shape), shape)
    pads_on_bar(pdn, shape)
    sinks_from_current_map(pdn, np.zeros(shape))


def _chain_factors(pdn: PdnStructure, top: list[int]) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """The chain layers' systems below the mesh layers ``top``, factored once per design (cached on
    ``pdn``): ``(alive mask, [(layer, free nodes, their index, LU, via ends, nodes above, via S, matrix)])``
    lowest layer first (:func:`chain_estimate`)."""
    key = ("chain_factors", tuple(top))
    if key in pdn.cache:
        return pdn.cache[key]
    n = pdn.num_nodes
    layer, a, b = pdn.layer, pdn.res_a, pdn.res_b
    g = 1.0 / pdn.res_ohm
    chain = [lay for lay in sorted(np.unique(layer).tolist()) if lay not in top]
    mesh = np.isin(layer, top)
    pad = np.zeros(n, dtype=bool)
    pad[pdn.pad_nodes] = True
    alive = _alive(pdn, chain, mesh)
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
        mat = stamp(
            m, np.r_[idx[a[both]], idx[ends]], np.r_[idx[b[both]], np.full(ends.size, -1)], np.r_[g[both], gu]
        )
        lu = splu(mat.tocsc())  # block-diagonal: one independent chain per rail / stripe segment
        factors.append((lay, free, idx, lu, ends, above, gu, mat))
    pdn.cache[key] = alive, factors
    return pdn.cache[key]


def rail_estimate(
    pdn: PdnStructure,
    shape: tuple[int, int],
    sink_nodes: np.ndarray | None = None,
    sink_amp: np.ndarray | None = None,
    correct: bool = True,
    chains: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Estimated IR drop (V) per node of ``pdn`` (see the module docstring).

    ``sink_nodes``/``sink_amp`` (A) default to the netlist's current sinks; ``shape`` is the ``(X, Y)``
    map grid in 1 µm tiles that the sheets are discretised on; ``correct=False`` skips the global
    correction (step 4); ``chains`` is :func:`chain_estimate` of the same sinks when the caller has it.
    Nodes with no path to a pad get 0; stubs hanging below the PDN get the drop of the node they hang from.
    """
    nodes = pdn.sink_nodes if sink_nodes is None else np.asarray(sink_nodes, dtype=np.int64)
    amps = pdn.sink_amp if sink_amp is None else np.asarray(sink_amp, dtype=np.float64)
    drop, alive = chain_estimate(pdn, shape, nodes, amps) if chains is None else chains
    drop = drop.copy()
    groups = sheet_groups(pdn, sorted(np.unique(pdn.layer).tolist()), shape, only_pad_bars=True)
    if not correct or pads_on_bar(pdn, shape, groups):
        # with the pads on a bar or ring shorted into its neighbour, the misplaced current sits mostly on
        # the shorted vias next to the pads, which the sheets cannot represent (a stripe mesh under a pad
        # bar: 11 % low without the correction, 57 % low with it)
        return drop
    # 4. global correction: the current the estimate misplaces, spread by the sheet stack of every layer,
    # each its own sheet however sparse (shorting a sparse layer into its neighbour, as the top mesh does,
    # halves the gain on the generated designs whose m7 has under four stripes across the die)
    residual = kirchhoff_residual(pdn, drop, nodes, amps)
    residual[~alive] = 0.0
    drop += _mesh_drop(pdn, groups, residual, shape)
    _extend_to_stubs(pdn, alive, drop)
    return drop


def _extend_to_stubs(pdn: PdnStructure, alive: np.ndarray, drop: np.ndarray) -> None:
    """Give the nodes with no path up (stubs hanging below the PDN) the drop of what they hang from, in place.

    A stub carries no current, so each of its nodes sits at the (conductance-weighted) potential of the
    live nodes it touches: the harmonic extension over the stub (a system the size of the stub nodes).
    Pieces touching no live node (isolated from every pad) keep drop 0.
    """
    dead = ~alive
    a, b, g = pdn.res_a, pdn.res_b, 1.0 / pdn.res_ohm
    hang_a, hang_b = dead[a] & alive[b], dead[b] & alive[a]  # resistors from a stub node to a live one
    if not (np.any(hang_a) or np.any(hang_b)):
        return
    m = int(dead.sum())
    idx = np.full(pdn.num_nodes, -1)
    idx[dead] = np.arange(m)
    both = dead[a] & dead[b]
    end, live, g_live = np.r_[a[hang_a], b[hang_b]], np.r_[b[hang_a], a[hang_b]], np.r_[g[hang_a], g[hang_b]]
    # a ground leak 1e-12 of the largest conductance keeps isolated pieces (no live neighbour) at 0
    leak = 1e-12 * float(g.max())
    mat = stamp(
        m,
        np.r_[idx[a[both]], idx[end], np.arange(m)],
        np.r_[idx[b[both]], np.full(end.size + m, -1)],
        np.r_[g[both], g_live, np.full(m, leak)],
    )
    rhs = np.zeros(m)
    np.add.at(rhs, idx[end], g_live * drop[live])
    record_system("stubs below the PDN", mat)
    drop[dead] = splu(mat.tocsc()).solve(rhs)


def kirchhoff_residual(
    pdn: PdnStructure, drop: np.ndarray, sink_nodes: np.ndarray, sink_amp: np.ndarray
) -> np.ndarray:
    """The current (A) each node's Kirchhoff law misses under the drop ``drop`` (V): ``J - G·v``, 0 at pads.

    One product with the conductance matrix ``G`` (no solve): the current the rail estimate misplaces.
    Adding ``G⁻¹`` of it to the estimate would give the exact drop; the learned predictors see it per tile.
    """
    residual = -(
        stamp(pdn.num_nodes, pdn.res_a, pdn.res_b, 1.0 / pdn.res_ohm) @ np.asarray(drop, dtype=np.float64)
    )
    np.add.at(residual, np.asarray(sink_nodes, dtype=np.int64), np.asarray(sink_amp, dtype=np.float64))
    residual[pdn.pad_nodes] = 0.0
    return residual
