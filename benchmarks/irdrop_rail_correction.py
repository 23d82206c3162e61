"""Rail-estimate corrections on the ICCAD 2023 cases: none, the uniform sheet stack (``eda.irdrop.rail``,
the ``rail_est`` channel) and the per-region coarse grid (``eda.irdrop.coarse_grid``, the ``rail_coarse``
channel).

The uniform correction spreads the Kirchhoff residual of the chain estimate through sheets whose
conductance is the die average of each layer, diagonal in the cosine basis. Designs whose stripe pitch
changes from block to block keep an error in those blocks. The coarse grid gives every cell of every layer
its own sheet and via conductance, pads grounding one wire pitch of their layer, and solves that
homogenised grid (at most half the PDN's node count in cells; ``--cell`` forces an edge). Run::

    python benchmarks/irdrop_rail_correction.py [--cell 0] [--fake-every 4]
"""

from __future__ import annotations

import argparse
import time

from eda.data import require_data
from eda.irdrop.coarse_grid import coarse_cell_um, coarse_rail_estimate
from eda.irdrop.dataset import iccad_cases
from eda.irdrop.features import node_map
from eda.irdrop.rail import chain_estimate, rail_estimate
from eda.irdrop.structure import load_structure
from eda.pdn.maps import read_map
from eda.pdn.metrics import map_metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--cell",
        type=int,
        default=0,
        help="coarse cell (µm) of the per-region variant (0: sized from the node count)",
    )
    ap.add_argument("--fake-every", type=int, default=4, help="also every N-th fake case (0: none)")
    args = ap.parse_args()
    root = require_data("iccad23")
    cases = iccad_cases(root, "real") + (
        iccad_cases(root, "fake")[:: args.fake_every] if args.fake_every else []
    )
    print("| case | correction | MAE (mV) | correlation | F1 | hot tiles est./golden | seconds |")
    print("|---|---|---|---|---|---|---|")
    for case in cases:
        pdn = load_structure(case / "netlist.sp.gz")
        golden = read_map(case / "ir_drop_map.csv.gz") * 1e3
        shape = golden.shape
        t0 = time.perf_counter()
        chains = chain_estimate(pdn, shape)
        t1 = time.perf_counter()
        uniform = rail_estimate(pdn, shape, chains=chains)
        t2 = time.perf_counter()
        coarse = coarse_rail_estimate(pdn, shape, cell_um=args.cell or None, chains=chains[0])
        t3 = time.perf_counter()
        hot = golden > 0.9 * golden.max()
        cell = args.cell or coarse_cell_um(shape, pdn.num_nodes, len(set(pdn.layer.tolist())))
        # seconds of each estimate including the chains it starts from
        for name, drop, sec in (
            ("none (chains + top mesh)", chains[0], t1 - t0),
            ("uniform sheets (eda.irdrop.rail)", uniform, t2 - t0),
            (f"per-region {cell} µm coarse grid", coarse, t3 - t2 + t1 - t0),
        ):
            est = node_map(pdn, drop, shape) * 1e3
            m = map_metrics(est, golden)
            print(
                f"| {case.parent.name}/{case.name} | {name} | {m['mae']:.4f} | {m['correlation']:.4f} | "
                f"{m['f1']:.3f} | {est[hot].mean() / golden[hot].mean():.3f} | {sec:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
