"""The ngspice deck of one ADC group of a generated macro: extracted devices, wire capacitance, stimulus.

:func:`group_netlist` turns the macro netlist the generator wrote (and whose layout the foundry LVS deck
matches) into a simulation netlist of ADC group 0:

* every library cell is replaced by the devices the foundry LVS deck extracts from its GDS
  (:func:`eda.acim.extract.extracted_subckt`: drawn W/L and junction areas/perimeters), the MIM
  capacitors keep their drawn plate area and perimeter (the model file's ``camimc``·A + ``cpmimc``·P), the
  SAR logic is its transistor netlist;
* each top-level net gets its wire capacitance to ground as drawn (``wire_caps``, from
  :func:`eda.acim.wirecap.net_capacitance`);
* a run computes with one row per local array (:class:`RunPlan`): those rows keep their whole 8T
  bitcells (storage latch initialised to the weight) and their row drivers; the bitcells of the other
  rows only load the local read bit line through their read port (RWL low) and are merged, per local
  array, column and stored value, into one read-port pair with the multiplicity ``m`` of the identical
  devices they replace (exact for identical devices at identical bias; their storage latches and word
  lines do not take part in a computation).

:func:`stimulus` writes the sources of the clocked compute cycle (:class:`CycleTiming`)::

    precharge  SAR reset (DAC lines low), SH off, CRST on (column lines CBL and, through CSH, the ADC
               input ADCIN to 0), EN on, PCHB low: LRBL to VDD, CTOP to the charge level VDD - Vth
               through EN
    evaluate   PCHB off, RWL = input bit: the read port discharges LRBL and CTOP when input·weight = 1
    share      RWL and EN off, CRST off, SH on: every CTOP, CBL and ADCIN of the group share charge
    convert    SAR released; B + 1 SAR clock edges, the comparator clocked between them: ADCIN rises
               by the DAC steps of the tried bits, the comparator keeps a bit while ADCIN < VREF
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eda.acim.extract import extracted_subckt, parse_subckts

__all__ = ["CycleTiming", "RunPlan", "GroupNetlist", "group_netlist", "stimulus", "bitcell_parts"]

#: leaf cells whose extracted devices replace their schematic in the simulation
EXTRACTED_ROLES = ("bitcell", "compute", "colper", "colper_end", "adc", "row_driver", "ctrl_driver")


@dataclass(frozen=True)
class CycleTiming:
    """Phase durations of one compute cycle (ns) and the edge time (ns).

    ``bit_ns`` is the SAR clock period; the comparator is clocked from ``compare_ns`` after each SAR edge
    (the DAC has settled) to an eighth of a period after the next edge, which latches its decision.
    """

    precharge_ns: float
    evaluate_ns: float
    share_ns: float
    bit_ns: float
    adc_bits: int
    compare_ns: float
    edge_ns: float = 0.05

    @property
    def cycle_ns(self) -> float:
        """One full cycle (ns): phases, B + 1 SAR periods and a quarter period to read DOUT."""
        return self.precharge_ns + self.evaluate_ns + self.share_ns + (self.adc_bits + 1.25) * self.bit_ns

    def starts(self, cycle: int) -> dict[str, float]:
        """Start times (ns) of the phases of cycle ``cycle``."""
        t0 = cycle * self.cycle_ns
        return {
            "precharge": t0,
            "evaluate": t0 + self.precharge_ns,
            "share": t0 + self.precharge_ns + self.evaluate_ns,
            "convert": t0 + self.precharge_ns + self.evaluate_ns + self.share_ns,
            "end": t0 + self.cycle_ns,
        }


@dataclass(frozen=True)
class RunPlan:
    """One simulation run: the computing row of each local array, the stored weights, the inputs per cycle.

    Attributes:
        rows: computing row of local array g (``rows[g]``, a macro row index).
        weights: stored bits, shape (H rows, G columns).
        inputs: input bit of each local array's computing row per cycle, shape (cycles, H/L).
    """

    rows: tuple[int, ...]
    weights: np.ndarray
    inputs: np.ndarray

    def products(self) -> np.ndarray:
        """Binary products per cycle, local array and column: shape (cycles, H/L, G)."""
        w = self.weights[list(self.rows), :]
        return self.inputs[:, :, None] * w[None, :, :]


@dataclass
class BitcellParts:
    """The extracted bitcell with named storage nodes, and its read-port device lines."""

    subckt: str
    read_access: str  # M8: LRBL -[RWL]- RN
    read_pull: str  # M7: RN -[Q]- VSS


def _device_nets(line: str) -> tuple[str, str, str, str]:
    d, g, s, b = line.split()[1:5]
    return d, g, s, b


def bitcell_parts(subckt: str) -> BitcellParts:
    """Name the extracted bitcell's storage nodes ``Q``/``QB`` and read node ``RN`` (found by topology:
    the read access device joins LRBL and gate RWL, the read pull-down joins RN and VSS, its gate is Q)."""
    lines = subckt.strip().splitlines()
    devices = [ln for ln in lines[1:-1] if ln[:1].upper() == "M"]
    access = next(ln for ln in devices if _device_nets(ln)[1] == "RWL")
    d, _, s, _ = _device_nets(access)
    rn = s if d == "LRBL" else d
    pull = next(ln for ln in devices if ln is not access and rn in (_device_nets(ln)[0], _device_nets(ln)[2]))
    q = _device_nets(pull)[1]
    pulldown_qb = next(
        ln
        for ln in devices
        if _device_nets(ln)[1] == q and ln is not pull and "VSS" in (_device_nets(ln)[0], _device_nets(ln)[2])
    )
    dq, _, sq, _ = _device_nets(pulldown_qb)
    qb = sq if dq == "VSS" else dq
    names = {q: "Q", qb: "QB", rn: "RN"}

    def rename(line: str) -> str:
        return " ".join(names.get(t, t) for t in line.split())

    return BitcellParts("\n".join(rename(ln) for ln in lines) + "\n", rename(access), rename(pull))


@dataclass
class GroupNetlist:
    """The simulation netlist parts of ADC group 0 (see :func:`group_netlist`)."""

    cols: int
    rows: int
    local_array_size: int
    adc_bits: int
    subckts: list[str]
    instances: list[str]
    bitcell: BitcellParts
    wire_caps: dict[str, float] = field(default_factory=dict)

    def lines(self, plan: RunPlan, vdd: float) -> list[str]:
        """Subcircuits, instances (computing rows in full, the others as merged read ports), wire
        capacitances and the storage latches' initial conditions of one run."""
        active = set(plan.rows)
        out = list(self.subckts)
        for line in self.instances:
            name = line.split()[0]
            m = re.fullmatch(r"Xb(\d+)_(\d+)", name)
            if m and (int(m.group(1)) not in active or int(m.group(2)) >= self.cols):
                continue
            m = re.fullmatch(r"Xd(\d+)", name)
            if m and int(m.group(1)) not in active:
                continue
            out.append(line)
        out += self._merged_read_ports(plan)
        present = {t for line in out[len(self.subckts) :] for t in line.split()[1:]}
        out += [f"Cw_{net} {net} 0 {c:.4g}f" for net, c in sorted(self.wire_caps.items()) if net in present]
        ic = []
        for r in sorted(active):
            for c in range(self.cols):
                w = int(plan.weights[r, c])
                ic += [f"v(xb{r}_{c}.q)={vdd * w:g}", f"v(xb{r}_{c}.qb)={vdd * (1 - w):g}"]
        out.append(".ic " + " ".join(ic))
        return out

    def _merged_read_ports(self, plan: RunPlan) -> list[str]:
        access = self.bitcell.read_access.split()
        pull = self.bitcell.read_pull.split()
        out = []
        for g in range(self.rows // self.local_array_size):
            rows = [
                r
                for r in range(g * self.local_array_size, (g + 1) * self.local_array_size)
                if r != plan.rows[g]
            ]
            for c in range(self.cols):
                for value in (0, 1):
                    count = sum(int(plan.weights[r, c]) == value for r in rows)
                    if not count:
                        continue
                    tag = f"{g}_{c}_{value}"
                    q = "VDD" if value else "VSS"
                    nets = {
                        "LRBL": f"LRBL{g}_{c}",
                        "RWL": "VSS",
                        "RN": f"RN{tag}",
                        "Q": q,
                        "VSS": "VSS",
                        "VNB": "VSS",
                    }
                    out.append(
                        " ".join(
                            [f"Mra{tag}", *[nets.get(t, t) for t in access[1:5]], *access[5:], f"m={count}"]
                        )
                    )
                    out.append(
                        " ".join([f"Mrp{tag}", *[nets.get(t, t) for t in pull[1:5]], *pull[5:], f"m={count}"])
                    )
        return out


def group_netlist(
    netlist: str | Path, library: object, sar_subckt: str, wire_caps: dict[str, float] | None = None
) -> GroupNetlist:
    """The simulation netlist of ADC group 0 of the macro whose generator netlist is ``netlist``.

    ``library`` is the :class:`~eda.acim.library.Library` it was generated with; ``sar_subckt`` the SAR
    logic of one ADC group (:func:`eda.acim.celllib.sar.sar_logic_subckt`, the same standard cells as the
    macro's SAR block, which serves every group of a tap segment and is left out): its subcircuits replace
    the netlist's ones of the same name.
    """
    text = Path(netlist).read_text()
    subckts = parse_subckts(text)
    top_name = next(name for name in subckts if name.startswith("acim_") and "__" not in name)  # not a block
    spec = _spec_of(text)
    k = spec["cols_per_adc"]
    extracted = {}
    for role in EXTRACTED_ROLES:
        info = library.role(role)  # type: ignore[attr-defined]
        extracted[info.name] = extracted_subckt(info.gds, info.spice, info.name, list(info.ports))
    bit_name = library.role("bitcell").name  # type: ignore[attr-defined]
    parts = bitcell_parts(extracted[bit_name])
    extracted[bit_name] = parts.subckt
    provided = set(parse_subckts(sar_subckt))
    blocks = []
    for name, (ports, body) in subckts.items():
        if name == top_name or name in provided:
            continue
        if name in extracted:
            blocks.append(extracted[name])
        elif body:
            blocks.append("\n".join([f".subckt {name} {' '.join(ports)}", *body, f".ends {name}"]) + "\n")
    blocks.append(sar_subckt)
    instances = [ln for ln in subckts[top_name][1] if _in_group(ln, k)]
    return GroupNetlist(
        k,
        spec["rows"],
        spec["local_array_size"],
        spec["adc_bits"],
        blocks,
        instances,
        parts,
        dict(wire_caps or {}),
    )


def _spec_of(text: str) -> dict[str, int]:
    import json

    head = next(ln for ln in text.splitlines() if ln.startswith("* ACIM macro"))
    return json.loads(head.split(":", 1)[1])


def _in_group(line: str, k: int) -> bool:
    """Instance lines of ADC group 0 (columns 0..k-1, ADC 0) and the row/control drivers (not the SAR
    blocks: the deck instantiates one group's SAR logic itself)."""
    name = line.split()[0]
    m = re.fullmatch(r"X(?:b\d+_|m\d+_|c\d+_|co|ad)(\d+)", name)
    if m:
        return int(m.group(1)) < k
    return bool(re.fullmatch(r"X[dk]\d+", name))


def _pwl(points: list[tuple[float, float]]) -> str:
    """A PWL source value from (ns, V) points (times made strictly increasing)."""
    out, last = [], -1.0
    for t, v in points:
        t = max(t, last + 1e-4)
        out.append(f"{t:.4f}n {v:.4g}")
        last = t
    return "PWL(" + " ".join(out) + ")"


def stimulus(
    timing: CycleTiming, plan: RunPlan, vdd: float, vref: float, supplies: dict[str, str]
) -> list[str]:
    """Sources of the run's cycles: supplies (one per ``supplies`` net), VREF, bit lines, word lines,
    the control drivers' inputs, the column switches, comparator and SAR clocks, SAR reset."""
    cycles = plan.inputs.shape[0]
    e = timing.edge_ns
    hi, lo = vdd, 0.0
    lines = [f"V{net} {net} 0 {vdd:g}" for net in supplies]
    lines += ["VVSS VSS 0 0", f"VVREF VREF 0 {vref:.6g}", f"VCSH CSH 0 {vdd:g}"]
    waves: dict[str, list[tuple[float, float]]] = {
        n: [] for n in ("PCHN", "ENN", "SHN", "CRST", "RSTSAR", "CLKSAR", "CLK")
    }

    def step(name: str, t: float, v: float) -> None:
        pts = waves[name]
        prev = pts[-1][1] if pts else v
        if pts and abs(prev - v) < 1e-12:
            return
        pts += [(t, prev), (t + e, v)] if pts else [(0.0, v)]

    xn: dict[int, list[tuple[float, float]]] = {r: [(0.0, hi)] for r in plan.rows}
    for k in range(cycles):
        s = timing.starts(k)
        t = s["precharge"]
        if k == 0:
            for name, v in (
                ("PCHN", hi),
                ("ENN", lo),
                ("SHN", hi),
                ("CRST", hi),
                ("RSTSAR", hi),
                ("CLKSAR", lo),
                ("CLK", lo),
            ):
                step(name, 0.0, v)
        step("RSTSAR", t, hi)
        step("SHN", t + 0.1, hi)
        step("CRST", t + 0.2, hi)
        step("ENN", t + 0.3, lo)
        step("PCHN", t + 0.3, hi)
        t = s["evaluate"]
        step("PCHN", t, lo)
        for g, r in enumerate(plan.rows):
            if plan.inputs[k, g]:
                xn[r] += [
                    (t + 0.1, hi),
                    (t + 0.1 + e, lo),
                    (s["share"] - 0.2, lo),
                    (s["share"] - 0.2 + e, hi),
                ]
        step("ENN", s["share"] - 0.1, hi)
        t = s["share"]
        step("CRST", t, lo)
        step("SHN", t + 0.1, lo)
        step("RSTSAR", t + 0.2, lo)
        t0 = s["convert"]
        for j in range(timing.adc_bits + 1):
            tj = t0 + j * timing.bit_ns
            step("CLKSAR", tj, hi)
            step("CLKSAR", tj + min(timing.bit_ns / 4, timing.compare_ns), lo)
            if j < timing.adc_bits:
                step("CLK", tj + timing.compare_ns, hi)
                step("CLK", tj + timing.bit_ns * 1.125, lo)
    for name, pts in waves.items():
        lines.append(f"V{name} {name} 0 {_pwl(pts)}")
    for r in plan.rows:
        lines.append(f"VXN{r} XN{r} 0 {_pwl(xn[r])}")
        lines.append(f"VWLN{r} WLN{r} 0 {vdd:g}")
    groups = len(plan.rows)
    for g in range(groups):
        lines.append(f"VRSTN{g} RSTN{g} 0 {vdd:g}")  # capacitor reset switch unused (RST low)
    for net in ("PCHN", "ENN", "SHN"):
        lines += [f"E{net}{g} {net}{g} 0 {net} 0 1" for g in range(groups)]
    return lines
