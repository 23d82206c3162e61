"""Testbenches of the cell characterisation: each simulates drawn cells in ngspice and returns numbers.

Transient and capacitance benches use the devices the foundry LVS deck extracts from each cell's GDS
(:func:`eda.acim.extract.extracted_subckt`, with junction areas); the DC benches of the bitcell break its
latch in the schematic (the only netlist in which Q and QB are named). Every bench takes the
:class:`~eda.acim.ngspice.Conditions` (corner, supply, temperature). Units are in the result keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eda.acim.ngspice import Conditions, Deck, simulate

__all__ = [
    "CellNetlists",
    "butterfly",
    "static_noise_margin",
    "bitcell_benches",
    "compute_benches",
    "comparator_benches",
    "driver_benches",
    "sar_benches",
    "full_adder_energy",
    "hold_read_transient",
    "leakage_benches",
    "standby_leakage_nW",
    "STANDBY_LEVELS",
]


@dataclass(frozen=True)
class CellNetlists:
    """Schematic and extracted subcircuits of the library cells the benches need (by role)."""

    schematic: dict[str, str]
    extracted: dict[str, str]
    names: dict[str, str]
    mim_fF: float  # the library's default compute capacitor as the model file sees it (fF)

    @classmethod
    def of(cls, library: object, sar_subckt: str, mim_fF: float) -> CellNetlists:
        """Read the cells of ``library`` (extracting each with the foundry LVS deck)."""
        from eda.acim.extract import extracted_subckt

        schematic, extracted, names = {}, {}, {}
        for role in ("bitcell", "compute", "colper", "adc", "row_driver", "ctrl_driver"):
            info = library.role(role)  # type: ignore[attr-defined]
            names[role] = info.name
            schematic[role] = Path(info.spice).read_text()
            extracted[role] = extracted_subckt(info.gds, info.spice, info.name, list(info.ports))
        schematic["sar"] = extracted["sar"] = sar_subckt
        names["sar"] = sar_subckt.split()[1]
        return cls(schematic, extracted, names, mim_fF)


def _run(deck: Deck, *outputs: str) -> dict[str, np.ndarray]:
    result = simulate(deck, outputs=outputs)
    return {name: result.table(name) for name in outputs}


# -- bitcell -------------------------------------------------------------------------------------------
def _half_cell(schematic: str, out: str, inp: str) -> list[str]:
    """The devices of the bitcell driving ``out`` (its inverter and access device), gate ``inp`` -> IN."""
    lines = []
    for line in schematic.splitlines():
        parts = line.split()
        if not parts or parts[0][:1] != "M" or out not in (parts[1], parts[3]):
            continue
        parts = [
            parts[0],
            *["IN" if t == inp and i == 2 else t for i, t in enumerate(parts[1:5], 1)],
            *parts[5:],
        ]
        lines.append(" ".join(parts))
    return lines


def butterfly(
    cells: CellNetlists, cond: Conditions, *, read: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two inverter transfer curves of the bitcell: ``(vin, QB(Q=vin), Q(QB=vin))`` in volts.

    ``read``: word line on with both bit lines at VDD (a half-selected cell during a write of its row);
    else word line off (hold).
    """
    vdd = cond.vdd_V
    sch = cells.schematic["bitcell"]
    deck = Deck("bitcell butterfly", cond)
    wl = vdd if read else 0.0
    deck.add(
        f"VDD VDD 0 {vdd:g}",
        "VSS VSS 0 0",
        "VNB VNB 0 0",
        f"VPB VPB 0 {vdd:g}",
        f"VWL WL 0 {wl:g}",
        f"VBL BL 0 {vdd:g}",
        f"VBLB BLB 0 {vdd:g}",
        "VIN IN 0 0",
    )
    a = _half_cell(sch, "QB", "Q")
    b = [ln.replace("IN", "IN2") for ln in _half_cell(sch, "Q", "QB")]
    deck.add(*a)
    deck.add(*[" ".join("Q2" if t == "Q" else t for t in ln.split()) for ln in b], "EIN2 IN2 0 IN 0 1")
    deck.control = [f"dc VIN 0 {vdd:g} {vdd / 360:.5f}", "set wr_singlescale", "wrdata bf.txt v(QB) v(Q2)"]
    t = _run(deck, "bf.txt")["bf.txt"]
    return t[:, 0], t[:, 1], t[:, 2]


def static_noise_margin(vin: np.ndarray, f: np.ndarray, g: np.ndarray) -> float:
    """Seevinck's static noise margin (V): the side of the largest square that fits in the smaller lobe of
    the butterfly formed by ``y = f(x)`` and ``x = g(y)`` (both curves sampled at ``vin``).

    A square between the curves has its diagonal on a line parallel to y = x; along such a line (offset
    ``w`` across the diagonal) the curves lie ``d(w)`` apart and the square's side is d/√2. Each lobe's
    margin is the largest side on its side of the diagonal; the cell's is the smaller of the two.
    """
    s = math.sqrt(0.5)
    w1, z1 = (f - vin) * s, (vin + f) * s
    w2, z2 = (vin - g) * s, (g + vin) * s
    lo, hi = max(w1.min(), w2.min()), min(w1.max(), w2.max())
    grid = np.linspace(lo, hi, 4001)
    o1, o2 = np.argsort(w1), np.argsort(w2)
    d = np.abs(np.interp(grid, w1[o1], z1[o1]) - np.interp(grid, w2[o2], z2[o2])) * s
    upper, lower = d[grid > 0], d[grid < 0]
    if not upper.size or not lower.size:
        return 0.0
    return float(min(upper.max(), lower.max()))


