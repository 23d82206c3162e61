"""Post-layout verification of one ADC group: transistor-level simulation next to the analytic models.

``eda acim verify --rows H --cols W --local-array-size L --adc-bits B [--corner C] [--vectors N] --out DIR``
(step ``acim.verify``):

1. generates the macro and checks it with the foundry LVS deck (it must match: the simulated netlist
   stands for the layout only then);
2. builds the simulation netlist of ADC group 0 (its ``cols_per_adc`` columns: local arrays, compute
   cells, MIM capacitors, column lines, periphery, comparator, SAR logic, their row and control
   drivers) from the devices the foundry deck extracts from each cell's GDS and the wire capacitance of
   every net measured on the macro's GDS (:mod:`eda.acim.verify_deck`, :mod:`eda.acim.wirecap`);
3. simulates ``N`` random vectors in ngspice at the corner: runs of ``per_run`` compute cycles (plus a
   warm-up cycle), each run with random stored weights and one random computing row per local array,
   each cycle with random input bits; every cycle is a full MAC (precharge, evaluate, share) and a SAR
   conversion on the clock plan the timing model derives for the spec;
4. measures the MAC-to-code transfer (codes against the exact product count K; a least-squares line is
   the calibration a digital back end applies), its INL/DNL over K, the total SNR of the multi-bit dot
   product from the code error (the same formula as :func:`eda.acim.models.snr.snr_model`), the energy per
   binary MAC drawn from every supply and source, and the settling times of the evaluate and share phases,
   and writes them next to the models' predictions for the same spec, clock and corner (``verify.json``,
   ``transfer.png``).

The simulated group's row lines carry only its own ``cols_per_adc`` columns, so the models are evaluated
for a macro of that width. The transient is deterministic (no device noise; no mismatch draws): the
models' random terms (thermal, mismatch) are orders below one code at the acceptance spec.
"""

from __future__ import annotations

import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from eda.acim.models.column import sar_code
from eda.acim.ngspice import Conditions, require_simulator
from eda.acim.spec import ACIMSpec

__all__ = ["verify", "sar_subckt_text", "model_predictions", "analyse"]

DEFAULT_CLOCK_MHZ = 500.0


def sar_subckt_text(spec: ACIMSpec, name: str) -> tuple[str, list[str]]:
    """The SAR logic subcircuit of ``spec`` (named ``name``) and its port order."""
    from eda.acim.celllib.sar import sar_logic_subckt
    from eda.acim.dacplan import dac_plan

    return sar_logic_subckt(dac_plan(spec.local_arrays_per_column, spec.cols_per_adc, spec.adc_bits), name)


def model_predictions(spec: ACIMSpec, clock_MHz: float, corner: str, library: Any = None) -> dict[str, float]:
    """The analytic models' figures for ``spec`` (width ``cols_per_adc``) at ``clock_MHz`` and ``corner``."""
    from eda.acim.models import DesignPoints, evaluate
    from eda.acim.models.area import library_tech

    group = replace(spec, cols=spec.cols_per_adc)
    tech = library_tech(library, corner)
    metrics = evaluate(DesignPoints.from_specs([group.to_dict()], clock_MHz), tech, library=library)
    return {k: float(np.asarray(v, dtype=float)[0]) for k, v in metrics.items()}


def _run(args: tuple) -> list[dict[str, Any]]:
    from eda.acim.verify_sim import simulate_run

    net, plan, timing, cond, kwargs = args
    return [asdict(r) for r in simulate_run(net, plan, timing, cond, **kwargs)]


def analyse(counts: np.ndarray, codes: np.ndarray, spec: ACIMSpec) -> dict[str, Any]:
    """Transfer fit, INL/DNL over the product count (codes inside the window) and the total SNR of the
    multi-bit dot product from simulated ``codes`` for exact product ``counts``."""
    from eda.acim.models.snr import plane_weight_sum, product_variance, to_db

    counts = np.asarray(counts, dtype=float)
    codes = np.asarray(codes, dtype=float)
    top = 2**spec.adc_bits - 1
    inside = (codes > 0) & (codes < top)
    # the calibration the model assumes (eda.acim.models.snr.code_error): the least-squares line of the codes
    # on the counts over every vector, clipped ones included, or the mean count where that errs less
    if np.ptp(counts) > 0 and np.ptp(codes) > 0:
        a, b = np.polyfit(counts, codes, 1)
        mse = float(min(np.mean(((codes - b) / a - counts) ** 2), np.var(counts)))
    else:
        a, b, mse = math.nan, math.nan, float(np.var(counts))
    ks = np.unique(counts[inside]).astype(int)
    mean_code = np.array([codes[inside][counts[inside] == k].mean() for k in ks])
    inl = mean_code - (a * ks + b)
    dnl = np.diff(mean_code) / np.maximum(np.diff(ks), 1) - a if len(ks) > 1 else np.array([])
    signal = (
        spec.rows
        * spec.cols_per_adc
        * float(product_variance(np.array([spec.input_bits]), np.array([spec.weight_bits]))[0])
    )
    gain = (
        spec.local_array_size
        * float(plane_weight_sum(np.array([spec.input_bits]))[0])
        * float(plane_weight_sum(np.array([spec.weight_bits]))[0])
    )
    snr = float(to_db(signal / (gain * mse))) if mse > 0 else math.inf
    return {
        "gain_codes_per_product": float(a),
        "offset_codes": float(b),
        "mse_counts2": mse,
        "snr_db": snr,
        "inl_codes": dict(zip(ks.tolist(), np.round(inl, 4).tolist(), strict=True)),
        "dnl_codes": np.round(dnl, 4).tolist(),
        "max_abs_inl_codes": float(np.max(np.abs(inl))) if len(inl) else 0.0,
        "clipped": int((~inside).sum()),
    }


