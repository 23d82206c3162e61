"""The 8T SRAM bitcell on SKY130 logic rules: 2.60 × 2.92 µm = 7.59 µm².

Three horizontal diffusion strips, vertical poly on the gate slots ``g1..g4`` of the column grid
(:mod:`eda.acim.celllib.grid`), from the bottom::

    main n-strip   BL -[WL]- Q -[QB]- VSS -[Q]- QB -[WL]- BLB     access M3, pull-down M1, M2, access M4
    p-strip                  Q -[QB]- VDD -[Q]- QB                 pull-up M5, M6 (in the n-well band)
    read n-strip                      VSS -[Q]- RN -[RWL]- LRBL    read port M7 (gate Q), M8 (gate RWL)

Between the strips lie two poly-contact bands (each inside an ``npc`` band): the lower holds the word-line
contacts of g1/g4 and the Q contact of g3, the upper the QB contact of g2 and the read-word-line contact
of g4 (g4 is cut between the two strips); each band is 0.19 µm (licon.14) from the n-strip and 0.235 µm from
the p-strip (licon.9: poly licon 0.11 from psdm, which encloses the p-diffusion by 0.125). Poly pads jog away from the li1 strips of Q (slot c1) and QB
(slot c3) so every li1 spacing holds. Q and QB are li1 only; WL, RWL and VDD are full-width met1 rails;
BL, CBL, VSS, LRBL and BLB are full-height met2 lines (slots c0..c4). No well taps: the n-well band and
the substrate are tied to VDD/VSS by the tap column (``VPB``/``VNB`` ports). Transistors: W/L 0.42/0.15
(the read port is decoupled, so pull-down and access may be equal; the 0.42 µm PMOS loses every write
fight against the 0.42 µm access NMOS).
"""

from __future__ import annotations

from eda.acim.celllib.cell import Bands, CellCanvas, DrawnCell, Mos
from eda.acim.celllib.grid import ColumnGrid
from eda.layout.sky130 import R
from eda.tech import Tech

__all__ = ["bitcell", "BITCELL_HEIGHT", "BitcellRows"]


class BitcellRows:
    """y coordinates (µm) of the bitcell's strips and contact bands (without ``extra_height``)."""

    main = (0.235, 0.655)  # poly end cap 0.13 + half poly spacing 0.105 below
    band_np = 0.93  # licon row: 0.19 (licon.14) + 0.085 above the main strip
    p = (1.25, 1.67)  # 0.235 (licon.9 + psd.5a) above the licon row
    band_pr = 1.99
    read = (2.265, 2.685)
    height = 2.92  # read strip + end cap 0.13 + 0.105
    nwell = (0.995, 1.925)  # 0.34 from both n-strips (difftap.9)
    w = 0.42  # every transistor


BITCELL_HEIGHT = BitcellRows.height
PORTS = ["BL", "BLB", "CBL", "LRBL", "WL", "RWL", "VDD", "VSS", "VPB", "VNB"]


def _mid(span: tuple[float, float]) -> float:
    return round((span[0] + span[1]) / 2, 4)


