"""ICCAD 2023 IR-drop benchmark: PDNNet vs the IREDGe-style CNN baseline vs the golden solver.

Static part (contest table): leave-one-out over the real cases that ship a netlist. For every held-out
case a PDNNet and a baseline are trained on the fake cases, the generated synthetic cases and the
*other* real cases (early stopping on designs kept out of training: every 6th fake, every 8th
generated case; ``--validation real`` uses the other real cases), then scored on the held-out case with the
contest metrics (MAE over the map, maximum error, hotspot F1 at 90% of the golden maximum, runtime).
The golden row is the eda.pdn static solve of the netlist, rasterised like the contest labels.

Dynamic part: synthetic PDNs with decaps and PWL activity labelled by the golden transient solver
(worst drop per tile); PDNNet is trained on some designs and scored (NMAE) on held-out designs; then one
design of at least 1e5 nodes is timed: golden transient analysis vs PDNNet inference.

Trainings run as executor tasks (two processes by default). Usage::

    python benchmarks/irdrop_iccad23.py --minutes 8 --synthetic 40 --dynamic 24
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from eda.data import require_data
from eda.flow.executors import get_executor
from eda.irdrop.dataset import iccad_cases, load_iccad_case
from eda.irdrop.features import STATIC_CHANNELS
from eda.irdrop.recipes import load_model_config, unseen_validation
from eda.irdrop.synthetic import DEFAULT_SLICES, generate_cases, generate_iccad_dynamic, load_case_file
from eda.irdrop.train import TrainConfig, load_checkpoint, save_checkpoint, train_model
from eda.pdn.metrics import map_metrics

CACHE = Path("/tmp/eda-irdrop-bench")
LABELS = {
    "pdnnet": "PDNNet",
    "pdnnet-direct": "PDNNet (direct head)",
    "iredge": "IREDGe CNN",
    "iredge-netlist": "IREDGe CNN + netlist maps (ablation)",
}
LINEAR_LABEL = "rail estimates + linear fit of the residual channels (ablation)"
RAIL_LABEL = "rail estimate, uniform sheets (no learning)"
COARSE_LABEL = "rail estimate, coarse grid (no learning)"


def _train_task(task: dict[str, Any]) -> str:
    """Train one model (runs in an executor worker); returns the checkpoint path."""
    import torch

    torch.set_num_threads(1)
    train, val = _training_samples(task)
    cfg = TrainConfig(**task["train"])
    result = train_model(task["model"], train, val, cfg)
    out = Path(task["checkpoint"])
    save_checkpoint(
        out,
        task["model"],
        result.model,
        cfg,
        {"val_mae_mv": result.best_val_mae_mv, "epochs": result.epochs_run, "seconds": result.seconds},
        extra={"tile_um": 4},
    )
    return str(out)


def _training_samples(task: dict[str, Any]) -> tuple[list, list]:
    """The training and validation samples of a leave-one-out task (the held-out case excluded)."""
    samples = [
        load_iccad_case(d, cache_dir=CACHE / "iccad")
        for subset in (() if task.get("only_synthetic") else task.get("subsets", ("fake", "real")))
        for d in iccad_cases(require_data("iccad23"), subset)
        if d.name != task["held_out"]
    ]
    # exactly the generated files of this run (the cache keeps older generator versions beside them)
    samples += [load_case_file(Path(f)) for f in task.get("synthetic_files", [])]
    real = [s for s in samples if s.name.startswith("real/")]
    if task.get("val_files"):
        val = [load_case_file(Path(f)) for f in task["val_files"]]
    elif task.get("validation") == "unseen":  # designs kept out of training, as `val: unseen` in recipes
        val = unseen_validation(samples)
        held = {id(s) for s in val}
        samples = [s for s in samples if id(s) not in held]
    else:
        val = real
    return samples + real * (task.get("real_weight", 1) - 1), val  # the few real designs, seen more often


#: what the linear ablation fits the drop on: the rail estimate and its residual channels (all linear in
#: the current, so the fit scales with it as the drop does)
_LINEAR = ("rail_est", "rail_coarse", *(c for c in STATIC_CHANNELS if c.startswith("rail_res")))


def _linear_fit(task: dict[str, Any]) -> np.ndarray:
    """Least-squares weights (mV per channel unit) of the drop on :data:`_LINEAR` over the training tiles."""
    idx = [STATIC_CHANNELS.index(c) for c in _LINEAR]
    rows, rhs = [], []
    for s in _training_samples(task)[0]:
        x = s.inputs[idx].reshape(len(idx), -1)[:, ::3].T.astype(np.float64)  # every third tile
        rows.append(x)
        rhs.append(s.label_mv.reshape(-1)[::3])
    return np.linalg.lstsq(np.concatenate(rows), np.concatenate(rhs), rcond=None)[0]


def _predict(checkpoint: Path, sample) -> tuple[np.ndarray, float]:
    from eda.irdrop.predict import Predictor

    pred = Predictor(checkpoint, threads=1)
    t0 = time.perf_counter()
    out = pred.predict_sample(sample)
    return out, time.perf_counter() - t0


def _feature_seconds(case: Path) -> float:
    """Time to read the inputs and build features + PDNGraph from the files (what `predict` does)."""
    from eda.irdrop.dataset import sample_from_maps
    from eda.irdrop.structure import load_structure
    from eda.pdn.maps import read_map

    t0 = time.perf_counter()
    s = sample_from_maps(
        case.name,
        read_map(case / "current_map.csv.gz"),
        read_map(case / "eff_dist_map.csv.gz"),
        read_map(case / "pdn_density.csv.gz"),
        load_structure(case / "netlist.sp.gz"),
    )
    s.graph(0, False)
    return time.perf_counter() - t0


def _golden(case: Path, shape: tuple[int, int]) -> tuple[np.ndarray, float]:
    from eda.pdn.netlist import read_netlist
    from eda.pdn.raster import rasterize
    from eda.pdn.static import solve_static

    t0 = time.perf_counter()
    net = read_netlist(case / "netlist.sp.gz")
    drop = rasterize(net, solve_static(net).drop, shape)
    return drop, time.perf_counter() - t0


def _seeds(args: argparse.Namespace, name: str) -> list[int]:
    """Training seeds of model ``name``: all of ``--seeds`` for the PDNNet models, the first for baselines."""
    return list(args.seeds) if name.startswith("pdnnet") else list(args.seeds[:1])


def _checkpoint(args: argparse.Namespace, name: str, case: str, seed: int) -> Path:
    return args.models_dir / (
        f"{name}-without-{case}.pt" if seed == 0 else f"{name}-without-{case}-seed{seed}.pt"
    )


def _label(args: argparse.Namespace, name: str) -> str:
    n = len(_seeds(args, name))
    return LABELS[name] if n == 1 else f"{LABELS[name]}, mean of {n} seeds"


def static_benchmark(args: argparse.Namespace, executor: Any) -> dict[str, Any]:
    root = require_data("iccad23")
    real = [d for d in iccad_cases(root, "real") if not args.cases or d.name in args.cases]
    syn_dir = CACHE / "synthetic"
    syn_files = [
        str(f) for f in generate_cases("static", list(range(1000, 1000 + args.synthetic)), syn_dir, executor)
    ]
    train_cfg = {
        "epochs": args.epochs,
        "max_minutes": args.minutes,
        "patience": args.epochs,
        "threads": 1,
        "crop": 128,
        "hot_weight": args.hot_weight,
    }
    tasks = []
    for d in real:
        for name in args.models:
            for seed in _seeds(args, name):
                ckpt = _checkpoint(args, name, d.name, seed)
                if args.reuse and ckpt.exists():
                    continue
                tasks.append(
                    {
                        "held_out": d.name,
                        "model": load_model_config(name),
                        "train": {**train_cfg, "seed": seed},
                        "real_weight": args.real_weight,
                        "subsets": args.iccad_train,
                        "validation": args.validation,
                        "synthetic_files": syn_files,
                        "checkpoint": str(ckpt),
                    }
                )
    t0 = time.perf_counter()
    if tasks:
        executor.map(_train_task, tasks, name="irdrop-train-loo")
    train_s = time.perf_counter() - t0
    rows: list[dict[str, Any]] = []
    spread: list[str] = []
    for d in real:
        sample = load_iccad_case(d, cache_dir=CACHE / "iccad")
        gold_mv = sample.label_mv
        feat_s = _feature_seconds(d)
        for name in args.models:
            seeds = _seeds(args, name)
            ckpts = [_checkpoint(args, name, d.name, seed) for seed in seeds]
            runs = [_predict(c, sample) for c in ckpts]
            # several seeds: the prediction is the mean of their maps (an ensemble; runtime counts every member)
            pred_v, net_s = np.mean([p for p, _ in runs], axis=0), sum(t for _, t in runs)
            m = map_metrics(pred_v * 1e3, gold_mv)
            rows.append(
                {
                    "case": d.name,
                    "method": _label(args, name),
                    "mae_mv": m["mae"],
                    "max_err_mv": m["max_error"],
                    "f1": m["f1"],
                    "runtime_s": feat_s + net_s,
                    "epochs": round(np.mean([load_checkpoint(c)["metrics"]["epochs"] for c in ckpts])),
                }
            )
            if len(seeds) > 1:
                each = [map_metrics(p * 1e3, gold_mv) for p, _ in runs]
                maes = " / ".join(f"{e['mae']:.4f}" for e in each)
                f1s = " / ".join(f"{e['f1']:.3f}" for e in each)
                spread.append(f"| {d.name} | {LABELS[name]} | {maes} | {f1s} |")
                rows += [
                    {
                        "case": d.name,
                        "method": f"{LABELS[name]}, seed {seed}",
                        "mae_mv": e["mae"],
                        "max_err_mv": e["max_error"],
                        "f1": e["f1"],
                        "runtime_s": feat_s + t,
                        "epochs": 0,
                        "member": True,
                    }
                    for seed, e, (_, t) in zip(seeds, each, runs, strict=True)
                ]
        for label, channel in ((RAIL_LABEL, "rail_est"), (COARSE_LABEL, "rail_coarse")):
            prior = sample.inputs[STATIC_CHANNELS.index(channel)].astype(np.float64)  # mV, a prior alone
            m = map_metrics(prior, gold_mv)
            rows.append(
                {
                    "case": d.name,
                    "method": label,
                    "mae_mv": m["mae"],
                    "max_err_mv": m["max_error"],
                    "f1": m["f1"],
                    "runtime_s": feat_s,
                    "epochs": 0,
                }
            )
        weights = _linear_fit(
            {
                "held_out": d.name,
                "real_weight": args.real_weight,
                "subsets": args.iccad_train,
                "synthetic_files": syn_files,
            }
        )
        lin = np.tensordot(
            weights, sample.inputs[[STATIC_CHANNELS.index(c) for c in _LINEAR]].astype(np.float64), axes=1
        )
        m = map_metrics(lin, gold_mv)
        rows.append(
            {
                "case": d.name,
                "method": LINEAR_LABEL,
                "mae_mv": m["mae"],
                "max_err_mv": m["max_error"],
                "f1": m["f1"],
                "runtime_s": feat_s,
                "epochs": 0,
            }
        )
        drop, gold_s = _golden(d, sample.shape)
        m = map_metrics(drop * 1e3, gold_mv)
        rows.append(
            {
                "case": d.name,
                "method": "golden solver",
                "mae_mv": m["mae"],
                "max_err_mv": m["max_error"],
                "f1": m["f1"],
                "runtime_s": gold_s,
                "epochs": 0,
            }
        )
    print(
        f"\n## Static IR drop, ICCAD 2023 real cases, leave-one-out ({len(tasks)} trainings this run, "
        f"{train_s / 60:.1f} min wall, budget {args.minutes} min each, "
        f"{args.synthetic} generated + {' + '.join(args.iccad_train) or 'no ICCAD'} cases "
        f"(real x{args.real_weight}, the held-out one excluded) in training)\n"
    )
    print("| case | method | MAE (mV) | max error (mV) | F1 | runtime (s) | epochs |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if not r.get("member"):
            print(
                f"| {r['case']} | {r['method']} | {r['mae_mv']:.4f} | {r['max_err_mv']:.3f} | {r['f1']:.3f} | "
                f"{r['runtime_s']:.2f} | {r['epochs'] or ''} |"
            )
    if spread:
        print("\nPer seed (the members of the mean above):\n")
        print("| case | method | MAE per seed (mV) | F1 per seed |")
        print("|---|---|---|---|")
        print("\n".join(spread))
    summary = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        sel = [r for r in rows if r["method"] == method]
        summary[method] = {
            k: float(np.mean([r[k] for r in sel])) for k in ("mae_mv", "max_err_mv", "f1", "runtime_s")
        }
    print("\n| method | mean MAE (mV) | mean max error (mV) | mean F1 | mean runtime (s) |")
    print("|---|---|---|---|---|")
    for method, s in summary.items():
        print(
            f"| {method} | {s['mae_mv']:.4f} | {s['max_err_mv']:.3f} | {s['f1']:.3f} | {s['runtime_s']:.2f} |"
        )
    base = [r for r in rows if r["method"] == LABELS["iredge"]]
    for name in [n for n in args.models if n != "iredge"]:
        label = _label(args, name)
        mine = [r for r in rows if r["method"] == label]
        if base:
            ratio = summary[label]["mae_mv"] / summary[LABELS["iredge"]]["mae_mv"]
            per_case = [a["mae_mv"] / b["mae_mv"] for a, b in zip(mine, base, strict=True)]
            print(
                f"\n{label} MAE / baseline MAE: ratio of mean MAE {ratio:.3f} "
                f"({(1 - ratio) * 100:.1f}% lower), median per-case ratio {np.median(per_case):.3f}"
            )
        print(
            f"{label} targets per unseen case: MAE <= 0.15 mV met on "
            f"{sum(r['mae_mv'] <= 0.15 for r in mine)}/{len(mine)}, F1 >= 0.5 met on "
            f"{sum(r['f1'] >= 0.5 for r in mine)}/{len(mine)}"
        )
    return {"rows": rows, "summary": summary}


def _dynamic_sets(args: argparse.Namespace, executor: Any) -> tuple[list[str], list[str], list[Path]]:
    """``(train files, validation files, test files)`` of the dynamic part.

    Generated designs: seeds 2000+ train (the last sixth validates), 3000+ test. With ``--dynamic-iccad``
    the fake ICCAD 2023 netlists (made transient, activity seed 0) join training (every 6th validates) and
    the real ones are the unseen ICCAD test designs: no real netlist is trained on.
    """
    dyn_dir = CACHE / "dynamic" / "all"
    n_train, n_test = args.dynamic, max(4, args.dynamic // 4)
    gen = generate_cases(
        "dynamic",
        list(range(2000, 2000 + n_train)) + list(range(3000, 3000 + n_test)),
        dyn_dir,
        executor,
        slices=DEFAULT_SLICES,
        steps_per_cycle=args.steps_per_cycle,
    )
    n_val = max(2, n_train // 6)
    train, val, test = (
        [str(f) for f in gen[: n_train - n_val]],
        [str(f) for f in gen[n_train - n_val : n_train]],
        gen[n_train:],
    )
    if args.dynamic_iccad:
        root = require_data("iccad23")
        fake, real = iccad_cases(root, "fake"), iccad_cases(root, "real")
        files = generate_iccad_dynamic(
            fake + real,
            [0] * (len(fake) + len(real)),
            dyn_dir,
            executor,
            slices=DEFAULT_SLICES,
            steps_per_cycle=args.steps_per_cycle,
        )
        fake_files = [str(f) for f in files[: len(fake)]]
        val += fake_files[::6]
        train += [f for i, f in enumerate(fake_files) if i % 6]
        test += files[len(fake) :]
    return train, val, test


def dynamic_benchmark(args: argparse.Namespace, executor: Any) -> dict[str, Any]:
    train_files, val_files, test_files = _dynamic_sets(args, executor)
    n_static = len(STATIC_CHANNELS)
    prior = ["rail_est", "rail_coarse"] if args.dynamic_prior == "mean" else args.dynamic_prior
    model = {**load_model_config("pdnnet-dynamic"), "prior_channel": prior}
    task = {
        "held_out": None,
        "model": model,
        "synthetic_files": train_files,
        "val_files": val_files,
        "only_synthetic": True,
        "train": {
            "epochs": args.epochs,
            "max_minutes": args.minutes,
            "patience": args.epochs,
            "seed": args.seeds[0],
            "threads": 1,
            "crop": 128,
        },
        "checkpoint": str(args.models_dir / "pdnnet-dynamic.pt"),
    }
    ckpt = Path(task["checkpoint"])
    if not (args.reuse and ckpt.exists()):
        ckpt = Path(executor.map(_train_task, [task], name="irdrop-train-dynamic")[0])
    test = [load_case_file(f) for f in test_files]
    n_iccad = sum("-real-" in s.name or "-fake-" in s.name for s in test)
    print(
        f"\n## Dynamic IR drop (worst drop per tile), {len(test) - n_iccad} held-out generated designs"
        f"{f' and {n_iccad} real ICCAD 2023 netlists made transient' if n_iccad else ''}; trained on "
        f"{len(train_files)} (+{len(val_files)} validation), head starting from {args.dynamic_prior}\n"
    )
    print(
        "| design | tiles | golden worst (mV) | PDNNet worst (mV) | MAE (mV) | NMAE | F1 | "
        "NMAE uniform sheets x heaviest slice | NMAE coarse grid x heaviest slice |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for s in test:
        pred, _ = _predict(ckpt, s)
        m = map_metrics(pred * 1e3, s.label_mv)
        # the physics prior alone: the rail estimates of the time-averaged current, scaled by the heaviest
        # slice's share of the die current
        totals = s.inputs[n_static:].sum(axis=(1, 2))
        scale = float(totals.max() / max(totals.mean(), 1e-30))
        est = [
            map_metrics(s.inputs[STATIC_CHANNELS.index(c)] * scale, s.label_mv)["nmae"]
            for c in ("rail_est", "rail_coarse")
        ]
        family = "iccad" if ("-real-" in s.name or "-fake-" in s.name) else "generated"
        rows.append({"design": s.name, "family": family, **m, "est": est})
        print(
            f"| {s.name} | {s.shape[0]}x{s.shape[1]} | {s.label_mv.max():.2f} | {pred.max() * 1e3:.2f} | "
            f"{m['mae']:.3f} | {m['nmae']:.4f} | {m['f1']:.3f} | {est[0]:.4f} | {est[1]:.4f} |"
        )
    for family in ("generated", "iccad"):
        sel = [r["nmae"] for r in rows if r["family"] == family]
        if sel:
            print(
                f"\n{family}: mean NMAE {np.mean(sel):.4f} (target <= 0.05), worst {np.max(sel):.4f}, "
                f"{sum(v <= 0.05 for v in sel)}/{len(sel)} designs within 0.05"
            )
    nmaes = [r["nmae"] for r in rows]
    print(f"all held-out designs: mean NMAE {np.mean(nmaes):.4f}, worst {np.max(nmaes):.4f}")
    speed = _dynamic_speed(ckpt, args)
    return {"rows": rows, "nmae": [float(v) for v in nmaes], "speed": speed}


def _speed_checkpoint(args: argparse.Namespace) -> Path:
    """The dynamic checkpoint of ``--models-dir``, or an untrained ``pdnnet-dynamic`` one when there is none
    (the runtime does not depend on the weights: a device session can time the network without training)."""
    ckpt = args.models_dir / "pdnnet-dynamic.pt"
    if ckpt.exists():
        return ckpt
    from eda.irdrop.models import build_model

    config = load_model_config("pdnnet-dynamic")
    out = CACHE / "untrained" / "pdnnet-dynamic.pt"
    print(f"(no {ckpt}: timing an untrained pdnnet-dynamic, same runtime)")
    return save_checkpoint(
        out, config, build_model(config), TrainConfig(), {"epochs": 0}, extra={"tile_um": 4}
    )


def _median_seconds(fn: Any, repeats: int) -> float:
    """Median wall time (s) of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _dynamic_sample(
    net: Any, current: np.ndarray, eff: np.ndarray, den: np.ndarray, slices: np.ndarray
) -> Any:
    """The sample (channels + PDNGraph) prediction builds from a netlist and its maps."""
    from eda.irdrop.dataset import sample_from_maps
    from eda.irdrop.netlist_adapter import structure_from_pdn

    sample = sample_from_maps("big", current, eff, den, structure_from_pdn(net), time_slices=slices)
    sample.graph(0, False)
    return sample


