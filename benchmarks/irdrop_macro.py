"""PDNNet on the toolkit's own ACIM macros: held-out macro designs, the physics priors beside the network.

The held-out pool of :mod:`eda.irdrop.macro_cases` draws array shapes (96x96, 192x64, 64x192, 256x128) and
networks (MiniLM-L6, MobileNet-v2) that no training case uses; the macro checkpoint
(``flows/irdrop-train-macro.yaml``) never saw any of them. Each case is scored with NMAE (mean absolute
error over the worst golden drop), the maximum error and the hot-spot F1 (tiles above 90 % of the golden
maximum); beside the network stand its priors alone (uniform-sheet rail estimate, coarse-grid estimate,
their mean) and, with ``--with-default``, the standard-cell checkpoint. The last column says whether the
predictor's out-of-distribution check accepts the design (the network's output is used, no fallback).
``--kind dynamic`` scores the dynamic checkpoint (``flows/irdrop-train-macro-dynamic.yaml``) on the
held-out designs' worst drop over the golden transient of their most demanding layer.

``--pool validation`` scores the validation macros of the shipped training flow instead (the cases its
``data.val: unseen`` keeps out of training, :func:`eda.irdrop.recipes.unseen_validation` over the flow's
``irdrop.synthetic`` cases): training recipes are compared there, never on the held-out pool. ``--model``
takes several checkpoints, scored side by side. Run::

    python benchmarks/irdrop_macro.py [--kind static|dynamic] [--pool test|validation] [--model NAME|CKPT ...]
        [--count 16] [--cache DIR] [--with-default]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from eda.flow.schema import load_flow
from eda.irdrop.features import STATIC_CHANNELS, prior_maps
from eda.irdrop.macro_cases import generate_macro_cases, random_macro_case
from eda.irdrop.predict import Predictor, distribution_warnings
from eda.irdrop.recipes import unseen_validation
from eda.irdrop.synthetic import load_case_file
from eda.pdn.metrics import map_metrics
from eda.shipped import find_flow

TRAINING_FLOWS = {"static": "irdrop-train-macro", "dynamic": "irdrop-train-macro-dynamic"}


def validation_designs(kind: str) -> list[tuple[str, int]]:
    """``(pool, seed)`` of the macros the shipped ``kind`` training flow validates on: its ``train`` step's
    ``irdrop.synthetic`` cases in input order (``synthetic``, then ``extra_cases``; each directory's files
    sort by seed) through the same selection as the flow's ``data.val: unseen``."""
    flow = load_flow(find_flow(TRAINING_FLOWS[kind]))
    designs = []
    for ref in flow.step("train").inputs.values():
        p = flow.step(ref.step).params
        designs += [(p.pool, seed) for seed in range(p.first_seed, p.first_seed + p.count)]
    cases = [SimpleNamespace(name=f"macro-{pool}-{seed}", design=(pool, seed)) for pool, seed in designs]
    return [case.design for case in unseen_validation(cases)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=("static", "dynamic"), default="static", help="label kind")
    ap.add_argument(
        "--model",
        nargs="+",
        default=None,
        help="checkpoint files or shipped names (default: macro[-dynamic])",
    )
    ap.add_argument(
        "--pool",
        choices=("test", "validation"),
        default="test",
        help="held-out designs (test) or the training flows' validation macros",
    )
    ap.add_argument("--count", type=int, default=16, help="held-out macro designs (seeds 0..count-1)")
    ap.add_argument("--cache", type=Path, default=None, help="case cache directory (default: a temp dir)")
    ap.add_argument("--with-default", action="store_true", help="also score the standard-cell checkpoint")
    args = ap.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="eda-macro-cases-")
    cache = args.cache or Path(scratch.name)
    t0 = time.perf_counter()
    if args.pool == "test":
        designs = [("test", seed) for seed in range(args.count)]
    else:
        designs = validation_designs(args.kind)
    paths = [generate_macro_cases(pool, [seed], cache, kind=args.kind)[0] for pool, seed in designs]
    print(f"{len(paths)} {args.pool} {args.kind} macro cases in {time.perf_counter() - t0:.0f} s ({cache})\n")
    models = args.model or ["macro" if args.kind == "static" else "macro-dynamic"]
    predictors = {f"PDNNet ({model})": Predictor(model) for model in models}
    if args.with_default:
        predictors["PDNNet (default, standard cells)"] = Predictor("default")
    print(
        "| pool | seed | array | L | B | stripes every | network | nodes | worst drop (mV) | method | NMAE | max error (mV) | F1 | in distribution |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    summary: dict[str, list[dict[str, float]]] = {}
    for (pool, seed), path in zip(designs, paths, strict=True):
        case = random_macro_case(seed, pool, kind=args.kind)
        sample = load_case_file(path)
        golden = sample.label_mv
        worst = float(golden.max())
        current = sample.inputs[STATIC_CHANNELS.index("current")]
        estimates: dict[str, tuple[np.ndarray, str]] = {}
        for name, predictor in predictors.items():
            ok = not distribution_warnings(current, trained=predictor.peak_to_mean_trained)
            estimates[name] = (predictor.predict_sample(sample) * 1e3, "yes" if ok else "no")
        for name, est in prior_maps(sample.inputs).items():
            estimates[name] = (est, "")
        with np.load(path) as z:
            nodes = int(z["nodes"])
        s = case.spec
        for method, (est, inside) in estimates.items():
            m = map_metrics(est, golden)
            m["nmae"] = m["mae"] / worst
            summary.setdefault(method, []).append(m)
            print(
                f"| {pool} | {seed} | {s['rows']}x{s['cols']} | {s['local_array_size']} | {s['adc_bits']} | "
                f"{case.stripe_every} | {case.workload} | {nodes} | {worst:.3f} | {method} | {m['nmae']:.4f} | "
                f"{m['max_error']:.3f} | {m['f1']:.3f} | {inside} |",
                flush=True,
            )
    print("\n| method | cases | mean NMAE | worst NMAE | mean F1 | min F1 |")
    print("|---|---|---|---|---|---|")
    for method, ms in summary.items():
        nmae, f1 = [m["nmae"] for m in ms], [m["f1"] for m in ms]
        print(
            f"| {method} | {len(ms)} | {np.mean(nmae):.4f} | {np.max(nmae):.4f} | {np.mean(f1):.3f} | "
            f"{np.min(f1):.3f} |"
        )
    best = min(
        np.mean([m["nmae"] for m in ms]) for method, ms in summary.items() if method.startswith("prior")
    )
    for name in predictors:
        print(
            f"\n{name}: mean NMAE / best prior's mean NMAE = {np.mean([m['nmae'] for m in summary[name]]) / best:.3f}"
        )


if __name__ == "__main__":
    main()