def bitcell(
    tech: Tech, grid: ColumnGrid | None = None, extra_height: float = 0.0, name: str = "bitcell8t"
) -> DrawnCell:
    """Draw the 8T bitcell on ``grid`` (``extra_height`` µm added, half below and half above)."""
    grid = grid or ColumnGrid()
    rows = BitcellRows
    dy = extra_height / 2
    H = rows.height + extra_height  # noqa: N806
    cv = CellCanvas(name, tech, grid.pitch, H)
    c, g = grid.c, grid.g
    y_main, y_p, y_read = (tuple(v + dy for v in s) for s in (rows.main, rows.p, rows.read))
    y_np, y_pr = rows.band_np + dy, rows.band_pr + dy
    ym, yp, yr = _mid(y_main), _mid(y_p), _mid(y_read)
    e = R.diff_licon + R.licon / 2 + 0.02  # diffusion beyond a contact centre: 0.145 (licon.5c 0.06)

    # diffusion strips
    cv.rect("diff", c(0) - e, y_main[0], c(4) + e, y_main[1])
    cv.rect("diff", c(1) - e, y_p[0], c(3) + e, y_p[1])
    cv.rect("diff", c(2) - e, y_read[0], c(4) + e, y_read[1])
    bands = Bands(
        nsdm=[(0, y_main[1] + R.impl_diff), (y_read[0] - R.impl_diff, H)],
        psdm=[(y_p[0] - R.impl_diff, y_p[1] + R.impl_diff)],
        nwell=[(rows.nwell[0] + dy, rows.nwell[1] + dy)],
        npc=[(y - R.licon / 2 - R.npc_plicon, y + R.licon / 2 + R.npc_plicon) for y in (y_np, y_pr)],
    )
    bands.draw(cv)

    # gate poly: g1, g4 (WL) end in the lower band; g2 ends in the upper band; g3 runs through all strips;
    # g4 restarts above the p-strip as the read word line
    bottom, top = y_main[0] - R.endcap, y_read[1] + R.endcap
    pad = R.licon / 2 + R.poly_licon_adj  # poly pad half height (0.165)
    w = R.poly_w / 2
    cv.vwire("poly", g(1), bottom, y_np + pad, R.poly_w)
    cv.vwire("poly", g(2), bottom, y_pr + pad, R.poly_w)
    cv.vwire("poly", g(3), bottom, top, R.poly_w)
    cv.vwire("poly", g(4), bottom, y_np + pad, R.poly_w)
    cv.vwire("poly", g(4), y_pr - pad, top, R.poly_w)
    # poly contacts, jogged 0.34 µm (li.1 + li.3) clear of the Q (c1) and QB (c3) li1 strips
    jog = R.li_w + R.li_s
    x_wl_l, x_wl_r = c(1) - jog, c(3) + jog
    x_q, x_qb = c(3) - jog - 0.005, c(1) + jog + 0.005  # g3's and g2's contacts
    for x, y, gx in (
        (x_wl_l, y_np, g(1)),
        (x_q, y_np, g(3)),
        (x_wl_r, y_np, g(4)),
        (x_qb, y_pr, g(2)),
        (x_wl_r, y_pr, g(4)),
    ):
        cv.poly_contact(x, y, li_along="y")
        cv.rect("poly", min(x, gx) - w, y - pad, max(x, gx) + w, y + pad)  # join pad and gate

    # diffusion contacts (li1 pads long in x unless part of a Q/QB strip)
    for slot in (0, 2, 4):
        cv.diff_contact(c(slot), ym)
    for slot in (1, 3):
        cv.diff_contact(c(slot), ym, li_along=None)
        cv.diff_contact(c(slot), yp, li_along=None)
    cv.diff_contact(c(2), yp)
    cv.diff_contact(c(2), yr)
    cv.diff_contact(c(4), yr)
    # Q: c1 main -> c1 p-strip, over to g3's contact; QB: c3 main -> c3 p-strip -> up to g2's contact
    li_lo = ym - R.licon / 2 - R.li_licon_adj
    half_li = R.li_w / 2
    cv.rect("li1", c(1) - half_li, li_lo, c(1) + half_li, yp + R.licon / 2 + R.li_licon_adj)
    cv.rect("li1", c(1) - half_li, y_np - half_li, x_q + R.licon / 2, y_np + half_li)
    cv.rect("li1", c(3) - half_li, li_lo, c(3) + half_li, y_pr + half_li)
    cv.rect("li1", x_qb - R.licon / 2, y_pr - half_li, c(3) + half_li, y_pr + half_li)

    # met1: WL and RWL rails through the contact bands, VDD rail on the p-strip
    rail = R.mcon + 2 * R.m1_mcon  # 0.23
    cv.hwire("met1", 0, grid.pitch, y_np, rail)
    cv.hwire("met1", 0, grid.pitch, y_pr, rail)
    cv.hwire("met1", 0, grid.pitch, yp, 0.29)
    for x, y in ((x_wl_l, y_np), (x_wl_r, y_np), (x_wl_r, y_pr), (c(2), yp)):
        cv.mcon(x, y, m1=False)
    # met2 column lines, and their drops: BL/BLB/VSS on the main strip, VSS and LRBL on the read strip
    for net in ("BL", "CBL", "VSS", "LRBL", "BLB"):
        cv.vwire("met2", grid.met2(net), 0, H, grid.met2_w)
    for slot, y in ((0, ym), (2, ym), (4, ym), (2, yr)):
        cv.mcon(c(slot), y, m1=False)
        cv.via1(c(slot), y, along="y", m2=False)
        cv.box("met1", c(slot), y, 0.29, 0.32)
    cv.mcon(c(4), yr, m1=False)
    cv.via1(c(3), yr, along="y", m2=False)
    cv.rect("met1", c(3) - 0.145, yr - 0.16, c(4) + 0.145, yr + 0.16)

    # pins
    for net in ("BL", "CBL", "VSS", "LRBL", "BLB"):
        x = grid.met2(net)
        cv.pin(net, "met2", x - grid.met2_w / 2, 0, x + grid.met2_w / 2, H)
    cv.pin("WL", "met1", 0, y_np - rail / 2, grid.pitch, y_np + rail / 2)
    cv.pin("RWL", "met1", 0, y_pr - rail / 2, grid.pitch, y_pr + rail / 2)
    cv.pin("VDD", "met1", 0, yp - 0.145, grid.pitch, yp + 0.145)
    cv.pin("VPB", "nwell", 0, rows.nwell[0] + dy, grid.pitch, rows.nwell[1] + dy)
    cv.rails.update({"VDD": yp})
    devices = [
        Mos("1", "n", "Q", "QB", "VSS"),
        Mos("2", "n", "QB", "Q", "VSS"),
        Mos("3", "n", "Q", "WL", "BL"),
        Mos("4", "n", "QB", "WL", "BLB"),
        Mos("5", "p", "Q", "QB", "VDD"),
        Mos("6", "p", "QB", "Q", "VDD"),
        Mos("7", "n", "RN", "Q", "VSS"),
        Mos("8", "n", "LRBL", "RWL", "RN"),
    ]
    return cv.finish("bitcell", PORTS, devices)
