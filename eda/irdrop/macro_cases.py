"""Labelled IR-drop cases on the toolkit's own ACIM macros (the PDNNet data set of generated macros).

A case is one macro power grid (:func:`eda.macro.grid.extract_power_grid`) under one workload's activity:

* the **spec** (rows, columns, local-array size, ADC bits, columns per ADC, operand bits, unit capacitor),
  the **stripe spacing** and the **clock** are drawn from the seed; the grid is the VDD net's (the static
  solver needs pads above ground);
* the **workload** is a built-in network (:mod:`eda.workloads.zoo`) whose layers' input bit densities are
  drawn from the seed (a measured network's densities lie between 0.05 and 0.7); it is mapped onto the macro
  (:func:`eda.macro.activity.activity_segments`) and the cells draw the time-weighted average current of
  its layers (:func:`eda.macro.activity.static_currents`), as ``macro.pdn`` does;
* the **label** is the golden static drop (nodal solve of the netlist ``macro.pdn`` writes), rasterised
  like the contest labels; the inputs are the contest maps ``macro.pdn`` writes (current, effective
  distance, PDN density).

Disjoint pools keep held-out designs honest: ``train`` draws square and near-square arrays of 32-128
rows/columns with BERT-tiny, BERT-mini, ResNet-18 and ViT-small; ``large`` draws 192-256-row arrays
(:data:`LARGE_SHAPES`, 54,000-115,000 grid nodes) with the same networks, for training on designs the
size of the long-trace benchmark's; ``test`` draws array shapes and networks no training case uses
(:data:`TEST_SHAPES`, :data:`TEST_WORKLOADS`). Cases are cached as
``macro-<pool>-<seed>-<key>.npz`` in the format of :mod:`eda.irdrop.synthetic`, so the training recipes
read them like any generated case.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eda.errors import EdaError
from eda.irdrop.synthetic import _run, _save_case

__all__ = [
    "MacroCase",
    "TRAIN_SHAPES",
    "TEST_SHAPES",
    "LARGE_SHAPES",
    "POOLS",
    "TRAIN_WORKLOADS",
    "TEST_WORKLOADS",
    "random_macro_case",
    "make_macro_case",
    "generate_macro_cases",
    "macro_pdn",
    "macro_setup",
    "macro_dynamic_pdn",
    "DYNAMIC_CYCLES",
    "MAX_DYNAMIC_STEPS",
    "transient_steps_per_cycle",
]

#: cache version of a macro case per kind (bump when the extraction, activity, inputs or label change;
#: dynamic 2: the current channel is the cells' peak current; 3: the label's time step is refined until the
#: worst drop agrees within 0.5 % with half the step; static 2, dynamic 4: a layer on a fraction of the
#: columns draws that fraction of the capacitor power instead of all of it on fewer columns)
_VERSION = {"static": "2", "dynamic": "4"}
#: relative agreement of the worst drop at two successive time steps that a dynamic label needs
LABEL_STEP_TOLERANCE = 0.005
#: compute cycles of the most demanding layer in a dynamic case's window (the cells' pulses repeat every
#: cycle and the decaps recharge in between: one cycle holds the worst drop)
DYNAMIC_CYCLES = 1
#: most golden-transient steps per compute cycle of a dynamic case (a macro whose cycle is thousands of
#: times its shortest pulse edge, e.g. a slow DAC settling for µs, is left out of the dynamic set)
MAX_DYNAMIC_STEPS = 20_000
#: the same bound for the ``large`` pool (each step of a 100,000-node grid costs ~15 ms)
MAX_LARGE_DYNAMIC_STEPS = 2_000
#: (rows, cols) of the training pool and of the held-out pool (no shape in both)
TRAIN_SHAPES: tuple[tuple[int, int], ...] = (
    (32, 32),
    (32, 64),
    (64, 32),
    (64, 64),
    (64, 128),
    (128, 64),
    (128, 128),
    (128, 32),
)
TEST_SHAPES: tuple[tuple[int, int], ...] = ((96, 96), (192, 64), (64, 192), (256, 128))
#: (rows, cols) of the large training pool (none in the held-out pool)
LARGE_SHAPES: tuple[tuple[int, int], ...] = ((192, 192), (256, 256), (192, 256), (256, 192))
#: the pools: their shapes, networks and the offset of their random streams
POOLS: dict[str, tuple[tuple[tuple[int, int], ...], tuple[str, ...], int]] = {}
#: built-in networks (eda.workloads.zoo) of each pool
TRAIN_WORKLOADS: tuple[str, ...] = ("bert-tiny", "bert-mini", "resnet18", "vit_small")
TEST_WORKLOADS: tuple[str, ...] = ("minilm-l6", "mobilenet_v2")
POOLS.update(
    train=(TRAIN_SHAPES, TRAIN_WORKLOADS, 0),
    test=(TEST_SHAPES, TEST_WORKLOADS, 1),
    large=(LARGE_SHAPES, TRAIN_WORKLOADS, 2),
)


@dataclass(frozen=True)
class MacroCase:
    """What one macro case is made of (all drawn from its seed by :func:`random_macro_case`).

    Attributes:
        spec: :class:`eda.acim.spec.ACIMSpec` fields; ``stripe_every``: met4 stripe spacing in columns;
        net: supply grid (``VDD``); clock_MHz: compute clock; workload: built-in network name;
        input_density: (low, high) bounds of the per-layer input bit densities drawn for the workload;
        activity_seed: seed of those densities.
    """

    spec: dict[str, Any]
    stripe_every: int
    net: str
    clock_MHz: float
    workload: str
    input_density: tuple[float, float]
    activity_seed: int


def transient_steps_per_cycle(case: MacroCase) -> float:
    """Steps of the golden transient per compute cycle of ``case``'s dynamic netlist: the cycle over the
    ``.tran`` step ``macro.pdn`` writes (the shortest pulse edge, a tenth of the shortest phase)."""
    from eda.acim.library import load_library
    from eda.acim.spec import ACIMSpec
    from eda.macro.activity import macro_power

    power = macro_power(ACIMSpec(**case.spec), case.clock_MHz, load_library(None))
    phases = [power.window(name) for name in ("charge", "charge_share", "conversion", "digital")]
    shortest = min(t1 - t0 for t0, t1 in phases if t1 > t0)
    return power.cycle_s / (0.1 * shortest)


def random_macro_case(seed: int, pool: str = "train", kind: str = "static") -> MacroCase:
    """A valid macro case of ``pool`` (:data:`POOLS`: ``train``, ``large`` or ``test``) drawn from ``seed``;
    ``kind: dynamic`` draws until the golden transient of one compute cycle needs at most
    :data:`MAX_DYNAMIC_STEPS` (``large``: :data:`MAX_LARGE_DYNAMIC_STEPS`) steps of the netlist's step."""
    from eda.acim.spec import ACIMSpec
    from eda.errors import SpecError

    if pool not in POOLS:
        raise ValueError(f"pool must be one of {sorted(POOLS)}, got {pool!r}")
    shapes, workloads, stream = POOLS[pool]
    max_steps = MAX_LARGE_DYNAMIC_STEPS if pool == "large" else MAX_DYNAMIC_STEPS
    rng = np.random.default_rng(7919 * seed + stream)
    for _ in range(200):
        rows, cols = shapes[int(rng.integers(len(shapes)))]
        spec = {
            "rows": rows,
            "cols": cols,
            "local_array_size": int(rng.choice([2, 4, 8, 16])),
            "adc_bits": int(rng.integers(3, 9)),
            "input_bits": int(rng.choice([2, 4, 8])),
            "weight_bits": int(rng.choice([1, 2, 4, 8])),
            "unit_cap_fF": float(np.round(rng.uniform(1.0, 8.0), 1)),
            "cols_per_adc": int(rng.choice([2, 4, 8])),
        }
        low = float(rng.uniform(0.05, 0.4))
        case = MacroCase(
            spec=spec,
            stripe_every=int(rng.choice([4, 8, 8, 16])),
            net="VDD",
            clock_MHz=float(np.round(rng.uniform(100.0, 500.0))),
            workload=str(workloads[int(rng.integers(len(workloads)))]),
            input_density=(low, float(min(0.7, low + rng.uniform(0.05, 0.4)))),
            activity_seed=int(rng.integers(2**31)),
        )
        try:  # a valid spec onto which the network maps (its 8-bit weights fit an ADC group's columns)
            _segments(case, ACIMSpec(**spec))
        except SpecError:
            continue
        if kind == "dynamic" and transient_steps_per_cycle(case) > max_steps:
            continue
        return case
    raise EdaError(f"no valid ACIM spec drawn for seed {seed} in 200 tries")  # pragma: no cover


