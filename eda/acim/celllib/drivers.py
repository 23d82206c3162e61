"""The driver column left of the array: one row driver per bitcell row, one control driver per compute row.

Both cells are :data:`DRIVER_WIDTH` wide (the macro right-aligns them in one column) and as tall as the
row they drive (bitcell 2.92 µm, compute 3.14 µm); rows alternate y-mirrored, so every cell is drawn to
stack with (mirrored) copies of itself and of the other. Their right edge abuts the row's tap-column cell
(:func:`eda.acim.celllib.tapcol.tap_cell`), whose full-width met1 rails and n-well band they continue.

Unlike the column cells, transistors lie on their side: vertical diffusion strips, horizontal poly gates
that enter from the inputs on the left, cross the n-diffusion and then the p-diffusion (an inverter per
gate, W is the strip's width), and end 0.13 µm beyond it. x zones, shared by both cells (µm)::

    0.345         input poly contacts (one npc block), met1 input pins from the left edge
    0.64..1.48    n-diffusion (nsdm), drains and sources on contact rows between the gates
    1.755         VSS li1 strap: the n sources down to the VSS met1 wire
    1.82..3.86    n-well column, full height (merges with the driver cells above and below)
    2.00..3.68    p-diffusion (psdm)
    W-1.10        VDD met2 line (full height, via on the VDD rail)
    W-0.50        VSS met2 line (full height, via on the VSS wire)
    4.52 / 4.55   p-tap (to the VSS wire), n-tap on the VDD rail (in the n-well band)

The n-well band of the row runs from the column to the right edge. Implants keep 0.19 µm from the top and
bottom edges or touch them at x ranges where the neighbours' same-type implants are ≥ 0.38 µm away, and
0.38 µm from the right edge (the tap cell's implants), so any stacking order of the two cells holds
nsd.2/psd.2. Inputs leave the left edge on met1, outputs reach the right edge on the row's met1 rails.
Each cell ties its own wells (a p-tap to VSS, an n-tap to VDD), so its SPICE has the NMOS bulks on VSS
and the PMOS bulks on VDD (:func:`_tied`). The n-well column reaches the top and bottom edges: whatever
ends the driver column above its last and below its first cell keeps nwell.2a (1.27 µm) to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from eda.acim.celllib.bitcell import BitcellRows
from eda.acim.celllib.cell import NMOS, PMOS, CellCanvas, DrawnCell, Mos
from eda.acim.celllib.compute import ComputeRows
from eda.layout.sky130 import R
from eda.tech import Tech

__all__ = ["rowdrv", "ctrldrv", "DRIVER_WIDTH", "DriverCols"]

DRIVER_WIDTH = 5.30  # µm
HALF_LI = R.li_w / 2  # 0.085
PAD_LONG = R.licon / 2 + R.li_licon_adj  # 0.165: li1 beyond a licon centre along a pad (li.5)
DIFF_EXT = R.diff_licon + R.licon / 2 + 0.02  # 0.145: diffusion beyond a contact centre (licon.5c)
MCON_M1 = R.mcon / 2 + R.m1_mcon_adj  # 0.145: met1 beyond an mcon centre along a wire (m1.5)
RAIL = R.mcon + 2 * R.m1_mcon  # 0.23: met1 signal wire over mcons
PAD_M1 = R.mcon + 2 * R.m1_mcon_adj  # 0.29: square met1 pad over an mcon
NPC_HALF = R.licon / 2 + R.npc_plicon  # 0.185
POLY_PAD_LONG = R.licon / 2 + R.poly_licon_adj  # 0.165 (licon.8a)
TAP = (0.41, 0.25)  # tap size: 0.12 beyond the licon in x (licon.7), 0.04 in y
LINE_W = 0.26  # driver-column met2 power lines


class DriverCols:
    """x positions (µm from the left edge) shared by both driver cells; see the module docstring."""

    inp = 0.345  # input poly contacts: pads end 0.13 (poly.8) before the n-diffusion
    ndiff = 0.64  # n-diffusion left edge: licon.14 (0.19) from the input contacts
    vss_strap = 1.755  # VSS li1 strap (0.17 clear of the n drains' li1)
    nwell = (1.82, 3.86)  # column: 0.34 from the n-diffusion (difftap.9), 0.18 around the p-diffusion
    pdiff = 2.00
    p_licon0 = 2.175  # first p contact: its li1 keeps 0.17 from the VSS strap
    vdd_line = DRIVER_WIDTH - 1.10
    vss_line = DRIVER_WIDTH - 0.50
    ptap = 4.52  # psdm 0.38 from the p-diffusion's psdm and from the right edge
    ntap = 4.55  # its mcon clear of the VDD via


@dataclass(frozen=True)
class _Input:
    """An input: met1 pin ``net`` at the left edge on a poly contact at ``pad_y`` joined to a gate at ``gate_y``."""

    net: str
    gate_y: float
    pad_y: float


def _inputs(cv: CellCanvas, inputs: list[_Input], gate_end: float) -> None:
    """Gate lines from the input contacts to ``gate_end``; poly pads, npc, li1, mcon and met1 pins."""
    x = DriverCols.inp
    for inp in inputs:
        cv.hwire("poly", x - POLY_PAD_LONG, gate_end, inp.gate_y, R.poly_w)
        cv.poly_contact(x, inp.pad_y, li_along="y", pad_along="x")
        cv.mcon(x, inp.pad_y, m1=False)
        y0, y1 = inp.pad_y - PAD_M1 / 2, inp.pad_y + PAD_M1 / 2
        cv.rect("met1", 0, y0, x + PAD_M1 / 2, y1)
        cv.pin(inp.net, "met1", 0, y0, x + PAD_M1 / 2, y1)
    ys = [i.pad_y for i in inputs]
    cv.rect("npc", x - NPC_HALF, min(ys) - NPC_HALF, x + NPC_HALF, max(ys) + NPC_HALF)


def _contacts(cv: CellCanvas, xs: list[float], y: float, li_x1: float | None = None) -> None:
    """licons at ``xs`` on a contact row with an li1 bar over them (0.08 beyond the end ones, to ``li_x1``)."""
    for x in xs:
        cv.licon(x, y)
    x0, x1 = min(xs) - PAD_LONG, max(xs) + PAD_LONG
    cv.rect("li1", x0, y - HALF_LI, max(x1, li_x1 or x1), y + HALF_LI)


def _vertical_diff(cv: CellCanvas, x0: float, x1: float, rows: list[float], layer: str) -> None:
    """A diffusion strip over the contact rows ``rows`` (0.145 beyond the outer ones) with its implant."""
    y0, y1 = min(rows) - DIFF_EXT, max(rows) + DIFF_EXT
    cv.rect("diff", x0, y0, x1, y1)
    cv.rect(layer, x0 - R.impl_diff, y0 - R.impl_diff, x1 + R.impl_diff, y1 + R.impl_diff)


def _tied(m: Mos) -> str:
    """SPICE line of ``m`` with its bulk on the rail the cell's own taps tie it to (NMOS VSS, PMOS VDD).

    The taps join the substrate (``VNB``) to VSS and the n-well (``VPB``) to VDD inside the cell, so the
    extracted transistors have their bulks on VSS/VDD; ``VPB``/``VNB`` stay ports for the library's uniform
    port list, unconnected inside the subcircuit.
    """
    model, bulk = (NMOS, "VSS") if m.kind == "n" else (PMOS, "VDD")
    return f"M{m.name} {m.drain} {m.gate} {m.source} {bulk} {model} w={m.w:g}u l={m.l:g}u"


def _power(cv: CellCanvas, band: tuple[float, float], vdd_y: float, vss_y: float, ptap_y: float) -> None:
    """n-well column and band, met2 power lines with their vias, the n-tap and the p-tap.

    The VDD rail (met1, y ``vdd_y``) and the VSS wire (met1, y ``vss_y``) are drawn by the caller; the
    n-tap sits on the VDD rail in the band, the p-tap at ``ptap_y`` reaches the VSS wire on li1.
    """
    c, W, H = DriverCols, cv.width, cv.height  # noqa: N806
    cv.rect("nwell", c.nwell[0], 0, c.nwell[1], H)
    cv.rect("nwell", c.nwell[1], band[0], W, band[1])
    cv.pin("VPB", "nwell", c.nwell[0], 0, c.nwell[1], H)
    for net, x, y in (("VDD", c.vdd_line, vdd_y), ("VSS", c.vss_line, vss_y)):
        cv.vwire("met2", x, 0, H, LINE_W)
        cv.pin(net, "met2", x - LINE_W / 2, 0, x + LINE_W / 2, H)
        cv.via1(x, y, along="x", m2=False)
    tw, th = TAP
    island = tw / 2 + R.impl_diff  # implant half width around a tap
    for x, y, implant, rail in ((c.ntap, vdd_y, "nsdm", vdd_y), (c.ptap, ptap_y, "psdm", vss_y)):
        cv.box("tap", x, y, tw, th)
        cv.rect(implant, x - island, y - th / 2 - R.impl_diff, x + island, y + th / 2 + R.impl_diff)
        cv.licon(x, y)
        lo, hi = sorted((y, rail))
        cv.rect("li1", x - HALF_LI, lo - PAD_LONG, x + HALF_LI, hi + PAD_LONG)
        cv.mcon(x, rail, m1=False)


class RowDrvRows:
    """y coordinates (µm) of the row driver: contact rows on the WL / VDD / RWL rails of the bitcell."""

    height = BitcellRows.height  # 2.92
    wl = BitcellRows.band_np  # 0.93: drains of the WL inverter, WL rail
    vdd = round((BitcellRows.p[0] + BitcellRows.p[1]) / 2, 4)  # 1.46: sources, VDD rail
    rwl = BitcellRows.band_pr  # 1.99: drains of the RWL inverter, RWL rail
    gate_wl = round((wl + vdd) / 2, 4)  # 1.195: gates midway (licon.11 0.105), pads on them (0.26 apart)
    gate_rwl = round((vdd + rwl) / 2, 4)  # 1.725
    vss = 0.45  # VSS met1 wire (0.22 below the WL rail)
    ptap = 0.45
    nwell = BitcellRows.nwell  # band (0.995, 1.925) at the right edge
    wn, wp = 0.84, 1.68  # strip widths = transistor W


def rowdrv(tech: Tech, name: str = "rowdrv") -> DrawnCell:
    """Draw the row driver: ``WLN -> WL`` and ``XN -> RWL`` inverters (5.30 × 2.92 µm).

    Contact rows (y) on both strips (n 0.64..1.48, p 2.00..3.68), bottom to top, gates midway::

        y 0.93   WL drains   (n: 2 licons, p: 5)  -> WL rail (met1 0.815..1.045) to the right edge
        y 1.195  gate WLN    (NMOS W 0.84, PMOS W 1.68)
        y 1.46   sources     n: li1 to the VSS strap; p: VDD rail (met1 1.315..1.605) to the right edge
        y 1.725  gate XN     (NMOS W 0.84, PMOS W 1.68)
        y 1.99   RWL drains  -> RWL rail (met1 1.875..2.105) to the right edge

    The rows are the bitcell's WL / VDD / RWL rails (:class:`~eda.acim.celllib.bitcell.BitcellRows`), the
    n-well band its 0.995..1.925. Below the strips the VSS met1 wire (y 0.305..0.595) runs from the VSS
    strap over the p-tap to the VSS met2 line. Inputs WLN (met1 y 1.05..1.34) and XN (1.58..1.87) touch
    the left edge.
    """
    rows, c = RowDrvRows, DriverCols
    W, H = DRIVER_WIDTH, rows.height  # noqa: N806
    cv = CellCanvas(name, tech, W, H)
    contact_rows = [rows.wl, rows.vdd, rows.rwl]
    nx1, px1 = c.ndiff + rows.wn, c.pdiff + rows.wp
    _vertical_diff(cv, c.ndiff, nx1, contact_rows, "nsdm")
    _vertical_diff(cv, c.pdiff, px1, contact_rows, "psdm")
    _inputs(
        cv,
        [_Input("WLN", rows.gate_wl, rows.gate_wl), _Input("XN", rows.gate_rwl, rows.gate_rwl)],
        px1 + R.endcap,
    )

    n_xs = [c.ndiff + DIFF_EXT, nx1 - DIFF_EXT]
    p_xs = [round(c.p_licon0 + 0.34 * k, 4) for k in range(5)]
    strap = c.vss_strap
    for y in contact_rows:
        _contacts(cv, n_xs, y, li_x1=strap + HALF_LI if y == rows.vdd else None)
        _contacts(cv, p_xs, y)
    cv.vwire("li1", strap, rows.vss - HALF_LI, rows.vdd + HALF_LI, R.li_w)  # VSS strap
    cv.mcon(strap, rows.vss, m1=False)

    # met1: WL, VDD, RWL rails to the right edge, the VSS wire, the mcons onto them
    cv.hwire("met1", n_xs[1] - MCON_M1, W, rows.wl, RAIL)
    cv.hwire("met1", n_xs[1] - MCON_M1, W, rows.rwl, RAIL)
    cv.hwire("met1", p_xs[0] - MCON_M1, W, rows.vdd, 0.29)
    cv.hwire("met1", strap - MCON_M1, c.vss_line + 0.16, rows.vss, 0.29)
    for y in (rows.wl, rows.rwl):
        cv.mcon(n_xs[1], y, m1=False)
    for y in contact_rows:
        for x in p_xs[::2]:
            cv.mcon(x, y, m1=False)
    _power(cv, rows.nwell, rows.vdd, rows.vss, rows.ptap)

    cv.pin("WL", "met1", n_xs[1] - MCON_M1, rows.wl - RAIL / 2, W, rows.wl + RAIL / 2)
    cv.pin("RWL", "met1", n_xs[1] - MCON_M1, rows.rwl - RAIL / 2, W, rows.rwl + RAIL / 2)
    cv.pin("VDD", "met1", p_xs[0] - MCON_M1, rows.vdd - 0.145, W, rows.vdd + 0.145)
    cv.rails.update({"VDD": rows.vdd, "VSS": rows.vss})
    devices = [
        Mos("1", "n", "WL", "WLN", "VSS", w=rows.wn),
        Mos("2", "p", "WL", "WLN", "VDD", w=rows.wp),
        Mos("3", "n", "RWL", "XN", "VSS", w=rows.wn),
        Mos("4", "p", "RWL", "XN", "VDD", w=rows.wp),
    ]
    ports = ["WLN", "XN", "WL", "RWL", "VDD", "VSS", "VPB", "VNB"]
    return cv.finish(
        "row_driver",
        ports,
        [],
        extra_lines=[_tied(d) for d in devices],
        params={"nmos_w": rows.wn, "pmos_w": rows.wp},
    )


class CtrlDrvRows:
    """y coordinates (µm) of the control driver (two stacked inverter pairs sharing a source row each)."""

    height = ComputeRows.height  # 3.14
    rails = ComputeRows.rails  # met1 rails at the right edge (centre, width)
    # contact rows (0.43 pitch: licon.11 0.055 to the gates) and gates
    rst, s1, sh = 0.525, 0.955, 1.385  # RST drains' li1 0.17 above the VSS li1 bar; SH on its rail
    en, s2, pchb = 1.945, 2.375, 2.805  # 0.27 diffusion gap (difftap.3); p-strip 0.19 below the top edge
    gates = {"RSTN": 0.74, "SHN": 1.17, "ENN": 2.16, "PCHN": 2.59}
    pads = {"RSTN": 0.64, "SHN": 1.27, "ENN": 2.06, "PCHN": 2.69}  # jogged 0.10 apart (poly.2)
    vss_bar = 0.185  # VSS li1 bar under the RST contacts, from the VSS strap to its mcon at x vss_mcon
    vss_mcon = 3.90  # 0.19 right of the RST wire's jog
    vss_wire = (0.07, 0.30)  # VSS met1 from the bar's mcon; the full rail (0.07..0.36) from vss_rail_x
    vss_rail_x = 4.30  # over the p-tap's mcon
    jog = 3.45  # x of the RST and EN wires' vertical jogs
    pchb_mcon = 1.30
    ptap = 0.46
    nwell = ComputeRows.nwell  # band (2.025, 2.865) at the right edge
    wn, wp = 0.42, 0.84


def ctrldrv(tech: Tech, name: str = "ctrldrv") -> DrawnCell:
    """Draw the control driver: ``PCHN -> PCHB``, ``ENN -> EN``, ``SHN -> SH``, ``RSTN -> RST``.

    5.30 × 3.14 µm. Contact rows (y) on the n-strip (x 0.64..1.06, W 0.42) and the p-strip (x 2.00..2.84,
    W 0.84), bottom to top::

        0.525  RST drains    met1 wire, jogs up to the RST rail (1.015) at x 3.45
        0.74   gate RSTN
        0.955  sources       n: li1 to the VSS strap; p: li1 to the VDD strap (x 3.115)
        1.17   gate SHN
        1.385  SH drains     met1 wire on the SH rail's y to the right edge
        -----  0.27 diffusion gap
        1.945  EN drains     met1 wire, jogs down to the EN rail (1.755) at x 3.45
        2.16   gate ENN
        2.375  sources       n: VSS strap; p: VDD strap, mcon -> VDD rail (2.555)
        2.59   gate PCHN
        2.805  PCHB drains   li1 bar over both strips, mcon at x 1.30 -> PCHB rail (2.955)

    The VSS strap comes down to an li1 bar (y 0.10..0.27) under the RST contacts; its mcon at x 3.90 starts
    the VSS met1 wire (0.07..0.30), the full VSS rail (0.07..0.36) from x 4.30 to the right edge. Inputs
    PCHN, ENN, SHN, RSTN touch the left edge on met1, 0.29 tall, centred on ``params["inputs"]`` (µm).
    """
    rows, c = CtrlDrvRows, DriverCols
    W, H = DRIVER_WIDTH, rows.height  # noqa: N806
    cv = CellCanvas(name, tech, W, H)
    nx1, px1 = c.ndiff + rows.wn, c.pdiff + rows.wp
    pairs = [[rows.rst, rows.s1, rows.sh], [rows.en, rows.s2, rows.pchb]]
    for pair in pairs:
        cv.rect("diff", c.ndiff, pair[0] - DIFF_EXT, nx1, pair[2] + DIFF_EXT)
        cv.rect("diff", c.pdiff, pair[0] - DIFF_EXT, px1, pair[2] + DIFF_EXT)
    lo, e = rows.rst - DIFF_EXT - R.impl_diff, R.impl_diff
    cv.rect("nsdm", c.ndiff - e, lo, nx1 + e, H)  # to the top edge (0.065 short of it otherwise)
    cv.rect("psdm", c.pdiff - e, lo, px1 + e, H)
    _inputs(cv, [_Input(net, rows.gates[net], rows.pads[net]) for net in rows.gates], px1 + R.endcap)

    xn = c.ndiff + rows.wn / 2
    p_xs = [c.p_licon0, px1 - DIFF_EXT]
    strap_n = c.vss_strap
    strap_p = p_xs[1] + PAD_LONG + R.li_s + HALF_LI  # VDD strap: 0.17 right of the drains' li1
    y_rail = {net: y for net, (y, _) in rows.rails.items()}
    for y in (rows.s1, rows.s2):
        _contacts(cv, [xn], y, li_x1=strap_n + HALF_LI)
        _contacts(cv, p_xs, y, li_x1=strap_p + HALF_LI)
    for y in (rows.rst, rows.sh, rows.en):
        _contacts(cv, [xn], y)
        _contacts(cv, p_xs, y)
        for x in (xn, *p_xs):
            cv.mcon(x, y, m1=False)
    for x in (xn, *p_xs):  # PCHB: one li1 bar over both strips
        cv.licon(x, rows.pchb)
    cv.rect("li1", xn - PAD_LONG, rows.pchb - HALF_LI, p_xs[1] + PAD_LONG, rows.pchb + HALF_LI)
    cv.rect(
        "li1",
        rows.pchb_mcon - HALF_LI,
        rows.pchb - HALF_LI,
        rows.pchb_mcon + HALF_LI,
        y_rail["PCHB"] + HALF_LI,
    )
    cv.mcon(rows.pchb_mcon, y_rail["PCHB"], m1=False)
    cv.vwire("li1", strap_n, rows.vss_bar - HALF_LI, rows.s2 + HALF_LI, R.li_w)
    cv.hwire("li1", strap_n - HALF_LI, rows.vss_mcon + HALF_LI, rows.vss_bar, R.li_w)
    cv.mcon(rows.vss_mcon, rows.vss_bar, m1=False)
    cv.vwire("li1", strap_p, rows.s1 - HALF_LI, rows.s2 + HALF_LI, R.li_w)
    cv.mcon(strap_p, rows.s2, m1=False)

    # met1: output wires from the n drain mcon to their rails, VDD, VSS
    x0 = xn - MCON_M1
    half = RAIL / 2
    jog = rows.jog
    cv.rect("met1", x0, rows.rst - half, jog + half, rows.rst + half)  # RST
    cv.rect("met1", jog - half, rows.rst - half, jog + half, y_rail["RST"] + half)
    cv.hwire("met1", jog - half, W, y_rail["RST"], RAIL)
    cv.hwire("met1", x0, W, y_rail["SH"], RAIL)  # SH
    cv.rect("met1", x0, rows.en - half, jog + half, rows.en + half)  # EN
    cv.rect("met1", jog - half, y_rail["EN"] - half, jog + half, rows.en + half)
    cv.hwire("met1", jog - half, W, y_rail["EN"], RAIL)
    cv.hwire("met1", rows.pchb_mcon - MCON_M1, W, y_rail["PCHB"], RAIL)  # PCHB
    cv.box("met1", strap_p, rows.s2, PAD_M1, PAD_M1)  # VDD
    cv.hwire("met1", strap_p - PAD_M1 / 2, W, y_rail["VDD"], rows.rails["VDD"][1])
    cv.rect("met1", rows.vss_mcon - MCON_M1, rows.vss_wire[0], W, rows.vss_wire[1])  # VSS
    cv.hwire("met1", rows.vss_rail_x, W, y_rail["VSS"], rows.rails["VSS"][1])
    _power(cv, rows.nwell, y_rail["VDD"], y_rail["VSS"], rows.ptap)

    rail_x0 = {
        "RST": jog - half,
        "SH": x0,
        "EN": jog - half,
        "PCHB": rows.pchb_mcon - MCON_M1,
        "VDD": strap_p - PAD_M1 / 2,
        "VSS": rows.vss_rail_x,
    }
    for net, x in rail_x0.items():
        y, w = rows.rails[net]
        cv.pin(net, "met1", x, y - w / 2, W, y + w / 2)
    cv.rails.update({"VDD": y_rail["VDD"], "VSS": y_rail["VSS"]})
    devices = []
    for k, (out, inp) in enumerate((("RST", "RSTN"), ("SH", "SHN"), ("EN", "ENN"), ("PCHB", "PCHN"))):
        devices += [
            Mos(f"{2 * k + 1}", "n", out, inp, "VSS", w=rows.wn),
            Mos(f"{2 * k + 2}", "p", out, inp, "VDD", w=rows.wp),
        ]
    ports = ["PCHN", "ENN", "SHN", "RSTN", "PCHB", "EN", "SH", "RST", "VDD", "VSS", "VPB", "VNB"]
    return cv.finish(
        "ctrl_driver",
        ports,
        [],
        extra_lines=[_tied(d) for d in devices],
        params={"nmos_w": rows.wn, "pmos_w": rows.wp, "inputs": dict(rows.pads)},
    )
