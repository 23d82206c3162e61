"""Well-tap columns: the cells that interrupt every row every few columns to tie wells and carry power.

A tap cell is :data:`TAP_WIDTH` wide and as tall as the row cell it serves; it is derived from that row
cell's geometry so that it fits any row of any library:

* every met1 rail and n-well band that spans the row cell's full width continues through it (word lines,
  controls and rails cross the tap column unbroken);
* two full-height met2 lines, VDD (x 0.50) and VSS (x 1.10), run through every tap cell of the column and
  strap the row's VDD/VSS met1 rails with a via each;
* an n-tap in every n-well band (to the VDD rail crossing it, else to the VDD line) and a p-tap in every
  n-implant band of the row cell's edges (to the VSS line): the wells of the columns beside it are tied
  here, every ``stripe_every`` columns (the bitcells carry no taps);
* tap implants stay 0.38 µm (nsd.2/psd.2) inside the cell's side edges, clear of the implant bands of the
  columns beside it whatever their type.

:func:`powertap` is the via2/met3/via3 stack from a tap column's met2 line to the met4 power stripe over it.
"""

from __future__ import annotations

from dataclasses import dataclass

import gdstk

from eda.acim.celllib.cell import CellCanvas, DrawnCell
from eda.layout.sky130 import R, snap
from eda.tech import Tech

__all__ = ["TAP_WIDTH", "TAP_VDD_X", "TAP_VSS_X", "tap_cell", "powertap", "STRIPE_X"]

TAP_WIDTH = 1.60  # µm
TAP_VDD_X = 0.50
TAP_VSS_X = 1.10
#: the met4 power stripe over a tap column (x range in the tap cell), clear of the DAC tracks beside it
STRIPE_X = (0.14, 1.46)
_LINE_W = 0.26
_TAP_X = 0.80
_TAP = (0.41, 0.25)  # tap size: licon.7 (0.12 in x), 0.04 in y
_IMPL = R.impl_diff  # 0.125
_IMPL_X = (R.impl_s, TAP_WIDTH - R.impl_s)  # tap implants: 0.38 from both side edges


@dataclass(frozen=True)
class _Band:
    layer: str
    y0: float
    y1: float


def _edge_bands(cell: gdstk.Cell, tech: Tech, width: float) -> list[_Band]:
    """Shapes of the row cell that span its whole width (rails, wells, implants), merged per layer."""
    out: list[_Band] = []
    for layer in ("met1", "nwell", "nsdm"):
        lay, dt = tech.gds(layer)
        polys = [p for p in cell.get_polygons(layer=lay, datatype=dt)]
        merged = gdstk.boolean(polys, [], "or", layer=lay, datatype=dt) if polys else []
        for poly in merged:
            (x0, y0), (x1, y1) = poly.bounding_box()
            if x0 <= 1e-6 and x1 >= width - 1e-6:
                # a full-width band: take the y range where the polygon touches both side edges
                ys_left = [y for x, y in poly.points if abs(x - x0) < 1e-6]
                ys_right = [y for x, y in poly.points if abs(x - x1) < 1e-6]
                lo, hi = max(min(ys_left), min(ys_right)), min(max(ys_left), max(ys_right))
                if hi > lo:
                    out.append(_Band(layer, snap(lo), snap(hi)))
    return out


def _free(y0: float, y1: float, blocks: list[tuple[float, float]], space: float) -> bool:
    return all(y1 + space <= b0 - 1e-9 or y0 - space >= b1 + 1e-9 for b0, b1 in blocks)


