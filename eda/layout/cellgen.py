"""A small correct-by-construction cell compiler: transistors in one row, nets on met2 tracks.

A cell is described by its transistors (type, W, L, gate/drain/source nets), the met2 *tracks* its nets
run on (row nets such as ``WL`` span the full cell width so cells connect by abutment), the met3/met4
*column lines* (vertical nets such as bit lines, full height or from a track to one edge) and an
optional list of pass-through column lines. The compiler draws, on the SKY130 layers:

* every transistor as its own diffusion (no sharing), gate poly with a poly contact below the diffusion,
  source/drain contacts (licon + li1 + mcon), NMOS in ``nsdm``, PMOS in ``psdm`` inside ``nwell``, plus
  one substrate tap (VSS) and one n-well tap (VDD);
* one vertical met1 strap per terminal from its contact up to its net's met2 track, with a via;
* met2 tracks, via2 onto met3 column lines, labels for the pins and the cell boundary.

Each terminal occupies its own 0.4 µm x-slot, so straps never meet; every spacing is at or above the
SKY130 minimum (checked by ``eda signoff drc``). Units: µm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gdstk

from eda.tech import Tech

__all__ = ["Mos", "ColumnLine", "CellSpec", "CompiledCell", "compile_cell", "G", "rect", "track_y",
           "device_row_width"]


class G:
    """Geometry constants of the compiler (µm), each at or above the SKY130 rule it serves."""

    slot = 0.4  # terminal x pitch: met1 strap 0.26 + m1.2 0.14
    margin = 0.8  # keep-out from the cell edge (nwell.2a 1.27 / 2, nsd.2 ...)
    ptap_gap = 0.8  # tap contact to first device source
    np_gap = 1.2  # extra space between the NMOS and PMOS groups (difftap.9 + difftap.8)
    licon = 0.17
    mcon = 0.17
    via1 = 0.15
    via2 = 0.20
    via3 = 0.20
    diff_enc = 0.125  # diff beyond the contact centre edge: 0.085 + licon.5a 0.04
    impl_enc = 0.125  # nsd.5a / psd.5a
    well_enc = 0.3  # difftap.8 0.18, with margin so nwell.1 (0.84) holds
    poly_w = 0.15
    poly_pad = 0.27  # licon 0.17 + 2 * licon.8 0.05
    poly_end = 0.2  # poly.8 endcap 0.13
    y_pc = 1.0  # poly contact centre
    y_diff = 1.45  # diffusion bottom
    li_w = 0.17
    li_h = 0.41  # li.6 area 0.0561
    strap_w = 0.26  # via.4a: 0.15 + 2 * 0.055
    track_w = 0.30
    track_pitch = 0.60
    y_track0 = 2.8
    col_w = 0.34  # met3/met4 column line: via2 0.2 + 2 * m3.4 0.065 (rounded up)
    col_end = 0.2  # line end beyond a via centre
    top_margin = 0.5


def rect(cell: gdstk.Cell, layer: tuple[int, int], x0: float, y0: float, x1: float, y1: float) -> None:
    """Add a rectangle on ``layer`` (coordinates snapped to the 5 nm grid)."""
    snap = lambda v: round(round(v / 0.005) * 0.005, 4)  # noqa: E731
    cell.add(gdstk.rectangle((snap(x0), snap(y0)), (snap(x1), snap(y1)), layer=layer[0], datatype=layer[1]))


def square(cell: gdstk.Cell, layer: tuple[int, int], x: float, y: float, size: float) -> None:
    """Add a ``size`` square centred on ``(x, y)``."""
    rect(cell, layer, x - size / 2, y - size / 2, x + size / 2, y + size / 2)


def track_y(index: int) -> float:
    """Centre y of met2 track ``index``."""
    return round(G.y_track0 + index * G.track_pitch, 4)


@dataclass(frozen=True)
class Mos:
    """A transistor: ``kind`` ``nmos``/``pmos``, gate/drain/source nets, W and L in µm."""

    name: str
    kind: str
    gate: str
    drain: str
    source: str
    w: float = 0.42
    l: float = 0.15  # noqa: E741


@dataclass(frozen=True)
class ColumnLine:
    """A vertical net line at cell x ``x``: ``extent`` ``full``, ``top`` (track to top edge) or ``bottom``."""

    net: str
    x: float
    extent: str = "full"
    layer: str = "met3"


@dataclass
class CellSpec:
    """Everything the compiler needs to draw one cell."""

    name: str
    role: str
    width: float
    devices: list[Mos]
    tracks: dict[str, tuple[int, str]]  # net -> (track index, extent full|left|right|local)
    columns: list[ColumnLine] = field(default_factory=list)
    n_tracks: int | None = None
    ports: list[str] | None = None
    taps: bool = True


@dataclass
class CompiledCell:
    """A drawn cell: gdstk cell, metadata dict (for ``<cell>.yaml``) and SPICE subcircuit text."""

    cell: gdstk.Cell
    meta: dict[str, Any]
    spice: str


def device_row_width(devices: list[Mos], taps: bool = True) -> float:
    """Width (µm) the device row of ``devices`` needs, margins included."""
    n = sum(1 for d in devices if d.kind == "nmos")
    p = len(devices) - n
    width = 2 * G.margin + 4 * G.slot * len(devices) - G.slot
    if n and p:
        width += G.np_gap
    if taps:
        width += (G.ptap_gap if n else 0) + (G.ptap_gap + G.well_enc if p else 0)
    return round(width, 3)


class _Drawer:
    def __init__(self, spec: CellSpec, tech: Tech) -> None:
        self.spec = spec
        self.tech = tech
        self.cell = gdstk.Cell(spec.name)
        self.terminals: dict[str, list[tuple[float, float]]] = {}  # net -> strap start points (x, y)
        self.L = {name: tech.gds(name) for name in tech.layers}

    def terminal(self, net: str, x: float, y: float) -> None:
        self.terminals.setdefault(net, []).append((x, y))

    def contact(self, x: float, y: float) -> None:
        """licon + li1 + mcon stack centred at (x, y)."""
        square(self.cell, self.L["licon"], x, y, G.licon)
        rect(self.cell, self.L["li1"], x - G.li_w / 2, y - G.li_h / 2, x + G.li_w / 2, y + G.li_h / 2)
        square(self.cell, self.L["mcon"], x, y, G.mcon)

    def tap(self, x: float, kind: str, net: str) -> tuple[float, float, float, float]:
        y = G.y_diff + 0.21
        box = (x - G.diff_enc, G.y_diff, x + G.diff_enc, G.y_diff + 0.42)
        rect(self.cell, self.L["tap"], *box)
        implant = self.L["psdm" if kind == "ptap" else "nsdm"]
        rect(self.cell, implant, box[0] - G.impl_enc, box[1] - G.impl_enc, box[2] + G.impl_enc, box[3] + G.impl_enc)
        self.contact(x, y)
        self.terminal(net, x, y)
        return box

    def mos(self, dev: Mos, xs: float) -> tuple[float, float, float, float]:
        xg, xd = xs + G.slot, xs + 2 * G.slot
        y0, y1 = G.y_diff, G.y_diff + dev.w
        yc = (y0 + y1) / 2
        box = (xs - G.diff_enc, y0, xd + G.diff_enc, y1)
        rect(self.cell, self.L["diff"], *box)
        rect(self.cell, self.L["poly"], xg - dev.l / 2, G.y_pc, xg + dev.l / 2, y1 + G.poly_end)
        square(self.cell, self.L["poly"], xg, G.y_pc, G.poly_pad)
        self.contact(xs, yc)
        self.contact(xd, yc)
        self.contact(xg, G.y_pc)
        self.terminal(dev.source, xs, yc)
        self.terminal(dev.gate, xg, G.y_pc)
        self.terminal(dev.drain, xd, yc)
        return box

    def devices(self) -> None:
        spec = self.spec
        nmos = [d for d in spec.devices if d.kind == "nmos"]
        pmos = [d for d in spec.devices if d.kind == "pmos"]
        x = G.margin + G.diff_enc
        if nmos:
            boxes = []
            if spec.taps:
                self.tap(x, "ptap", "VSS")
                x += G.ptap_gap
            for dev in nmos:
                boxes.append(self.mos(dev, x))
                x += 4 * G.slot
            self._implant("nsdm", boxes)
            x += G.np_gap
        if pmos:
            boxes = []
            for dev in pmos:
                boxes.append(self.mos(dev, x))
                x += 4 * G.slot
            self._implant("psdm", boxes)
            if spec.taps:
                boxes.append(self.tap(x - G.slot * 2 + G.ptap_gap, "ntap", "VDD"))
            x0 = min(b[0] for b in boxes) - G.well_enc
            x1 = max(b[2] for b in boxes) + G.well_enc
            y1 = max(b[3] for b in boxes) + G.well_enc
            rect(self.cell, self.L["nwell"], x0, G.y_diff - G.well_enc, x1, y1)
        need = device_row_width(spec.devices, spec.taps) if spec.devices else 0.0
        if need > spec.width + 1e-6:
            raise ValueError(f"cell {spec.name}: devices need {need:.2f} µm > width {spec.width}")

    def _implant(self, layer: str, boxes: list[tuple[float, float, float, float]]) -> None:
        e = G.impl_enc
        rect(self.cell, self.L[layer], min(b[0] for b in boxes) - e, min(b[1] for b in boxes) - e,
             max(b[2] for b in boxes) + e, max(b[3] for b in boxes) + e)

    def routes(self, height: float) -> dict[str, Any]:
        spec, L = self.spec, self.L
        pins: list[dict[str, Any]] = []
        col_x: dict[str, list[ColumnLine]] = {}
        for line in spec.columns:
            col_x.setdefault(line.net, []).append(line)
        for net, (index, extent) in spec.tracks.items():
            y = track_y(index)
            xs = [x for x, _ in self.terminals.get(net, [])]
            for x, y_start in self.terminals.get(net, []):
                rect(self.cell, L["met1"], x - G.strap_w / 2, y_start - 0.13, x + G.strap_w / 2, y + 0.13)
                square(self.cell, L["via"], x, y, G.via1)
            for line in col_x.get(net, []):
                if line.extent != "full" or line.layer == "met3":
                    xs.append(line.x)
                    if line.layer == "met3":
                        square(self.cell, L["via2"], line.x, y, G.via2)
            lo = 0.0 if extent in ("full", "left") else min(xs) - 0.15
            hi = spec.width if extent in ("full", "right") else max(xs) + 0.15
            rect(self.cell, L["met2"], lo, y - G.track_w / 2, hi, y + G.track_w / 2)
            if extent != "local":
                px = 0.0 if extent in ("full", "left") else hi - 0.3
                self._pin(pins, net, "met2", px, y - G.track_w / 2, px + 0.3, y + G.track_w / 2)
        for line in spec.columns:
            y_track = track_y(spec.tracks[line.net][0]) if line.net in spec.tracks else None
            if line.extent == "full" or y_track is None:
                y0, y1 = 0.0, height
            elif line.extent == "top":
                y0, y1 = y_track - G.col_end, height
            else:
                y0, y1 = 0.0, y_track + G.col_end
            rect(self.cell, L[line.layer], line.x - G.col_w / 2, y0, line.x + G.col_w / 2, y1)
            edge_y = y1 - 0.4 if line.extent in ("full", "top") else y0
            self._pin(pins, line.net, line.layer, line.x - G.col_w / 2, edge_y, line.x + G.col_w / 2, edge_y + 0.4)
        return {"pins": pins}

    def _pin(self, pins: list[dict[str, Any]], net: str, layer: str, x0: float, y0: float, x1: float,
             y1: float) -> None:
        use = "power" if net == "VDD" else "ground" if net == "VSS" else "signal"
        pins.append({"name": net, "layer": layer, "rect": [round(v, 4) for v in (x0, y0, x1, y1)], "use": use})
        lab = self.tech.label(layer)
        self.cell.add(gdstk.Label(net, ((x0 + x1) / 2, (y0 + y1) / 2), layer=lab[0], texttype=lab[1]))


def cell_height(n_tracks: int) -> float:
    """Height (µm) of a compiled cell with ``n_tracks`` met2 tracks."""
    top = track_y(n_tracks - 1) + G.track_w / 2 + G.top_margin
    return round(-(-top // 0.2) * 0.2, 3)


def compile_cell(spec: CellSpec, tech: Tech) -> CompiledCell:
    """Draw ``spec``; returns the gdstk cell, its YAML metadata and its SPICE subcircuit."""
    drawer = _Drawer(spec, tech)
    drawer.devices()
    n_tracks = spec.n_tracks or (max(i for i, _ in spec.tracks.values()) + 1)
    height = cell_height(n_tracks)
    extra = drawer.routes(height)
    for net in drawer.terminals:
        if net not in spec.tracks:
            raise ValueError(f"cell {spec.name}: net {net} has terminals but no track")
    rect(drawer.cell, tech.gds("boundary"), 0, 0, spec.width, height)
    # declared ports first, then pass-through lines (pins without devices) so abutted nets stay explicit
    declared = list(spec.ports or [])
    ports = declared + sorted({p["name"] for p in extra["pins"]} - set(declared), key=_natural)
    rails = {net: track_y(spec.tracks[net][0]) for net in ("VDD", "VSS") if net in spec.tracks}
    edges: dict[str, list[str]] = {"left": [], "right": [], "top": [], "bottom": []}
    for net, (_, extent) in spec.tracks.items():
        if extent in ("full", "left"):
            edges["left"].append(net)
        if extent in ("full", "right"):
            edges["right"].append(net)
    for line in spec.columns:
        if line.extent in ("full", "top"):
            edges["top"].append(line.net)
        if line.extent in ("full", "bottom"):
            edges["bottom"].append(line.net)
    meta = {"name": spec.name, "role": spec.role, "width_um": round(spec.width, 4), "height_um": height,
            "ports": ports, "pins": extra["pins"], "rails": rails,
            "abutment": {k: sorted(set(v)) for k, v in edges.items()},
            "devices": len(spec.devices)}
    return CompiledCell(drawer.cell, meta, spice_subckt(spec.name, ports, spec.devices))


def spice_subckt(name: str, ports: list[str], devices: list[Mos]) -> str:
    """SPICE subcircuit of a transistor-level cell (SKY130 model names, bulk to VDD/VSS)."""
    lines = [f".subckt {name} {' '.join(ports)}"]
    for dev in devices:
        model, bulk = ("sky130_fd_pr__nfet_01v8", "VSS") if dev.kind == "nmos" else ("sky130_fd_pr__pfet_01v8", "VDD")
        lines.append(f"M{dev.name} {dev.drain} {dev.gate} {dev.source} {bulk} {model} W={dev.w}u L={dev.l}u")
    lines.append(f".ends {name}")
    return "\n".join(lines) + "\n"


def _natural(text: str) -> tuple[object, ...]:
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))
