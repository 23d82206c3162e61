"""Rail-estimate corrections on the ICCAD 2023 cases: none, the uniform sheet stack (``eda.irdrop.rail``,
the ``rail_est`` channel) and the per-region coarse grid (``eda.irdrop.coarse_grid``, the ``rail_coarse``
channel) at several cell sizes, with the size of the coarse system beside the PDN's node count.

The uniform correction spreads the Kirchhoff residual of the chain estimate through sheets whose
conductance is the die average of each layer, diagonal in the cosine basis. The coarse grid gives every
cell of every layer its own sheet and via conductance, pads grounding one wire pitch of their layer, and
solves that homogenised grid once. Its default cell (``default`` below) is the smallest that keeps the grid
at most ``MAX_FRACTION`` of the PDN's nodes; that fraction is chosen on the fake cases (training designs),
the real cases are printed for reference only. Run::

    python benchmarks/irdrop_rail_correction.py [--cells default 4 5 6 7 8 9 10] [--subsets fake real]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from eda.data import require_data
from eda.irdrop.coarse_grid import MAX_FRACTION, coarse_cell_um, coarse_rail_estimate, coarse_unknowns
from eda.irdrop.dataset import iccad_cases
from eda.irdrop.features import node_map
from eda.irdrop.rail import chain_estimate, rail_estimate
from eda.irdrop.structure import load_structure
from eda.pdn.maps import read_map
from eda.pdn.metrics import map_metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", nargs="+", default=["default"],
                    help="coarse cells (µm) to compare; 'default' is the MAX_FRACTION rule")
    ap.add_argument("--subsets", nargs="+", default=["real", "fake"], choices=["real", "fake"])
    ap.add_argument("--every", type=int, default=1, help="every N-th case of each subset")
    args = ap.parse_args()
    root = require_data("iccad23")
    print(f"({time.strftime('%Y-%m-%d')}; default coarse cell: at most {MAX_FRACTION:.0%} of the PDN's nodes)\n")
    print("| case | PDN nodes | correction | unknowns | unknowns / PDN | MAE (mV) | NMAE | correlation | F1 | "
          "hot tiles est./golden | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    agg: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for subset in args.subsets:
        for case in iccad_cases(root, subset)[:: args.every]:
            pdn = load_structure(case / "netlist.sp.gz")
            golden = read_map(case / "ir_drop_map.csv.gz") * 1e3
            shape = golden.shape
            layers = int(np.unique(pdn.layer).size)
            t0 = time.perf_counter()
            chains = chain_estimate(pdn, shape)
            t1 = time.perf_counter()
            variants = [("none (chains + top mesh)", chains[0], t1 - t0, 0)]
            uniform = rail_estimate(pdn, shape, chains=chains)
            variants.append(("uniform sheets", uniform, time.perf_counter() - t0, 0))
            for cell in args.cells:
                c = coarse_cell_um(shape, layers=layers, nodes=pdn.num_nodes) if cell == "default" else int(cell)
                t2 = time.perf_counter()
                drop = coarse_rail_estimate(pdn, shape, cell_um=c, chains=chains[0])
                label = f"coarse grid {c} µm" + (" (default)" if cell == "default" else "")
                variants.append((label, drop, time.perf_counter() - t2 + t1 - t0, coarse_unknowns(pdn, shape, c)))
            hot = golden > 0.9 * golden.max()
            for name, drop, sec, unknowns in variants:
                est = node_map(pdn, drop, shape) * 1e3
                m = map_metrics(est, golden)
                nmae = m["mae"] / golden.max()
                key = name if "(default)" not in name else "coarse grid, default cell"
                agg.setdefault((subset, key), []).append((nmae, m["f1"], unknowns / pdn.num_nodes))
                print(f"| {subset}/{case.name} | {pdn.num_nodes} | {name} | {unknowns or ''} | "
                      f"{f'{unknowns / pdn.num_nodes:.2f}' if unknowns else ''} | {m['mae']:.4f} | {nmae:.4f} | "
                      f"{m['correlation']:.4f} | {m['f1']:.3f} | {est[hot].mean() / golden[hot].mean():.3f} | "
                      f"{sec:.2f} |", flush=True)
    print("\n| cases | correction | cases | mean NMAE | median NMAE | mean F1 | unknowns / PDN |")
    print("|---|---|---|---|---|---|---|")
    for (subset, name), vals in agg.items():
        v = np.array(vals)
        frac = f"{v[:, 2].min():.2f}-{v[:, 2].max():.2f}" if v[:, 2].max() > 0 else ""
        print(f"| {subset} | {name} | {len(v)} | {v[:, 0].mean():.4f} | {np.median(v[:, 0]):.4f} | "
              f"{v[:, 1].mean():.3f} | {frac} |")


if __name__ == "__main__":
    main()
