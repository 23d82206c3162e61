"""The column grid every column cell of the library is drawn on (µm, from a column's left edge).

A column is ``pitch`` wide (2.60 µm: the 8T bitcell's width, four contacted poly pitches of 0.51 µm plus
the half diffusion spacing on each side). Five contact slots ``c0..c4`` (0.51 µm apart) carry the
column's vertical met2 lines through every row, one net each:

======  ======  ==========================================================
slot    met2    net
======  ======  ==========================================================
c0      0.28    BL   write bit line
c1      0.79    CBL  column line (charge sharing to the ADC)
c2      1.30    VSS  column ground (ties every row's sources; strapped per row)
c3      1.81    LRBL local read bit line (within a local array) / CTOP below
c4      2.32    BLB  write bit line bar
======  ======  ==========================================================

met3 is kept free over the array for the compute capacitors' bottom plates (MIM, ``capm``); met4
carries the DAC lines over the array on :data:`M4_TRACKS`. Gate slots ``g1..g4`` lie between the
contact slots. Rows scale: cells are drawn at the minimum pitch plus ``extra_pitch`` (split equally on
both sides), so a second library with a wider column keeps every rule.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ColumnGrid", "MET2_NETS", "M4_TRACKS"]

#: met2 line of each contact slot
MET2_NETS: dict[str, int] = {"BL": 0, "CBL": 1, "VSS": 2, "LRBL": 3, "BLB": 4}
#: met4 track centres over a column (µm from the column's centre): DAC/VSS lines of the compute capacitors.
#: Tracks 1 and 2 lie over the MIM capacitor (via3 windows 0.98 / 1.62); 0.33 µm lines keep m4.2's 0.3.
M4_TRACKS: tuple[float, ...] = (-0.975, -0.32, 0.32, 0.975)


@dataclass(frozen=True)
class ColumnGrid:
    """x positions (µm) of a column of the library (``extra_pitch`` widens it symmetrically)."""

    extra_pitch: float = 0.0
    half_pitch: float = 0.255  # contact slot to gate slot
    edge: float = 0.28  # cell edge to c0: half difftap.3 (0.135) + diff beyond licon (0.145)
    met2_w: float = 0.26  # via pad width (0.15 + 2 * 0.055): lines are as wide as their via pads

    @classmethod
    def for_pitch(cls, pitch: float) -> ColumnGrid:
        """The grid of a library whose columns are ``pitch`` µm wide (the minimum pitch plus the extra)."""
        return cls(extra_pitch=round(pitch - cls().pitch, 4))

    @property
    def pitch(self) -> float:
        """Column width (µm)."""
        return round(2 * self.edge + 8 * self.half_pitch + self.extra_pitch, 4)

    def c(self, slot: int) -> float:
        """x of contact slot ``slot`` (0..4)."""
        return round(self.edge + self.extra_pitch / 2 + 2 * slot * self.half_pitch, 4)

    def g(self, slot: int) -> float:
        """x of gate slot ``slot`` (1..4), between contact slots ``slot-1`` and ``slot``."""
        return round(self.c(slot) - self.half_pitch, 4)

    def met2(self, net: str) -> float:
        """x of the met2 line of column net ``net`` (see :data:`MET2_NETS`)."""
        return self.c(MET2_NETS[net])

    def m4(self, track: int) -> float:
        """x of met4 track ``track`` (0..3)."""
        return round(self.pitch / 2 + M4_TRACKS[track], 4)
