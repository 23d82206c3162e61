"""Column periphery of the ACIM array: the column-reset/share row (COLPER) and the ADC row.

Both rows sit under the array's first compute row and are one column pitch (2.60 µm) wide, drawn on the
column grid (:mod:`eda.acim.celllib.grid`) in the bitcell's style: horizontal diffusion strips, vertical
poly on the gate slots ``g1..g4``, poly contacts in ``npc`` bands, li1 for local nets, full-width met1
rails, met2 on the column slots ``c0..c4``. From the top of the array down:

* :func:`colper` / :func:`colper_end` (1.94 µm tall): the column reset (``CRST``) and the charge-share
  switch (``CSH``) that puts the column line ``CBL`` onto the ADC group's input line ``ADCIN``. The last
  column of an ADC group is a :func:`colper_end`: its ``ADCIN`` rail stops short of the right edge (the
  next group's line is another net) and drops to the comparator on met2 ``c3``.
* :func:`comparator` (3.54 µm tall): a StrongARM latch under the last column of each group;
  :func:`adc_fill` is the filler under every other column (same rails and bands, two well taps).

The SAR logic below the ADC row is an abstract block: it picks up ``OUTP``/``OUTN`` on met2 ``c0``/``c4``
at the comparator's bottom edge. Coordinates are µm from the cell's lower-left corner. All transistors
are W/L 0.42/0.15.

Besides the rules the shared drawing brief lists, the poly contacts keep ``licon.9`` (0.11 µm from
``psdm``): the comparator's clock contact sits 0.235 µm from the p-strip (0.11 + the 0.125 implant
enclosure of the p-diffusion) rather than the 0.19 µm of ``licon.14``.
"""

from __future__ import annotations

from eda.acim.celllib.cell import Bands, CellCanvas, DrawnCell, Mos
from eda.acim.celllib.grid import ColumnGrid
from eda.layout.sky130 import R
from eda.tech import Tech

__all__ = [
    "colper",
    "colper_end",
    "comparator",
    "adc_fill",
    "COLPER_HEIGHT",
    "ADC_HEIGHT",
    "ColperRows",
    "AdcRows",
]

HALF_LI = R.li_w / 2  # 0.085: half an li1 wire
PAD_LONG = R.licon / 2 + R.li_licon_adj  # 0.165: li1 pad half length over a licon (li.5)
POLY_PAD = R.licon / 2 + R.poly_licon_adj  # 0.165: poly pad half height over a poly licon (licon.8a)
DIFF_EXT = R.diff_licon + R.licon / 2 + 0.02  # 0.145: diffusion beyond a contact centre (as the bitcell)
MCON_M1 = R.mcon / 2 + R.m1_mcon_adj  # 0.145: met1 beyond an mcon centre along a wire (m1.5)
VIA_M1_LONG = R.via / 2 + R.m1_via_adj  # 0.16: met1/met2 beyond a via centre on the long edges (via.5a)
RAIL = R.mcon + 2 * R.m1_mcon  # 0.23: signal rail (mcon enclosure 0.03 above and below)
PAD = R.via + 2 * R.m1_via  # 0.26: met1 pad or wire carrying a via (0.055 above and below)
POWER = 0.29  # VDD/VSS rail width (brief)
NPC_HALF = R.licon / 2 + R.npc_plicon  # 0.185: npc band half height around a poly licon row
TAP_HALF_W = R.licon / 2 + R.tap_licon  # 0.205: tap half width (licon.7: 0.12 beyond the licon)
TAP_HALF_H = R.licon / 2 + R.li_licon_adj + 0.005  # 0.17: tap half height


class ColperRows:
    """y coordinates (µm) of the COLPER row.

    met1 from the bottom: VSS, ADCIN, the CBL via pad, CSH, CRST, each 0.14 from the next (the row is as
    tall as these five tracks: 0.07 + 0.29 + 0.23 + 0.26 + 0.23 + 0.23 + 4 × 0.14 + 0.07 = 1.94).
    """

    vss = 0.215
    adcin = 0.615
    strip = (0.79, 1.21)  # the CBL via pad sits on the strip's c1 contact (y 1.00)
    gate = 1.485  # poly contact row: 0.19 (licon.14) + half a licon above the strip
    csh = 1.385
    crst = 1.755
    height = 1.94


