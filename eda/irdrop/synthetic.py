"""Generated training data: PDNs labelled by the golden eda.pdn solvers.

* **static** cases: a random BeGAN-style grid (die size, stripe pitches, pad pattern, hot spots and
  current density drawn from the seed), its contest maps (current, effective distance, PDN density) and
  the static IR-drop label (nodal solve, rasterised like the contest labels);
* **dynamic** cases: the same with decaps and clock-like PWL activity per sink; the inputs add one
  current map per time slice (the current map scaled by the activity of the nearest sink over the
  slice window, A per tile), the label is the worst dynamic drop per tile over the whole transient
  (trapezoidal integration, golden);
* **dynamic ICCAD** cases: an ICCAD 2023 netlist made transient the same way (:mod:`eda.pdn.dynamics`)
  with the contest's own maps as inputs.

Each case is one task fanned out through an executor (``local`` process pool or ``dask``) and cached as
``<kind>-<seed>-<key>.npz`` or ``dynamic-<subset>-<case>-<seed>-<key>.npz`` (maps, label and the PDN
structure arrays), so a second run only loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from eda.irdrop.dataset import Sample, sample_from_maps
from eda.irdrop.structure import PdnStructure

__all__ = [
    "random_spec",
    "make_case",
    "generate_cases",
    "iccad_dynamic_spec",
    "make_iccad_dynamic_case",
    "generate_iccad_dynamic",
    "slice_maps",
    "load_case_file",
    "load_generated_dir",
    "DEFAULT_SLICES",
]

DEFAULT_SLICES = 8
#: cache version per kind (dynamic 3: slice maps keep the current map's texture, activity follows the
#: relative load of a node)
_VERSION = {"static": "2", "dynamic": "3"}


def random_spec(seed: int, kind: str, size_um: tuple[float, float] = (120.0, 260.0)):  # noqa: ANN201
    """A :class:`eda.pdn.generate.GridSpec` drawn from ``seed`` (die, pitches, pads, load, activity)."""
    from eda.pdn.generate import DEFAULT_LAYERS, GridSpec

    rng = np.random.default_rng(10_007 * seed + (1 if kind == "dynamic" else 0))
    side = float(rng.uniform(*size_um))
    aspect = float(rng.uniform(0.8, 1.25))
    layers = []
    for i, layer in enumerate(DEFAULT_LAYERS):
        scale = 1.0 if i == 0 else float(rng.uniform(0.7, 1.5))
        layers.append(
            replace(
                layer,
                pitch_um=round(layer.pitch_um * scale, 1),
                sheet_ohm_sq=layer.sheet_ohm_sq * float(rng.uniform(0.8, 1.25)),
            )
        )
    spec = GridSpec(
        width_um=round(side, 1),
        height_um=round(side * aspect, 1),
        layers=tuple(layers),
        pads=str(rng.choice(["bump", "bump", "periphery"])),
        pad_pitch_um=float(rng.uniform(60.0, 140.0)),
        current_density_a_um2=float(rng.uniform(4e-8, 1.3e-7)),
        hotspots=int(rng.integers(1, 8)),
        hotspot_sigma_um=float(rng.uniform(8.0, 35.0)),
        hotspot_gain=float(rng.uniform(2.0, 10.0)),
        seed=int(seed),
    )
    if kind == "dynamic":
        spec = replace(
            spec, waveform="pwl", cycles=4, clock_period_s=1e-9, decap_fraction=float(rng.uniform(0.02, 0.1))
        )
    return spec


def slice_maps(
    net: Any, current_map: np.ndarray, stop: float, slices: int, samples_per_slice: int = 25
) -> np.ndarray:
    """Tile current per time slice on the 1 µm grid ``[slices, X, Y]`` (A per tile).

    Every tile of ``current_map`` (the static load, A per tile) is scaled by the activity of its nearest
    current sink: that sink's mean current over the slice window (``samples_per_slice`` samples) over its
    DC value. The maps keep the current map's texture (a contest map spreads a cell's current over its
    tiles; the netlist lumps it on a node); each slice is then scaled so that the die draws the netlist's
    total current of that window.
    """
    from scipy.spatial import cKDTree

    from eda.pdn.waveforms import SourceEvaluator

    shape = np.shape(current_map)
    ev = SourceEvaluator(net.waves, net.i_amp)
    sinks = np.flatnonzero((net.i_a >= 0) & (net.i_b < 0) & (net.i_amp > 0))
    at = net.i_a[sinks]
    gx, gy = np.meshgrid(np.arange(shape[0]) + 0.5, np.arange(shape[1]) + 0.5, indexing="ij")
    _, nearest = cKDTree(np.c_[net.x_um[at], net.y_um[at]]).query(np.c_[gx.ravel(), gy.ravel()])
    out = np.empty((slices, *shape))
    width = stop / slices
    for s in range(slices):
        ts = s * width + (np.arange(samples_per_slice) + 0.5) * width / samples_per_slice
        drawn = np.mean([ev(float(t))[sinks] for t in ts], axis=0)
        out[s] = np.asarray(current_map) * (drawn / net.i_amp[sinks])[nearest].reshape(shape)
        out[s] *= drawn.sum() / max(float(out[s].sum()), 1e-300)  # the die draws what the netlist does
    return out


def _save_case(
    path: Path,
    current: np.ndarray,
    eff_dist: np.ndarray,
    pdn_density: np.ndarray,
    label: np.ndarray,
    net: Any,
    solve_s: float,
    **extra: np.ndarray,
) -> None:
    """Write one case ``.npz`` (maps, label, the PDN structure arrays) under a temp name, then rename."""
    from eda.irdrop.netlist_adapter import structure_from_pdn

    pdn = structure_from_pdn(net)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(
        tmp,
        current=current,
        eff_dist=eff_dist,
        pdn_density=pdn_density,
        label=label,
        xy=pdn.xy,
        layer=pdn.layer,
        res_a=pdn.res_a,
        res_b=pdn.res_b,
        res_ohm=pdn.res_ohm,
        pad_nodes=pdn.pad_nodes,
        pad_volt=pdn.pad_volt,
        solve_s=solve_s,
        nodes=net.n_nodes,
        **extra,
    )
    tmp.replace(path)


def make_case(task: tuple[str, int, str, int, int]) -> str:
    """Generate, solve and cache one case; ``task = (kind, seed, cache_dir, slices, steps_per_cycle)``.

    Returns the path of the ``.npz`` (top-level so that process pools and Dask can ship it).
    """
    from eda.pdn.features import effective_distance_map, pdn_density_map
    from eda.pdn.generate import generate_pdn
    from eda.pdn.raster import rasterize

    kind, seed, cache_dir, slices, steps_per_cycle = task
    spec = random_spec(seed, kind)
    key = hashlib.sha1(
        json.dumps([_VERSION[kind], asdict(spec), slices, steps_per_cycle], default=str).encode()
    )
    path = Path(cache_dir) / f"{kind}-{seed:05d}-{key.hexdigest()[:10]}.npz"
    if path.exists():
        return str(path)
    gen = generate_pdn(spec)
    net = gen.netlist
    shape = gen.current_map.shape
    t0 = time.perf_counter()
    extra: dict[str, np.ndarray] = {}
    if kind == "static":
        from eda.pdn.static import solve_static

        drop = solve_static(net).drop
    else:
        from eda.pdn.transient import solve_transient

        stop = spec.clock_period_s * spec.cycles
        res = solve_transient(net, stop, spec.clock_period_s / steps_per_cycle)
        drop = res.worst_drop
        extra["time_slices"] = slice_maps(net, gen.current_map, stop, slices)
    # dynamic cases: the static current channel is the time-averaged current of the waveforms
    current = extra["time_slices"].mean(axis=0) if kind == "dynamic" else gen.current_map
    solve_s = time.perf_counter() - t0
    _save_case(
        path,
        current,
        effective_distance_map(net, shape),
        pdn_density_map(net, shape),
        rasterize(net, drop, shape),
        net,
        solve_s,
        **extra,
    )
    return str(path)


def iccad_dynamic_spec(seed: int) -> dict[str, float]:
    """Activity parameters of an ICCAD dynamic case drawn from ``seed`` (as :func:`random_spec`'s)."""
    rng = np.random.default_rng(10_007 * seed + 2)
    return {"cycles": 4, "clock_period_s": 1e-9, "decap_fraction": float(rng.uniform(0.02, 0.1))}


def make_iccad_dynamic_case(task: tuple[str, int, str, int, int]) -> str:
    """One dynamic case on an ICCAD 2023 netlist; ``task = (case_dir, seed, cache_dir, slices,
    steps_per_cycle)``. Returns the cached ``.npz`` path.

    The static netlist gets cell and decap capacitance and clock activity on its sinks
    (:func:`eda.pdn.dynamics.with_activity`, seeded), the golden transient gives the label (worst drop
    per node, rasterised like the contest labels), the inputs are the contest's own effective-distance and
    PDN-density maps and its current map per time slice (:func:`slice_maps`).
    """
    from eda.pdn.dynamics import with_activity
    from eda.pdn.maps import read_map
    from eda.pdn.netlist import read_netlist
    from eda.pdn.raster import rasterize
    from eda.pdn.transient import solve_transient

    case_dir, seed, cache_dir, slices, steps_per_cycle = task
    case = Path(case_dir)
    act = iccad_dynamic_spec(seed)
    key = hashlib.sha1(
        json.dumps([_VERSION["dynamic"], case.parent.name, case.name, act, slices, steps_per_cycle]).encode()
    )
    path = Path(cache_dir) / f"dynamic-{case.parent.name}-{case.name}-{seed:05d}-{key.hexdigest()[:10]}.npz"
    if path.exists():
        return str(path)
    current_map = read_map(case / "current_map.csv.gz")
    net = with_activity(read_netlist(case / "netlist.sp.gz"), seed=seed, **act)
    t0 = time.perf_counter()
    stop = act["clock_period_s"] * act["cycles"]
    res = solve_transient(net, stop, act["clock_period_s"] / steps_per_cycle)
    time_slices = slice_maps(net, current_map, stop, slices)
    _save_case(
        path,
        time_slices.mean(axis=0),
        read_map(case / "eff_dist_map.csv.gz"),
        read_map(case / "pdn_density.csv.gz"),
        rasterize(net, res.worst_drop, current_map.shape),
        net,
        time.perf_counter() - t0,
        time_slices=time_slices,
    )
    return str(path)


def generate_cases(
    kind: str,
    seeds: list[int],
    cache_dir: Path,
    executor: Any = None,
    *,
    slices: int = DEFAULT_SLICES,
    steps_per_cycle: int = 20,
) -> list[Path]:
    """Make (or reuse) the cases of ``seeds`` through ``executor.map`` (serial when None)."""
    if kind not in ("static", "dynamic"):
        raise ValueError(f"kind must be 'static' or 'dynamic', got {kind!r}")
    tasks = [(kind, int(s), str(cache_dir), int(slices), int(steps_per_cycle)) for s in seeds]
    return _run(make_case, tasks, executor, f"irdrop-{kind}-case")


def _run(fn: Any, tasks: list[tuple], executor: Any, name: str) -> list[Path]:
    """``fn`` over ``tasks`` through ``executor.map`` (serial when None); the case paths."""
    if executor is None:
        return [Path(fn(t)) for t in tasks]
    return [Path(p) for p in executor.map(fn, tasks, name=name)]


def generate_iccad_dynamic(
    cases: list[Path],
    seeds: list[int],
    cache_dir: Path,
    executor: Any = None,
    *,
    slices: int = DEFAULT_SLICES,
    steps_per_cycle: int = 20,
) -> list[Path]:
    """Dynamic cases on ICCAD 2023 netlists: ``cases[i]`` (a case directory) with activity seed
    ``seeds[i]``, made (or reused) through ``executor.map`` (serial when None)."""
    if len(cases) != len(seeds):
        raise ValueError(f"one seed per case: {len(cases)} cases, {len(seeds)} seeds")
    tasks = [
        (str(c), int(s), str(cache_dir), int(slices), int(steps_per_cycle))
        for c, s in zip(cases, seeds, strict=True)
    ]
    return _run(make_iccad_dynamic_case, tasks, executor, "irdrop-iccad-dynamic-case")


def load_case_file(path: Path, tile_um: int = 4) -> Sample:
    """A :class:`Sample` from a generated ``.npz`` (dynamic files add their time-slice channels)."""
    with np.load(path) as z:
        pdn = PdnStructure(
            xy=z["xy"],
            layer=z["layer"],
            res_a=z["res_a"],
            res_b=z["res_b"],
            res_ohm=z["res_ohm"],
            pad_nodes=z["pad_nodes"],
            pad_volt=z["pad_volt"],
        )
        slices = z["time_slices"] if "time_slices" in z.files else None
        return sample_from_maps(
            Path(path).stem,
            z["current"],
            z["eff_dist"],
            z["pdn_density"],
            pdn,
            z["label"],
            time_slices=slices,
            tile_um=tile_um,
        )


def load_generated_dir(directory: Path, tile_um: int = 4, kind: str | None = None) -> list[Sample]:
    """All generated cases in ``directory`` (optionally only ``static`` or ``dynamic``), sorted by name."""
    files = sorted(Path(directory).glob("*.npz"))
    files = [f for f in files if ".tmp" not in f.name and (kind is None or f.name.startswith(kind))]
    return [load_case_file(f, tile_um) for f in files]
