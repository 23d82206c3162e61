"""SKY130 drawing primitives: the rule values cells are drawn to, and contacts/vias that satisfy them.

Values are the SkyWater SKY130 periphery rules (skywater-pdk ``docs/rules/periphery``), named as there.
They are the drawing targets of the hand-placed cells in :mod:`eda.acim.celllib`; sign-off is the
foundry's KLayout deck (``eda signoff drc --deck foundry``), which checks a subset of them, so the
primitives also honour rules that deck does not check (``licon.8a``, ``licon.14``, ``poly.4``, ...).

Every via primitive draws the enclosures the "two adjacent edges" rules ask for (``m1.5``, ``via.5a``,
``m2.5``, ``via2.5``, ``via3.5``, ``li.5``): the larger enclosure on one pair of opposite edges, chosen by
``along`` (``"x"``: the pad is long in x, ``"y"``: long in y). Coordinates are µm, snapped to the 5 nm
manufacturing grid.
"""

from __future__ import annotations

import gdstk

from eda.tech import Tech

__all__ = ["R", "Canvas", "snap"]

GRID = 0.005


def snap(value: float) -> float:
    """``value`` (µm) on the 5 nm grid."""
    return round(round(value / GRID) * GRID, 4)


class R:
    """SKY130 rule values (µm, µm²) used by the cell drawings."""

    nwell_w = 0.84  # nwell.1
    nwell_s = 1.27  # nwell.2a
    diff_w = 0.15  # difftap.1
    diff_s = 0.27  # difftap.3
    tap_diff_s = 0.13  # difftap.7 (tap to diff, butting excluded)
    nwell_pdiff = 0.18  # difftap.8 nwell enclosure of p-diff
    nwell_ndiff = 0.34  # difftap.9 n-diff to nwell spacing
    nwell_ntap = 0.18  # difftap.10 nwell enclosure of n-tap
    ptap_nwell = 0.13  # difftap.11 p-tap to nwell spacing
    poly_w = 0.15  # poly.1a
    poly_s = 0.21  # poly.2
    poly_diff = 0.075  # poly.4 poly (field) to diff
    sd_ext = 0.25  # poly.7 diff extension beyond gate
    endcap = 0.13  # poly.8 poly extension beyond diff
    licon = 0.17  # licon.1
    licon_s = 0.17  # licon.2
    diff_licon = 0.04  # licon.5a
    diff_licon_adj = 0.06  # licon.5c (one of two adjacent edges)
    tap_licon = 0.12  # licon.7 (tap enclosure, one direction)
    poly_licon = 0.05  # licon.8
    poly_licon_adj = 0.08  # licon.8a
    licon_gate = 0.055  # licon.11 diff licon to gate
    licon_npc = 0.09  # licon.13 diff licon to npc
    plicon_diff = 0.19  # licon.14 poly licon to diff
    npc_plicon = 0.10  # licon.15 npc enclosure of poly licon
    npc_w = 0.27  # npc.1
    npc_s = 0.27  # npc.2
    impl_w = 0.38  # nsd.1 / psd.1
    impl_s = 0.38  # nsd.2 / psd.2
    impl_diff = 0.125  # nsd.5a / psd.5a
    li_w = 0.17  # li.1
    li_s = 0.17  # li.3
    li_licon_adj = 0.08  # li.5
    li_area = 0.0561  # li.6
    mcon = 0.17  # ct.1
    mcon_s = 0.19  # ct.2
    m1_w = 0.14  # m1.1
    m1_s = 0.14  # m1.2
    m1_mcon = 0.03  # m1.4
    m1_mcon_adj = 0.06  # m1.5
    m1_area = 0.083  # m1.6
    via = 0.15  # via.1a
    via_s = 0.17  # via.2
    m1_via = 0.055  # via.4a
    m1_via_adj = 0.085  # via.5a
    m2_w = 0.14  # m2.1
    m2_s = 0.14  # m2.2
    m2_via = 0.055  # m2.4
    m2_via_adj = 0.085  # m2.5
    m2_area = 0.0676  # m2.6
    via2 = 0.20  # via2.1a
    via2_s = 0.20  # via2.2
    m2_via2 = 0.04  # via2.4
    m2_via2_adj = 0.085  # via2.5
    m3_w = 0.30  # m3.1
    m3_s = 0.30  # m3.2
    m3_via2 = 0.065  # m3.4
    m3_area = 0.24  # m3.6
    via3 = 0.20  # via3.1
    via3_s = 0.20  # via3.2
    m3_via3 = 0.06  # via3.4
    m3_via3_adj = 0.09  # via3.5
    m4_w = 0.30  # m4.1
    m4_s = 0.30  # m4.2
    m4_via3 = 0.065  # m4.3
    m4_area = 0.24  # m4.4a
    via4 = 0.80  # via4.1
    via4_s = 0.80  # via4.2
    m4_via4 = 0.19  # via4.4
    m5_w = 1.60  # m5.1
    m5_s = 1.60  # m5.2
    m5_via4 = 0.31  # m5.3
    capm_w = 1.0  # capm.1
    capm_s = 0.84  # capm.2a
    capm_plate_s = 1.2  # capm.2b bottom plate spacing
    m3_capm = 0.14  # capm.3
    capm_via3 = 0.14  # capm.4
    capm_via3_s = 0.14  # capm.5
    capm_m3_s = 0.5  # capm.11


