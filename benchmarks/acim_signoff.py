"""Benchmark: the SKY130 foundry decks over the ACIM generator's spec grid.

For every H, W ∈ {16, 64, 256}, L ∈ {2, 4, 8, 16}, ADC bits ∈ {3, 5, 8} (4 columns per ADC) the spec rules
and the layout allow, generate the macro and run the foundry DRC deck (feol + beol + offgrid); macros of at
most ``--lvs-max-bits`` bitcells also run the foundry LVS deck. Prints one line per macro (markers, LVS
result, extracted devices per class, seconds) and a summary; infeasible specs are listed with the reason.

    .venv/bin/python benchmarks/acim_signoff.py [--rows 16 64 256] [--cols 16 64 256] [--lvs-max-bits 4096]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    from eda.acim.generator import generate
    from eda.acim.spec import ACIMSpec
    from eda.errors import SpecError
    from eda.signoff.foundry import run_foundry_drc, run_foundry_lvs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--cols", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--local-array-size", type=int, nargs="+", default=[2, 4, 8, 16])
    parser.add_argument("--adc-bits", type=int, nargs="+", default=[3, 5, 8])
    parser.add_argument("--lvs-max-bits", type=int, default=64 * 64, help="run LVS up to this many bitcells")
    args = parser.parse_args()
    print(f"{'macro':>22} {'DRC markers':>11} {'DRC s':>6} {'LVS':>6} {'LVS s':>6}  devices (layout classes)")
    clean = dirty = skipped = 0
    lvs_fail = 0
    infeasible: list[str] = []
    for rows in args.rows:
        for cols in args.cols:
            for local in args.local_array_size:
                for bits in args.adc_bits:
                    try:
                        spec = ACIMSpec(rows=rows, cols=cols, local_array_size=local, adc_bits=bits)
                    except SpecError:
                        skipped += 1
                        continue
                    name = f"{rows}x{cols} L{local} B{bits}"
                    with tempfile.TemporaryDirectory() as tmp:
                        try:
                            macro = generate(spec, out_dir=tmp)
                        except SpecError as exc:
                            infeasible.append(f"{name}: {exc.message}")
                            continue
                        t0 = time.perf_counter()
                        drc = run_foundry_drc(macro.files["gds"], out_dir=Path(tmp) / "drc")
                        t_drc = time.perf_counter() - t0
                        clean += drc.clean
                        dirty += not drc.clean
                        lvs_text, t_lvs, devices = "-", 0.0, ""
                        if rows * cols <= args.lvs_max_bits:
                            t0 = time.perf_counter()
                            lvs = run_foundry_lvs(
                                macro.files["gds"], macro.files["netlist"], out_dir=Path(tmp) / "lvs"
                            )
                            t_lvs = time.perf_counter() - t0
                            lvs_text = "match" if lvs.match else "FAIL"
                            lvs_fail += not lvs.match
                            devices = ", ".join(
                                f"{k.removeprefix('sky130_fd_pr__')} {v}"
                                for k, v in sorted(lvs.devices_layout_by_class.items())
                            )
                        rules = (
                            ", ".join(f"{r} {n}" for r, n in drc.counts.items() if n) if not drc.clean else ""
                        )
                        print(
                            f"{name:>22} {drc.total:>11} {t_drc:>6.1f} {lvs_text:>6} {t_lvs:>6.1f}  {devices}"
                            f"{'  ' + rules if rules else ''}",
                            flush=True,
                        )
    print(
        f"\nDRC clean: {clean}, with markers: {dirty}; LVS mismatches: {lvs_fail}; "
        f"specs the spec rules reject: {skipped}; specs the layout cannot draw: {len(infeasible)}"
    )
    for line in infeasible:
        print(f"  not drawable: {line}")


if __name__ == "__main__":
    main()
