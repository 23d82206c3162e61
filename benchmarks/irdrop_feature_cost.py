"""Every linear system the PDNNet features solve, beside the PDN's node count, on the ICCAD 2023 cases.

For each case with a netlist the netlist-derived channels (:func:`eda.irdrop.features.rail_maps`) are
computed while :mod:`eda.irdrop.cost` records each solve: its unknowns, its independent blocks and the
largest of them. Run::

    python benchmarks/irdrop_feature_cost.py [--fake-every 4]
"""

from __future__ import annotations

import argparse
import time

from eda.data import require_data
from eda.irdrop.cost import feature_systems, sizes_table
from eda.irdrop.dataset import iccad_cases
from eda.irdrop.structure import load_structure
from eda.pdn.maps import read_map


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fake-every", type=int, default=4, help="also every N-th fake case (0: none)")
    args = ap.parse_args()
    root = require_data("iccad23")
    cases = iccad_cases(root, "real") + (
        iccad_cases(root, "fake")[:: args.fake_every] if args.fake_every else []
    )
    rows, seconds = [], []
    for case in cases:
        pdn = load_structure(case / "netlist.sp.gz")
        shape = read_map(case / "current_map.csv.gz").shape
        t0 = time.perf_counter()
        systems = feature_systems(pdn, shape)
        seconds.append((f"{case.parent.name}/{case.name}", pdn.num_nodes, time.perf_counter() - t0))
        rows.append((f"{case.parent.name}/{case.name}", pdn.num_nodes, systems))
    print(sizes_table(rows))
    print()
    print(
        "| case | PDN nodes | largest coupled block | coarse-grid unknowns / nodes | rail + coarse features (s) |"
    )
    print("|---|---|---|---|---|")
    for (name, nodes, systems), (_, _, sec) in zip(rows, seconds, strict=True):
        coarse = [s.unknowns for s in systems if s.name.startswith("coarse grid")]
        print(
            f"| {name} | {nodes} | {max(s.largest_block for s in systems)} | "
            f"{coarse[0] / nodes if coarse else 0.0:.3f} | {sec:.2f} |"
        )


if __name__ == "__main__":
    main()
