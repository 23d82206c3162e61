"""Node values onto the ICCAD 2023 1 µm tile grid (rows index x), as the contest labels were made.

The contest's ``ir_drop_map`` is the static nodal solution taken at the **lowest-layer (m1) nodes** and
interpolated onto the integer-µm grid. Comparing against the published labels (``docs/pdn.md``) shows
that tiles lying on an m1 node carry exactly that node's drop, and that along an m1 rail the label
follows a cubic spline through the node values to within the file's rounding (< 1 µV), with natural end
conditions fitting the die edges best. m1 nodes of the contest PDNs form a rectilinear tensor grid
(rails × via columns), for which we use the tensor-product natural cubic spline: 0.0006-0.0051 mV MAE
on all 28 complete cases (bilinear: 0.004-0.022 mV; not-a-knot splines: 0.0006-0.0063 mV). Scattered
node sets use Clough-Tocher cubic interpolation. Tiles outside the node hull take the value at the
nearest hull edge.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline, griddata

from eda.errors import NetlistError
from eda.pdn.netlist import PdnNetlist

__all__ = ["rasterize", "rasterize_points", "grid_shape", "bottom_layer_nodes"]


def grid_shape(x_um: np.ndarray, y_um: np.ndarray) -> tuple[int, int]:
    """Contest map shape covering the nodes: ``(floor(max x) + 1, floor(max y) + 1)`` tiles."""
    return int(np.floor(np.nanmax(x_um) + 1e-9)) + 1, int(np.floor(np.nanmax(y_um) + 1e-9)) + 1


def bottom_layer_nodes(net: PdnNetlist) -> np.ndarray:
    """Indices of the nodes on the lowest layer that has coordinates (m1 for contest netlists)."""
    has_xy = np.isfinite(net.x_um) & np.isfinite(net.y_um)
    if not np.any(has_xy):
        raise NetlistError(
            "no node name carries coordinates, so no map can be drawn",
            where=net.source,
            hint="use node names like n1_m1_<x>_<y> (DBU) or n1_<x>_<y>_m1",
        )
    layers = net.layer[has_xy]
    known = layers[layers >= 0]
    if len(known) == 0:
        return np.flatnonzero(has_xy)
    return np.flatnonzero(has_xy & (net.layer == known.min()))


def _dedupe(x: np.ndarray, y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xy = np.round(np.c_[x, y] * 1e6).astype(np.int64)
    uniq, inv = np.unique(xy, axis=0, return_inverse=True)
    inv = inv.ravel()
    if len(uniq) == len(x):
        return x, y, v
    cnt = np.bincount(inv)
    return uniq[:, 0] / 1e6, uniq[:, 1] / 1e6, np.bincount(inv, weights=v) / cnt


def rasterize_points(
    x_um: np.ndarray, y_um: np.ndarray, values: np.ndarray, shape: tuple[int, int] | None = None
) -> np.ndarray:
    """Interpolate point values onto tiles ``(i, j)`` at ``(x, y) = (i, j)`` µm; returns ``[x, y]`` array."""
    x, y, v = _dedupe(np.asarray(x_um, float), np.asarray(y_um, float), np.asarray(values, float))
    if shape is None:
        shape = grid_shape(x, y)
    gx = np.arange(shape[0], dtype=float)
    gy = np.arange(shape[1], dtype=float)
    ux, uy = np.unique(x), np.unique(y)
    if len(x) == len(ux) * len(uy) and len(ux) > 1 and len(uy) > 1:
        Z = np.empty((len(ux), len(uy)))
        Z[np.searchsorted(ux, x), np.searchsorted(uy, y)] = v
        # tensor-product natural cubic spline: along x for every m1 row, then along y
        along_x = CubicSpline(ux, Z, axis=0, bc_type="natural")(np.clip(gx, ux[0], ux[-1]))
        return CubicSpline(uy, along_x, axis=1, bc_type="natural")(np.clip(gy, uy[0], uy[-1]))
    X, Y = np.meshgrid(gx, gy, indexing="ij")
    if len(x) >= 3 and len(ux) > 1 and len(uy) > 1:
        out = griddata(np.c_[x, y], v, (X, Y), method="cubic")
    else:
        out = np.full(shape, np.nan)
    bad = ~np.isfinite(out)
    if np.any(bad):
        out[bad] = griddata(np.c_[x, y], v, (X[bad], Y[bad]), method="nearest")
    return out


def rasterize(net: PdnNetlist, node_values: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Contest-style map of per-node values (e.g. IR drop in V) from the netlist's bottom-layer nodes."""
    idx = bottom_layer_nodes(net)
    return rasterize_points(net.x_um[idx], net.y_um[idx], np.asarray(node_values)[idx], shape)