def tap_cell(row: DrawnCell, tech: Tech, name: str | None = None) -> DrawnCell:
    """The tap-column cell for the row of ``row`` (same height, :data:`TAP_WIDTH` wide)."""
    meta = row.meta
    height, width = float(meta["height_um"]), float(meta["width_um"])
    cv = CellCanvas(name or f"tap_{meta['name']}", tech, TAP_WIDTH, height)
    bands = _edge_bands(row.cell, tech, width)
    rails = {
        p["name"]: p
        for p in meta["pins"]
        if p["layer"] == "met1" and p["rect"][0] <= 1e-6 and p["rect"][2] >= width - 1e-6
    }
    m1 = [(b.y0, b.y1) for b in bands if b.layer == "met1"]
    for y0, y1 in m1:
        cv.rect("met1", 0, y0, TAP_WIDTH, y1)
    for b in bands:
        if b.layer == "nwell":
            cv.rect("nwell", 0, b.y0, TAP_WIDTH, b.y1)
    for net, x in (("VDD", TAP_VDD_X), ("VSS", TAP_VSS_X)):
        cv.vwire("met2", x, 0, height, _LINE_W)
        cv.pin(net, "met2", x - _LINE_W / 2, 0, x + _LINE_W / 2, height)
        if net in rails:
            y0, y1 = rails[net]["rect"][1], rails[net]["rect"][3]
            cv.via1(x, (y0 + y1) / 2, along="x", m2=False)
    for net, pin in rails.items():
        if net not in ("VDD", "VSS"):
            cv.pin(net, "met1", 0, pin["rect"][1], TAP_WIDTH, pin["rect"][3])
    nwells = [(b.y0, b.y1) for b in bands if b.layer == "nwell"]
    nsdm = [(b.y0, b.y1) for b in bands if b.layer == "nsdm"]
    taps: list[str] = []
    tw, th = _TAP
    for w0, w1 in nwells:  # n-tap: inside the well by 0.18 (its implant is 0.38 clear of the side edges)
        vdd = rails.get("VDD")
        yc = (
            (vdd["rect"][1] + vdd["rect"][3]) / 2
            if vdd and w0 <= vdd["rect"][1] and vdd["rect"][3] <= w1
            else (w0 + w1) / 2
        )
        yc = snap(yc)
        if yc - th / 2 < w0 + R.nwell_ntap or yc + th / 2 > w1 - R.nwell_ntap:
            continue
        cv.box("tap", _TAP_X, yc, tw, th)
        cv.rect("nsdm", _IMPL_X[0], yc - th / 2 - _IMPL, _IMPL_X[1], yc + th / 2 + _IMPL)
        cv.diff_contact(_TAP_X, yc)
        cv.mcon(_TAP_X, yc, m1=not (vdd and vdd["rect"][1] <= yc <= vdd["rect"][3]))
        if not (vdd and vdd["rect"][1] <= yc <= vdd["rect"][3]):
            cv.rect("met1", TAP_VDD_X - 0.13, yc - 0.16, _TAP_X + 0.145, yc + 0.16)
            cv.via1(TAP_VDD_X, yc, along="y", m2=False)
        taps.append("ntap")
    for n0, n1 in nsdm:  # p-tap in each n-implant band: away from wells and met1 rails

        def fits(y: float, n0: float = n0, n1: float = n1) -> bool:
            lo, hi = y - th / 2, y + th / 2
            return (
                (n0 <= lo - _IMPL + 1e-9 or n0 <= 1e-6)
                and (hi + _IMPL <= n1 + 1e-9 or n1 >= height - 1e-6)
                and lo - _IMPL >= -1e-9
                and hi + _IMPL <= height + 1e-9
                and _free(lo, hi, nwells, R.ptap_nwell)
                and _free(y - 0.16, y + 0.16, m1, R.m1_s)
            )

        centre = (n0 + n1) / 2  # the free spot nearest the band's centre, on a 5 nm step
        candidates = sorted(
            (snap(n0 + i * 0.005) for i in range(int((n1 - n0) / 0.005) + 1)), key=lambda y: abs(y - centre)
        )
        yc = next((y for y in candidates if fits(y)), None)
        if yc is None:
            continue
        lo, hi = yc - th / 2, yc + th / 2
        cv.box("tap", _TAP_X, yc, tw, th)
        # reach the cell edge where the n-implant band does, so the p-taps of abutting rows merge
        cv.rect(
            "psdm",
            _IMPL_X[0],
            0 if n0 <= 1e-6 else lo - _IMPL,
            _IMPL_X[1],
            height if n1 >= height - 1e-6 else hi + _IMPL,
        )
        cv.diff_contact(_TAP_X, yc)
        cv.mcon(_TAP_X, yc, m1=False)
        cv.rect("met1", _TAP_X - 0.145, yc - 0.16, TAP_VSS_X + 0.13, yc + 0.16)
        cv.via1(TAP_VSS_X, yc, along="y", m2=False)
        taps.append("ptap")
    cv.rails.update({k: v for k, v in meta.get("rails", {}).items() if k in ("VDD", "VSS")})
    drawn = cv.finish("tap", ["VDD", "VSS"], [], params={"row": meta["name"], "taps": taps})
    return drawn


def powertap(tech: Tech) -> DrawnCell:
    """via2 + met3 pad + via3 stack centred on the origin: a tap column's met2 line to its met4 stripe."""
    cv = CellCanvas("powertap", tech, 0.0, 0.0)
    cv.via2(0, 0)
    cv.via3(0, 0)
    cv.box("met3", 0, 0, 0.5, 0.5)  # m3.6 / m4.4a: 0.24 µm²
    cv.box("met4", 0, 0, 0.5, 0.5)
    cv.pin("P", "met3", -0.25, -0.25, 0.25, 0.25, label=False)
    drawn = cv.finish("tap", ["P"], [], params={"origin": "centre"})
    drawn.cell.filter([tech.gds("boundary")], remove=True)
    return drawn