class AdcRows:
    """y coordinates (µm) of the ADC row (comparator and filler).

    From the bottom: tail strip, clock contact band, p-strip (in the n-well), n-strip, gate contact band.
    met1 tracks: VSS, the tail's via pad, CLK, VDD, then (t1) the via pads of OUTP/TAIL/OUTN, (t2) the OUTP
    cross-coupling jumper, (t3) the OUTN jumper, VREF and (t5) the ADCIN via pad, 0.14 apart.
    """

    tail = (0.235, 0.655)  # poly end cap 0.13 + half poly spacing 0.105 below
    clk_band = 0.93  # 0.19 (licon.14) + half a licon above the tail strip
    p = (1.25, 1.67)  # clock licon + 0.11 (licon.9) + 0.125 (psd.5a) below
    nwell = (0.995, 1.85)  # 0.34 from the tail strip and from the n-strip (difftap.9)
    n = (2.19, 2.61)
    gate = 2.92  # gate contact row, raised so the g4 contact's li clears the OUTN drop at c4
    impl = (1.125, 1.93)  # psdm band between the two nsdm bands (licon.9: 0.11 above the clock licon)
    vss = 0.215
    tail_pad = 0.63
    clk = 1.015
    vdd = 1.415
    t1 = 1.83
    t2 = 2.215
    t3 = 2.585
    vref = 2.955
    adcin = 3.34
    height = 3.54


COLPER_HEIGHT = ColperRows.height
ADC_HEIGHT = AdcRows.height
COLPER_PORTS = ["CBL", "ADCIN", "CRST", "CSH", "VSS", "VNB"]
COMPARATOR_PORTS = ["ADCIN", "VREF", "CLK", "OUTP", "OUTN", "VDD", "VSS", "VPB", "VNB"]
FILL_PORTS = ["CLK", "VREF", "VDD", "VSS", "VPB", "VNB"]


def _mid(span: tuple[float, float]) -> float:
    return round((span[0] + span[1]) / 2, 4)


def _li_column(cv: CellCanvas, x: float, y0: float, y1: float) -> None:
    """A vertical li1 wire (0.17 wide) centred on ``x`` from ``y0`` to ``y1``."""
    cv.rect("li1", x - HALF_LI, y0, x + HALF_LI, y1)


def _strip(cv: CellCanvas, grid: ColumnGrid, first: int, last: int, span: tuple[float, float]) -> None:
    """A diffusion strip from contact slot ``first`` to ``last`` over the y range ``span``."""
    cv.rect("diff", grid.c(first) - DIFF_EXT, span[0], grid.c(last) + DIFF_EXT, span[1])


def _via_stack(cv: CellCanvas, x: float, y: float, x0: float, x1: float, *, mcon: bool = True) -> None:
    """mcon (optional) and via1 at ``(x, y)`` on a 0.26 µm tall met1 pad from ``x0`` to ``x1``."""
    if mcon:
        cv.mcon(x, y, m1=False)
    cv.via1(x, y, along="x", m1=False, m2=False)
    cv.hwire("met1", x0, x1, y, PAD)


def _met2_line(cv: CellCanvas, grid: ColumnGrid, slot: int, y0: float, y1: float) -> None:
    """A column met2 line (0.26 wide) on contact slot ``slot`` from ``y0`` to ``y1``."""
    cv.vwire("met2", grid.c(slot), y0, y1, grid.met2_w)


def _rail(cv: CellCanvas, net: str, y: float, width: float, x1: float | None = None) -> None:
    """A met1 rail of ``width`` centred on ``y`` from the left edge to ``x1`` (default: the right edge)."""
    right = cv.width if x1 is None else x1
    cv.hwire("met1", 0, right, y, width)
    cv.pin(net, "met1", 0, y - width / 2, right, y + width / 2)
    cv.rails[net] = y


