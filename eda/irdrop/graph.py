"""PDNGraph: the layout cut into square tiles, one node per tile, directed edges between neighbours.

Nodes sit on a regular lattice of ``tile_um`` × ``tile_um`` tiles over the map (node ``gx * GY + gy``
is the tile whose lower-left corner is ``(gx, gy) * tile_um`` µm). Node features are the tile means of
the input channels (:mod:`eda.irdrop.features`) plus a pad-in-tile flag.

Edges join horizontally and vertically adjacent tiles. Their direction follows the PDN stripes:
current enters the lower metal at a stripe and flows *away* from it, so an edge between two tiles
adjacent along x points from the tile nearer to its nearest vertical stripe to the farther one; the
same rule with horizontal stripes orients edges along y. Where both tiles are equally near (a tile
straddling a stripe, or the midpoint between two stripes) or there are no stripes, the edge goes both
ways. Edge features: ``[log10(1 + G/1 S), along_x, along_y, bidirectional]`` where ``G`` is the
conductance of the PDN wires that cross the shared tile boundary (each wire segment counted as a
``tile_um`` long piece, so a long stripe resistor contributes at every boundary it crosses).

:func:`graph_from_cells` builds the same graph from a cell-level power report plus placement (the
CircuitNet sign-off reports: leakage, internal and switching power per instance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from eda.irdrop.features import nearest_distance
from eda.irdrop.structure import PdnStructure, tile_of

__all__ = ["PDNGraph", "build_pdn_graph", "tile_pool", "graph_from_cells", "EDGE_FEATURES"]

EDGE_FEATURES: tuple[str, ...] = ("log_conductance", "along_x", "along_y", "bidirectional")


@dataclass
class PDNGraph:
    """A PDNGraph as tensors (PyTorch Geometric conventions).

    Attributes:
        x: node features ``[N, F]``.
        edge_index: directed edges ``[2, E]`` (source row 0, target row 1).
        edge_attr: edge features ``[E, len(EDGE_FEATURES)]``.
        grid: lattice shape ``(GX, GY)``; node ``gx * GY + gy``.
        tile_um: tile edge in µm.
        pos: tile centres ``[N, 2]`` in µm.
    """

    x: torch.Tensor
    edge_index: torch.Tensor
    edge_attr: torch.Tensor
    grid: tuple[int, int]
    tile_um: int
    pos: torch.Tensor

    @property
    def num_nodes(self) -> int:
        """Number of tiles."""
        return int(self.x.shape[0])

    def to_data(self):  # noqa: ANN201 - torch_geometric type imported lazily
        """As a :class:`torch_geometric.data.Data`."""
        from torch_geometric.data import Data

        return Data(x=self.x, edge_index=self.edge_index, edge_attr=self.edge_attr, pos=self.pos)


def tile_pool(maps: np.ndarray, tile_um: int, reduce: str = "mean") -> np.ndarray:
    """Pool ``[C, X, Y]`` 1 µm maps onto ``tile_um`` tiles -> ``[C, GX, GY]`` (partial edge tiles kept)."""
    c, nx, ny = maps.shape
    gx, gy = math.ceil(nx / tile_um), math.ceil(ny / tile_um)
    padded = np.zeros((c, gx * tile_um, gy * tile_um), dtype=np.float64)
    padded[:, :nx, :ny] = maps
    blocks = padded.reshape(c, gx, tile_um, gy, tile_um).sum(axis=(2, 4))
    if reduce == "sum":
        return blocks
    count = np.zeros((gx * tile_um, gy * tile_um))
    count[:nx, :ny] = 1.0
    n = count.reshape(gx, tile_um, gy, tile_um).sum(axis=(1, 3))
    return blocks / np.maximum(n, 1.0)


def _boundary_conductance(
    pdn: PdnStructure | None, grid: tuple[int, int], tile_um: int
) -> tuple[np.ndarray, np.ndarray]:
    """Conductance (S) of wires crossing each x-boundary ``[GX-1, GY]`` and y-boundary ``[GX, GY-1]``."""
    gx_n, gy_n = grid
    gxb = np.zeros((max(gx_n - 1, 0), gy_n))
    gyb = np.zeros((gx_n, max(gy_n - 1, 0)))
    if pdn is None:
        return gxb, gyb
    axis = pdn.resistor_axes()
    same = pdn.layer[pdn.res_a] == pdn.layer[pdn.res_b]
    for along, out in ((0, gxb), (1, gyb)):
        sel = np.nonzero(same & (axis == along))[0]
        if sel.size == 0 or out.size == 0:
            continue
        pa, pb = pdn.xy[pdn.res_a[sel]], pdn.xy[pdn.res_b[sel]]
        lo = np.minimum(pa[:, along], pb[:, along])
        hi = np.maximum(pa[:, along], pb[:, along])
        length = np.maximum(hi - lo, 1e-9)
        g_seg = length / (pdn.res_ohm[sel] * tile_um)  # conductance of a tile-long piece of the wire
        t0 = np.floor(lo / tile_um).astype(int)
        t1 = np.floor(hi / tile_um).astype(int)
        ncross = np.maximum(t1 - t0, 0)
        other = np.floor(pa[:, 1 - along] / tile_um).astype(int)
        rep = np.repeat(np.arange(sel.size), ncross)
        step = np.arange(rep.size) - np.repeat(np.cumsum(ncross) - ncross, ncross)
        b = t0[rep] + step  # boundary between tile b and b+1 along the axis
        o = other[rep]
        lim_b = out.shape[0] if along == 0 else out.shape[1]
        lim_o = out.shape[1] if along == 0 else out.shape[0]
        ok = (b >= 0) & (b < lim_b) & (o >= 0) & (o < lim_o)
        if along == 0:
            np.add.at(out, (b[ok], o[ok]), g_seg[rep][ok])
        else:
            np.add.at(out, (o[ok], b[ok]), g_seg[rep][ok])
    return gxb, gyb


def _oriented(
    src: np.ndarray, dst: np.ndarray, d_src: np.ndarray, d_dst: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directed edges away from the stripes: ``(sources, targets, bidirectional flag)``."""
    forward = d_dst > d_src + tol
    backward = d_src > d_dst + tol
    both = ~(forward | backward)
    s = np.concatenate([src[forward], dst[backward], src[both], dst[both]])
    t = np.concatenate([dst[forward], src[backward], dst[both], src[both]])
    flag = np.concatenate([np.zeros(forward.sum() + backward.sum()), np.ones(2 * both.sum())])
    order = np.concatenate(
        [np.nonzero(forward)[0], np.nonzero(backward)[0], np.nonzero(both)[0], np.nonzero(both)[0]]
    )
    return np.stack([s, t]), flag, order


