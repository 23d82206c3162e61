"""Per-tile input feature maps for the IR-drop predictors (1 µm contest tiles, maps indexed ``[x, y]``).

Channel order of a static sample (:data:`STATIC_CHANNELS`), all dimensionless and O(1):

==================  ==================================================================================
``current``         tile current in units of 0.1 µA (contest ``current_map`` × 1e7)
``eff_dist``        effective distance to the pads / 50 µm (contest ``eff_dist_map``)
``pdn_density``     PDN density class / 3 (contest ``pdn_density``)
``r_pad_min``       shortest-path resistance from the tile's lowest-layer node to any pad / 100 Ω
``r_pad_par``       parallel combination of the shortest paths to each pad / 100 Ω
``d_vstripe``       distance to the nearest vertical PDN stripe / 30 µm
``d_hstripe``       distance to the nearest horizontal PDN stripe (above the cell rails) / 30 µm
``via_density``     lowest-layer vias in the tile (count, clipped at 4) / 4
``d_edge``          distance from the tile centre to the nearest die edge / 30 µm, clipped at 3 (a
                    CNN cannot tell a die edge from the edge of a training window without it)
``rail_est``        the layer-wise rail estimate of the drop in mV (:mod:`eda.irdrop.rail`: independent
                    chain solves per rail plus homogenised top-mesh sheets, corrected through uniform
                    sheets per layer; never the coupled PDN)
``rail_coarse``     the chain estimate corrected on the per-region coarse grid instead, in mV
                    (:mod:`eda.irdrop.coarse_grid`: cells per layer with their own wire and via
                    conductance; right where the PDN density changes from block to block)
``rail_res_g<s>``   the Kirchhoff current residual of the rail estimate, ``J - G·v_est`` summed over the
                    nodes of each tile (one sparse product with the conductance matrix, no solve) and
                    Gaussian-averaged over s µm (s = 2 … 32), in the unit of ``current``: the current the
                    estimate misplaces near the tile at growing scales (mostly the through-current along
                    the cell rails between vias at different drops), from which the network learns the
                    missing drop
``cur_b<k>``        the ``current`` channel averaged over k × k µm blocks (k = 2 … 128) and bilinearly
                    interpolated back to 1 µm: the multi-scale current context (linear in the current)
``cur_mean``        the die-mean of ``current`` (a constant map)
==================  ==================================================================================

Dynamic samples append one channel per time slice: tile power of that slice in the same unit as
``current`` (A at the supply voltage, × 1e7). Netlist-derived channels never solve the coupled conductance system.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from eda.irdrop.structure import PdnStructure, tile_of

__all__ = [
    "FEATURES_VERSION",
    "STATIC_CHANNELS",
    "CONTEST_CHANNELS",
    "PYRAMID_BLOCKS",
    "CURRENT_CHANNELS",
    "MAP_CHANNELS",
    "RESIDUAL_CHANNELS",
    "RESIDUAL_SIGMAS",
    "current_pyramid",
    "residual_pyramid",
    "CURRENT_SCALE",
    "StructuralMaps",
    "design_maps",
    "structural_maps",
    "rail_maps",
    "prior_maps",
    "peak_to_mean",
    "node_map",
    "assemble_inputs",
    "nearest_distance",
    "transform_map",
    "transform_inputs",
]

#: bump when a channel's definition or values change: keys the data-set cache and the irdrop flow steps
FEATURES_VERSION = 11
#: block sizes (µm) of the multi-scale current channels
PYRAMID_BLOCKS: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128)
#: Gaussian widths (µm) of the multi-scale rail-estimate residual channels
RESIDUAL_SIGMAS: tuple[int, ...] = (2, 4, 8, 16, 32)
STATIC_CHANNELS: tuple[str, ...] = (
    "current",
    "eff_dist",
    "pdn_density",
    "r_pad_min",
    "r_pad_par",
    "d_vstripe",
    "d_hstripe",
    "via_density",
    "d_edge",
    "rail_est",
    "rail_coarse",
    *(f"rail_res_g{s}" for s in RESIDUAL_SIGMAS),
    *(f"cur_b{k}" for k in PYRAMID_BLOCKS),
    "cur_mean",
)
#: channels that are linear in the current (the current, the two rail estimates and the residual, the
#: multi-scale copies and the die mean, which stays last)
CURRENT_CHANNELS: tuple[int, ...] = (0, *range(STATIC_CHANNELS.index("rail_est"), len(STATIC_CHANNELS)))
#: the signed ones among them (the residual channels): their weights in a linear head may be negative
RESIDUAL_CHANNELS: tuple[int, ...] = tuple(
    i for i, c in enumerate(STATIC_CHANNELS) if c.startswith("rail_res")
)
#: what an IREDGe-style CNN sees: the contest maps and the current's multi-scale copies (no netlist)
MAP_CHANNELS: tuple[str, ...] = (
    "current",
    "eff_dist",
    "pdn_density",
    "d_edge",
    *(f"cur_b{k}" for k in PYRAMID_BLOCKS),
    "cur_mean",
)
#: the three maps the contest ships (what an IREDGe-style baseline sees)
CONTEST_CHANNELS: tuple[str, ...] = STATIC_CHANNELS[:3]
#: multiply a current map in A per tile by this to get the ``current`` channel (0.1 µA units)
CURRENT_SCALE = 1e7
_EFF_DIST_UM = 50.0
_R_OHM = 100.0
_STRIPE_UM = 30.0


@dataclass
class StructuralMaps:
    """Netlist-derived per-tile maps ``[X, Y]`` (µm grid) and the stripe positions (µm)."""

    r_pad_min: np.ndarray
    r_pad_par: np.ndarray
    d_vstripe: np.ndarray
    d_hstripe: np.ndarray
    via_count: np.ndarray
    rail_drop: np.ndarray
    rail_residual: np.ndarray
    rail_coarse: np.ndarray
    vstripes: np.ndarray
    hstripes: np.ndarray


def nearest_distance(coords: np.ndarray, stripes: np.ndarray) -> np.ndarray:
    """Distance from each coordinate to the nearest stripe position (µm); a large value without stripes."""
    c = np.asarray(coords, dtype=np.float64)
    s = np.sort(np.asarray(stripes, dtype=np.float64))
    if s.size == 0:
        return np.full(c.shape, 1e3)
    idx = np.clip(np.searchsorted(s, c), 1, max(s.size - 1, 1))
    left = np.abs(c - s[idx - 1])
    right = np.abs(s[np.minimum(idx, s.size - 1)] - c)
    return np.minimum(left, right)


def structural_maps(
    pdn: PdnStructure,
    shape: tuple[int, int],
    current: np.ndarray | None = None,
    rails: tuple[np.ndarray, ...] | None = None,
) -> StructuralMaps:
    """Rasterise the structural features of ``pdn`` onto a ``shape = (X, Y)`` grid of 1 µm tiles.

    Node values are taken from the nearest lowest-layer node to each tile centre (the layer the cell
    currents are drawn from). The rail estimate uses the netlist's current sinks, or ``current`` (A per
    tile, assigned to the nearest lowest-layer node) when the PDN carries none; ``rails``, when given, is
    ``rail_maps(pdn, shape, current, coarse=True)`` already computed.
    """
    design = design_maps(pdn, shape)
    rail_drop, rail_residual, rail_coarse = rails or rail_maps(pdn, shape, current, coarse=True)
    return StructuralMaps(
        **design,
        rail_drop=rail_drop,
        rail_residual=rail_residual,
        rail_coarse=rail_coarse,
    )


def design_maps(pdn: PdnStructure, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """The maps of :class:`StructuralMaps` that depend on the PDN only (pad resistances, stripe distances,
    via counts, stripe positions), computed once per design and grid (cached on ``pdn``)."""
    key = ("design_maps", *shape)
    if key in pdn.cache:
        return pdn.cache[key]
    nx, ny = shape
    gx, gy = np.meshgrid(np.arange(nx) + 0.5, np.arange(ny) + 0.5, indexing="ij")
    nearest, parallel = pdn.pad_resistance()
    low = pdn.layer == pdn.layer.min()
    ok = low & np.isfinite(nearest)
    if not np.any(ok):
        ok = np.isfinite(nearest)
    tree = cKDTree(pdn.xy[ok])
    _, idx = tree.query(np.stack([gx.ravel(), gy.ravel()], axis=1))
    vstripes = pdn.stripes("vertical")
    hstripes = pdn.stripes("horizontal")
    vias = pdn.via_sites()
    count = np.zeros(shape)
    if len(vias):
        np.add.at(count, tile_of(vias, shape), 1.0)
    pdn.cache[key] = {
        "r_pad_min": nearest[ok][idx].reshape(shape),
        "r_pad_par": parallel[ok][idx].reshape(shape),
        "d_vstripe": nearest_distance(gx, vstripes),
        "d_hstripe": nearest_distance(gy, hstripes),
        "via_count": count,
        "vstripes": vstripes,
        "hstripes": hstripes,
    }
    return pdn.cache[key]


def rail_maps(
    pdn: PdnStructure, shape: tuple[int, int], current: np.ndarray | None = None, coarse: bool = False
) -> tuple[np.ndarray, ...]:
    """The rail estimate and its Kirchhoff residual on the ``(X, Y)`` grid: ``(drop V, residual A)``, plus
    the coarse-grid estimate (V, :func:`eda.irdrop.coarse_grid.coarse_rail_estimate`) with ``coarse``.

    The drops are taken at the lowest-layer nodes (:func:`node_map`). The residual ``J - G·v`` of the
    estimate ``v`` (one product with the conductance matrix ``G``, pads excluded) is summed over the nodes of
    every layer in each tile. Zeros when there is no current.
    """
    from eda.irdrop.coarse_grid import coarse_rail_estimate
    from eda.irdrop.rail import chain_estimate, kirchhoff_residual, rail_estimate, sinks_from_current_map

    if pdn.sink_nodes.size:
        nodes, amps = pdn.sink_nodes, pdn.sink_amp
    elif current is not None:
        nodes, amps = sinks_from_current_map(pdn, current)
    else:
        nodes = np.zeros(0, dtype=np.int64)
    if nodes.size == 0:
        return (np.zeros(shape),) * (3 if coarse else 2)
    chains = chain_estimate(pdn, shape, nodes, amps)
    drop = rail_estimate(pdn, shape, nodes, amps, chains=chains)
    residual = kirchhoff_residual(pdn, drop, nodes, amps)
    res_map = np.zeros(shape)
    np.add.at(res_map, tile_of(pdn.xy, shape), residual)
    if not coarse:
        return node_map(pdn, drop, shape), res_map
    coarse_drop = coarse_rail_estimate(pdn, shape, nodes, amps, chains=chains[0])
    return node_map(pdn, drop, shape), res_map, node_map(pdn, coarse_drop, shape)


def node_map(pdn: PdnStructure, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Per-node ``values`` of the lowest layer on the ``(X, Y)`` grid: spline-interpolated like the contest
    labels when those nodes form a full grid, else the value of the nearest node (scattered interpolation
    of millions of tiles would cost seconds)."""
    from eda.pdn.raster import rasterize_points

    low = np.flatnonzero(pdn.layer == pdn.layer.min())
    xy = pdn.xy[low]
    full_key = ("low_nodes_full_grid",)
    if full_key not in pdn.cache:  # a property of the design: checked once (a sort of every node)
        points = np.unique(np.round(xy * 1e6).astype(np.int64), axis=0)
        pdn.cache[full_key] = len(points) == np.unique(points[:, 0]).size * np.unique(points[:, 1]).size
    if pdn.cache[full_key]:
        return rasterize_points(xy[:, 0], xy[:, 1], values[low], shape)
    # the tiles' nearest nodes depend on the design only: one query per design and grid (cached on ``pdn``)
    from eda.irdrop.rail import low_node_tree

    low, tree = low_node_tree(pdn)  # the tree's answers index these nodes
    key = ("nearest_low_node", *shape)
    if key not in pdn.cache:
        gx, gy = np.meshgrid(np.arange(shape[0]) + 0.5, np.arange(shape[1]) + 0.5, indexing="ij")
        pdn.cache[key] = tree.query(np.stack([gx.ravel(), gy.ravel()], axis=1))[1]
    return values[low][pdn.cache[key]].reshape(shape)


