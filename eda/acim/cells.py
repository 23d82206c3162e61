"""The ACIM leaf cells, drawn at transistor level by :mod:`eda.layout.cellgen`, and the library builder.

Cells (nets in brackets are column lines, the rest met2 tracks):

* ``bitcell8t`` — 6T storage (M1..M6) + decoupled 2T read port (M7 gate Q, M8 gate RWL) pulling the
  local read bit line [LRBL] low when input RWL=1 and weight Q=1; write bit lines [BL, BLB].
* ``compute`` — local-array compute cell: LRBL precharge (PMOS, PCHB), product switch LRBL->CTOP (EN),
  charge-share switch CTOP->[CBL] (SH), capacitor reset CTOP->VSS (RST).
* ``momcap`` — metal finger (MOM) compute capacitor CTOP/CB on met1+met2 (see :mod:`eda.acim.momcap`).
* ``colper`` / ``colper_end`` — column periphery: CBL reset (CRST) and CBL->ADCIN share switch (CSH);
  ``colper_end`` ends the ADC input line of a group and drops it to the comparator.
* ``comparator`` — StrongARM latch (input pair, tail, cross-coupled inverters, output reset PMOS).
* ``adc_fill`` — feed-through for the ADC row; ``sar_k{n}`` — abstract SAR logic block; ``rowdrv`` —
  word-line and input (read word-line) inverters; ``ctrldrv`` — inverters driving a compute row's
  PCHB/EN/SH/RST lines; ``powertap`` — via2/via3 stack rail -> met4 stripe.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gdstk
import yaml

from eda.acim.momcap import draw_momcap, momcap_params
from eda.layout.cellgen import (
    CellSpec,
    ColumnLine,
    CompiledCell,
    G,
    Mos,
    compile_cell,
    device_row_width,
    rect,
    square,
    track_y,
)
from eda.tech import Tech, load_tech

__all__ = ["ColumnPlan", "LibraryOptions", "build_library", "build_cells", "cell_specs", "column_pitch",
           "powertap", "sar_block", "DB_LINES"]

#: bottom-plate (DAC) lines per column, one per SAR bit
DB_LINES = 8
#: fixed GDS timestamp so rebuilt files are byte-identical
_EPOCH = datetime.datetime(2024, 1, 1)


@dataclass(frozen=True)
class ColumnPlan:
    """x positions (µm, from a column's left edge) of the vertical lines every column cell shares."""

    BL: float = 1.0
    BLB: float = 1.7
    LRBL: float = 2.4
    CTOP: float = 3.1
    CBL: float = 3.8
    ADCIN: float = 4.5
    OUTP: float = 5.2
    OUTN: float = 5.9
    db0: float = 7.0  # DB<b> (met4) at db0 + b * 0.7
    vdd_stripe: float = 13.0
    vss_stripe: float = 14.6
    stripe_w: float = 0.6

    def db(self, bit: int) -> float:
        return round(self.db0 + 0.7 * bit, 4)

    def to_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class LibraryOptions:
    """Knobs of the default library: transistor widths (µm) and the default unit capacitance (fF)."""

    name: str = "sky130_acim"
    w_pulldown: float = 0.64
    w_access: float = 0.42
    w_pullup: float = 0.42
    w_read: float = 0.64
    w_switch: float = 0.42
    unit_cap_fF: float = 2.0
    cap_fingers: int = 8
    sar_height: float = 16.0
    stripe_every: int = 8
    extra_tracks: int = 0  # spare met2 tracks in the bitcell row (taller bitcell)
    extra_pitch: float = 0.0  # extra column pitch (µm, wider bitcell)


def _db_lines(plan: ColumnPlan) -> list[ColumnLine]:
    return [ColumnLine(f"DB{b}", plan.db(b), "full", "met4") for b in range(DB_LINES)]


def cell_specs(opt: LibraryOptions, plan: ColumnPlan, pitch: float) -> list[CellSpec]:
    """Transistor-level specs of every compiled cell at column pitch ``pitch``."""
    o = opt
    bit_tracks = {"VSS": (0, "full"), "WL": (1, "full"), "RWL": (2, "full"), "Q": (3, "local"),
                  "QB": (4, "local"), "RN": (5, "local"), "BL": (6, "local"), "BLB": (7, "local"),
                  "LRBL": (8, "local"), "VDD": (9 + o.extra_tracks, "full")}
    bitcell = CellSpec("bitcell8t", "bitcell", pitch, [
        Mos("1", "nmos", "QB", "Q", "VSS", o.w_pulldown), Mos("2", "nmos", "Q", "QB", "VSS", o.w_pulldown),
        Mos("3", "nmos", "WL", "Q", "BL", o.w_access), Mos("4", "nmos", "WL", "QB", "BLB", o.w_access),
        Mos("7", "nmos", "Q", "RN", "VSS", o.w_read), Mos("8", "nmos", "RWL", "LRBL", "RN", o.w_read),
        Mos("5", "pmos", "QB", "Q", "VDD", o.w_pullup), Mos("6", "pmos", "Q", "QB", "VDD", o.w_pullup)],
        bit_tracks, [ColumnLine("BL", plan.BL), ColumnLine("BLB", plan.BLB), ColumnLine("LRBL", plan.LRBL),
                     ColumnLine("CBL", plan.CBL), *_db_lines(plan)],
        ports=["BL", "BLB", "LRBL", "CBL", "WL", "RWL", "VDD", "VSS"])
    compute = CellSpec("compute", "compute", pitch, [
        Mos("1", "nmos", "EN", "CTOP", "LRBL", o.w_switch), Mos("2", "nmos", "SH", "CBL", "CTOP", o.w_switch),
        Mos("3", "nmos", "RST", "CTOP", "VSS", o.w_switch), Mos("4", "pmos", "PCHB", "LRBL", "VDD", o.w_switch)],
        {"VSS": (0, "full"), "PCHB": (1, "full"), "EN": (2, "full"), "SH": (3, "full"), "RST": (4, "full"),
         "LRBL": (5, "local"), "CTOP": (6, "local"), "CBL": (7, "local"), "VDD": (9, "full")},
        [ColumnLine("BL", plan.BL), ColumnLine("BLB", plan.BLB), ColumnLine("LRBL", plan.LRBL, "top"),
         ColumnLine("CTOP", plan.CTOP, "bottom"), ColumnLine("CBL", plan.CBL), *_db_lines(plan)],
        ports=["LRBL", "CTOP", "CBL", "PCHB", "EN", "SH", "RST", "VDD", "VSS"])
    out = [bitcell, compute]
    for name, end in (("colper", False), ("colper_end", True)):
        cols = [ColumnLine("CBL", plan.CBL, "top"), *_db_lines(plan)]
        if end:
            cols.append(ColumnLine("ADCIN", plan.ADCIN, "bottom"))
        out.append(CellSpec(name, name, pitch, [
            Mos("1", "nmos", "CRST", "CBL", "VSS", o.w_switch), Mos("2", "nmos", "CSH", "ADCIN", "CBL", o.w_switch)],
            {"VSS": (0, "full"), "CRST": (1, "full"), "CSH": (2, "full"),
             "ADCIN": (3, "left" if end else "full"), "CBL": (4, "local"), "VDD": (5, "full")}, cols,
            ports=["CBL", "ADCIN", "CRST", "CSH", "VDD", "VSS"]))
    adc_tracks = {"VSS": (0, "full"), "CLK": (1, "full"), "VREF": (2, "full"), "ADCIN": (3, "local"),
                  "X": (4, "local"), "Y": (5, "local"), "TAIL": (6, "local"), "OUTP": (7, "local"),
                  "OUTN": (8, "local"), "VDD": (9, "full")}
    out.append(CellSpec("comparator", "adc", pitch, [
        Mos("1", "nmos", "ADCIN", "X", "TAIL", o.w_switch), Mos("2", "nmos", "VREF", "Y", "TAIL", o.w_switch),
        Mos("3", "nmos", "CLK", "TAIL", "VSS", o.w_switch), Mos("4", "nmos", "OUTN", "OUTP", "X", o.w_switch),
        Mos("5", "nmos", "OUTP", "OUTN", "Y", o.w_switch), Mos("6", "pmos", "OUTN", "OUTP", "VDD", o.w_switch),
        Mos("7", "pmos", "OUTP", "OUTN", "VDD", o.w_switch), Mos("8", "pmos", "CLK", "OUTP", "VDD", o.w_switch),
        Mos("9", "pmos", "CLK", "OUTN", "VDD", o.w_switch)], adc_tracks,
        [ColumnLine("ADCIN", plan.ADCIN, "top"), ColumnLine("OUTP", plan.OUTP, "bottom"),
         ColumnLine("OUTN", plan.OUTN, "bottom"), *_db_lines(plan)],
        ports=["ADCIN", "VREF", "CLK", "OUTP", "OUTN", "VDD", "VSS"]))
    out.append(CellSpec("adc_fill", "adc_fill", pitch, [],
                        {"VSS": (0, "full"), "CLK": (1, "full"), "VREF": (2, "full"), "VDD": (9, "full")},
                        _db_lines(plan), ports=["CLK", "VREF", "VDD", "VSS"]))
    drv = [Mos("1", "nmos", "WLN", "WL", "VSS", o.w_switch), Mos("2", "nmos", "XN", "RWL", "VSS", o.w_switch),
           Mos("3", "pmos", "WLN", "WL", "VDD", 2 * o.w_switch), Mos("4", "pmos", "XN", "RWL", "VDD", 2 * o.w_switch)]
    out.append(CellSpec("rowdrv", "row_driver", _round_up(device_row_width(drv), 0.4), drv,
                        {"VSS": (0, "full"), "WL": (1, "right"), "RWL": (2, "right"), "WLN": (3, "left"),
                         "XN": (4, "left"), "VDD": (9 + o.extra_tracks, "full")}, [], n_tracks=10 + o.extra_tracks,
                        ports=["WLN", "XN", "WL", "RWL", "VDD", "VSS"]))
    ctrl: list[Mos] = []
    for i, (inp, outp) in enumerate((("PCHN", "PCHB"), ("ENN", "EN"), ("SHN", "SH"), ("RSTN", "RST"))):
        ctrl += [Mos(f"n{i}", "nmos", inp, outp, "VSS", o.w_switch), Mos(f"p{i}", "pmos", inp, outp, "VDD", 2 * o.w_switch)]
    ctrl.sort(key=lambda d: d.kind)
    out.append(CellSpec("ctrldrv", "ctrl_driver", _round_up(device_row_width(ctrl), 0.4), ctrl,
                        {"VSS": (0, "full"), "PCHB": (1, "right"), "EN": (2, "right"), "SH": (3, "right"),
                         "RST": (4, "right"), "PCHN": (5, "left"), "ENN": (6, "left"), "SHN": (7, "left"),
                         "RSTN": (8, "left"), "VDD": (9, "full")}, [],
                        ports=["PCHN", "ENN", "SHN", "RSTN", "PCHB", "EN", "SH", "RST", "VDD", "VSS"]))
    return out


def _round_up(value: float, step: float) -> float:
    return round(math.ceil(round(value / step, 6)) * step, 4)


def column_pitch(opt: LibraryOptions, plan: ColumnPlan) -> float:
    """Column pitch (µm): the widest column cell's device row, and room for the stripes."""
    widest = max(device_row_width(s.devices) for s in cell_specs(opt, plan, 100.0)
                 if s.role not in ("row_driver", "ctrl_driver"))
    return _round_up(max(widest, plan.vss_stripe + plan.stripe_w / 2 + G.margin) + opt.extra_pitch, 0.4)


def powertap(tech: Tech) -> CompiledCell:
    """via2 + met3 pad + via3 stack joining a met2 rail to a met4 stripe, centred on the origin."""
    cell = gdstk.Cell("powertap")
    square(cell, tech.gds("via2"), 0, 0, G.via2)
    square(cell, tech.gds("via3"), 0, 0, G.via3)
    rect(cell, tech.gds("met3"), -0.17, -0.36, 0.17, 0.36)  # m3.6 area 0.24
    rect(cell, tech.gds("met2"), -0.17, -0.15, 0.17, 0.15)
    rect(cell, tech.gds("met4"), -0.3, -0.4, 0.3, 0.4)
    meta = {"name": "powertap", "role": "tap", "width_um": 0.0, "height_um": 0.0, "ports": ["P"],
            "pins": [{"name": "P", "layer": "met4", "rect": [-0.3, -0.4, 0.3, 0.4], "use": "power"}],
            "params": {"origin": "centre"}}
    return CompiledCell(cell, meta, ".subckt powertap P\n.ends powertap\n")


def sar_block(k: int, pitch: float, plan: ColumnPlan, opt: LibraryOptions, tech: Tech) -> CompiledCell:
    """Abstract SAR logic for ``k`` columns: boundary, pins and power rails only (LVS black box)."""
    name = f"sar_k{k}"
    cell = gdstk.Cell(name)
    width, height = k * pitch, opt.sar_height
    pins: list[dict[str, Any]] = []

    def pin(net: str, layer: str, x0: float, y0: float, x1: float, y1: float) -> None:
        rect(cell, tech.gds(layer), x0, y0, x1, y1)
        lab = tech.label(layer)
        cell.add(gdstk.Label(net, ((x0 + x1) / 2, (y0 + y1) / 2), layer=lab[0], texttype=lab[1]))
        pins.append({"name": net, "layer": layer, "rect": [round(v, 4) for v in (x0, y0, x1, y1)],
                     "use": "power" if net == "VDD" else "ground" if net == "VSS" else "signal"})

    w = G.col_w / 2
    last = (k - 1) * pitch
    for net in ("OUTP", "OUTN"):
        x = last + getattr(plan, net)
        pin(net, "met3", x - w, height - 1.0, x + w, height)
    for j in range(k):
        for b in range(DB_LINES):
            x = j * pitch + plan.db(b)
            pin(f"DB{b}_{j}", "met4", x - w, height - 1.0, x + w, height)
    for b in range(DB_LINES):
        x = last + 1.0 + 0.7 * b
        pin(f"DOUT{b}", "met3", x - w, 0.0, x + w, 1.0)
    for net, index in (("VSS", 2), ("CLK", 3), ("VDD", 4)):
        y = track_y(index)
        pin(net, "met2", 0.0, y - G.track_w / 2, width, y + G.track_w / 2)
    rect(cell, tech.gds("boundary"), 0, 0, width, height)
    ports = ["OUTP", "OUTN", *[f"DB{b}_{j}" for j in range(k) for b in range(DB_LINES)],
             *[f"DOUT{b}" for b in range(DB_LINES)], "CLK", "VDD", "VSS"]
    meta = {"name": name, "role": "sar", "abstract": True, "width_um": round(width, 4), "height_um": height,
            "ports": ports, "pins": pins, "rails": {"VSS": track_y(2), "VDD": track_y(4)},
            "params": {"columns": k, "behaviour": "successive approximation register: on each CLK edge "
                       "latches OUTP>OUTN into the current bit, drives DB<b> of all columns, DOUT<b> after "
                       "adc_bits cycles"}}
    spice = f".subckt {name} {' '.join(ports)}\n* abstract SAR logic (LVS black box)\n.ends {name}\n"
    return CompiledCell(cell, meta, spice)


def build_cells(opt: LibraryOptions | None = None, tech: Tech | None = None) -> tuple[dict[str, CompiledCell], dict[str, Any]]:
    """Draw every cell of the library; returns cells by name and the ``library.yaml`` content."""
    opt = opt or LibraryOptions()
    tech = tech or load_tech()
    plan = ColumnPlan()
    pitch = column_pitch(opt, plan)
    cells = {s.name: compile_cell(s, tech) for s in cell_specs(opt, plan, pitch)}
    cap_params = momcap_params(tech, pitch, plan, opt.cap_fingers)
    cells["momcap"] = draw_momcap("momcap", tech, pitch, plan, cap_params, opt.unit_cap_fF, bit=0)
    cells["powertap"] = powertap(tech)
    for k in (1, 2, 4, 8, 16):
        cells[f"sar_k{k}"] = sar_block(k, pitch, plan, opt, tech)
    roles = {"bitcell": "bitcell8t", "compute": "compute", "cap": "momcap", "colper": "colper",
             "colper_end": "colper_end", "adc": "comparator", "adc_fill": "adc_fill", "sar": "sar_k1",
             "row_driver": "rowdrv", "ctrl_driver": "ctrldrv", "tap_vdd": "powertap", "tap_vss": "powertap"}
    index = {"name": opt.name, "tech": "tech.yaml", "column_pitch_um": pitch, "roles": roles,
             "power": {"stripe_every": opt.stripe_every, "ring_width_um": 2.0, "ring_space_um": 2.0},
             "columns": plan.to_dict(), "options": {k: getattr(opt, k) for k in opt.__dataclass_fields__}}
    return cells, index


def build_library(out: str | Path, opt: LibraryOptions | None = None, tech_path: str | Path | None = None) -> Path:
    """Write the library to directory ``out``: per cell GDS + SPICE + YAML, library.yaml, tech.yaml."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tech = load_tech(tech_path)
    cells, index = build_cells(opt, tech)
    for name, compiled in cells.items():
        lib = gdstk.Library(name=name, unit=1e-6, precision=1e-9)
        lib.add(compiled.cell)
        lib.write_gds(out / f"{name}.gds", timestamp=_EPOCH)
        (out / f"{name}.spice").write_text(compiled.spice)
        (out / f"{name}.yaml").write_text(yaml.safe_dump(compiled.meta, sort_keys=False))
    (out / "library.yaml").write_text(yaml.safe_dump(index, sort_keys=False))
    tech_data = dict(tech.data)
    cap = cells["momcap"].meta["params"]
    tech_data["capacitor"] = {**tech_data.get("capacitor", {}),
                              "density_fF_per_um2": cap["density_fF_per_um2"]}
    (out / "tech.yaml").write_text(yaml.safe_dump(tech_data, sort_keys=False))
    for stale in out.iterdir():  # files of cells this code no longer draws
        if stale.suffix in (".gds", ".spice", ".yaml") and stale.stem not in cells \
                and stale.name not in ("library.yaml", "tech.yaml"):
            stale.unlink()
    return out