def _workload(case: MacroCase) -> Any:
    """The case's built-in network with its per-layer input bit densities drawn from the activity seed."""
    from dataclasses import replace

    from eda.workloads.zoo import build

    workload = build(case.workload)
    rng = np.random.default_rng(case.activity_seed)
    layers = [
        replace(layer, input_density=float(rng.uniform(*case.input_density))) for layer in workload.layers
    ]
    return replace(workload, layers=layers)


def _segments(case: MacroCase, spec: Any) -> list[Any]:
    """The activity segments of the case's workload mapped onto ``spec`` (:class:`ACIMSpec`)."""
    from eda.macro.activity import activity_segments

    return activity_segments(_workload(case), spec, case.clock_MHz)


def macro_setup(case: MacroCase) -> tuple[Any, Any, Any, Any]:
    """``(spec, library, grid, power)`` of a case: its :class:`ACIMSpec`, the default cell library, the
    extracted power grid and the macro's power with the workload's activity segments."""
    from eda.acim.library import load_library
    from eda.acim.spec import ACIMSpec
    from eda.macro.activity import macro_power
    from eda.macro.grid import extract_power_grid

    spec = ACIMSpec(**case.spec)
    lib = load_library(None)
    grid = extract_power_grid(spec, lib, net=case.net, stripe_every=case.stripe_every)
    power = macro_power(spec, case.clock_MHz, lib)
    power.segments = _segments(case, spec)
    return spec, lib, grid, power