def residual_pyramid(residual: np.ndarray, sigmas: tuple[int, ...] = RESIDUAL_SIGMAS) -> np.ndarray:
    """``residual`` ``[X, Y]`` Gaussian-averaged over each of ``sigmas`` (µm), edges mirrored (no current
    leaves the die): ``[len(sigmas), X, Y]``."""
    from scipy.ndimage import gaussian_filter

    r = np.asarray(residual, dtype=np.float64)
    return np.stack([gaussian_filter(r, s, mode="reflect") for s in sigmas])


def current_pyramid(current: np.ndarray, blocks: tuple[int, ...] = PYRAMID_BLOCKS) -> np.ndarray:
    """Block averages of ``current`` ``[X, Y]`` re-interpolated to 1 µm, plus its mean: ``[len+1, X, Y]``."""
    import torch
    import torch.nn.functional as F

    c = torch.as_tensor(np.asarray(current, dtype=np.float32))[None, None]
    nx, ny = c.shape[-2:]
    levels = []
    for k in blocks:
        pooled = F.avg_pool2d(c, k, ceil_mode=True, count_include_pad=False)
        up = F.interpolate(
            pooled, size=(pooled.shape[-2] * k, pooled.shape[-1] * k), mode="bilinear", align_corners=False
        )
        levels.append(up[0, 0, :nx, :ny])
    levels.append(torch.full((nx, ny), float(c.mean())))
    return torch.stack(levels).numpy()


