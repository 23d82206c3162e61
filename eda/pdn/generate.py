"""Synthetic BeGAN-style power grids, deterministic by seed, vectorised to millions of nodes.

A grid is a stack of metal layers of parallel stripes with alternating direction. Every layer carries
nodes where its stripes cross the stripes of the layers directly above and below (the via sites); the
bottom layer also gets a node every ``tap_um`` along its rails (where standard cells tap the supply).
Stripe segments are resistors ``sheet_ohm_sq * length / width``; vias join crossing points of adjacent
layers. Pads sit on the top layer as a bump array or along the periphery, optionally behind a package
series R-L. Cell currents (``current_density_a_um2`` × die area in total) come from a 1 µm current map made of a uniform floor plus Gaussian hot-spot
blobs of cell density, lumped onto the nearest bottom-layer node; decaps are spread with density too.
Activity waveforms (PWL) for transient analysis scale every sink by a clock-like switching profile
(:mod:`eda.pdn.dynamics`, which also turns a static netlist into a transient one).

Default layer data follow the ICCAD 2023 Nangate45 netlists (m1 ≈ 2.2 Ω/µm ... m9 ≈ 0.009 Ω/µm, vias
15/9/1/1 Ω).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from eda.errors import SpecError
from eda.limits import check_limit
from eda.pdn.dynamics import clock_activity, load_capacitance
from eda.pdn.netlist import PdnNetlist, Waveforms
from eda.pdn.nodenames import iccad_name

__all__ = [
    "LayerSpec",
    "GridSpec",
    "GeneratedPdn",
    "generate_pdn",
    "spec_for_nodes",
    "sized_spec",
    "DEFAULT_LAYERS",
]

DBU = 2000  # database units per µm in node names


@dataclass(frozen=True)
class LayerSpec:
    """One metal layer: index (m<index>), stripe direction ``h`` (along x) or ``v``, pitch/width (µm),
    sheet resistance (Ω/□), offset of the first stripe (µm) and the via resistance to the layer above (Ω)."""

    index: int
    direction: str
    pitch_um: float
    width_um: float
    sheet_ohm_sq: float
    offset_um: float = 0.0
    via_ohm_up: float = 1.0


DEFAULT_LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec(1, "h", 2.4, 0.17, 0.379, 0.0, 15.0),
    LayerSpec(4, "v", 16.8, 0.48, 0.28, 2.0, 9.0),
    LayerSpec(7, "h", 33.6, 1.6, 0.085, 4.0, 1.0),
    LayerSpec(8, "v", 22.4, 2.8, 0.030, 6.0, 1.0),
    LayerSpec(9, "h", 22.4, 3.5, 0.030, 8.0, 1.0),
)


@dataclass(frozen=True)
class GridSpec:
    """Everything that defines a synthetic PDN (lengths µm, currents A, capacitances F, times s)."""

    width_um: float = 200.0
    height_um: float = 200.0
    layers: tuple[LayerSpec, ...] = DEFAULT_LAYERS
    tap_um: float = 2.4
    vdd: float = 1.1
    pads: str = "bump"  # "bump" or "periphery"
    pad_pitch_um: float = 100.0
    current_density_a_um2: float = 2e-7
    hotspots: int = 4
    hotspot_sigma_um: float = 20.0
    hotspot_gain: float = 6.0
    cap_per_node_f: float = 2e-15  # cell capacitance per µm² of cells (a node gets its tiles' share)
    decap_fraction: float = 0.05
    decap_f: float = 50e-15
    package_r_ohm: float = 0.0
    package_l_h: float = 0.0
    waveform: str = "dc"  # "dc" or "pwl"
    clock_period_s: float = 1e-9
    cycles: int = 4
    seed: int = 0


@dataclass
class GeneratedPdn:
    """A generated PDN and its contest-style current map (A per 1 µm tile, rows index x)."""

    netlist: PdnNetlist
    current_map: np.ndarray
    spec: GridSpec = field(default_factory=GridSpec)


def spec_for_nodes(nodes: int, **overrides: object) -> GridSpec:
    """A square :class:`GridSpec` with roughly ``nodes`` nodes (bottom-layer nodes dominate)."""
    base = GridSpec(**overrides)  # type: ignore[arg-type]
    bottom = base.layers[0]
    side = float(np.sqrt(max(nodes, 16) * bottom.pitch_um * base.tap_um / 1.05))
    side = max(side, 4 * max(layer.pitch_um for layer in base.layers))
    from dataclasses import replace

    return replace(base, width_um=round(side, 1), height_um=round(side, 1))


def sized_spec(
    nodes: int, width_um: float | None = None, height_um: float | None = None, **overrides: object
) -> GridSpec:
    """A :class:`GridSpec` of a ``width_um`` × ``height_um`` die (µm; the height defaults to the width) or,
    without ``width_um``, a square die of roughly ``nodes`` nodes (:func:`spec_for_nodes`)."""
    if width_um is not None:
        return GridSpec(width_um=width_um, height_um=height_um or width_um, **overrides)  # type: ignore[arg-type]
    return spec_for_nodes(nodes, **overrides)


def _stripes(layer: LayerSpec, extent: float) -> np.ndarray:
    pos = np.arange(layer.offset_um, extent + 1e-9, layer.pitch_um)
    return np.round(pos * DBU).astype(np.int64)


def _blob_map(spec: GridSpec, rng: np.random.Generator, nx: int, ny: int) -> np.ndarray:
    """Cell-density map: uniform floor plus Gaussian blobs (separable outer products), normalised."""
    xs, ys = np.arange(nx, dtype=float), np.arange(ny, dtype=float)
    density = np.full((nx, ny), 1.0)
    for _ in range(spec.hotspots):
        cx, cy = rng.uniform(0, nx), rng.uniform(0, ny)
        sx, sy = spec.hotspot_sigma_um * rng.uniform(0.5, 1.5, size=2)
        gain = spec.hotspot_gain * rng.uniform(0.5, 1.5)
        density += gain * np.outer(np.exp(-0.5 * ((xs - cx) / sx) ** 2), np.exp(-0.5 * ((ys - cy) / sy) ** 2))
    density *= rng.uniform(0.8, 1.2, size=(nx, ny))  # cell-level texture
    return density / density.sum()


def _nearest(sorted_pos: np.ndarray, query: np.ndarray) -> np.ndarray:
    i = np.clip(np.searchsorted(sorted_pos, query), 1, len(sorted_pos) - 1)
    left = sorted_pos[i - 1]
    return np.where(np.abs(query - left) <= np.abs(sorted_pos[i] - query), i - 1, i)


def _check_numbers(spec: GridSpec) -> None:
    """Every number of ``spec`` (and its layers) finite, and those that are amounts not negative."""
    from dataclasses import fields

    items = [(f.name, getattr(spec, f.name)) for f in fields(spec)]
    items += [
        (f"m{layer.index}.{f.name}", getattr(layer, f.name)) for layer in spec.layers for f in fields(layer)
    ]
    for name, value in items:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not np.isfinite(value):
                raise SpecError(f"PDN parameter {name} = {value} is not a finite number")
            if value < 0 and not name.endswith(("offset_um", "seed")):
                raise SpecError(f"PDN parameter {name} = {value} must not be negative")
    if spec.pad_pitch_um <= 0 or spec.clock_period_s <= 0:
        raise SpecError("pad_pitch_um and clock_period_s must be positive")


def generate_pdn(spec: GridSpec | None = None) -> GeneratedPdn:
    """Build the PDN described by ``spec`` (deterministic for a given ``spec.seed``)."""
    spec = spec or GridSpec()
    layers = spec.layers
    if len(layers) < 2:
        raise SpecError("a PDN needs at least two metal layers")
    for lo, hi in zip(layers, layers[1:], strict=False):
        if lo.direction == hi.direction or lo.direction not in "hv" or hi.direction not in "hv":
            raise SpecError(f"layers m{lo.index} and m{hi.index} must have alternating directions 'h'/'v'")
    if spec.pads not in ("bump", "periphery"):
        raise SpecError(f"unknown pad pattern '{spec.pads}'", hint="use 'bump' or 'periphery'")
    if spec.waveform not in ("dc", "pwl"):
        raise SpecError(f"unknown waveform '{spec.waveform}'", hint="use 'dc' or 'pwl'")
    _check_numbers(spec)
    rng = np.random.default_rng(spec.seed)
    W, H = spec.width_um, spec.height_um
    if not (W > 0 and H > 0):
        raise SpecError(f"die size {W} x {H} µm must be positive", hint="e.g. width_um=200")
    if spec.tap_um <= 0 or any(not layer.pitch_um > 0 for layer in layers):
        raise SpecError("tap_um and every layer's pitch_um must be positive (µm)")
    check_limit(
        "pdn_nodes", W * H / (layers[0].pitch_um * spec.tap_um), what=f"a generated PDN of {W:g} x {H:g} µm"
    )
    Wd, Hd = int(round(W * DBU)), int(round(H * DBU))
    stripes = [_stripes(layer, H if layer.direction == "h" else W) for layer in layers]
    if any(len(s) == 0 for s in stripes):
        raise SpecError("die too small for the layer pitches/offsets", hint="increase width_um/height_um")
    # node positions per layer: stripe positions x crossing positions of neighbours
    grids: list[tuple[np.ndarray, np.ndarray]] = []  # (xs, ys) in DBU
    for k, layer in enumerate(layers):
        cross = [stripes[j] for j in (k - 1, k + 1) if 0 <= j < len(layers)]
        along = np.unique(np.concatenate(cross))
        if k == 0:
            extent = Wd if layer.direction == "h" else Hd
            taps = np.round(np.arange(0.0, extent / DBU + 1e-9, spec.tap_um) * DBU).astype(np.int64)
            along = np.unique(np.concatenate([along, taps]))
        grids.append((along, stripes[k]) if layer.direction == "h" else (stripes[k], along))
    offsets = np.cumsum([0] + [len(g[0]) * len(g[1]) for g in grids])
    n = int(offsets[-1])
    check_limit("pdn_nodes", n, what=f"a generated PDN of {W:g} x {H:g} µm")
    xs_all, ys_all, lay_all = [], [], []
    ra, rb, rr = [], [], []
    for k, (layer, (gx, gy)) in enumerate(zip(layers, grids, strict=True)):
        X, Y = np.meshgrid(gx, gy, indexing="ij")
        xs_all.append(X.ravel())
        ys_all.append(Y.ravel())
        lay_all.append(np.full(X.size, layer.index))
        idx = offsets[k] + np.arange(X.size).reshape(X.shape)
        ohm_per_dbu = layer.sheet_ohm_sq / layer.width_um / DBU
        if layer.direction == "h":  # segments along x
            ra.append(idx[:-1, :].ravel())
            rb.append(idx[1:, :].ravel())
            rr.append(np.repeat(np.diff(gx), len(gy)) * ohm_per_dbu)
        else:
            ra.append(idx[:, :-1].ravel())
            rb.append(idx[:, 1:].ravel())
            rr.append(np.tile(np.diff(gy), len(gx)) * ohm_per_dbu)
        if k + 1 < len(layers):  # vias at crossings with the layer above
            ux, uy = grids[k + 1]
            hx, hy = (ux, gy) if layer.direction == "h" else (gx, uy)  # crossing coordinates
            ix_lo, iy_lo = np.searchsorted(gx, hx), np.searchsorted(gy, hy)
            ix_hi, iy_hi = np.searchsorted(ux, hx), np.searchsorted(uy, hy)
            A, B = np.meshgrid(ix_lo, iy_lo, indexing="ij")
            C, D = np.meshgrid(ix_hi, iy_hi, indexing="ij")
            ra.append((offsets[k] + A * len(gy) + B).ravel())
            rb.append((offsets[k + 1] + C * len(uy) + D).ravel())
            rr.append(np.full(A.size, layer.via_ohm_up))
    x_dbu, y_dbu, layer_idx = np.concatenate(xs_all), np.concatenate(ys_all), np.concatenate(lay_all)
    r_a, r_b = np.concatenate(ra).astype(np.int64), np.concatenate(rb).astype(np.int64)
    r_ohm = np.concatenate(rr)
    keep = r_ohm > 0
    r_a, r_b, r_ohm = r_a[keep], r_b[keep], r_ohm[keep]

    # pads on the top layer
    tx, ty = grids[-1]
    if spec.pads == "bump":
        px = np.arange(spec.pad_pitch_um / 2, W, spec.pad_pitch_um) * DBU
        py = np.arange(spec.pad_pitch_um / 2, H, spec.pad_pitch_um) * DBU
        PX, PY = np.meshgrid(px, py, indexing="ij")
        px, py = PX.ravel(), PY.ravel()
    else:
        along_x = np.arange(spec.pad_pitch_um / 2, W, spec.pad_pitch_um) * DBU
        along_y = np.arange(spec.pad_pitch_um / 2, H, spec.pad_pitch_um) * DBU
        px = np.concatenate([along_x, along_x, np.zeros(len(along_y)), np.full(len(along_y), Wd)])
        py = np.concatenate([np.zeros(len(along_x)), np.full(len(along_x), Hd), along_y, along_y])
    pad_nodes = np.unique(offsets[-2] + _nearest(tx, px) * len(ty) + _nearest(ty, py))

    # currents: density map on 1 µm tiles, lumped onto the nearest bottom-layer node
    bx, by = grids[0]
    nx, ny = int(bx[-1] // DBU) + 1, int(by[-1] // DBU) + 1  # contest grid covering the bottom-layer nodes
    density = _blob_map(spec, rng, nx, ny)
    current_map = density * spec.current_density_a_um2 * W * H
    ix = _nearest(bx, np.arange(nx) * DBU)
    iy = _nearest(by, np.arange(ny) * DBU)
    node_of_tile = (ix[:, None] * len(by) + iy[None, :]).ravel()
    n_bottom = len(bx) * len(by)
    node_current = np.bincount(node_of_tile, weights=current_map.ravel(), minlength=n_bottom)
    node_density = np.bincount(node_of_tile, weights=density.ravel(), minlength=n_bottom) * density.size
    sinks = np.flatnonzero(node_current > 0)

    # capacitance: intrinsic cell cap per µm² of cells (a node's tiles), plus decap cells at random bottom nodes
    cap = load_capacitance(
        node_density,
        rng,
        cap_per_um2_f=spec.cap_per_node_f,
        decap_fraction=spec.decap_fraction,
        decap_f=spec.decap_f,
    )
    caps = np.flatnonzero(cap > 0)

    names = iccad_name(x_dbu, y_dbu, layer_idx)
    x_um, y_um = x_dbu / DBU, y_dbu / DBU
    v_pos = pad_nodes
    l_a = l_b = np.zeros(0, np.int64)
    l_h = np.zeros(0)
    if spec.package_r_ohm > 0 or spec.package_l_h > 0:
        k = np.arange(len(pad_nodes))
        bump = np.char.add(b"pkg_bump", k.astype("S"))
        mid = np.char.add(b"pkg_mid", k.astype("S"))
        base = n
        names = np.concatenate([names.astype(object), bump.astype(object), mid.astype(object)]).astype("S")
        x_um = np.concatenate([x_um, np.full(2 * len(k), np.nan)])
        y_um = np.concatenate([y_um, np.full(2 * len(k), np.nan)])
        layer_idx = np.concatenate([layer_idx, np.full(2 * len(k), -1)])
        bump_i, mid_i = base + k, base + len(k) + k
        r_pkg = max(spec.package_r_ohm, 1e-6)
        r_a = np.concatenate([r_a, bump_i])
        r_b = np.concatenate([r_b, mid_i if spec.package_l_h > 0 else pad_nodes])
        r_ohm = np.concatenate([r_ohm, np.full(len(k), r_pkg)])
        if spec.package_l_h > 0:
            l_a, l_b, l_h = mid_i, pad_nodes, np.full(len(k), spec.package_l_h)
        v_pos = bump_i
    if spec.waveform == "pwl":
        # relative load 1 = an average node (node_density counts a node's tiles, ~5.8 on default rails)
        load = node_density[sinks] / max(float(node_density[sinks].mean()), 1e-30)
        waves = clock_activity(node_current[sinks], load, spec.cycles, spec.clock_period_s, rng)
    else:
        waves = Waveforms.dc(len(sinks))
    net = PdnNetlist(
        names=names,
        x_um=x_um,
        y_um=y_um,
        layer=np.asarray(layer_idx, np.int64),
        r_a=r_a,
        r_b=r_b,
        r_ohm=r_ohm,
        v_pos=np.asarray(v_pos, np.int64),
        v_neg=np.full(len(v_pos), -1, np.int64),
        v_volt=np.full(len(v_pos), spec.vdd),
        i_a=sinks.astype(np.int64),
        i_b=np.full(len(sinks), -1, np.int64),
        i_amp=node_current[sinks],
        waves=waves,
        c_a=caps.astype(np.int64),
        c_b=np.full(len(caps), -1, np.int64),
        c_f=cap[caps],
        l_a=np.asarray(l_a, np.int64),
        l_b=np.asarray(l_b, np.int64),
        l_h=np.asarray(l_h, float),
        tran=(spec.clock_period_s / 50, spec.clock_period_s * spec.cycles)
        if spec.waveform == "pwl"
        else None,
        source=f"<generated seed={spec.seed}>",
    )
    return GeneratedPdn(netlist=net, current_map=current_map, spec=spec)
