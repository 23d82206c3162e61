"""PDNNet on long workload traces: worst-case dynamic IR drop of a large ACIM macro, predicted vs golden.

The design is held out: a 320x256 macro (no pool of :mod:`eda.irdrop.macro_cases` draws that shape;
118,690 VDD grid nodes at the default spec below) running MiniLM-L6 (a held-out network). Its workload trace
(:func:`eda.macro.activity.cycle_trace`) runs the network's layers in order, four compute cycles each, with
every cycle's input bits drawn at the layer's density.

1. **Time step**: the golden transient's step is the netlist's ``.tran`` step halved until the worst drop
   over cycles of the most demanding layer agrees within 0.5 % with half that step
   (:func:`eda.pdn.transient.converged_transient`).
2. **Golden**: the transient over the whole trace (``--steps`` steps at that step, trapezoidal, matrix
   factored once; set-up included in its time).
3. **Prediction** (:mod:`eda.irdrop.macro_trace`), timed whole: the design's maps (built once per design),
   the trace folded by the compute cycle per load (the cycles whose weights sit on the same columns) into
   8 envelope slice maps and a peak map each (each distinct cell waveform folded once), the loads' rail
   estimates (which pick the loads worth a network evaluation), the features (rail priors, PDNGraph) and the network (dynamic macro checkpoint) on
   each picked load, their tile-wise maximum. ``--whole-trace`` folds the whole trace into one envelope
   instead (every load at once).

Printed: per trace length, the golden time, the prediction's parts, the speed-up, NMAE (mean absolute error
over the worst golden drop), the maximum error and the hot-spot F1 (tiles above 90 % of the golden
maximum) of the network and of its priors alone (each the tile-wise maximum over the loads).
``--bar-correction`` adds the rail estimate with its global correction applied under the macro's pad bars
too (:func:`eda.irdrop.rail.pads_on_bar` skips it there; the network's inputs keep the shipped estimate).
Run::

    python benchmarks/irdrop_long_trace.py [--steps 10000 100000] [--model macro-dynamic] [--rows 320 --cols 256]
        [--whole-trace] [--bar-correction]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from eda.irdrop.macro_cases import MacroCase, macro_setup
from eda.irdrop.macro_trace import macro_design, predict_trace, trace_maps, trace_priors
from eda.irdrop.predict import Predictor
from eda.macro.activity import (
    cycle_trace,
    distinct_waveforms,
    drawn_waveforms,
    node_decaps_f,
    trace_loads,
    worst_segment,
)
from eda.macro.spice import grid_netlist
from eda.pdn.metrics import map_metrics
from eda.pdn.raster import rasterize
from eda.pdn.transient import converged_transient, solve_transient


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--steps", type=int, nargs="+", default=[10_000], help="golden steps per trace (>= 10,000)"
    )
    ap.add_argument("--model", default="macro-dynamic", help="checkpoint file or shipped name")
    ap.add_argument("--rows", type=int, default=320)
    ap.add_argument("--cols", type=int, default=256)
    ap.add_argument("--local-array-size", type=int, default=8)
    ap.add_argument("--adc-bits", type=int, default=5)
    ap.add_argument("--stripe-every", type=int, default=8)
    ap.add_argument("--clock-mhz", type=float, default=200.0)
    ap.add_argument("--workload", default="minilm-l6")
    ap.add_argument("--study-cycles", type=int, default=4, help="trace cycles of the time-step study")
    ap.add_argument("--seed", type=int, default=0, help="seed of the trace's input bits")
    ap.add_argument("--threads", type=int, default=2, help="torch threads of the prediction")
    ap.add_argument(
        "--whole-trace",
        action="store_true",
        help="fold the whole trace into one envelope (all loads at once)",
    )
    ap.add_argument(
        "--bar-correction",
        action="store_true",
        help="also score the rail estimate with the global correction under the pad bars",
    )
    args = ap.parse_args()

    case = MacroCase(
        spec={
            "rows": args.rows,
            "cols": args.cols,
            "local_array_size": args.local_array_size,
            "adc_bits": args.adc_bits,
            "input_bits": 4,
            "weight_bits": 4,
            "unit_cap_fF": 2.0,
            "cols_per_adc": 4,
        },
        stripe_every=args.stripe_every,
        net="VDD",
        clock_MHz=args.clock_mhz,
        workload=args.workload,
        input_density=(0.2, 0.5),
        activity_seed=args.seed,
    )
    spec, lib, grid, power = macro_setup(case)
    decaps = node_decaps_f(grid, lib)
    cycle = power.cycle_s
    print(
        f"design: {spec.rows}x{spec.cols} L {spec.local_array_size} B {spec.adc_bits}, stripes every "
        f"{case.stripe_every} columns, {case.clock_MHz:g} MHz, {case.workload}: {grid.n_nodes} grid nodes, map "
        f"{grid.map_shape[0]}x{grid.map_shape[1]} µm, compute cycle {cycle * 1e9:.1f} ns, "
        f"{len(power.segments)} layers"
    )

    # the step must resolve the sharpest load: cycles of the most demanding layer (a quiet layer, e.g. the
    # embedding lookup with no data-dependent current, converges at steps that ring on the busy ones)
    busiest = worst_segment(power.segments)
    study_trace = cycle_trace([busiest], spec, cycle, args.study_cycles, seed=args.seed)
    times, drawing, currents = drawn_waveforms(grid, power, study_trace, cycles=1)
    net = grid_netlist(grid, times=times, waves=currents, drawing=drawing, decap_f=decaps)
    assert net.tran is not None
    study = converged_transient(net, args.study_cycles * cycle, net.tran[0], tolerance=0.005)
    tried = ", ".join(f"{h * 1e12:g} ps: {w * 1e3:.4f} mV" for h, w in study.tried)
    print(
        f"time step: netlist {net.tran[0] * 1e12:g} ps; worst drop over {args.study_cycles} cycles of {busiest.name} "
        f"at {tried}; "
        f"golden step {study.step * 1e12:g} ps (within 0.5 % of half of it: {study.converged})\n"
    )
    step = study.step

    predictor = Predictor(args.model, threads=args.threads)
    print(
        "| steps | cycles | trace (µs) | golden (s) | s/step | design maps (s) | trace maps (s) | features (s) "
        "| network (s) | prediction (s) | speed-up | per-trace speed-up | loads (predicted) | worst drop (mV) "
        "| method | NMAE | max error (mV) | F1 |"
    )
    print("|" + "---|" * 18)
    for steps in args.steps:
        cycles = math.ceil(steps * step / cycle)
        trace = cycle_trace(power.segments, spec, cycle, cycles, seed=args.seed)
        times, drawing, wave_index, waves = distinct_waveforms(grid, power, trace, cycles=1)
        net = grid_netlist(grid, times=times, waves=waves[wave_index], drawing=drawing, decap_f=decaps)
        stop = steps * step
        t0 = time.perf_counter()
        golden = solve_transient(net, stop, step)
        golden_s = time.perf_counter() - t0
        golden_map = rasterize(net, golden.worst_drop, grid.map_shape) * 1e3
        worst = float(golden_map.max())

        t0 = time.perf_counter()
        design = macro_design(grid, predictor.tile_um)
        loads = None if args.whole_trace else trace_loads(trace)
        maps = trace_maps(grid, times, drawing, waves, cycle, loads=loads, wave_index=wave_index)
        drop, parts = predict_trace(predictor, design, maps)
        predict_s = time.perf_counter() - t0
        per_trace_s = predict_s - design.seconds

        estimates = {"PDNNet": drop * 1e3}
        for name, prior in trace_priors(
            design, maps
        ).items():  # on macros the priors coincide: list each once
            if not any(np.array_equal(prior, seen) for seen in estimates.values()):
                estimates[name] = prior
        if args.bar_correction:
            estimates["prior: uniform sheets, corrected under the pad bars"] = _bar_corrected_prior(
                grid, maps
            )
        for k, (method, est) in enumerate(estimates.items()):
            m = map_metrics(est, golden_map)
            lead = (
                f"| {steps} | {cycles} | {stop * 1e6:.2f} | {golden_s:.1f} | {golden_s / steps * 1e3:.2f} ms | "
                f"{design.seconds:.2f} | {maps.seconds:.2f} | {parts['features_s']:.2f} | {parts['network_s']:.2f} | "
                f"{predict_s:.2f} | {golden_s / predict_s:.0f}x | {golden_s / per_trace_s:.0f}x | "
                f"{parts['loads']} ({parts['predicted_loads']}) | {worst:.3f} "
                if k == 0
                else "| | | | | | | | | | | | | | "
            )
            print(
                f"{lead}| {method} | {m['mae'] / worst:.4f} | {m['max_error']:.3f} | {m['f1']:.3f} |",
                flush=True,
            )
        need = 100 * predict_s / (golden_s / steps)
        print(f"\nsteps for a 100x speed-up at this golden cost per step: {need:,.0f}\n", flush=True)


def _bar_corrected_prior(grid: object, maps: object) -> np.ndarray:
    """The rail-estimate prior (mV, the tile-wise maximum over the loads) with the global correction run
    under the pad bars too, on a design built afresh (its cached parts are the shipped estimate's)."""
    from eda.irdrop import rail

    shipped = rail.pads_on_bar
    rail.pads_on_bar = lambda *_, **__: False
    try:
        return next(iter(trace_priors(macro_design(grid), maps).values()))
    finally:
        rail.pads_on_bar = shipped


if __name__ == "__main__":
    main()