def _colper(tech: Tech, grid: ColumnGrid, name: str, end: bool) -> DrawnCell:
    rows = ColperRows
    cv = CellCanvas(name, tech, grid.pitch, rows.height)
    c, g = grid.c, grid.g
    H, W = rows.height, grid.pitch  # noqa: N806
    ys = _mid(rows.strip)

    # one n-strip: ADCIN (c0) -[CSH]- CBL (c1) -[CRST]- VSS (c2); nsdm over the whole cell
    _strip(cv, grid, 0, 2, rows.strip)
    Bands(nsdm=[(0, H)], npc=[(rows.gate - NPC_HALF, rows.gate + NPC_HALF)]).draw(cv)
    for gx in (g(1), g(2)):
        cv.vwire("poly", gx, rows.strip[0] - R.endcap, rows.gate, R.poly_w)
        cv.poly_contact(gx, rows.gate, li_along="y")
    # CSH contact li down to its rail, CRST contact li up to its rail
    cv.rect("li1", g(1) - HALF_LI, rows.csh - R.mcon / 2, g(1) + HALF_LI, rows.gate + PAD_LONG)
    cv.rect("li1", g(2) - HALF_LI, rows.gate - PAD_LONG, g(2) + HALF_LI, rows.crst + R.mcon / 2)
    cv.mcon(g(1), rows.csh, m1=False)
    cv.mcon(g(2), rows.crst, m1=False)

    # strip contacts: ADCIN and VSS drop on li1 to their rails, CBL goes up on met2 from the strip
    for slot in (0, 1, 2):
        cv.diff_contact(c(slot), ys, li_along="x")
    _li_column(cv, c(0), rows.adcin - R.mcon / 2, ys)
    _li_column(cv, c(2), rows.vss - R.mcon / 2, ys)
    cv.mcon(c(0), rows.adcin, m1=False)
    cv.mcon(c(2), rows.vss, m1=False)
    cv.via1(c(2), rows.vss, along="x", m1=False, m2=False)
    _via_stack(cv, c(1), ys, c(1) - VIA_M1_LONG, c(1) + VIA_M1_LONG)
    cbl_bottom = ys - VIA_M1_LONG
    _met2_line(cv, grid, 1, cbl_bottom, H)
    _met2_line(cv, grid, 2, 0, H)

    # met1 rails; the group's last column ends its ADCIN line 0.14 short of the right edge (m1.2) and
    # drops it on met2 c3 to the comparator below
    _rail(cv, "VSS", rows.vss, POWER)
    _rail(cv, "ADCIN", rows.adcin, RAIL, W - R.m1_s if end else None)
    _rail(cv, "CSH", rows.csh, RAIL)
    _rail(cv, "CRST", rows.crst, RAIL)
    if end:
        # via pad: the rail widened upwards to 0.26 around the via (0.055 below and above it)
        via_y = rows.adcin - RAIL / 2 + PAD / 2
        cv.via1(c(3), via_y, along="x", m1=False, m2=False)
        cv.rect("met1", c(3) - VIA_M1_LONG, rows.adcin - RAIL / 2, c(3) + VIA_M1_LONG, via_y + PAD / 2)
        _met2_line(cv, grid, 3, 0, via_y + VIA_M1_LONG)
        cv.pin("ADCIN", "met2", c(3) - grid.met2_w / 2, 0, c(3) + grid.met2_w / 2, via_y + VIA_M1_LONG)

    cv.pin("CBL", "met2", c(1) - grid.met2_w / 2, cbl_bottom, c(1) + grid.met2_w / 2, H)
    cv.pin("VSS", "met2", c(2) - grid.met2_w / 2, 0, c(2) + grid.met2_w / 2, H)
    devices = [Mos("1", "n", "CBL", "CRST", "VSS"), Mos("2", "n", "ADCIN", "CSH", "CBL")]
    return cv.finish("colper_end" if end else "colper", COLPER_PORTS, devices, params={"adcin_rail_end": end})