def verify(
    spec: ACIMSpec,
    *,
    corner: str = "tt",
    vectors: int = 200,
    out: str | Path | None = None,
    library: Any = None,
    clock_MHz: float = DEFAULT_CLOCK_MHZ,
    per_run: int = 10,
    seed: int = 1,
    workers: int = 2,
    vdd_V: float | None = None,
    temperature_C: float = 27.0,
    check_lvs: bool = True,
) -> dict[str, Any]:
    """Simulate ``vectors`` compute cycles of ADC group 0 of ``spec`` and compare with the models.

    Returns (and writes ``out/verify.json`` with) ``snr_db_sim``/``snr_db_model``,
    ``energy_fJ_sim``/``energy_fJ_model`` (per binary MAC), ``settling_ns_sim``/``settling_ns_model``
    (evaluate + share), the ADC codes and product counts of every vector, and the details.
    """
    from eda.acim.floorplan import stripe_every
    from eda.acim.generator import generate
    from eda.acim.library import Library, load_library
    from eda.acim.verify_deck import CycleTiming, RunPlan, group_netlist
    from eda.acim.wirecap import net_capacitance
    from eda.errors import SpecError
    from eda.tech import load_tech

    start = time.perf_counter()
    require_simulator(corner)
    lib = library if isinstance(library, Library) else load_library(library)
    out_dir = Path(out) if out is not None else None
    work = (out_dir or Path.cwd()) / "macro"
    work.mkdir(parents=True, exist_ok=True)
    # the macro is at least one of the library's tap segments wide: that is where its SAR block finds the
    # room (the ADC group verified is group 0 either way)
    k, segment = spec.cols_per_adc, stripe_every(lib)
    layout = spec if spec.cols >= segment else replace(spec, cols=-(-segment // k) * k)
    macro = generate(layout, lib, work)
    lvs = None
    if check_lvs:
        from eda.signoff.foundry import run_foundry_lvs

        report = run_foundry_lvs(macro.files["gds"], macro.files["netlist"], out_dir=work / "lvs")
        if not report.match:
            raise SpecError(
                "the generated macro does not match its netlist (foundry LVS)",
                where=str(work / "lvs"),
                hint="the simulation would not stand for the layout; fix the generator first",
            )
        lvs = {"match": True, "seconds": round(report.seconds, 1)}
    sar_name = f"{macro.name}__sar_logic"
    sar_text, sar_ports = sar_subckt_text(spec, sar_name)
    caps = net_capacitance(macro.files["gds"], load_tech(lib.tech_file))
    caps = {k: v for k, v in caps.items() if k not in ("VDD", "VSS")}
    net = group_netlist(macro.files["netlist"], lib, sar_text, caps)
    model = model_predictions(spec, clock_MHz, corner, lib)
    period = 1e3 / clock_MHz
    timing = CycleTiming(
        model["t_precharge_ns"],
        model["t_charge_ns"],
        model["t_share_ns"],
        model["t_bit_ns"],
        spec.adc_bits,
        compare_ns=model["t_compare_ns"],
    )
    cond = Conditions(corner, vdd_V if vdd_V is not None else model.get("vdd_V", 1.8), temperature_C)
    conn = {
        "OUTP": "OUTP0",
        "OUTN": "OUTN0",
        "CLK": "CLKSAR",
        "RST": "RSTSAR",
        "VDD": "VDD",
        "VSS": "VSS",
        "VPB": "VDD",
        "VNB": "VSS",
        **{f"DOUT{b}": f"DOUT{b}_0" for b in range(spec.adc_bits)},
    }
    sar_instance = "Xsar0 " + " ".join(conn.get(p, p) for p in sar_ports) + f" {sar_name}"
    rng = np.random.default_rng(seed)
    groups, k, lsize = spec.local_arrays_per_column, spec.cols_per_adc, spec.local_array_size
    jobs = []
    kwargs = {
        "vref": model["level_vref_V"],
        "sar_instance": sar_instance,
        "sar_name": sar_name,
        "lsb_V": model["level_dac_step_V"],
        "high_V": model["level_charge_level_V"],
    }
    remaining = vectors
    while remaining > 0:
        n = min(per_run, remaining)
        plan = RunPlan(
            tuple(g * lsize + int(rng.integers(lsize)) for g in range(groups)),
            rng.integers(0, 2, (spec.rows, k)),
            rng.integers(0, 2, (n + 1, groups)),
        )
        jobs.append((net, plan, timing, cond, kwargs))
        remaining -= n
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = [r for chunk in pool.map(_run, jobs) for r in chunk]
    else:
        results = [r for job in jobs for r in _run(job)]
    counts = np.array([r["count"] for r in results])
    codes = np.array([r["code"] for r in results])
    fit = analyse(counts, codes, spec)
    # the models' quantiser (window offset D0, DAC gain g; eda.acim.models.column) on the same product
    # counts, without the device noise the deck does not simulate: the like-for-like model figure
    model_codes = sar_code(counts, model["level_window_offset"], model["level_dac_gain"], spec.adc_bits)
    fit_model = analyse(counts, model_codes, spec)
    energy = np.array([sum(r["energy_fJ"].values()) for r in results])
    by_source: dict[str, float] = {}
    for r in results:
        for key, value in r["energy_fJ"].items():
            by_source[key] = by_source.get(key, 0.0) + value / len(results)
    macs = spec.cols_per_adc * groups
    settle_eval = float(np.nanmean([r["settle_evaluate_ns"] for r in results]))
    settle_share = float(np.nanmean([r["settle_share_ns"] for r in results]))
    v_share = np.array([r["v_share"] for r in results])
    slope, v0 = np.polyfit(counts, v_share, 1)
    summary = {
        "spec": spec.to_dict(),
        "corner": corner,
        "vdd_V": cond.vdd_V,
        "temperature_C": temperature_C,
        "clock_MHz": clock_MHz,
        "vectors": len(results),
        "lvs": lvs,
        "phase_ns": {
            "precharge": timing.precharge_ns,
            "evaluate": timing.evaluate_ns,
            "share": timing.share_ns,
            "sar_bit": timing.bit_ns,
            "compare": timing.compare_ns,
            "cycle": timing.cycle_ns,
        },
        "vref_V": model["level_vref_V"],
        "snr_db_sim": fit["snr_db"],
        "snr_db_model": model["snr_total_db"],
        "snr_db_model_same_counts": fit_model["snr_db"],
        "snr_db_model_noiseless": model["sqnr_db"],
        "energy_fJ_sim": float(energy.mean() / macs),
        "energy_fJ_model": model["energy_per_mac_fJ"],
        "settling_ns_sim": settle_eval + settle_share,
        "settling_ns_model": model["settle_charge_ns"] + model["settle_share_ns"],
        "settling_evaluate_ns": {"sim": settle_eval, "model": model["settle_charge_ns"]},
        "settling_share_ns": {"sim": settle_share, "model": model["settle_share_ns"]},
        "step_mV": {"sim": float(-slope * 1e3), "model": model["level_step_V"] * 1e3},
        "v_zero_V": {"sim": float(v0), "model": model["level_v_zero_V"]},
        "dac_gain": {"sim": fit["gain_codes_per_product"], "model": model["level_dac_gain"]},
        "transfer": fit,
        "energy_fJ_per_cycle_by_source": {k: round(v, 3) for k, v in by_source.items()},
        "codes": codes.tolist(),
        "counts": counts.tolist(),
        "v_share_V": np.round(v_share, 5).tolist(),
        "seconds": round(time.perf_counter() - start, 1),
        "clock_period_ns": period,
    }
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "verify.json").write_text(json.dumps(summary, indent=1))
        _plot(out_dir / "transfer.png", counts, codes, fit, model, spec)
    return summary


def _plot(
    path: Path,
    counts: np.ndarray,
    codes: np.ndarray,
    fit: dict[str, Any],
    model: dict[str, float],
    spec: ACIMSpec,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(counts, codes, "o", alpha=0.4, label="ngspice (post-layout)")
    ks = np.arange(0, counts.max() + 1)
    ax.plot(ks, fit["gain_codes_per_product"] * ks + fit["offset_codes"], "-", label="fit")
    model_codes = sar_code(ks, model["level_window_offset"], model["level_dac_gain"], spec.adc_bits)
    ax.step(ks, model_codes, where="mid", label="model")
    ax.set_xlabel("binary products K")
    ax.set_ylabel("ADC code")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