def assemble_inputs(
    current: np.ndarray,
    eff_dist: np.ndarray,
    pdn_density: np.ndarray,
    structure: StructuralMaps | None,
    time_slices: np.ndarray | None = None,
) -> np.ndarray:
    """Stack the normalised channels ``[C, X, Y]`` (float32) in :data:`STATIC_CHANNELS` order.

    ``current`` is in A per tile, ``eff_dist`` in µm, ``pdn_density`` a class; without ``structure`` the
    netlist channels are zero; the multi-scale current channels follow (:func:`current_pyramid`). ``time_slices`` ``[T, X, Y]`` (A per tile per slice) are appended.
    """
    shape = np.shape(current)
    chans = [
        np.asarray(current) * CURRENT_SCALE,
        np.asarray(eff_dist) / _EFF_DIST_UM,
        np.asarray(pdn_density) / 3.0,
    ]
    gx, gy = np.meshgrid(np.arange(shape[0]) + 0.5, np.arange(shape[1]) + 0.5, indexing="ij")
    d_edge = np.minimum(np.minimum(gx, shape[0] - gx), np.minimum(gy, shape[1] - gy))
    d_edge = np.minimum(d_edge, 3 * _STRIPE_UM) / _STRIPE_UM
    if structure is None:
        chans += [np.zeros(shape)] * 5 + [d_edge] + [np.zeros(shape)] * (2 + len(RESIDUAL_SIGMAS))
    else:
        chans += [
            structure.r_pad_min / _R_OHM,
            structure.r_pad_par / _R_OHM,
            np.minimum(structure.d_vstripe, 3 * _STRIPE_UM) / _STRIPE_UM,
            np.minimum(structure.d_hstripe, 3 * _STRIPE_UM) / _STRIPE_UM,
            np.minimum(structure.via_count, 4.0) / 4.0,
            d_edge,
            structure.rail_drop * 1e3,
            structure.rail_coarse * 1e3,
            *residual_pyramid(structure.rail_residual * CURRENT_SCALE),
        ]
    chans += list(current_pyramid(chans[0]))
    slices = () if time_slices is None else np.asarray(time_slices)
    # one float32 array filled channel by channel: stacking float64 channels first costs a copy of the
    # whole stack (hundreds of MB on a large macro) for the same values
    out = np.empty((len(chans) + len(slices), *shape), dtype=np.float32)
    for i, chan in enumerate(chans):
        out[i] = chan
    for i, chan in enumerate(slices):
        out[len(chans) + i] = chan * CURRENT_SCALE
    return out


