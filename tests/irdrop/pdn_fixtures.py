"""Hand-built PDNs for the irdrop tests (no data files needed)."""

from __future__ import annotations

import numpy as np

from eda.irdrop.features import STATIC_CHANNELS
from eda.irdrop.structure import PdnStructure

__all__ = ["comb_pdn", "M1_OHM_PER_UM", "M4_OHM_PER_UM", "VIA_OHM", "tiny_pdnnet_config"]

M1_OHM_PER_UM = 2.0
M4_OHM_PER_UM = 0.5
VIA_OHM = 1.0


def comb_pdn(
    width: int = 24,
    height: int = 12,
    stripes: tuple[int, ...] = (4, 20),
    rails: tuple[int, ...] = (1, 3, 5, 7, 9, 11),
    pad_y: int = 11,
) -> PdnStructure:
    """m1 rails along x (nodes every 1 µm), m4 stripes along y, vias at crossings, pads on top of m4.

    Resistances: m1 ``M1_OHM_PER_UM`` Ω/µm, m4 ``M4_OHM_PER_UM`` Ω/µm, vias ``VIA_OHM`` Ω. One pad per
    stripe at ``(x_stripe, pad_y)`` on m4.
    """
    xy, layer, index = [], [], {}

    def node(x: float, y: float, lay: int) -> int:
        key = (x, y, lay)
        if key not in index:
            index[key] = len(xy)
            xy.append((x, y))
            layer.append(lay)
        return index[key]

    a, b, r = [], [], []
    for y in rails:
        for x in range(width):
            a.append(node(x, y, 1))
            b.append(node(x + 1, y, 1))
            r.append(M1_OHM_PER_UM)
    for x in stripes:
        for y in range(height):
            a.append(node(x, y, 4))
            b.append(node(x, y + 1, 4))
            r.append(M4_OHM_PER_UM)
        for y in rails:
            a.append(node(x, y, 1))
            b.append(node(x, y, 4))
            r.append(VIA_OHM)
    pads = [node(x, pad_y, 4) for x in stripes]
    return PdnStructure(
        xy=np.array(xy, float),
        layer=np.array(layer),
        res_a=np.array(a),
        res_b=np.array(b),
        res_ohm=np.array(r, float),
        pad_nodes=np.array(pads),
        pad_volt=np.full(len(pads), 1.0),
    )


def comb_sample(seed: int = 0, width: int = 24, height: int = 12, tile_um: int = 4):
    """A :class:`eda.irdrop.dataset.Sample` of :func:`comb_pdn` (resistances × 50) with random m1 currents and the exact
    static drop (nodal solve with scipy) rasterised onto the 1 µm tiles as the label."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    from eda.irdrop.dataset import sample_from_maps

    pdn = comb_pdn(width, height)
    pdn.res_ohm = pdn.res_ohm * 50.0  # a resistive grid so that the drop is ~1 mV, like the contest cases
    rng = np.random.default_rng(seed)
    low = np.flatnonzero(pdn.layer == 1)
    amps = rng.uniform(0.0, 4e-7, low.size)  # A per node: ~1 in the current channel, like ICCAD
    n = pdn.num_nodes
    g = 1.0 / pdn.res_ohm
    lap = sp.coo_matrix(
        (
            np.r_[g, g, -g, -g],
            (
                np.r_[pdn.res_a, pdn.res_b, pdn.res_a, pdn.res_b],
                np.r_[pdn.res_a, pdn.res_b, pdn.res_b, pdn.res_a],
            ),
        ),
        shape=(n, n),
    ).tocsr()
    free = np.setdiff1d(np.arange(n), pdn.pad_nodes)
    inj = np.zeros(n)
    inj[low] = amps
    drop = np.zeros(n)
    drop[free] = spsolve(lap[free][:, free].tocsc(), inj[free])
    current = np.zeros((width, height))
    label = np.zeros((width, height))
    ix = np.clip(pdn.xy[low, 0].astype(int), 0, width - 1)
    iy = np.clip(pdn.xy[low, 1].astype(int), 0, height - 1)
    np.add.at(current, (ix, iy), amps)
    label[ix, iy] = drop[low]
    # rows without an m1 rail take the drop of the rail below (every other 1 µm row)
    for y in range(height):
        if not np.any(label[:, y]) and y > 0:
            label[:, y] = label[:, y - 1]
    eff = np.hypot(*np.meshgrid(np.arange(width) - 12.0, np.arange(height) - 11.0, indexing="ij"))
    return sample_from_maps(
        f"comb{seed}", current, eff, np.full((width, height), 2.0), pdn, label, tile_um=tile_um
    )


def tiny_pdnnet_config() -> dict:
    """A fresh model config of a two-level PDNNet with 8 channels everywhere and no physics prior (a generic
    start, for the tests about distributed training rather than accuracy)."""
    return {
        "model": "pdnnet",
        "in_channels": len(STATIC_CHANNELS),
        "widths": [8, 8],
        "head": 8,
        "gnn_hidden": 8,
        "gnn_layers": 1,
        "prior_channel": None,
    }