def _dynamic_speed(ckpt: Path, args: argparse.Namespace) -> list[dict[str, float]]:
    """Golden transient vs PDNNet inference on designs of ``--speed-nodes`` nodes (medians of 3 runs; the
    network after one warm-up call, on ``--device``)."""
    from eda.irdrop.predict import Predictor
    from eda.irdrop.synthetic import random_spec, slice_maps
    from eda.pdn.features import effective_distance_map, pdn_density_map
    from eda.pdn.generate import generate_pdn, spec_for_nodes
    from eda.pdn.transient import solve_transient

    base = random_spec(99, "dynamic")
    pred = Predictor(ckpt, device=args.device, threads=1)
    rows = []
    for nodes in args.speed_nodes:
        big = spec_for_nodes(
            nodes,
            **{
                k: getattr(base, k)
                for k in (
                    "layers",
                    "pads",
                    "pad_pitch_um",
                    "current_density_a_um2",
                    "hotspots",
                    "hotspot_sigma_um",
                    "hotspot_gain",
                    "waveform",
                    "cycles",
                    "clock_period_s",
                    "decap_fraction",
                    "seed",
                )
            },
        )
        gen = generate_pdn(big)
        net = gen.netlist
        stop, step = big.clock_period_s * big.cycles, big.clock_period_s / args.steps_per_cycle
        golden_s = _median_seconds(partial(solve_transient, net, stop, step), 3)
        shape = gen.current_map.shape
        slices = slice_maps(net, gen.current_map, stop, DEFAULT_SLICES)
        eff, den = effective_distance_map(net, shape), pdn_density_map(net, shape)
        # what prediction computes from the netlist and the maps: the structure, the channels, the PDNGraph
        features = partial(_dynamic_sample, net, slices.mean(axis=0), eff, den, slices)
        features_s = _median_seconds(features, 3)
        sample = features()
        pred.predict_sample(sample)  # warm-up
        network_s = _median_seconds(partial(pred.predict_sample, sample), 3)
        rows.append(
            {
                "nodes": float(net.n_nodes),
                "tiles": float(shape[0] * shape[1]),
                "steps": round(stop / step),
                "golden_s": golden_s,
                "features_s": features_s,
                "network_s": network_s,
            }
        )
    print(
        f"\n## Dynamic speed: golden transient (eda.pdn, factor once + {rows[0]['steps']} trapezoidal steps) "
        f"vs PDNNet ({DEFAULT_SLICES} time slices, network on {pred.device}), medians of 3\n"
    )
    print(
        "| nodes | 1 µm tiles | golden (s) | features + PDNGraph (s) | network (s) | speed-up, network only | "
        "speed-up, whole prediction |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        total = r["features_s"] + r["network_s"]
        print(
            f"| {int(r['nodes'])} | {int(r['tiles'])} | {r['golden_s']:.2f} | {r['features_s']:.2f} | "
            f"{r['network_s']:.3f} | {r['golden_s'] / r['network_s']:.1f}x | {r['golden_s'] / total:.2f}x |"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=8.0, help="training budget per model")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--synthetic", type=int, default=40, help="generated static cases added to training")
    ap.add_argument("--dynamic", type=int, default=24, help="generated dynamic designs (0 skips the part)")
    ap.add_argument(
        "--speed-nodes",
        type=int,
        nargs="+",
        default=[100_000],
        help="node counts of the designs the dynamic speed table times",
    )
    ap.add_argument("--device", default="cpu", help="where the network runs in the speed table (cpu, cuda)")
    ap.add_argument(
        "--speed-only",
        action="store_true",
        help="only the dynamic speed table, with the dynamic checkpoint in --models-dir",
    )
    ap.add_argument("--steps-per-cycle", type=int, default=20)
    ap.add_argument("--real-weight", type=int, default=8, help="times each real training case is repeated")
    ap.add_argument(
        "--hot-weight",
        type=float,
        default=0.0,
        help="extra L1 weight of hot-spot tiles in training (eda.irdrop.train.TrainConfig.hot_weight)",
    )
    ap.add_argument("--models", nargs="+", default=["pdnnet", "iredge"], choices=sorted(LABELS))
    ap.add_argument(
        "--dynamic-prior",
        default="mean",
        choices=["rail_est", "rail_coarse", "mean"],
        help="the rail estimate the dynamic model's head starts from (mean: of both)",
    )
    ap.add_argument(
        "--dynamic-iccad",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="dynamic cases on the ICCAD 2023 netlists: the fake ones train, the real ones test",
    )
    ap.add_argument("--reuse", action="store_true", help="reuse existing leave-one-out checkpoints")
    ap.add_argument("--cases", nargs="*", default=[], help="real cases (default: all with a netlist)")
    ap.add_argument("--skip-static", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0],
        help="training seeds of the PDNNet models (several: their mean map is scored, each seed too); "
        "the baselines and the dynamic model train with the first",
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument(
        "--iccad-train",
        nargs="*",
        default=["fake", "real"],
        choices=["fake", "real"],
        help="ICCAD 2023 subsets in training (the held-out real case always excluded)",
    )
    ap.add_argument(
        "--validation",
        choices=["real", "unseen"],
        default="unseen",
        help="early-stopping set: the other real cases (also trained on), or designs kept out of "
        "training (every 6th fake case, every 8th generated one)",
    )
    ap.add_argument(
        "--models-dir",
        type=Path,
        default=CACHE / "models",
        help="where the leave-one-out checkpoints go (separate experiments keep their own)",
    )
    args = ap.parse_args()
    results: dict[str, Any] = {}
    with get_executor("local", workers=args.workers) as executor:
        if not (args.skip_static or args.speed_only):
            results["static"] = static_benchmark(args, executor)
        if args.speed_only:
            results["speed"] = _dynamic_speed(_speed_checkpoint(args), args)
        elif args.dynamic:
            results["dynamic"] = dynamic_benchmark(args, executor)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