class Canvas:
    """A gdstk cell with layer names from a :class:`~eda.tech.Tech` and rule-aware primitives."""

    def __init__(self, cell: gdstk.Cell, tech: Tech) -> None:
        self.cell = cell
        self.tech = tech

    # -- plain shapes --------------------------------------------------------------------------------
    def rect(self, layer: str, x0: float, y0: float, x1: float, y1: float) -> None:
        """A rectangle on ``layer`` (corners in any order)."""
        lay, dt = self.tech.gds(layer)
        xa, xb = sorted((snap(x0), snap(x1)))
        ya, yb = sorted((snap(y0), snap(y1)))
        self.cell.add(gdstk.rectangle((xa, ya), (xb, yb), layer=lay, datatype=dt))

    def box(self, layer: str, x: float, y: float, w: float, h: float) -> None:
        """A ``w`` × ``h`` rectangle centred on ``(x, y)``."""
        self.rect(layer, x - w / 2, y - h / 2, x + w / 2, y + h / 2)

    def hwire(self, layer: str, x0: float, x1: float, y: float, w: float) -> None:
        """A horizontal wire of width ``w`` from ``x0`` to ``x1`` centred on ``y``."""
        self.rect(layer, x0, y - w / 2, x1, y + w / 2)

    def vwire(self, layer: str, x: float, y0: float, y1: float, w: float) -> None:
        """A vertical wire of width ``w`` from ``y0`` to ``y1`` centred on ``x``."""
        self.rect(layer, x - w / 2, y0, x + w / 2, y1)

    def label(self, text: str, layer: str, x: float, y: float) -> None:
        """A text label on the label purpose of ``layer``."""
        lay, tt = self.tech.label(layer)
        self.cell.add(gdstk.Label(text, (snap(x), snap(y)), layer=lay, texttype=tt))

    # -- contacts ------------------------------------------------------------------------------------
    def licon(self, x: float, y: float) -> None:
        """A 0.17 µm licon cut centred on ``(x, y)``."""
        self.box("licon", x, y, R.licon, R.licon)

    def li_pad(self, x: float, y: float, along: str = "x") -> None:
        """li1 over a licon/mcon at ``(x, y)``: 0.08 beyond the cut on the ``along`` edges (li.5)."""
        ext = R.licon + 2 * R.li_licon_adj
        w, h = (ext, R.li_w) if along == "x" else (R.li_w, ext)
        self.box("li1", x, y, w, h)

    def diff_contact(self, x: float, y: float, li_along: str | None = "x") -> None:
        """licon on diffusion/tap (the diffusion is drawn by the caller) with its li1 pad."""
        self.licon(x, y)
        if li_along:
            self.li_pad(x, y, li_along)

    def poly_contact(self, x: float, y: float, li_along: str | None = "y", pad_along: str = "y") -> None:
        """Poly pad + licon (+ li1 pad) at ``(x, y)``; npc is drawn by the caller as a band.

        The pad encloses the cut by 0.05 on two opposite edges and 0.08 on the other two (licon.8/8a).
        """
        wide = R.licon + 2 * R.poly_licon_adj
        narrow = R.licon + 2 * R.poly_licon
        w, h = (wide, narrow) if pad_along == "x" else (narrow, wide)
        self.box("poly", x, y, w, h)
        self.licon(x, y)
        if li_along:
            self.li_pad(x, y, li_along)

    def mcon(self, x: float, y: float, m1: bool = True) -> None:
        """mcon with a 0.29 µm square met1 pad (0.06 all round: m1.4, m1.5 and the m1.6 area)."""
        self.box("mcon", x, y, R.mcon, R.mcon)
        if m1:
            size = R.mcon + 2 * R.m1_mcon_adj
            self.box("met1", x, y, size, size)

    def via1(self, x: float, y: float, along: str = "y", m1: bool = True, m2: bool = True) -> None:
        """via (met1-met2) with pads: 0.085 on the ``along`` edges, 0.055 on the others."""
        self.box("via", x, y, R.via, R.via)
        big, small = R.via + 2 * R.m1_via_adj, R.via + 2 * R.m1_via
        size = (big, small) if along == "x" else (small, big)
        if m1:
            self.box("met1", x, y, *size)
        if m2:
            self.box("met2", x, y, *size)

    def via2(self, x: float, y: float, along: str = "y", m2: bool = True, m3: bool = True) -> None:
        """via2 (met2-met3): met2 0.085/0.04, met3 0.065 all round."""
        self._cut(
            "via2",
            R.via2,
            x,
            y,
            along,
            ("met2", R.m2_via2_adj, R.m2_via2) if m2 else None,
            ("met3", R.m3_via2) if m3 else None,
        )

    def via3(self, x: float, y: float, along: str = "y", m3: bool = True, m4: bool = True) -> None:
        """via3 (met3-met4): met3 0.09/0.06, met4 0.065 all round."""
        self._cut(
            "via3",
            R.via3,
            x,
            y,
            along,
            ("met3", R.m3_via3_adj, R.m3_via3) if m3 else None,
            ("met4", R.m4_via3) if m4 else None,
        )

    def _cut(
        self,
        cut: str,
        size: float,
        x: float,
        y: float,
        along: str,
        lower: tuple[str, float, float] | None,
        upper: tuple[str, float] | None,
    ) -> None:
        """A square ``cut`` with its lower pad (larger enclosure on the ``along`` edges) and upper pad."""
        self.box(cut, x, y, size, size)
        if lower:
            layer, big, small = lower[0], size + 2 * lower[1], size + 2 * lower[2]
            self.box(layer, x, y, *((big, small) if along == "x" else (small, big)))
        if upper:
            self.box(upper[0], x, y, size + 2 * upper[1], size + 2 * upper[1])