def macro_pdn(case: MacroCase, netlist: Path) -> tuple[Any, np.ndarray]:
    """Write the case's static power-grid netlist to ``netlist`` (as ``macro.pdn`` does) and return
    ``(grid, current)``: the :class:`eda.macro.grid.PowerGrid` and its per-node currents (A)."""
    from eda.macro.activity import static_currents
    from eda.macro.spice import write_grid_spice

    spec, _, grid, power = macro_setup(case)
    current = static_currents(grid, power, power.segments)
    write_grid_spice(grid, netlist, current=current, title=f"{spec.name} {case.net} {case.workload}")
    return grid, current


def macro_dynamic_pdn(
    case: MacroCase, netlist: Path, cycles: int = DYNAMIC_CYCLES
) -> tuple[Any, np.ndarray, np.ndarray]:
    """Write the case's dynamic power-grid netlist to ``netlist`` as ``macro.pdn`` does (window ``worst``:
    ``cycles`` compute cycles of the workload's most demanding layer, PWL cell currents, cell decaps, a
    ``.tran`` line) and return ``(grid, times, currents)``: the grid and the per-node current waveforms
    (A, ``[nodes, times]``)."""
    from eda.macro.activity import dynamic_waveforms, node_decaps_f, worst_segment
    from eda.macro.spice import write_grid_spice

    spec, lib, grid, power = macro_setup(case)
    times, currents, drawing = dynamic_waveforms(grid, power, [worst_segment(power.segments)], cycles)
    write_grid_spice(
        grid,
        netlist,
        times=times,
        waves=currents,
        drawing=drawing,
        decap_f=node_decaps_f(grid, lib),
        title=f"{spec.name} {case.net} {case.workload} dynamic",
    )
    return grid, times, currents


