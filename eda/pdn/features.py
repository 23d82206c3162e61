"""Contest input maps computed from a netlist: effective distance to the pads and PDN density.

**Effective distance** (µm) of a tile is ``1 / sum_i(1 / d_i)`` over the Euclidean distances ``d_i`` to
every voltage source, like resistances in parallel. The ICCAD 2023 maps use pad positions snapped to the
contest's 50 µm bump sites (``25 + 50 k`` µm): with that snapping this formula reproduces every published
``eff_dist_map`` to about 2.4e-5 µm mean error (the ``%5.3e`` rounding); with the exact netlist pad
coordinates the error is ~0.7 µm. ``snap_um=None`` uses the exact coordinates.

**PDN density** is region-wise: for every ``region_um`` square, the number of distinct stripes of a
strap layer (default: the lowest layer above the bottom one, m4 in the contest netlists) that run
through it, expressed as stripes per 100 µm. The contest's ``pdn_density`` classes (0-3) could not be
derived from the provided netlists (regions of one class hold different m4 stripe counts), so this map
is a physical density, not the contest's class label.
"""

from __future__ import annotations

import numpy as np

from eda.errors import NetlistError
from eda.pdn.netlist import PdnNetlist
from eda.pdn.raster import grid_shape

__all__ = ["effective_distance_map", "pdn_density_map", "pad_positions"]


def pad_positions(
    net: PdnNetlist, *, snap_um: float | None = 50.0, snap_offset_um: float = 25.0
) -> np.ndarray:
    """``[k, 2]`` pad (x, y) in µm, optionally snapped to ``snap_offset_um + snap_um * k``; unique rows."""
    pads = np.unique(net.v_pos[net.v_pos >= 0])
    xy = np.stack([net.x_um[pads], net.y_um[pads]], axis=1)
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if len(xy) == 0:
        raise NetlistError(
            "no pad carries coordinates",
            where=net.source,
            hint="pad nodes need coordinate names such as n1_m9_<x>_<y>",
        )
    if snap_um:
        xy = np.round((xy - snap_offset_um) / snap_um) * snap_um + snap_offset_um
    return np.unique(xy, axis=0)


def effective_distance_map(
    net: PdnNetlist,
    shape: tuple[int, int] | None = None,
    *,
    snap_um: float | None = 50.0,
    snap_offset_um: float = 25.0,
    chunk: int | None = None,
) -> np.ndarray:
    """Effective distance (µm) of every 1 µm tile ``[x, y]`` to the pads (0 on a pad).

    ``chunk`` tiles are taken at a time (default: about 256 k tile-pad distances, small enough to stay in
    cache; the whole map at once costs several times more on a large die)."""
    if shape is None:
        shape = grid_shape(net.x_um, net.y_um)
    pads = pad_positions(net, snap_um=snap_um, snap_offset_um=snap_offset_um)
    X, Y = np.meshgrid(np.arange(shape[0], dtype=float), np.arange(shape[1], dtype=float), indexing="ij")
    x, y = X.ravel(), Y.ravel()
    if chunk is None:
        chunk = max(1024, (1 << 18) // len(pads))
    inv = np.zeros(len(x))
    on_pad = np.zeros(len(x), bool)
    for s in range(0, len(x), chunk):
        dx = x[s : s + chunk, None] - pads[None, :, 0]
        dy = y[s : s + chunk, None] - pads[None, :, 1]
        d = np.sqrt(dx * dx + dy * dy)
        zero = d == 0
        on_pad[s : s + chunk] = zero.any(axis=1)
        inv[s : s + chunk] = np.sum(1.0 / np.where(zero, 1.0, d), axis=1)
    out = np.where(on_pad, 0.0, 1.0 / np.maximum(inv, 1e-300))
    return out.reshape(shape)


def pdn_density_map(
    net: PdnNetlist,
    shape: tuple[int, int] | None = None,
    *,
    layer: int | None = None,
    region_um: float = 100.0,
) -> np.ndarray:
    """Stripes per 100 µm of strap ``layer`` in each ``region_um`` square, painted on the 1 µm grid."""
    if shape is None:
        shape = grid_shape(net.x_um, net.y_um)
    placed = np.isfinite(net.x_um) & (net.layer >= 0)
    layers = np.unique(net.layer[placed])
    if layer is None:
        if len(layers) < 2:
            raise NetlistError("PDN density needs at least two placed metal layers", where=net.source)
        layer = int(layers[1])
    sel = placed & (net.layer == layer)
    if not np.any(sel):
        raise NetlistError(
            f"no nodes on m{layer}", where=net.source, hint=f"layers present: {layers.tolist()}"
        )
    x, y = net.x_um[sel], net.y_um[sel]
    # stripe direction: the coordinate with fewer distinct values is the stripe position
    vertical = len(np.unique(x)) <= len(np.unique(y))
    pos = x if vertical else y
    nrx, nry = int(np.ceil(shape[0] / region_um)), int(np.ceil(shape[1] / region_um))
    rx = np.clip((x // region_um).astype(int), 0, nrx - 1)
    ry = np.clip((y // region_um).astype(int), 0, nry - 1)
    region = rx * nry + ry
    key = np.unique(np.stack([region, np.round(pos * 1000).astype(np.int64)], axis=1), axis=0)
    counts = np.bincount(key[:, 0], minlength=nrx * nry).reshape(nrx, nry)
    dens = counts * (100.0 / region_um)
    ix = np.minimum((np.arange(shape[0]) // region_um).astype(int), nrx - 1)
    iy = np.minimum((np.arange(shape[1]) // region_um).astype(int), nry - 1)
    return dens[ix[:, None], iy[None, :]].astype(float)
