"""Post-layout verification of an ACIM column against the analytic models (issue 20's acceptance figures).

Runs ``eda acim verify`` (foundry LVS of the generated macro, extracted ADC group, ngspice with the SkyWater
models) for a 64-row column, L = 8, 5-bit ADC (4 columns per ADC: the ADC's 32 capacitors) at tt with 200
random vectors and at ff and ss, and the bitcell's hold/read checks at all five corners, and prints the
model-vs-simulation table with each figure's error and the acceptance limits (SNR within 2 dB, energy per MAC
within 20 %, settling within 30 %).

    .venv/bin/python benchmarks/acim_verify.py [--vectors 200] [--corner-vectors 60] [--out out/verify]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from eda.acim.spec import ACIMSpec

LIMITS = {"snr_db": 2.0, "energy": 0.20, "settling": 0.30}


def _row(corner: str, r: dict) -> str:
    """One table row; the SNR is judged like for like: the models' quantiser on the simulated product counts,
    without the device noise (thermal, mismatch, injection spread) that the nominal transient does not have."""
    snr_err = r["snr_db_model_same_counts"] - r["snr_db_sim"]
    e_err = r["energy_fJ_model"] / r["energy_fJ_sim"] - 1
    s_err = r["settling_ns_model"] / r["settling_ns_sim"] - 1
    ok = (
        abs(snr_err) <= LIMITS["snr_db"]
        and abs(e_err) <= LIMITS["energy"]
        and abs(s_err) <= LIMITS["settling"]
    )
    return (
        f"| {corner} | {r['vectors']} | {r['snr_db_sim']:.2f} | {r['snr_db_model_same_counts']:.2f} | "
        f"{snr_err:+.2f} | {r['snr_db_model_noiseless']:.2f} | {r['snr_db_model']:.2f} | "
        f"{r['energy_fJ_sim']:.1f} | {r['energy_fJ_model']:.1f} | {100 * e_err:+.1f} % | "
        f"{r['settling_ns_sim']:.3f} | {r['settling_ns_model']:.3f} | {100 * s_err:+.1f} % | "
        f"{r['transfer']['max_abs_inl_codes']:.2f} | {r['transfer']['clipped']} | {r['seconds']:.0f} | "
        f"{'yes' if ok else 'no'} |"
    )


def main() -> None:
    from eda.acim.characterize_benches import (
        CellNetlists,
        butterfly,
        hold_read_transient,
        static_noise_margin,
    )
    from eda.acim.devicemodels import CORNERS
    from eda.acim.library import load_library
    from eda.acim.ngspice import Conditions
    from eda.acim.verify import verify

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=200)
    parser.add_argument("--corner-vectors", type=int, default=60, help="vectors at ff and ss")
    parser.add_argument("--out", type=Path, default=Path("out/acim_verify"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    spec = ACIMSpec(rows=64, cols=4, local_array_size=8, adc_bits=5, cols_per_adc=4)
    lib = load_library()
    print("# bitcell at the five corners (1.8 V, 27 C)\n")
    print("| corner | hold SNM mV | read SNM mV | holds 1 | holds 0 | reads |")
    print("|---|---:|---:|---|---|---|")
    cells = CellNetlists.of(lib, ".subckt none\n.ends none\n", 2.76)
    for corner in CORNERS:
        cond = Conditions(corner)
        snm = [static_noise_margin(*butterfly(cells, cond, read=read)) * 1e3 for read in (False, True)]
        hr = hold_read_transient(cells, cond)
        print(
            f"| {corner} | {snm[0]:.0f} | {snm[1]:.0f} | {hr['holds_one']} | {hr['holds_zero']} | {hr['reads']} |"
        )
    print(
        "\n# model vs post-layout simulation: 64-row column, L = 8, 5-bit ADC, 4 columns per ADC, 500 MHz\n"
    )
    print(
        "| corner | vectors | SNR sim dB | SNR model, same counts dB | error dB | SNR model, no device noise dB | "
        "SNR model, all noise dB | E/MAC sim fJ | E/MAC model fJ | error | settling sim ns | settling model ns | "
        "error | max INL codes | clipped | wall s | within limits |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    results = {}
    for corner, n in (("tt", args.vectors), ("ff", args.corner_vectors), ("ss", args.corner_vectors)):
        start = time.perf_counter()
        r = verify(
            spec,
            corner=corner,
            vectors=n,
            out=args.out / corner,
            library=lib,
            workers=args.workers,
            check_lvs=corner == "tt",
        )
        r["seconds"] = time.perf_counter() - start
        results[corner] = r
        print(_row(corner, r), flush=True)
    print("\nlimits: SNR within 2 dB, energy per MAC within 20 %, settling (evaluate + share) within 30 %")
    for corner, r in results.items():
        print(
            f"{corner}: VREF {r['vref_V']:.4f} V; K = 0 input {r['v_zero_V']['sim']:.4f} V sim / "
            f"{r['v_zero_V']['model']:.4f} model; step {r['step_mV']['sim']:.2f} mV sim / {r['step_mV']['model']:.2f} model; DAC gain "
            f"{r['dac_gain']['sim']:.3f} / {r['dac_gain']['model']:.3f}; evaluate settling "
            f"{r['settling_evaluate_ns']['sim']:.3f} / {r['settling_evaluate_ns']['model']:.3f} ns, share "
            f"{r['settling_share_ns']['sim']:.3f} / {r['settling_share_ns']['model']:.3f} ns"
        )
        print(f"    energy per cycle by source (fJ): {json.dumps(r['energy_fJ_per_cycle_by_source'])}")


if __name__ == "__main__":
    main()