def make_macro_case(task: tuple[str, int, str] | tuple[str, int, str, str]) -> str:
    """Generate, solve and cache one macro case; ``task = (pool, seed, cache_dir[, kind])`` with ``kind``
    ``static`` (default) or ``dynamic``; returns the ``.npz``. Top-level so that process pools and Dask
    can ship it.

    A dynamic case's label is the worst drop per tile over the golden transient of the netlist
    (trapezoidal, from the netlist's ``.tran`` step halved until two successive steps agree on the worst drop
    within :data:`LABEL_STEP_TOLERANCE`; :func:`eda.pdn.transient.converged_transient`), its inputs add :data:`eda.irdrop.synthetic.DEFAULT_SLICES` current maps,
    each the cells' mean current over one equal slice of the window, and its current channel is the cells'
    peak current (A per tile: each node's maximum over the window, summed per tile).
    """
    import tempfile

    from eda.irdrop.synthetic import DEFAULT_SLICES
    from eda.macro.activity import window_means
    from eda.pdn.features import effective_distance_map, pdn_density_map
    from eda.pdn.netlist import read_netlist
    from eda.pdn.raster import rasterize
    from eda.pdn.static import solve_static
    from eda.pdn.transient import converged_transient

    pool, seed, cache_dir, *rest = task
    kind = rest[0] if rest else "static"
    if kind not in ("static", "dynamic"):
        raise ValueError(f"kind must be 'static' or 'dynamic', got {kind!r}")
    case = random_macro_case(seed, pool, kind)
    # static keys predate the dynamic kind: the shipped macro checkpoint's train_cases name them
    recipe = [_VERSION[kind], asdict(case)] if kind == "static" else [_VERSION[kind], kind, asdict(case)]
    key = hashlib.sha1(json.dumps(recipe, default=str).encode()).hexdigest()[:10]
    prefix = "macro" if kind == "static" else "dynamic-macro"
    path = Path(cache_dir) / f"{prefix}-{pool}-{seed:05d}-{key}.npz"
    if path.exists():
        return str(path)
    extra: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        netlist = Path(tmp) / f"{kind}.sp"
        if kind == "static":
            grid, current = macro_pdn(case, netlist)
        else:
            grid, times, currents = macro_dynamic_pdn(case, netlist)
        net = read_netlist(netlist)  # what every PDN tool reads
    shape = grid.map_shape
    t0 = time.perf_counter()
    if kind == "static":
        drop = solve_static(net).drop
        current_map = grid.tile_current_map(current)
    else:
        assert net.tran is not None  # macro.pdn's dynamic netlist carries its .tran line
        step, stop = net.tran
        drop = converged_transient(net, stop, step, tolerance=LABEL_STEP_TOLERANCE).result.worst_drop
        # the slices span the waveforms (the .tran stop is written with 6 significant digits)
        means = window_means(times, currents, float(times[-1]), DEFAULT_SLICES)
        extra["time_slices"] = np.stack([grid.tile_current_map(m) for m in means])
        # the current channel (whose rail estimates are the priors) is each cell's peak current: the
        # pulses are far shorter than a slice, and the drop under the peaks is what the worst drop tracks
        current_map = grid.tile_current_map(currents.max(axis=1))
    solve_s = time.perf_counter() - t0
    _save_case(
        path,
        current_map,
        effective_distance_map(net, shape, snap_um=None),
        pdn_density_map(net, shape, layer=4),
        rasterize(net, drop, shape),
        net,
        solve_s,
        case=np.array(json.dumps(asdict(case))),
        **extra,
    )
    return str(path)


def generate_macro_cases(
    pool: str, seeds: list[int], cache_dir: Path, executor: Any = None, kind: str = "static"
) -> list[Path]:
    """Make (or reuse) the macro cases of ``seeds`` in ``pool`` (``kind`` static or dynamic) through
    ``executor.map`` (serial when None)."""
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {sorted(POOLS)}, got {pool!r}")
    tasks = [(pool, int(s), str(cache_dir), kind) for s in seeds]
    return _run(make_macro_case, tasks, executor, f"irdrop-macro-{kind}-{pool}-case")