def _write_margin(cells: CellNetlists, cond: Conditions) -> float:
    """Bit-line voltage (V) at which a cell holding Q = 1 flips when BL is pulled down (WL on, BLB high)."""
    vdd = cond.vdd_V
    deck = Deck("bitcell write margin", cond)
    deck.add(
        cells.schematic["bitcell"],
        f"VDD VDD 0 {vdd:g}",
        "VSS VSS 0 0",
        "VNB VNB 0 0",
        f"VPB VPB 0 {vdd:g}",
        f"VWL WL 0 {vdd:g}",
        "VRWL RWL 0 0",
        f"VBLB BLB 0 {vdd:g}",
        f"VBL BL 0 {vdd:g}",
        "VL LRBL 0 0",
        "VC CBL 0 0",
        f"X1 BL BLB CBL LRBL WL RWL VDD VSS VPB VNB {cells.names['bitcell']}",
        f".nodeset v(x1.q)={vdd:g} v(x1.qb)=0",
    )
    deck.control = [f"dc VBL {vdd:g} 0 -{vdd / 360:.5f}", "set wr_singlescale", "wrdata wm.txt v(x1.q)"]
    t = _run(deck, "wm.txt")["wm.txt"]
    flipped = np.flatnonzero(t[:, 1] < vdd / 2)
    return float(t[flipped[0], 0]) if flipped.size else 0.0


def _charge_cap(
    subckt: str,
    name: str,
    ports: str,
    fixed: list[str],
    node_source: str,
    cond: Conditions,
    v0: float,
    v1: float,
) -> float:
    """Capacitance (fF) a port presents: charge drawn by a ramp of it from ``v0`` to ``v1`` / (v1 - v0)."""
    deck = Deck(f"cap {name}", cond)
    deck.add(
        subckt,
        *fixed,
        f"X1 {ports} {name}",
        f"VQ {node_source} 0 PWL(0 {v0:g} 1n {v0:g} 3n {v1:g} 4n {v1:g})",
    )
    deck.control = ["tran 0.01n 4n", "set wr_singlescale", "wrdata q.txt i(VQ)"]
    t = _run(deck, "q.txt")["q.txt"]
    charge = -np.trapezoid(t[:, 1], t[:, 0])
    return float(charge / (v1 - v0) * 1e15)