def colper(tech: Tech, grid: ColumnGrid | None = None, name: str = "colper") -> DrawnCell:
    """Column reset and charge-share switch: 2.60 × 1.94 µm, one n-strip (bottom to top)::

        met1 VSS rail (y 0.215, 0.29 wide)      VSS via to met2 c2
        met1 ADCIN rail (y 0.615)               <- li1 from the c0 contact
        n-strip  ADCIN -[CSH]- CBL -[CRST]- VSS  (c0, g1, c1, g2, c2; y 0.79..1.21)
                 CBL: mcon + via on the c1 contact (y 1.00) -> met2 c1 up to the top edge
        met1 CSH rail (y 1.385)                 <- li1 down from the g1 poly contact
        poly contact row (y 1.485, npc band)    g1 (CSH), g2 (CRST)
        met1 CRST rail (y 1.755)                <- li1 up from the g2 poly contact

    M1 resets the column line (CBL to VSS, gate CRST); M2 shares it onto the group's ADCIN line (gate CSH).
    met2: CBL on c1 from the top edge down to the strip, VSS on c2 over the full height; nothing touches
    the top edge at c0, c3, c4 (the compute row ends BL, CTOP and BLB there). No n-well, no taps.
    """
    return _colper(tech, grid or ColumnGrid(), name, end=False)


def colper_end(tech: Tech, grid: ColumnGrid | None = None, name: str = "colper_end") -> DrawnCell:
    """The last column of an ADC group: :func:`colper` whose ADCIN rail stops 0.14 µm before the right
    edge (the next group's ADCIN line is another net) and drops on met2 ``c3`` from a via on the rail
    (x 1.81, y 0.63) to the bottom edge, where the comparator below picks it up.
    """
    return _colper(tech, grid or ColumnGrid(), name, end=True)


def _adc_bands(cv: CellCanvas) -> None:
    """The ADC row's full-width bands: n-well, nsdm/psdm/nsdm (abutting), the two npc bands."""
    rows = AdcRows
    Bands(
        nsdm=[(0, rows.impl[0]), (rows.impl[1], rows.height)],
        psdm=[rows.impl],
        nwell=[rows.nwell],
        npc=[(y - NPC_HALF, y + NPC_HALF) for y in (rows.clk_band, rows.gate)],
    ).draw(cv)


def _adc_rails(cv: CellCanvas, grid: ColumnGrid) -> None:
    """The ADC row's met1 rails (VSS, CLK, VDD, VREF), the VSS met2 line on c2 and its via, the VPB pin."""
    rows = AdcRows
    _rail(cv, "VSS", rows.vss, POWER)
    _rail(cv, "CLK", rows.clk, RAIL)
    _rail(cv, "VDD", rows.vdd, POWER)
    _rail(cv, "VREF", rows.vref, RAIL)
    x = grid.met2("VSS")
    cv.via1(x, rows.vss, along="x", m1=False, m2=False)
    _met2_line(cv, grid, 2, 0, rows.height)
    cv.pin("VSS", "met2", x - grid.met2_w / 2, 0, x + grid.met2_w / 2, rows.height)
    cv.pin("VPB", "nwell", 0, rows.nwell[0], cv.width, rows.nwell[1])


