"""The rail estimate alone on the toolkit's ACIM macros: which layers it homogenises, and what that costs.

PDNNet's linear-current head starts from the rail estimate (:mod:`eda.irdrop.rail`), so a prior that is
off by a design-dependent factor leaves the network a large correction to learn. This benchmark scores the
static rail estimate alone against the golden static solve on generated macros
(:func:`eda.irdrop.macro_cases.random_macro_case`, no network) for the shipped layer treatment and for
variants of its two rules:

* ``features v10``: the rules of features version 10. The top mesh starts at the first layer, counted
  upward, with wires along both axes or with more than 5 % of its nodes in pieces that reach neither a pad
  nor a higher layer (``mesh_layers(cross_links_float=True)``); the global correction is skipped whenever
  the pads sit on a bar (:func:`eda.irdrop.rail.pads_on_bar`).
* ``chains``: no top mesh, every layer a set of chains (correction skipped under pad bars).
* ``chains + correction``: the same with the global correction applied under the pad bars too.
* ``shipped``: pieces below the top layer that reach no stripe but join the layer below through two vias
  or more (a macro's met2 lines between met1 rails) do not start the mesh (:func:`eda.irdrop.rail.mesh_layers`,
  features version 11), correction skipped under pad bars.
* ``shipped + correction``: the same with the global correction applied under the pad bars too.

Per layer it also prints the golden and estimated worst drop and the fraction of nodes in pieces with no
way up. Variants are chosen on the ``train`` pool; ``--pool test`` scores the held-out designs. Run::

    python benchmarks/irdrop_macro_priors.py [--pool train|test] [--count 16] [--layers]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import eda.irdrop.rail as rail
from eda.irdrop.features import node_map
from eda.irdrop.macro_cases import macro_pdn, random_macro_case
from eda.irdrop.structure import load_structure
from eda.pdn.metrics import map_metrics
from eda.pdn.netlist import read_netlist
from eda.pdn.raster import rasterize
from eda.pdn.static import solve_static

SHIPPED_MESH, SHIPPED_BAR = rail.mesh_layers, rail.pads_on_bar


def _v10_mesh(pdn: Any) -> list[int]:
    return SHIPPED_MESH(pdn, cross_links_float=True)


def _no_mesh(pdn: Any) -> list[int]:
    return []


def _never(*_: Any, **__: Any) -> bool:
    return False


#: name -> (mesh-layer rule, pads-on-bar rule) substituted into eda.irdrop.rail for one estimate
VARIANTS: dict[str, tuple[Callable[..., list[int]], Callable[..., bool]]] = {
    "features v10": (_v10_mesh, SHIPPED_BAR),
    "chains": (_no_mesh, SHIPPED_BAR),
    "chains + correction": (_no_mesh, _never),
    "shipped": (SHIPPED_MESH, SHIPPED_BAR),
    "shipped + correction": (SHIPPED_MESH, _never),
}


def estimate(pdn: Any, shape: tuple[int, int], variant: str) -> np.ndarray:
    """Rail estimate (V per node) under one of :data:`VARIANTS` (the module's rules restored after)."""
    rail.mesh_layers, rail.pads_on_bar = VARIANTS[variant]
    try:
        pdn.cache.clear()
        return rail.rail_estimate(pdn, shape, pdn.sink_nodes, pdn.sink_amp)
    finally:
        rail.mesh_layers, rail.pads_on_bar = SHIPPED_MESH, SHIPPED_BAR
        pdn.cache.clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", choices=("train", "test", "large"), default="train", help="macro pool")
    ap.add_argument("--count", type=int, default=16, help="designs (seeds 0..count-1)")
    ap.add_argument("--layers", action="store_true", help="also print the per-layer table")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows, layer_rows = [], []
    summary: dict[str, list[tuple[float, float, float, float]]] = {v: [] for v in VARIANTS}
    for seed in range(args.count):
        case = random_macro_case(seed, args.pool, "static")
        with tempfile.TemporaryDirectory() as tmp:
            netlist = Path(tmp) / "static.sp"
            grid, _ = macro_pdn(case, netlist)
            net = read_netlist(netlist)
            pdn = load_structure(netlist)
        shape = grid.map_shape
        solved = solve_static(net)
        golden = rasterize(net, solved.drop, shape) * 1e3
        worst = float(golden.max())
        s = case.spec
        design = f"| {args.pool} | {seed} | {s['rows']}x{s['cols']} | {case.stripe_every} | {pdn.num_nodes} | {worst:.3f} "
        node_drop = {}
        for variant in VARIANTS:
            node_drop[variant] = estimate(pdn, shape, variant)
            est = node_map(pdn, node_drop[variant], shape) * 1e3
            m = map_metrics(est, golden)
            scores = (m["mae"] / worst, m["f1"], m["correlation"], float(est.max()) / worst)
            summary[variant].append(scores)
            mesh = ", ".join(f"met{lay}" for lay in VARIANTS[variant][0](pdn)) or "none"
            rows.append(
                design
                + f"| {variant} | {mesh} | {scores[0]:.4f} | {scores[1]:.3f} | {scores[2]:.3f} | {scores[3]:.2f} |"
            )
        if args.layers:
            stats = solved.layer_stats()
            for lay in sorted(np.unique(pdn.layer).tolist()):
                on = pdn.layer == lay
                layer_rows.append(
                    design + f"| {lay} | {int(on.sum())} | {rail.unreaching_fraction(pdn, lay):.3f} | "
                    f"{stats[lay]['worst_drop_v'] * 1e3:.4f} | {node_drop['features v10'][on].max() * 1e3:.4f} | "
                    f"{node_drop['shipped'][on].max() * 1e3:.4f} |"
                )
        print(f"  {args.pool} {seed}: {time.perf_counter() - t0:.0f} s", flush=True)
    print(
        "\n| pool | seed | array | stripes every | nodes | worst drop (mV) | rail estimate | top mesh | NMAE | F1 | "
        "correlation | estimate max / golden max |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if layer_rows:
        print(
            "\n| pool | seed | array | stripes every | nodes | worst drop (mV) | layer | layer nodes | "
            "nodes with no way up | golden max (mV) | features v10 max (mV) | shipped max (mV) |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(layer_rows))
    print(
        "\n| rail estimate | designs | mean NMAE | mean F1 | mean correlation | max / golden max (min-max) |"
    )
    print("|---|---|---|---|---|---|")
    for variant, scores in summary.items():
        a = np.array(scores)
        print(
            f"| {variant} | {len(a)} | {a[:, 0].mean():.4f} | {a[:, 1].mean():.3f} | {a[:, 2].mean():.3f} | "
            f"{a[:, 3].min():.2f}-{a[:, 3].max():.2f} |"
        )


if __name__ == "__main__":
    main()