def bitcell_benches(cells: CellNetlists, cond: Conditions) -> dict[str, float | list]:
    """Hold/read static noise margins (butterflies), write margin, read-port current, the read word line's
    gate load and the read port's junction on the local bit line, per cell."""
    vdd = cond.vdd_V
    out: dict[str, float | list] = {}
    for read in (False, True):
        vin, f, g = butterfly(cells, cond, read=read)
        key = "read" if read else "hold"
        out[f"{key}_snm_mV"] = static_noise_margin(vin, f, g) * 1e3
        step = max(1, len(vin) // 60)
        out[f"{key}_butterfly_V"] = [
            [round(float(a), 4), round(float(b), 4), round(float(c), 4)]
            for a, b, c in zip(vin[::step], f[::step], g[::step], strict=True)
        ]
    out["write_margin_mV"] = _write_margin(cells, cond) * 1e3
    name = cells.names["bitcell"]
    ext = cells.extracted["bitcell"]
    deck = Deck("read current", cond)
    deck.add(
        cells.schematic["bitcell"],
        f"VDD VDD 0 {vdd:g}",
        "VSS VSS 0 0",
        "VNB VNB 0 0",
        f"VPB VPB 0 {vdd:g}",
        "VWL WL 0 0",
        f"VRWL RWL 0 {vdd:g}",
        f"VBL BL 0 {vdd:g}",
        f"VBLB BLB 0 {vdd:g}",
        f"VL LRBL 0 {vdd:g}",
        "VC CBL 0 0",
        f"X1 BL BLB CBL LRBL WL RWL VDD VSS VPB VNB {name}",
        f".nodeset v(x1.q)={vdd:g} v(x1.qb)=0",
    )
    deck.control = [f"dc VL {vdd:g} 0 -{vdd / 90:.5f}", "set wr_singlescale", "wrdata rc.txt i(VL)"]
    t = _run(deck, "rc.txt")["rc.txt"]
    out["read_current_uA"] = float(-t[0, 1] * 1e6)
    i_half = float(-np.interp(vdd / 4, t[::-1, 0], t[::-1, 1]))
    out["read_port_ohm"] = (vdd / 4) / i_half if i_half > 0 else float("inf")
    base = [
        f"VDD VDD 0 {vdd:g}",
        "VSS VSS 0 0",
        f"VBL BL 0 {vdd:g}",
        f"VBLB BLB 0 {vdd:g}",
        "VC CBL 0 0",
        "VWL WL 0 0",
        f"VPB VPB 0 {vdd:g}",
        "VNB VNB 0 0",
    ]
    rwl = [
        _charge_cap(
            ext,
            name,
            "BL BLB CBL LRBL WL RWL VDD VSS VPB VNB",
            [*base, f"VL LRBL 0 {vdd:g}"],
            "RWL",
            cond,
            0.0,
            vdd,
        )
        for _ in (0,)
    ]
    out["rwl_gate_cap_fF"] = rwl[0]
    out["lrbl_junction_cap_fF"] = _charge_cap(
        ext, name, "BL BLB CBL LRBL WL RWL VDD VSS VPB VNB", [*base, "VR RWL 0 0"], "LRBL", cond, 0.0, vdd
    )
    return out


#: each cell's ports in the macro's standby (between operations: word lines and column switches off, the
#: local read lines precharged, comparator clock low, SAR in reset) as fractions of VDD; ports not listed
#: are left to the cell (outputs, nodes it sets itself)
STANDBY_LEVELS = {
    "bitcell": {"WL": 0.0, "RWL": 0.0, "BL": 1.0, "BLB": 1.0, "LRBL": 1.0, "CBL": 0.0},
    "compute": {"PCHB": 0.0, "EN": 1.0, "SH": 0.0, "RST": 0.0},
    "row_driver": {"WLN": 1.0, "XN": 1.0},
    "ctrl_driver": {"PCHN": 1.0, "ENN": 0.0, "SHN": 1.0, "RSTN": 1.0},
    "adc": {"CLK": 0.0, "ADCIN": 0.5, "VREF": 0.5},
    "sar": {"CLK": 0.0, "RST": 1.0, "OUTP": 1.0, "OUTN": 1.0},
}


def standby_leakage_nW(cells: CellNetlists, role: str, cond: Conditions) -> float:
    """Static power (nW) a cell of ``role`` draws at DC in the standby of :data:`STANDBY_LEVELS`: the sum
    over the sources above 0 V (supply, body ties, driven ports) of voltage times the current they deliver.
    The bitcell holds a 1 (a node set on its latch)."""
    from eda.acim.extract import parse_subckts

    vdd = cond.vdd_V
    text = cells.schematic[role]
    levels = {
        "VDD": vdd,
        "VPB": vdd,
        "VSS": 0.0,
        "VNB": 0.0,
        **{port: fraction * vdd for port, fraction in STANDBY_LEVELS[role].items()},
    }
    ports = parse_subckts(text)[cells.names[role]][0]
    driven = [p for p in ports if p in levels]
    deck = Deck(f"{role} standby leakage", cond)
    deck.options += " gmin=1e-16"  # the default 1e-12 S on every junction would add ~1.8 pA per node
    deck.add(
        text, *(f"V{p} {p} 0 {levels[p]:g}" for p in driven), f"X1 {' '.join(ports)} {cells.names[role]}"
    )
    if role == "bitcell":
        deck.add(f".nodeset v(x1.q)={vdd:g} v(x1.qb)=0")
    high = [p for p in driven if levels[p] > 0]
    deck.control = ["op", "set wr_singlescale", f"wrdata lk.txt {' '.join(f'i(V{p})' for p in high)}"]
    row = _run(deck, "lk.txt")["lk.txt"][-1]
    currents = row[len(row) - len(high) :]
    return float(-sum(levels[p] * i for p, i in zip(high, currents, strict=True)) * 1e9)


def leakage_benches(cells: CellNetlists, cond: Conditions) -> dict[str, float]:
    """Standby leakage power (nW) of one cell of every role (:func:`standby_leakage_nW`); ``sar`` is the
    characterised SAR logic block."""
    return {f"{role}_nW": standby_leakage_nW(cells, role, cond) for role in STANDBY_LEVELS}


def hold_read_transient(cells: CellNetlists, cond: Conditions) -> dict[str, bool]:
    """Does a cell holding 1 and one holding 0 keep its value through compute reads (RWL pulses with the
    local bit line precharged) and half-selected write cycles (WL pulses, bit lines at VDD)?"""
    vdd = cond.vdd_V
    name = cells.names["bitcell"]
    deck = Deck("bitcell hold/read transient", cond)
    deck.add(
        cells.schematic["bitcell"],
        f"VDD VDD 0 {vdd:g}",
        "VSS VSS 0 0",
        "VNB VNB 0 0",
        f"VPB VPB 0 {vdd:g}",
        f"VBL BL 0 {vdd:g}",
        f"VBLB BLB 0 {vdd:g}",
        "VC CBL 0 0",
        f"VRWL RWL 0 PULSE(0 {vdd:g} 1n 50p 50p 2n 5n)",
        f"VWL WL 0 PULSE(0 {vdd:g} 3.5n 50p 50p 1n 5n)",
        f"VP P 0 PULSE({vdd:g} 0 0.2n 50p 50p 0.6n 5n)",  # precharge, then read (no overlap)
        "MP1 L1 P VDD VPB sky130_fd_pr__pfet_01v8 w=0.42u l=0.15u",
        "MP0 L0 P VDD VPB sky130_fd_pr__pfet_01v8 w=0.42u l=0.15u",
        "CL1 L1 0 5f",
        "CL0 L0 0 5f",
        f"X1 BL BLB CBL L1 WL RWL VDD VSS VPB VNB {name}",
        f"X0 BL BLB CBL L0 WL RWL VDD VSS VPB VNB {name}",
        f".ic v(x1.q)={vdd:g} v(x1.qb)=0 v(x0.q)=0 v(x0.qb)={vdd:g}",
    )
    deck.control = ["tran 0.02n 20n", "set wr_singlescale", "wrdata hr.txt v(x1.q) v(x0.q) v(L1) v(L0)"]
    t = _run(deck, "hr.txt")["hr.txt"]
    holds_one = bool(np.all(t[:, 1] > vdd / 2))
    holds_zero = bool(np.all(t[:, 2] < vdd / 2))
    # the 1 discharges its line, the 0 not: read lines judged once the first precharge has set them (0.9 ns)
    after = t[:, 0] >= 0.9e-9
    reads = bool(t[after, 3].min() < vdd / 4 and t[after, 4].min() > vdd / 2)
    return {
        "holds_one": holds_one,
        "holds_zero": holds_zero,
        "reads": reads,
        "min_q_one_V": float(t[:, 1].min()),
        "max_q_zero_V": float(t[:, 2].max()),
    }


# -- compute cell ----------------------------------------------------------------------------------------
def compute_benches(
    cells: CellNetlists, cond: Conditions, times_ns: tuple[float, ...]
) -> dict[str, float | list]:
    """Charge level of the compute node after a precharge of ``times_ns`` (from 0 V, through EN), its and
    the local bit line's junction capacitance, the share switch's channel capacitance when on, switch
    on-resistance over the signal range, charge injection of EN turning off, and the gate load of each
    control line."""
    vdd = cond.vdd_V
    name, ext = cells.names["compute"], cells.extracted["compute"]
    ports = "LRBL CTOP CBL PCHB EN SH RST VDD VSS VPB VNB"
    cap = f"CM CTOP 0 {cells.mim_fF:g}f"
    out: dict[str, float | list] = {}
    stop = max(times_ns) + 1.0
    deck = Deck("compute precharge", cond)
    deck.add(
        ext,
        cap,
        f"VDD VDD 0 {vdd:g}",
        "VSS VSS 0 0",
        "VNB VNB 0 0",
        f"VPB VPB 0 {vdd:g}",
        "VC CBL 0 0",
        "VSH SH 0 0",
        "VRST RST 0 0",
        f"VEN EN 0 PWL(0 0 0.5n 0 0.55n {vdd:g})",
        f"VPCH PCHB 0 PWL(0 {vdd:g} 0.5n {vdd:g} 0.55n 0)",
        f"X1 {ports} {name}",
        ".ic v(CTOP)=0 v(LRBL)=0",
    )
    deck.control = [f"tran 0.01n {stop:g}n", "set wr_singlescale", "wrdata pc.txt v(CTOP)"]
    t = _run(deck, "pc.txt")["pc.txt"]
    levels = [float(np.interp((0.55 + x) * 1e-9, t[:, 0], t[:, 1])) for x in times_ns]
    out["charge_level_V"] = [[float(x), round(v, 5)] for x, v in zip(times_ns, levels, strict=True)]
    base = [f"VDD VDD 0 {vdd:g}", "VSS VSS 0 0", "VNB VNB 0 0", f"VPB VPB 0 {vdd:g}", "VC CBL 0 0"]
    off = ["VSH SH 0 0", "VRST RST 0 0", "VEN EN 0 0", f"VPCH PCHB 0 {vdd:g}"]
    level = levels[len(levels) // 2]
    out["ctop_junction_cap_fF"] = _charge_cap(
        ext, name, ports, [*base, *off, "VL LRBL 0 0"], "CTOP", cond, 0.0, level
    )
    out["lrbl_junction_cap_fF"] = _charge_cap(
        ext, name, ports, [*base, *off, "VT CTOP 0 0"], "LRBL", cond, 0.0, vdd
    )
    out["cbl_junction_cap_fF"] = _charge_cap(
        ext, name, ports, [*base[:4], *off, "VT CTOP 0 0", "VL LRBL 0 0"], "CBL", cond, 0.0, level
    )
    # the share switch's inverted channel as a conversion sees it: CTOP and CBL tied, ramped across the
    # comparator's decision range (0.7-0.8 V, where VREF sits) with SH on, less the same with SH off
    tied = [*base[:4], "VRST RST 0 0", "VEN EN 0 0", f"VPCH PCHB 0 {vdd:g}", "VL LRBL 0 0", "VTIE CBL CTOP 0"]
    on, off_ = (
        _charge_cap(ext, name, ports, [*tied, f"VSH SH 0 {v:g}"], "CTOP", cond, 0.7, 0.8) for v in (vdd, 0.0)
    )
    out["sh_channel_cap_fF"] = on - off_
    for line in ("PCHB", "EN", "SH"):
        others = [s for s in off if f" {line} " not in s]
        out[f"{line.lower()}_gate_cap_fF"] = _charge_cap(
            ext, name, ports, [*base, *others, "VL LRBL 0 0", "VT CTOP 0 0"], line, cond, 0.0, vdd
        )
    # on-resistance of the share switch (SH: CTOP-CBL) over the signal range: 20 mV across it
    deck = Deck("switch on-resistance", cond)
    deck.add(
        ext,
        *base[:4],
        f"VSH SH 0 {vdd:g}",
        "VRST RST 0 0",
        "VEN EN 0 0",
        f"VPCH PCHB 0 {vdd:g}",
        "VL LRBL 0 0",
        "VT CTOP 0 0",
        "VB CBL2 0 0.02",
        "EB CBL CBL2 CTOP 0 1",
        f"X1 {ports.replace('CBL', 'CBL')} {name}",
    )
    deck.lines = [ln for ln in deck.lines if not ln.startswith("VC ")]
    deck.control = [f"dc VT 0 {level:g} {level / 40:.5f}", "set wr_singlescale", "wrdata ron.txt i(VB)"]
    t = _run(deck, "ron.txt")["ron.txt"]
    ron = 0.02 / np.abs(t[:, 1])
    out["switch_ron_ohm_vs_V"] = [
        [round(float(v), 4), round(float(r), 1)] for v, r in zip(t[::4, 0], ron[::4], strict=True)
    ]
    out["switch_ron_ohm"] = float(np.mean(ron))
    # charge injection of EN turning off (CTOP at 0 and at the charge level), the ctrl driver's edge
    inj = []
    for v0 in (0.0, level):
        deck = Deck("charge injection", cond)
        deck.add(
            ext,
            cap,
            *base,
            "VSH SH 0 0",
            "VRST RST 0 0",
            f"VPCH PCHB 0 {vdd:g}",
            f"VEN EN 0 PWL(0 {vdd:g} 1n {vdd:g} 1.1n 0)",
            f"VL LRBL 0 {v0:g}",
            f"X1 {ports} {name}",
            f".ic v(CTOP)={v0:g}",
        )
        deck.control = ["tran 0.005n 3n", "set wr_singlescale", "wrdata inj.txt v(CTOP)"]
        t = _run(deck, "inj.txt")["inj.txt"]
        dv = float(t[-1, 1] - np.interp(0.9e-9, t[:, 0], t[:, 1]))
        inj.append(dv * (cells.mim_fF + float(out["ctop_junction_cap_fF"])))  # fC
    out["injection_fC_at_0V"], out["injection_fC_at_level"] = inj
    en = next(ln for ln in ext.splitlines() if ln[:1] == "M" and ln.split()[2] == "EN")
    size = {p.split("=")[0].lower(): float(p.split("=")[1]) for p in en.split()[6:] if "=" in p}
    out["switch_gate_area_um2"] = size["w"] * size["l"]
    return out


# -- comparator ------------------------------------------------------------------------------------------
#: wire capacitance (fF) on each comparator output in the macro: the cell's own output wiring (0.84 fF
#: drawn) and the drop to its receiver in the SAR block's top row (tests/acim/test_sar.py bounds it)
COMPARATOR_WIRE_FF = 4.0
#: how long (ns) the delay bench lets the comparator decide (a slower decision counts as none)
DECISION_WINDOW_NS = 10.0


def comparator_benches(
    cells: CellNetlists,
    cond: Conditions,
    cm_V: tuple[float, ...],
    *,
    avt_mV_um: float,
    trials: int,
    seed: int,
) -> dict[str, float | list]:
    """Decision delay and energy per decision vs input common mode (1 mV overdrive), the lowest common
    mode that decides within :data:`DECISION_WINDOW_NS`, the input capacitance and the offset spread from
    transistor mismatch (``trials`` comparators, ΔVth ~ N(0, A_VT/√(WL)) per device; the offset run
    compares around 0.9 V).

    The delay bench loads each output as the macro does: :data:`COMPARATOR_WIRE_FF` of wire (the bound
    tests/acim/test_sar.py checks on generated macros) and the SAR logic's receiving inverter
    (``sky130_fd_sc_hd__inv_1``); the delay runs from the clock edge to the receivers' outputs differing by
    VDD/2, when the SAR's code register can sample the decision."""
    from eda.acim.celllib.sar import SUPPLY_PINS
    from eda.acim.celllib.stdcells import load_cell

    vdd = cond.vdd_V
    name, ext = cells.names["adc"], cells.extracted["adc"]
    receiver = load_cell("inv_1")  # on its own supply: its energy is the SAR logic's (sar_benches)
    receiver_supply = {pin: "VDDR" if net == "VDD" else net for pin, net in SUPPLY_PINS.items()}
    out: dict[str, float | list] = {}
    table = []
    high = DECISION_WINDOW_NS
    for cm in cm_V:  # clock high for the decision window, low as long; the second decision is measured
        deck = Deck("comparator delay", cond)
        deck.add(
            ext,
            f"VDD VDD 0 {vdd:g}",
            "VSS VSS 0 0",
            "VNB VNB 0 0",
            f"VREF VREF 0 {cm:g}",
            f"VIN ADCIN 0 {cm + 1e-3:g}",
            f"VCLK CLK 0 PULSE(0 {vdd:g} 0.5n 50p 50p {high:g}n {2 * high:g}n)",
            f"X1 ADCIN VREF CLK OUTP OUTN VDD VSS VDD VSS {name}",
            f"VDDR VDDR 0 {vdd:g}",
            f"CP OUTP 0 {COMPARATOR_WIRE_FF:g}f",
            f"CN OUTN 0 {COMPARATOR_WIRE_FF:g}f",
            receiver.spice,
            *[
                f"XR{node} "
                + " ".join(
                    {"A": node, "Y": f"R{node}"}.get(p, receiver_supply.get(p, p)) for p in receiver.ports
                )
                + f" {receiver.name}"
                for node in ("OUTP", "OUTN")
            ],
        )
        deck.control = [
            f"tran 0.01n {4 * high + 0.5:g}n",
            "set wr_singlescale",
            "wrdata cd.txt v(ROUTN) v(ROUTP) i(VDD)",
        ]
        t = _run(deck, "cd.txt")["cd.txt"]
        ts, diff = t[:, 0], t[:, 2] - t[:, 1]
        t_edge = (2 * high + 0.5) * 1e-9
        sel = (ts > t_edge) & (ts < t_edge + high * 1e-9)
        crossing = np.flatnonzero(sel & (np.abs(diff) > vdd / 2))
        delay = float(ts[crossing[0]] - t_edge - 25e-12) * 1e12 if crossing.size else float("inf")
        cyc = ts >= t_edge
        energy = float(-np.trapezoid(t[cyc, 3], ts[cyc]) * vdd * 1e15)
        correct = bool(crossing.size and diff[crossing[0]] > 0)  # ADCIN > VREF: OUTP low, its receiver high
        table.append([cm, round(delay, 2), round(energy, 3), correct])
    out["delay_ps_energy_fJ_vs_cm"] = table
    ok = [row for row in table if row[3] and np.isfinite(row[1])]
    out["min_input_cm_V"] = float(min(r[0] for r in ok)) if ok else float("nan")
    nominal = min(table, key=lambda r: abs(r[0] - 0.75))
    out["delay_ps"], out["energy_fJ"] = float(nominal[1]), float(nominal[2])
    # offset: each trial comparator sees ADCIN - VREF stepping by 1 mV per clock cycle from -24 to +24 mV
    rng = np.random.default_rng(seed)
    devices = [ln for ln in ext.splitlines() if ln[:1] == "M"]
    deck = Deck("comparator offset", cond)
    deck.add(
        f"VDD VDD 0 {vdd:g}",
        "VSS VSS 0 0",
        "VREF VREF 0 0.9",
        f"VCLK CLK 0 PULSE(0 {vdd:g} 0.5n 50p 50p 0.95n 2n)",
    )
    steps = 49
    ramp = " ".join(
        f"{(2 * k) + 0.0:.1f}n {0.9 + (k - 24) * 1e-3:.4f} {(2 * k) + 1.999:.3f}n {0.9 + (k - 24) * 1e-3:.4f}"
        for k in range(steps)
    )
    deck.add(f"VIN ADCIN 0 PWL({ramp})")
    for m in range(trials):
        for line in devices:
            parts = line.split()
            params = {p.split("=")[0].lower(): float(p.split("=")[1]) for p in parts[6:] if "=" in p}
            sigma = avt_mV_um * 1e-3 / math.sqrt(params["w"] * params["l"])
            nets = ["VDD" if t == "VPB" else "VSS" if t == "VNB" else t for t in parts[1:5]]
            nets = [f"{t}_{m}" if t not in ("VDD", "VSS", "ADCIN", "VREF", "CLK") else t for t in nets]
            deck.add(" ".join([f"{parts[0]}_{m}", *nets, *parts[5:], f"delvto={rng.normal(0, sigma):.5f}"]))
    vectors = " ".join(f"v(OUTN_{m})" for m in range(trials))
    deck.control = [f"tran 0.05n {2 * steps}n", "set wr_singlescale", f"wrdata off.txt {vectors}"]
    t = _run(deck, "off.txt")["off.txt"]
    offsets = []
    for m in range(trials):
        samples = [
            float(np.interp((2 * k + 1.4) * 1e-9, t[:, 0], t[:, m + 1])) > vdd / 2 for k in range(steps)
        ]
        first = next((k for k, s in enumerate(samples) if s), steps)
        offsets.append((first - 24 - 0.5) * 1e-3)
    out["offset_sigma_mV"] = float(np.std(offsets) * 1e3)
    out["offset_mean_mV"] = float(np.mean(offsets) * 1e3)
    base = [f"VDD VDD 0 {vdd:g}", "VSS VSS 0 0", "VNB VNB 0 0", "VCLK CLK 0 0", "VREF VREF 0 0.75"]
    out["input_cap_fF"] = _charge_cap(
        ext, name, "ADCIN VREF CLK OUTP OUTN VDD VSS VDD VSS", base, "ADCIN", cond, 0.5, 1.0
    )
    return out


# -- drivers ---------------------------------------------------------------------------------------------
def driver_benches(cells: CellNetlists, cond: Conditions, loads_fF: tuple[float, float]) -> dict[str, float]:
    """Row driver (RWL output) and control driver (EN output): 10-90 % rise time at two loads, the output
    resistance from their difference (t_r = 2.2·R·C), the input-to-50 % delay extrapolated to no load and
    the driver's own energy of one up-down cycle (the load's C·VDD² taken out)."""
    vdd = cond.vdd_V
    out: dict[str, float] = {}
    for role, inp, outp, ports in (
        ("row_driver", "XN", "RWL", "WLN XN WL RWL VDD VSS VDD VSS"),
        ("ctrl_driver", "ENN", "EN", "PCHN ENN SHN RSTN PCHB EN SH RST VDD VSS VDD VSS"),
    ):
        rises, delays, energy = [], [], 0.0
        for load in loads_fF:
            deck = Deck(f"{role} slew", cond)
            deck.add(
                cells.extracted[role],
                f"VDD VDD 0 {vdd:g}",
                "VSS VSS 0 0",
                *[f"V{n} {n} 0 {vdd:g}" for n in ("WLN", "PCHN", "SHN", "RSTN") if n in ports.split()],
                f"VI {inp} 0 PULSE({vdd:g} 0 0.5n 50p 50p 2n 4n)",
                f"X1 {ports} {cells.names[role]}",
                f"CL {outp} 0 {load:g}f",
            )
            deck.control = ["tran 0.002n 4.5n", "set wr_singlescale", f"wrdata dr.txt v({outp}) i(VDD)"]
            t = _run(deck, "dr.txt")["dr.txt"]
            ts, v = t[:, 0], t[:, 1]
            rise = ts > 0.5e-9
            t10 = ts[rise][np.argmax(v[rise] > 0.1 * vdd)]
            t50 = ts[rise][np.argmax(v[rise] > 0.5 * vdd)]
            t90 = ts[rise][np.argmax(v[rise] > 0.9 * vdd)]
            rises.append(float(t90 - t10))
            delays.append(float(t50 - 0.525e-9))
            energy = float(-np.trapezoid(t[:, 2], ts) * vdd * 1e15)
        key = "row_driver" if role == "row_driver" else "ctrl_driver"
        out[f"{key}_rise_ps"] = rises[-1] * 1e12
        out[f"{key}_ohm"] = (rises[1] - rises[0]) / (2.2 * (loads_fF[1] - loads_fF[0]) * 1e-15)
        out[f"{key}_energy_fJ"] = energy - loads_fF[-1] * vdd**2  # the driver's own (short-circuit, internal)
        slope = (delays[1] - delays[0]) / (loads_fF[1] - loads_fF[0])
        out[f"{key}_intrinsic_delay_ps"] = (
            delays[0] - slope * loads_fF[0]
        ) * 1e12  # input to 50 % at no load
    return out


# -- SAR logic -------------------------------------------------------------------------------------------
def sar_benches(
    cells: CellNetlists, cond: Conditions, ports: list[str], adc_bits: int, period_ns: float, seed: int
) -> dict[str, float]:
    """One conversion of the SAR logic with random comparator decisions and its DAC lines on 1 fF: energy
    per clock edge (logic and clock input; the DAC line loads are the CDAC's), clock-to-token delay and the
    clock input's capacitance."""
    vdd = cond.vdd_V
    rng = np.random.default_rng(seed)
    deck = Deck("sar logic", cond)
    name = cells.names["sar"]
    deck.add(cells.extracted["sar"], f"VDD VDD 0 {vdd:g}", "VSS VSS 0 0")
    t_start = 1.0
    edges = [t_start + period_ns * (j + 1) for j in range(adc_bits + 1)]
    clk = ["0 0"] + [
        f"{t:.3f}n 0 {t + 0.05:.3f}n {vdd:g} {t + period_ns / 2:.3f}n {vdd:g} {t + period_ns / 2 + 0.05:.3f}n 0"
        for t in edges
    ]
    deck.add(
        f"VCK CLK 0 PWL({' '.join(clk)})",
        f"VR RST 0 PWL(0 {vdd:g} {t_start:.3f}n {vdd:g} {t_start + 0.05:.3f}n 0)",
    )
    outn = ["0 0"]
    for j in range(adc_bits):  # a decision valid from the middle of period j+1 to a quarter after its edge
        t0 = edges[j] + period_ns / 2
        level = vdd if rng.random() < 0.5 else 0.0
        outn += [
            f"{t0:.3f}n {vdd:g}",
            f"{t0 + 0.1:.3f}n {level:g}",
            f"{edges[j + 1] + period_ns / 4:.3f}n {level:g}",
            f"{edges[j + 1] + period_ns / 4 + 0.1:.3f}n {vdd:g}",
        ]
    deck.add(f"VON OUTN 0 PWL({' '.join(outn[1:]) if len(outn) > 1 else '0 0'})", f"VOP OUTP 0 {vdd:g}")
    conn = {p: p for p in ports}
    conn.update({"VPB": "VDD", "VNB": "VSS"})
    deck.add(f"X1 {' '.join(conn[p] for p in ports)} {name}")
    for p in ports:
        if p.startswith("DB") or p.startswith("DOUT"):
            deck.add(f"C{p} {p} 0 1f")
    stop = edges[-1] + period_ns
    deck.control = [
        f"tran 0.005n {stop:.3f}n",
        "set wr_singlescale",
        f"wrdata sar.txt i(VDD) i(VCK) v(CLK) v(x1.T{adc_bits - 1})",
    ]
    t = _run(deck, "sar.txt")["sar.txt"]
    ts = t[:, 0]
    window = (ts * 1e9 >= edges[0] - 0.2) & (ts * 1e9 <= stop)
    e_vdd = float(-np.trapezoid(t[window, 1], ts[window]) * vdd)
    e_clk = float(-np.trapezoid(t[window, 2] * t[window, 3], ts[window]))
    out = {"energy_per_edge_fJ": (e_vdd + e_clk) * 1e15 / (adc_bits + 1)}
    token = t[:, 4]
    i_edge = np.flatnonzero(ts * 1e9 > edges[0])
    rise = i_edge[np.argmax(token[i_edge] > vdd / 2)]
    out["clk_to_q_ps"] = float(ts[rise] - (edges[0] + 0.025) * 1e-9) * 1e12
    clock_q = float(np.trapezoid(np.clip(-t[:, 2], 0, None), ts))
    out["clock_cap_fF"] = clock_q / vdd * 1e15 / (adc_bits + 1)
    return out


_MIRROR_ADDER = """.subckt fa A B CI S CO VDD VSS
MP1 n1 A VDD VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP2 n1 B VDD VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP3 COB CI n1 VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP4 n2 B VDD VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP5 COB A n2 VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MN1 n3 A VSS VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN2 n3 B VSS VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN3 COB CI n3 VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN4 n4 B VSS VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN5 COB A n4 VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MP6 n5 A VDD VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP7 n5 B VDD VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP8 n5 CI VDD VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP9 SB COB n5 VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP10 n6 A VDD VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP11 n7 B n6 VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MP12 SB CI n7 VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MN6 n8 A VSS VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN7 n8 B VSS VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN8 n8 CI VSS VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN9 SB COB n8 VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN10 n9 A VSS VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN11 n10 B n9 VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MN12 SB CI n10 VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MP13 CO COB VDD VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MN13 CO COB VSS VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
MP14 S SB VDD VDD sky130_fd_pr__pfet_01v8 w=0.84u l=0.15u
MN14 S SB VSS VSS sky130_fd_pr__nfet_01v8 w=0.42u l=0.15u
.ends fa
"""


def full_adder_energy(cond: Conditions, seed: int, vectors: int = 40, period_ns: float = 2.0) -> float:
    """Energy (fJ) per addition of a 28-transistor mirror full adder (the digital shift-add's bit cell,
    not drawn in the macro) driving a copy of itself, random inputs at one per ``period_ns``."""
    vdd = cond.vdd_V
    rng = np.random.default_rng(seed)
    deck = Deck("full adder", cond)
    deck.add(_MIRROR_ADDER, f"VDD VDD 0 {vdd:g}", "VSS VSS 0 0", f"VDD2 VDD2 0 {vdd:g}")
    for net in ("A", "B", "CI"):
        bits = rng.integers(0, 2, vectors)
        pts = " ".join(
            f"{k * period_ns + 0.05:.3f}n {vdd * b:g} {(k + 1) * period_ns:.3f}n {vdd * b:g}"
            for k, b in enumerate(bits)
        )
        deck.add(f"V{net} {net} 0 PWL(0 0 {pts})")
    deck.add("X1 A B CI S CO VDD VSS fa", "X2 S CO S S2 CO2 VDD2 VSS fa")
    deck.control = [f"tran 0.01n {vectors * period_ns:g}n", "set wr_singlescale", "wrdata fa.txt i(VDD)"]
    t = _run(deck, "fa.txt")["fa.txt"]
    return float(-np.trapezoid(t[:, 1], t[:, 0]) * vdd * 1e15 / vectors)
