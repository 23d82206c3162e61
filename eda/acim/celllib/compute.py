"""The local-array compute cell: LRBL precharge and the charge switches of the compute capacitor.

One per column per local array, in the compute row at the bottom of the local array: 2.60 × 3.14 µm
(8.16 µm²). Above it sits a bitcell (not mirrored, its main n-strip towards this cell), below it the
mirrored last bitcell of the previous local array or the column periphery. Devices (W/L 0.42/0.15)::

    M1 n  CTOP -[EN]-  LRBL   product switch
    M2 n  CBL  -[SH]-  CTOP   charge sharing onto the column line
    M3 n  CTOP -[RST]- VSS    capacitor reset
    M4 p  LRBL -[PCHB]- VDD   LRBL precharge

Strips from the bottom (x in contact slots ``c0..c4`` of :mod:`eda.acim.celllib.grid`; ``c3-`` and
``c3--`` are 0.215 / 0.43 µm left of ``c3``: a 0.43 µm contacted pitch)::

    n-row    CTOP' -[SH g1]- CBL  |gap|  LRBL -[EN]- CTOP -[RST g4]- VSS      y 0.42..0.84
             c0              c1          c3--        c3             c4
    p-strip                              LRBL -[PCHB]- VDD                   y 2.265..2.685 (n-well)
                                         c3--          c3

The two CTOP contacts of the n-row are joined by an li1 bus under the row (y 0.125..0.295). Gate
contacts sit under their met1 rails (mcon on the poly contact), RST 0.10 µm above its rail; the
PCHB poly leaves the p-strip upwards and is contacted right of it. met1, from the bottom: VSS rail,
pad track A (CBL and CTOP vias), RST, SH, EN rails, pad track F (LRBL via), VDD rail, PCHB rail.
met2: BL (c0), CBL (c1), VSS (c2) and BLB (c4) full height; on c3 the LRBL line from the top edge
down to track F, and below it (1.17 µm clear) the CTOP pad that the capacitor's via2 lands on
(centre in ``params["ctop_via2"]``). The n-well band (y 2.025..2.865) ends 0.275 µm below the top
edge: the bitcell above keeps its own n-well 0.995 µm above its bottom edge (nwell.2a 1.27). No
taps: ``VPB`` (n-well) and ``VNB`` (substrate) are tied by the tap column.
"""

from __future__ import annotations

from eda.acim.celllib.cell import Bands, CellCanvas, DrawnCell, Mos
from eda.acim.celllib.grid import ColumnGrid
from eda.layout.sky130 import R
from eda.tech import Tech

__all__ = ["compute", "ComputeRows", "COMPUTE_HEIGHT"]


class ComputeRows:
    """y coordinates (µm) of the compute cell: rails (centre, width), strips and bands."""

    height = 3.14
    # met1: full-width rails (centre y, width) and the two via pad tracks (centre y)
    rails = {
        "VSS": (0.215, 0.29),
        "RST": (1.015, 0.23),
        "SH": (1.385, 0.23),
        "EN": (1.755, 0.23),
        "VDD": (2.555, 0.29),
        "PCHB": (2.955, 0.23),
    }
    track_a = 0.63  # CBL and CTOP via stacks (pads 0.26 tall)
    track_f = 2.14  # LRBL via stack
    n_row = (0.42, 0.84)  # centred on track A: contacts, mcon and via stack on one spot
    p_row = (2.265, 2.685)
    nwell = (2.025, 2.865)  # 0.275 below the top edge: 1.27 from the bitcell's n-well above
    ctop_bus = (0.125, 0.295)  # li1 bus joining the two CTOP contacts, under the n-row
    rst_licon = 1.115  # RST poly contact: 0.19 (licon.14) above the n-row; its mcon is on the rail below
    pchb_licon = 2.90  # PCHB poly contact: its pad ends 0.105 below the top edge; mcon on the rail above


COMPUTE_HEIGHT = ComputeRows.height
PORTS = ["LRBL", "CTOP", "CBL", "PCHB", "EN", "SH", "RST", "VDD", "VSS", "VPB", "VNB"]
TIGHT = R.licon / 2 + R.licon_gate + R.poly_w / 2  # 0.215: contact centre to gate centre, 0.43 pitch