def transform_map(m: np.ndarray, k: int, flip: bool) -> np.ndarray:
    """``np.rot90(np.flipud(m) if flip else m, k)`` over the last two axes (x, y)."""
    out = np.flip(m, axis=-2) if flip else m
    return np.ascontiguousarray(np.rot90(out, k, axes=(-2, -1)))


def transform_inputs(x: np.ndarray, k: int, flip: bool) -> np.ndarray:
    """Transform an input stack ``[C, X, Y]``; odd quarter turns swap the two stripe-distance channels."""
    out = transform_map(x, k, flip)
    if k % 2 == 1 and out.shape[0] >= len(STATIC_CHANNELS):
        v, h = STATIC_CHANNELS.index("d_vstripe"), STATIC_CHANNELS.index("d_hstripe")
        out[[v, h]] = out[[h, v]]
    return out


def prior_maps(inputs: np.ndarray) -> dict[str, np.ndarray]:
    """The physics priors alone (mV) from a sample's input channels ``[C, X, Y]``: the uniform-sheet rail
    estimate, the coarse-grid estimate and their mean, by name (what results tables list beside a network)."""
    rail = np.asarray(inputs[STATIC_CHANNELS.index("rail_est")], dtype=np.float64)
    coarse = np.asarray(inputs[STATIC_CHANNELS.index("rail_coarse")], dtype=np.float64)
    return {
        "prior: uniform sheets": rail,
        "prior: coarse grid": coarse,
        "prior: mean of both": (rail + coarse) / 2,
    }


def peak_to_mean(current: np.ndarray) -> float:
    """Peak over mean tile current of a current map (any units); 0 for an empty or negative map."""
    cur = np.asarray(current, dtype=np.float64)
    mean = float(cur.mean())
    return float(cur.max()) / mean if mean > 0 else 0.0
