"""Simulate the compute cycles of one ADC group in ngspice and measure them.

:func:`simulate_run` runs one :class:`~eda.acim.verify_deck.RunPlan` (a warm-up cycle, then one cycle
per input vector) on a :class:`~eda.acim.verify_deck.GroupNetlist` and returns, per measured cycle, the
exact binary-product count ``K``, the ADC code read from ``DOUT``, the shared voltage on ``ADCIN`` at the
end of the share phase, the energy drawn from every source during the cycle and the settling times of
the evaluate and share phases.

Supplies are split so the energy can be attributed: ``VDDA`` (bitcells and compute cells), ``VDDW`` (row
drivers), ``VDDK`` (control drivers), ``VDDC`` (comparator), ``VDDS`` (SAR logic); the column-switch,
clock and control inputs are driven by their own sources, whose delivered energy counts too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from eda.acim.ngspice import Conditions, Deck, simulate
from eda.acim.verify_deck import CycleTiming, GroupNetlist, RunPlan, stimulus

__all__ = ["CycleResult", "simulate_run", "SUPPLY_OF_CELL", "supply_split"]

#: which supply net powers each cell class
SUPPLY_OF_CELL = {
    "bitcell8t": "VDDA",
    "compute": "VDDA",
    "rowdrv": "VDDW",
    "ctrldrv": "VDDK",
    "comparator": "VDDC",
}


@dataclass
class CycleResult:
    """Measurements of one compute cycle."""

    count: int  # K, binary products of the group
    code: int  # ADC output
    v_share: float  # V, ADCIN at the end of the share phase
    energy_fJ: dict[str, float]  # per source
    settle_evaluate_ns: float
    settle_share_ns: float


def supply_split(line: str, sar_name: str) -> str:
    """An instance line with its VDD/VPB ports on the supply of its cell (:data:`SUPPLY_OF_CELL`)."""
    tokens = line.split()
    cell = tokens[-1]
    supply = "VDDS" if cell == sar_name else SUPPLY_OF_CELL.get(cell)
    if supply is None or not tokens[0].upper().startswith("X"):
        return line
    return " ".join([tokens[0], *[supply if t == "VDD" else t for t in tokens[1:-1]], cell])


def _settle(t: np.ndarray, v: np.ndarray, t0: float, t1: float, tol: float) -> float:
    """Time (ns) after ``t0`` from which ``v`` stays within ``tol`` of its value at ``t1``."""
    sel = (t >= t0) & (t <= t1)
    ts, vs = t[sel], v[sel]
    if ts.size < 2:
        return float("nan")
    outside = np.flatnonzero(np.abs(vs - vs[-1]) > tol)
    if outside.size == 0:
        return 0.0
    last = outside[-1]
    return float(ts[min(last + 1, ts.size - 1)] - t0)


def simulate_run(
    net: GroupNetlist,
    plan: RunPlan,
    timing: CycleTiming,
    conditions: Conditions,
    *,
    vref: float,
    sar_instance: str,
    sar_name: str,
    lsb_V: float,
    high_V: float,
    keep: str | None = None,
    extra_probes: tuple[str, ...] = (),
) -> list[CycleResult]:
    """Simulate ``plan`` (cycle 0 warms up and is not reported); ``lsb_V`` is the settling tolerance's
    scale (half of it on ADCIN; ``high_V``/2^(B+1) on a discharging compute node)."""
    vdd = conditions.vdd_V
    supplies = {"VDDA": "", "VDDW": "", "VDDK": "", "VDDC": "", "VDDS": "", "VDD": ""}
    deck = Deck(f"acim group {net.rows}x{net.cols} L{net.local_array_size} B{net.adc_bits}", conditions)
    for line in net.lines(plan, vdd):
        deck.add(supply_split(line, sar_name) if line[:1].upper() == "X" else line)
    deck.add(supply_split(sar_instance, sar_name))
    for c in range(net.cols):
        deck.add(f"VBL{c} BL{c} 0 {vdd:g}", f"VBLB{c} BLB{c} 0 {vdd:g}")
    sources = stimulus(timing, plan, vdd, vref, supplies)
    deck.add(*sources)
    cycles = plan.inputs.shape[0]
    stop = cycles * timing.cycle_ns
    names = [ln.split()[0] for ln in sources if ln[:1] == "V"]
    probes = {"adcin": "v(ADCIN0)", **{n.lower(): f"v({n})" for n in extra_probes}}
    bits = net.adc_bits
    for b in range(bits):
        probes[f"dout{b}"] = f"v(DOUT{b}_0)"
    products = plan.products()
    g_probe = [(g, c) for g in range(products.shape[1]) for c in range(net.cols)]
    for g, c in g_probe:
        probes[f"ctop{g}_{c}"] = f"v(CTOP{g}_{c})"
    vectors = (
        list(probes.values())
        + [f"v({_node(ln)})" for ln in sources if ln[:1] == "V"]
        + [f"i({n})" for n in names]
    )
    deck.control = [
        f"tran 0.02n {stop:.4f}n 0 0.5n",
        "set wr_singlescale",
        f"wrdata run.txt {' '.join(vectors)}",
    ]
    result = simulate(deck, outputs=("run.txt",), keep=keep, timeout_s=7200)
    table = result.tables["run.txt"]
    t = table[:, 0] * 1e9
    cols = {name: table[:, i + 1] for i, name in enumerate(probes)}
    if keep is not None:
        np.savez_compressed(
            f"{keep}/waves.npz",
            t=t,
            power=power_of(table, base_of(probes), len(names)),
            names=np.array(names),
            **cols,
        )
    n_src = len(names)
    base = 1 + len(probes)
    volts = table[:, base : base + n_src]
    amps = table[:, base + n_src : base + 2 * n_src]
    power = -(volts * amps)  # W delivered by each source (SPICE source current flows in at +)
    out = []
    for k in range(1, cycles):
        s = timing.starts(k)
        sel = (t >= s["precharge"]) & (t <= s["end"])
        energy = {n: float(np.trapezoid(power[sel, i], t[sel] * 1e-9)) * 1e15 for i, n in enumerate(names)}
        i_end = int(np.searchsorted(t, s["end"] - 0.05))
        code = sum(int(cols[f"dout{b}"][i_end] > vdd / 2) << b for b in range(bits))
        i_share = int(np.searchsorted(t, s["convert"] - 0.01))
        settle_share = _settle(t, cols["adcin"], s["share"] + 0.1, s["convert"] - 0.01, lsb_V / 2)
        evals = [
            _settle(t, cols[f"ctop{g}_{c}"], s["evaluate"] + 0.1, s["share"] - 0.25, high_V / 2 ** (bits + 1))
            for g, c in g_probe
            if products[k, g, c]
        ]
        out.append(
            CycleResult(
                int(products[k].sum()),
                code,
                float(cols["adcin"][i_share]),
                energy,
                float(np.nanmax(evals)) if evals else float("nan"),
                settle_share,
            )
        )
    return out


def base_of(probes: dict[str, str]) -> int:
    """Column of the first source voltage in a run's table."""
    return 1 + len(probes)


def power_of(table: np.ndarray, base: int, n_src: int) -> np.ndarray:
    """Power (W) each source delivers, per time point."""
    return -(table[:, base : base + n_src] * table[:, base + n_src : base + 2 * n_src])


def _node(source_line: str) -> str:
    return re.split(r"\s+", source_line)[1]