def build_pdn_graph(
    inputs: np.ndarray,
    tile_um: int,
    *,
    pdn: PdnStructure | None = None,
    vstripes: np.ndarray | None = None,
    hstripes: np.ndarray | None = None,
) -> PDNGraph:
    """Build the PDNGraph of one sample.

    Args:
        inputs: 1 µm input channels ``[C, X, Y]`` (:func:`eda.irdrop.features.assemble_inputs`).
        tile_um: tile edge in µm (an integer ≥ 1).
        pdn: the PDN (stripes, pads and boundary conductances come from it when given).
        vstripes, hstripes: stripe positions in µm when there is no ``pdn`` (or to override it).
    """
    if tile_um < 1:
        raise ValueError(f"tile_um must be >= 1, got {tile_um}")
    c, nx, ny = inputs.shape
    pooled = tile_pool(inputs, tile_um)
    gx_n, gy_n = pooled.shape[1:]
    # the graph's structure depends on the PDN only: built once per design and grid (cached on ``pdn``)
    cache = pdn.cache if pdn is not None and vstripes is None and hstripes is None else {}
    key = ("graph_structure", int(gx_n), int(gy_n), int(tile_um))
    if key not in cache:
        cache[key] = _graph_structure(pdn, (gx_n, gy_n), tile_um, vstripes, hstripes)
    pad_flag, edge_index, edge_attr, pos = cache[key]
    node_x = np.concatenate([pooled, pad_flag[None]], axis=0).reshape(c + 1, -1).T
    return PDNGraph(
        x=torch.as_tensor(node_x, dtype=torch.float32),
        edge_index=torch.tensor(edge_index, dtype=torch.long),  # copies: the cached arrays stay intact
        edge_attr=torch.tensor(edge_attr, dtype=torch.float32),
        grid=(int(gx_n), int(gy_n)),
        tile_um=int(tile_um),
        pos=torch.tensor(pos, dtype=torch.float32),
    )