def compute(tech: Tech, grid: ColumnGrid | None = None, name: str = "compute") -> DrawnCell:
    """Draw the compute cell on ``grid`` (2.60 × 3.14 µm on the default grid)."""
    grid = grid or ColumnGrid()
    rows = ComputeRows
    H, W = rows.height, grid.pitch  # noqa: N806
    cv = CellCanvas(name, tech, W, H)
    c = grid.c
    e = R.diff_licon + R.licon / 2 + 0.02  # 0.145: diffusion beyond a contact centre (licon.5c)
    hl, hw = R.licon / 2, R.li_w / 2  # 0.085, 0.085
    ya, yf = rows.track_a, rows.track_f
    yn = (rows.n_row[0] + rows.n_row[1]) / 2
    yp = (rows.p_row[0] + rows.p_row[1]) / 2
    y_rail = {net: y for net, (y, _) in rows.rails.items()}

    # x positions: group 1 (M2) on c0/c1, group 2 (M1, M3) with CTOP on c3, the p-strip above group 2
    x_ctop1, x_sh, x_cbl = c(0), grid.g(1), c(1)
    x_ctop, x_en, x_lrbl = c(3), c(3) - TIGHT, c(3) - 2 * TIGHT
    x_rst, x_vss = grid.g(4), c(4)
    x_en_con = x_lrbl + hw + R.li_s + hw  # EN contact: 0.17 right of the LRBL li1 strip
    x_pchb_con = W - 0.135 - R.licon / 2 - R.npc_plicon  # npc 0.135 from the right edge

    # diffusion and bands
    cv.rect("diff", x_ctop1 - e, rows.n_row[0], x_cbl + e, rows.n_row[1])
    cv.rect("diff", x_lrbl - e, rows.n_row[0], x_vss + e, rows.n_row[1])
    cv.rect("diff", x_lrbl - e, rows.p_row[0], x_ctop + e, rows.p_row[1])
    npc = R.licon / 2 + R.npc_plicon  # 0.185: npc half size around a poly licon
    Bands(nsdm=[(0, rows.n_row[1] + R.impl_diff)], nwell=[rows.nwell]).draw(cv)
    # psdm only over the p-strip: the PCHB poly contact beside it keeps licon.9 (0.11 from psdm)
    cv.rect(
        "psdm",
        x_lrbl - e - R.impl_diff,
        rows.p_row[0] - R.impl_diff,
        x_ctop + e + R.impl_diff,
        rows.p_row[1] + R.impl_diff,
    )

    # gate poly and poly contacts (pad along y unless noted; mcon on the licon except RST and PCHB)
    pw = R.poly_w / 2
    n_bot = rows.n_row[0] - R.endcap
    pad_l, pad_s = R.licon / 2 + R.poly_licon_adj, R.licon / 2 + R.poly_licon  # 0.165, 0.135
    y_sh, y_en = y_rail["SH"], y_rail["EN"]
    cv.vwire("poly", x_sh, n_bot, y_sh + pad_l, R.poly_w)
    cv.vwire("poly", x_en, n_bot, y_en + pad_l, R.poly_w)
    cv.vwire("poly", x_rst, n_bot, rows.rst_licon + pad_l, R.poly_w)
    for x, y in ((x_sh, y_sh), (x_en_con, y_en), (x_rst, rows.rst_licon)):
        cv.poly_contact(x, y, li_along="y")
        cv.rect("npc", x - npc, y - npc, x + npc, y + npc)
    cv.rect("poly", x_en - pw, y_en - pad_l, x_en_con + pad_s, y_en + pad_l)  # EN gate to its jogged pad
    # PCHB: gate through the p-strip, a bar above it (0.08 clear) to the pad right of the strip
    y_pc = rows.pchb_licon
    cv.vwire("poly", x_en, rows.p_row[0] - R.endcap, y_pc + pad_s, R.poly_w)
    cv.rect("poly", x_en - pw, y_pc - pad_s, x_pchb_con + pad_l, y_pc + pad_s)
    cv.poly_contact(x_pchb_con, y_pc, li_along="x", pad_along="x")
    cv.rect("npc", x_pchb_con - npc, y_pc - npc, x_pchb_con + npc, y_pc + npc)

    # diffusion contacts and li1
    li_pad = R.licon / 2 + R.li_licon_adj  # 0.165
    for x in (x_ctop1, x_cbl, x_ctop, x_vss):
        cv.diff_contact(x, yn, li_along="x")
    cv.diff_contact(x_lrbl, yn, li_along=None)
    cv.diff_contact(x_lrbl, yp, li_along=None)
    cv.diff_contact(x_ctop, yp, li_along="y")
    bus0, bus1 = rows.ctop_bus
    cv.rect("li1", x_ctop1 - hw, bus0, x_ctop + hw, bus1)  # CTOP bus
    cv.rect("li1", x_ctop1 - hw, bus0, x_ctop1 + hw, yn)
    cv.rect("li1", x_ctop - hw, bus0, x_ctop + hw, yn)
    cv.rect("li1", x_vss - hw, y_rail["VSS"] - hl, x_vss + hw, yn)  # VSS down to its rail
    cv.rect("li1", x_lrbl - hw, yn - li_pad, x_lrbl + hw, yp + li_pad)  # LRBL: n-row, track F, p-strip
    cv.rect("li1", x_rst - hw, y_rail["RST"] - hl, x_rst + hw, rows.rst_licon)  # RST contact to its mcon
    cv.rect("li1", x_pchb_con - li_pad, y_pc, x_pchb_con + li_pad, y_rail["PCHB"] + hl)  # PCHB to its mcon

    # met1: rails, mcons onto them, the via pad tracks
    for net, (y, w) in rows.rails.items():
        cv.hwire("met1", 0, W, y, w)
        cv.pin(net, "met1", 0, y - w / 2, W, y + w / 2)
    for x, y in (
        (x_vss, y_rail["VSS"]),
        (x_rst, y_rail["RST"]),
        (x_sh, y_sh),
        (x_en_con, y_en),
        (x_ctop, y_rail["VDD"]),
        (x_pchb_con, y_rail["PCHB"]),
        (x_cbl, ya),
        (x_ctop, ya),
        (x_lrbl, yf),
    ):
        cv.mcon(x, y, m1=False)
    pad_w, pad_h = 0.34, R.via + 2 * R.m1_via  # 0.34 × 0.26 (m1.6 area 0.088)
    for x in (x_cbl, x_ctop):
        cv.box("met1", x, ya, pad_w, pad_h)
    cv.rect("met1", x_lrbl - hl - R.m1_mcon_adj, yf - pad_h / 2, x_ctop + pad_w / 2, yf + pad_h / 2)

    # met2: column lines, vias to them, LRBL from the top edge, the CTOP pad
    m2w = grid.met2_w
    for net in ("BL", "CBL", "VSS", "BLB"):
        x = grid.met2(net)
        cv.vwire("met2", x, 0, H, m2w)
        cv.pin(net, "met2", x - m2w / 2, 0, x + m2w / 2, H)
    cv.via1(x_cbl, ya, along="x", m1=False, m2=False)
    cv.via1(grid.met2("VSS"), y_rail["VSS"], along="x", m1=False, m2=False)
    x3 = grid.met2("LRBL")
    cv.via1(x3, yf, along="x", m1=False, m2=False)
    lrbl_bot = yf - R.via / 2 - R.m2_via_adj
    cv.rect("met2", x3 - m2w / 2, lrbl_bot, x3 + m2w / 2, H)
    cv.pin("LRBL", "met2", x3 - m2w / 2, lrbl_bot, x3 + m2w / 2, H)
    cv.via1(x3, ya, along="x", m1=False, m2=False)
    ctop_w = R.via2 + 2 * R.m2_via2  # 0.28
    ctop_h = R.via2 + 2 * R.m2_via2_adj  # 0.37
    cv.box("met2", x3, ya, ctop_w, ctop_h)
    cv.pin("CTOP", "met2", x3 - ctop_w / 2, ya - ctop_h / 2, x3 + ctop_w / 2, ya + ctop_h / 2)
    cv.pin("VPB", "nwell", 0, rows.nwell[0], W, rows.nwell[1])
    cv.rails.update({net: y for net, y in y_rail.items()})

    devices = [
        Mos("1", "n", "CTOP", "EN", "LRBL"),
        Mos("2", "n", "CBL", "SH", "CTOP"),
        Mos("3", "n", "CTOP", "RST", "VSS"),
        Mos("4", "p", "LRBL", "PCHB", "VDD"),
    ]
    return cv.finish("compute", PORTS, devices, params={"ctop_via2": [x3, ya]})