def comparator(tech: Tech, grid: ColumnGrid | None = None, name: str = "comparator") -> DrawnCell:
    """StrongARM latch comparator: 2.60 × 3.54 µm. Strips from the bottom::

        tail n-strip         TAIL -[CLK]- VSS                          M3 (c1, g2, c2)
        clock band (npc)     g2-g3 poly bridge, CLK contact at c2
        p-strip (n-well)     VDD -[OUTN]- OUTP -[CLK]- VDD -[CLK]- OUTN -[OUTP]- VDD   M6, M8, M9, M7
        n-strip              OUTP -[OUTN]- X -[ADCIN]- TAIL -[VREF]- Y -[OUTP]- OUTN   M4, M1, M2, M5
        gate band (npc)      contacts of g1 (OUTN), g2 (ADCIN), g3 (VREF), g4 (OUTP)

    The p-strip's g2 runs on down as the tail gate (CLK); g1 and g4 run from the p-strip through the
    n-strip (the cross-coupled gates). X and Y are plain diffusion between gates (no contacts). li1 joins
    OUTP (p c1 to n c0) and OUTN (p c3 to n c4) between the p- and n-strips; met1 jumpers close the cross
    coupling (t2: OUTP to the g4 contact, t3: OUTN to the g1 contact). TAIL crosses the p-strip on met2
    ``c1`` (from the tail's c1 contact to the n-strip's c2 contact through pads at y 0.63 and 1.83).
    met1 rails: VSS (y 0.215), CLK (1.015), VDD (1.415), VREF (2.955); met2: OUTP on c0 and OUTN on c4
    from y 1.83 down to the bottom edge, VSS on c2 over the full height, ADCIN on c3 from the top edge
    down to its via (y 3.34), TAIL on c1 (y 0.47..1.99, inside the cell).
    """
    grid = grid or ColumnGrid()
    rows = AdcRows
    cv = CellCanvas(name, tech, grid.pitch, rows.height)
    c, g = grid.c, grid.g
    H = rows.height  # noqa: N806
    yt, yp, yn = _mid(rows.tail), _mid(rows.p), _mid(rows.n)
    _adc_bands(cv)
    _adc_rails(cv, grid)

    # diffusion strips; the p-strip's end contacts move 0.025 inwards so the strip keeps 0.18 from the
    # side edges (difftap.8 holds at the end of a row, where the n-well band ends at the cell edge)
    end_x = R.nwell_pdiff + R.diff_licon + R.licon / 2  # 0.305: contact centre 0.18 + 0.125 from an edge
    px = {slot: c(slot) for slot in range(5)} | {0: max(c(0), end_x), 4: min(c(4), grid.pitch - end_x)}
    _strip(cv, grid, 1, 2, rows.tail)
    cv.rect("diff", px[0] - end_x + R.nwell_pdiff, rows.p[0], px[4] + end_x - R.nwell_pdiff, rows.p[1])
    _strip(cv, grid, 0, 4, rows.n)

    # poly: g2 from the tail strip through the p-strip (CLK), g3 from the clock bridge (as tall as the
    # contact's pad, so no notch faces g2/g3) through the p-strip;
    # g1 and g4 from the p-strip through the n-strip to the gate band; the n-strip's own g2 and g3
    w = R.poly_w
    cv.vwire("poly", g(2), rows.tail[0] - R.endcap, rows.p[1] + R.endcap, w)
    cv.vwire("poly", g(3), rows.clk_band, rows.p[1] + R.endcap, w)
    cv.rect("poly", g(2) - w / 2, rows.clk_band - POLY_PAD, g(3) + w / 2, rows.clk_band + POLY_PAD)
    cv.poly_contact(c(2), rows.clk_band, li_along=None)
    for slot in (1, 4):
        cv.vwire("poly", g(slot), rows.p[0] - R.endcap, rows.gate, w)
    for slot in (2, 3):
        cv.vwire("poly", g(slot), rows.n[0] - R.endcap, rows.gate, w)
    # gate contacts 0.48 apart (pad spacing 0.21), shifted so g1's and g4's li1 drops clear the n-strip's
    # c0 and c4 contacts
    gate_x = {1: g(1) + 0.025, 2: g(2) - 0.005, 3: g(3) - 0.035, 4: g(4) - 0.065}
    for x in gate_x.values():
        cv.poly_contact(x, rows.gate, li_along="y")

    # diffusion contacts
    cv.diff_contact(c(1), yt, li_along=None)  # TAIL
    cv.diff_contact(c(2), yt, li_along="x")  # VSS
    for x in px.values():
        cv.diff_contact(x, yp, li_along=None)
    for slot in (0, 2, 4):
        cv.diff_contact(c(slot), yn, li_along=None)

    # li1 below the p-strip: TAIL up to its via pad, VSS down to its rail, CLK up to its rail
    cv.rect("li1", c(1) - HALF_LI, yt - PAD_LONG, c(1) + HALF_LI, rows.tail_pad + R.mcon / 2)
    cv.rect("li1", c(2) - PAD_LONG, yt - HALF_LI, c(2) + PAD_LONG, yt + HALF_LI)
    _li_column(cv, c(2), rows.vss - R.mcon / 2, yt)
    cv.rect("li1", c(2) - HALF_LI, rows.clk_band - PAD_LONG, c(2) + HALF_LI, rows.clk + R.mcon / 2)
    # VDD contacts: pads long in x, reaching down over the rail's mcons
    for slot in (0, 2, 4):
        cv.rect("li1", px[slot] - PAD_LONG, rows.vdd - R.mcon / 2, px[slot] + PAD_LONG, yp + R.licon / 2)
    # OUTP: p c1 up, jog left to c0, up to the n-strip's c0 contact; OUTN the mirror image (c3 -> c4)
    jog_y0 = yp + R.licon / 2 + R.li_s  # 0.17 above the VDD pads
    for up, down in ((1, 0), (3, 4)):
        _li_column(cv, c(up), yp - PAD_LONG, jog_y0 + R.li_w)
        lo, hi = sorted((c(up), c(down)))
        cv.rect("li1", lo - HALF_LI, jog_y0, hi + HALF_LI, jog_y0 + R.li_w)
    _li_column(cv, c(0), jog_y0, yn + PAD_LONG)
    _li_column(cv, c(4), jog_y0, rows.t3 + R.mcon / 2)
    # TAIL: n c2 down to its via pad (t1)
    _li_column(cv, c(2), rows.t1 - R.mcon / 2, yn + PAD_LONG)
    # gate contacts: g1 drops to the OUTN jumper (t3), g4 to the OUTP jumper (t2); g2 rises to the ADCIN
    # pad; g3 carries the VREF rail's mcon
    # (g1's and g4's drops run 0.17 from the n-strip's c0 and c4 li1)
    g1_col, g4_col = c(0) + R.li_w + R.li_s, c(4) - R.li_w - R.li_s  # 0.62, 1.98
    _li_column(cv, g1_col, rows.t3 - R.mcon / 2, rows.gate)
    _li_column(cv, g4_col, rows.t2 - R.mcon / 2, rows.gate)
    _li_column(cv, gate_x[2], rows.gate, rows.adcin + R.mcon / 2)

    # mcons
    cv.mcon(c(2), rows.vss, m1=False)
    cv.mcon(c(2), rows.clk, m1=False)
    for slot in (0, 2, 4):
        cv.mcon(px[slot], rows.vdd, m1=False)
    cv.mcon(gate_x[3], rows.vref, m1=False)

    # met1 pads and jumpers, with their vias
    _via_stack(cv, c(1), rows.tail_pad, c(1) - VIA_M1_LONG, c(1) + VIA_M1_LONG)  # TAIL (tail strip)
    _via_stack(cv, c(0), rows.t1, c(0) - VIA_M1_LONG, c(0) + VIA_M1_LONG)  # OUTP -> met2 c0
    _via_stack(cv, c(4), rows.t1, c(4) - VIA_M1_LONG, c(4) + VIA_M1_LONG)  # OUTN -> met2 c4
    _via_stack(cv, c(1), rows.t1, c(1) - VIA_M1_LONG, c(2) + MCON_M1, mcon=False)  # TAIL (n-strip)
    cv.mcon(c(2), rows.t1, m1=False)
    cv.mcon(c(0), rows.t2, m1=False)
    cv.mcon(g4_col, rows.t2, m1=False)
    cv.hwire("met1", c(0) - MCON_M1, g4_col + MCON_M1, rows.t2, RAIL)
    cv.mcon(c(4), rows.t3, m1=False)
    cv.mcon(g1_col, rows.t3, m1=False)
    cv.hwire("met1", g1_col - MCON_M1, c(4) + MCON_M1, rows.t3, RAIL)
    cv.mcon(gate_x[2], rows.adcin, m1=False)
    _via_stack(cv, c(3), rows.adcin, gate_x[2] - MCON_M1, c(3) + VIA_M1_LONG, mcon=False)

    # met2: OUTP (c0) and OUTN (c4) down to the SAR block, TAIL (c1), ADCIN (c3) from the top edge
    low = rows.t1 + VIA_M1_LONG
    _met2_line(cv, grid, 0, 0, low)
    _met2_line(cv, grid, 4, 0, low)
    _met2_line(cv, grid, 1, rows.tail_pad - VIA_M1_LONG, low)
    _met2_line(cv, grid, 3, rows.adcin - VIA_M1_LONG, H)
    half = grid.met2_w / 2
    cv.pin("OUTP", "met2", c(0) - half, 0, c(0) + half, low)
    cv.pin("OUTN", "met2", c(4) - half, 0, c(4) + half, low)
    cv.pin("ADCIN", "met2", c(3) - half, rows.adcin - VIA_M1_LONG, c(3) + half, H)

    devices = [
        Mos("1", "n", "X", "ADCIN", "TAIL"),
        Mos("2", "n", "Y", "VREF", "TAIL"),
        Mos("3", "n", "TAIL", "CLK", "VSS"),
        Mos("4", "n", "OUTP", "OUTN", "X"),
        Mos("5", "n", "OUTN", "OUTP", "Y"),
        Mos("6", "p", "OUTP", "OUTN", "VDD"),
        Mos("7", "p", "OUTN", "OUTP", "VDD"),
        Mos("8", "p", "OUTP", "CLK", "VDD"),
        Mos("9", "p", "OUTN", "CLK", "VDD"),
    ]
    return cv.finish("adc", COMPARATOR_PORTS, devices)


