"""The shipped PDNNet checkpoint on the ICCAD 2023 cases it was not trained on, the physics priors beside it.

The checkpoint records the cases it was trained on (``train_cases``) and validated on (``val_cases``);
every ICCAD 2023 case with a netlist outside both is a test case. Each row is scored with the contest
metrics (MAE over the map, maximum error, hot-spot F1 at 90 % of the golden maximum); beside the network
stand its priors alone: the uniform-sheet rail estimate (``rail_est``), the coarse-grid estimate
(``rail_coarse``) and their mean. Validation cases (early stopping only) are listed separately. Run::

    python benchmarks/irdrop_shipped.py [--model CKPT] [--with-validation]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from eda.data import require_data
from eda.irdrop.dataset import iccad_cases, load_iccad_case
from eda.irdrop.features import prior_maps
from eda.irdrop.predict import Predictor, default_checkpoint
from eda.irdrop.train import load_checkpoint
from eda.pdn.metrics import map_metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="checkpoint (default: the shipped one)")
    ap.add_argument("--with-validation", action="store_true", help="also score the validation cases")
    args = ap.parse_args()
    ckpt = args.model or default_checkpoint()
    payload = load_checkpoint(ckpt)
    trained = {str(c) for c in payload.get("train_cases", [])}
    validated = {str(c) for c in payload.get("val_cases", [])}
    if not trained:
        raise SystemExit(f"{ckpt} records no train_cases: its held-out cases are unknown")
    root = require_data("iccad23")
    cases = [d for sub in ("real", "fake") for d in iccad_cases(root, sub)]
    groups = {"test": [d for d in cases if f"{d.parent.name}/{d.name}" not in trained | validated]}
    if args.with_validation:
        groups["validation"] = [d for d in cases if f"{d.parent.name}/{d.name}" in validated]
    predictor = Predictor(ckpt, threads=1)
    print(
        f"checkpoint {ckpt}: {len(set(trained))} training designs, {len(validated)} validation designs, "
        f"features version {payload.get('features_version')}\n"
    )
    print("| set | case | method | MAE (mV) | max error (mV) | F1 | network s |")
    print("|---|---|---|---|---|---|---|")
    summary: dict[tuple[str, str], list[dict[str, float]]] = {}
    for group, dirs in groups.items():
        for d in dirs:
            sample = load_iccad_case(d)
            t0 = time.perf_counter()
            pred = predictor.predict_sample(sample) * 1e3
            seconds = time.perf_counter() - t0
            for method, est in {"PDNNet (shipped)": pred, **prior_maps(sample.inputs)}.items():
                m = map_metrics(est, sample.label_mv)
                summary.setdefault((group, method), []).append(m)
                sec = f"{seconds:.2f}" if method.startswith("PDNNet") else ""
                print(
                    f"| {group} | {d.parent.name}/{d.name} | {method} | {m['mae']:.4f} | {m['max_error']:.3f} | "
                    f"{m['f1']:.3f} | {sec} |",
                    flush=True,
                )
    print("\n| set | method | cases | mean MAE (mV) | mean F1 |")
    print("|---|---|---|---|---|")
    for (group, method), ms in summary.items():
        print(
            f"| {group} | {method} | {len(ms)} | {np.mean([m['mae'] for m in ms]):.4f} | "
            f"{np.mean([m['f1'] for m in ms]):.3f} |"
        )
    for group, dirs in groups.items():
        if not dirs:
            print(f"\n{group}: no ICCAD 2023 case with a netlist outside the checkpoint's training set")
            continue
        net = np.mean([m["mae"] for m in summary[group, "PDNNet (shipped)"]])
        best = min(
            np.mean([m["mae"] for m in ms])
            for (g, method), ms in summary.items()
            if g == group and method.startswith("prior")
        )
        print(f"\n{group}: network MAE / best prior's MAE = {net / best:.3f}")


if __name__ == "__main__":
    main()