def _graph_structure(
    pdn: PdnStructure | None,
    grid: tuple[int, int],
    tile_um: int,
    vstripes: np.ndarray | None,
    hstripes: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(pad flag per tile, edge_index, edge_attr, tile centres µm)`` of a ``grid`` of ``tile_um`` tiles."""
    gx_n, gy_n = grid
    pad_flag = np.zeros((gx_n, gy_n))
    if pdn is not None:
        vstripes = pdn.stripes("vertical") if vstripes is None else vstripes
        hstripes = pdn.stripes("horizontal") if hstripes is None else hstripes
        pad_flag[tile_of(pdn.xy[pdn.pad_nodes], (gx_n, gy_n), tile_um)] = 1.0
    vstripes = np.zeros(0) if vstripes is None else np.asarray(vstripes, dtype=np.float64)
    hstripes = np.zeros(0) if hstripes is None else np.asarray(hstripes, dtype=np.float64)
    ids = np.arange(gx_n * gy_n).reshape(gx_n, gy_n)
    cx = (np.arange(gx_n) + 0.5) * tile_um
    cy = (np.arange(gy_n) + 0.5) * tile_um
    gxb, gyb = _boundary_conductance(pdn, (gx_n, gy_n), tile_um)
    tol = 1e-6 * tile_um
    # along x: tiles (gx, gy) -> (gx + 1, gy), oriented by vertical stripes
    dvx = nearest_distance(cx, vstripes) if vstripes.size else np.zeros(gx_n)
    sx, tx = ids[:-1, :].ravel(), ids[1:, :].ravel()
    dsx = np.repeat(dvx[:-1], gy_n)
    dtx = np.repeat(dvx[1:], gy_n)
    ex, fx, ox = _oriented(sx, tx, dsx, dtx, tol)
    # along y: tiles (gx, gy) -> (gx, gy + 1), oriented by horizontal stripes
    dhy = nearest_distance(cy, hstripes) if hstripes.size else np.zeros(gy_n)
    sy, ty = ids[:, :-1].ravel(), ids[:, 1:].ravel()
    dsy = np.tile(dhy[:-1], gx_n)
    dty = np.tile(dhy[1:], gx_n)
    ey, fy, oy = _oriented(sy, ty, dsy, dty, tol)
    gcx, gcy = gxb.ravel()[ox], gyb.ravel()[oy]
    attr_x = np.stack([np.log10(1.0 + gcx), np.ones_like(gcx), np.zeros_like(gcx), fx], axis=1)
    attr_y = np.stack([np.log10(1.0 + gcy), np.zeros_like(gcy), np.ones_like(gcy), fy], axis=1)
    edge_index = np.concatenate([ex, ey], axis=1)
    edge_attr = np.concatenate([attr_x, attr_y], axis=0)
    pos = np.stack(np.meshgrid(cx, cy, indexing="ij"), axis=-1).reshape(-1, 2)
    return pad_flag, edge_index, edge_attr.reshape(-1, len(EDGE_FEATURES)), pos


def graph_from_cells(
    bbox_um: np.ndarray,
    leakage_w: np.ndarray,
    internal_w: np.ndarray,
    switching_w: np.ndarray,
    die_um: tuple[float, float],
    tile_um: int,
    vstripes: np.ndarray | None = None,
    hstripes: np.ndarray | None = None,
) -> PDNGraph:
    """PDNGraph from a cell-level power report plus placement.

    Each instance's leakage, internal and switching power (W) is added to the 1 µm tile holding the
    centre of its bounding box ``[k, 4] = (x0, y0, x1, y1)`` µm. Node features are the
    three power sums per tile in µW (and a zero pad flag); edges as in :func:`build_pdn_graph` with the
    given stripe positions (µm).
    """
    nx, ny = int(math.ceil(die_um[0])), int(math.ceil(die_um[1]))
    maps = np.zeros((3, nx, ny))
    box = np.asarray(bbox_um, dtype=np.float64)
    powers = np.stack([leakage_w, internal_w, switching_w], axis=0) * 1e6
    cx = np.clip(((box[:, 0] + box[:, 2]) / 2).astype(int), 0, nx - 1)
    cy = np.clip(((box[:, 1] + box[:, 3]) / 2).astype(int), 0, ny - 1)
    for ch in range(3):
        np.add.at(maps[ch], (cx, cy), powers[ch])
    graph = build_pdn_graph(maps, tile_um, vstripes=vstripes, hstripes=hstripes)
    # node features as tile sums (power adds up), not means
    summed = tile_pool(maps, tile_um, reduce="sum").reshape(3, -1).T
    graph.x[:, :3] = torch.as_tensor(summed, dtype=torch.float32)
    return graph