def adc_fill(tech: Tech, grid: ColumnGrid | None = None, name: str = "adc_fill") -> DrawnCell:
    """ADC-row filler under every column but a group's last: 2.60 × 3.54 µm, no transistors.

    The comparator's rails (VSS y 0.215, CLK 1.015, VDD 1.415, VREF 2.955), bands and VSS met2 line (c2),
    plus two well taps that tie the row's wells for the comparators::

        p-tap (psdm) at c1, y 0.135..0.475   -> VSS rail      (outside the n-well)
        n-tap (nsdm) at c3, y 1.29..1.63     -> VDD rail      (inside the n-well band)

    Each tap's implant replaces the band implant over the tap's columns (psdm over the bottom nsdm band,
    nsdm over the psdm band); the bands keep their full height at both side edges.
    """
    grid = grid or ColumnGrid()
    rows = AdcRows
    cv = CellCanvas(name, tech, grid.pitch, rows.height)
    c = grid.c
    W = grid.pitch  # noqa: N806
    px, nx = c(1), c(3)
    ptap_y = R.diff_s / 2 + TAP_HALF_H  # tap 0.135..0.475 (half difftap spacing from the bottom edge)
    ntap_y = _mid(rows.p)  # tap 1.245..1.585 sits 0.25 inside the n-well band
    island = TAP_HALF_W + R.impl_diff  # implant half width around a tap: 0.33
    Bands(
        nsdm=[(rows.impl[1], rows.height)],
        nwell=[rows.nwell],
        npc=[(y - NPC_HALF, y + NPC_HALF) for y in (rows.clk_band, rows.gate)],
    ).draw(cv)
    for x0, x1 in ((0, px - island), (px + island, W)):
        cv.rect("nsdm", x0, 0, x1, rows.impl[0])
    for x0, x1 in ((0, nx - island), (nx + island, W)):
        cv.rect("psdm", x0, rows.impl[0], x1, rows.impl[1])
    cv.rect("psdm", px - island, 0, px + island, rows.impl[0])
    cv.rect("nsdm", nx - island, rows.impl[0], nx + island, rows.impl[1])
    _adc_rails(cv, grid)
    for x, y, rail in ((px, ptap_y, rows.vss), (nx, ntap_y, rows.vdd)):
        cv.rect("tap", x - TAP_HALF_W, y - TAP_HALF_H, x + TAP_HALF_W, y + TAP_HALF_H)
        cv.licon(x, y)
        lo, hi = sorted((y, rail))
        cv.rect("li1", x - PAD_LONG, lo - R.licon / 2, x + PAD_LONG, hi + R.licon / 2)
        cv.mcon(x, rail, m1=False)
    return cv.finish("adc_fill", FILL_PORTS, [])
