"""The compute capacitor: a SKY130 MIM capacitor (``capm`` on met3) over its local array.

One capacitor per column and local array, drawn as an overlay cell whose origin is the lower left corner
of the local array's compute cell: a via2 onto the compute cell's CTOP pad, a met3 strap up to the
bottom plate, the bottom plate (met3, node CTOP) with the ``capm`` top plate on it just above the compute
row, and a via3 from the top plate to the met4 DAC/VSS line that passes over it on track 1 or 2
(:mod:`eda.acim.dacplan`). The foundry LVS deck extracts it as ``sky130_fd_pr__model__cap_mim`` with area
``A`` and perimeter ``P`` and 2 fF/µm² of area capacitance; :func:`mim_size` picks the smallest
rule-legal top plate of at least the requested capacitance.

Rules that size it: capm.1 (1.0 µm minimum width), capm.3 (met3 encloses capm by 0.14), capm.4 (capm
encloses via3 by 0.14) and capm.2b (bottom plates 1.2 µm apart): with the 2.60 µm column pitch the
bottom plate spans x 0.60..2.00, so the capacitor is 1.0 µm wide and grows in height.
"""

from __future__ import annotations

import math

from eda.acim.celllib.cell import CellCanvas, DrawnCell
from eda.acim.celllib.grid import ColumnGrid
from eda.layout.sky130 import R
from eda.tech import Tech

__all__ = [
    "MIM_FF_PER_UM2",
    "MIM_MODEL",
    "mim_size",
    "mim_capacitance",
    "mimcap",
    "max_mim_height",
    "plate_area_um2",
]

#: area capacitance of the SKY130 MIM (capm) device as the foundry LVS deck extracts it
MIM_FF_PER_UM2 = 2.0
MIM_MODEL = "sky130_fd_pr__model__cap_mim"
WIDTH = R.capm_w  # µm
PLATE_X = (0.60, 2.00)  # bottom-plate region of the 2.60 µm column (capm.2b to the next column)


def mim_size(cap_fF: float) -> tuple[float, float]:
    """Top-plate ``(width, height)`` (µm) of the capacitor drawn for ``cap_fF``: width 1.0, height
    rounded up to 0.01 µm, at least 1.0 (capm.1)."""
    height = max(R.capm_w, cap_fF / (MIM_FF_PER_UM2 * WIDTH))
    return WIDTH, round(math.ceil(round(height / 0.01, 6)) * 0.01, 2)


def mim_capacitance(cap_fF: float) -> float:
    """Capacitance (fF) of the capacitor drawn for ``cap_fF`` (area capacitance of the drawn top plate)."""
    w, h = mim_size(cap_fF)
    return round(MIM_FF_PER_UM2 * w * h, 6)


def plate_area_um2(cap_fF: float, compute_height: float, ctop_via2_y: float) -> float:
    """met3 area (µm²) of the bottom plate (node CTOP) of the capacitor for ``cap_fF``: the plate (top plate
    + 0.14 µm all round) and the strap from the compute cell's via2 up to it. It lies over the bitcells'
    met2 lines; its capacitance to them is the CTOP node's largest wiring parasitic."""
    w, h = mim_size(cap_fF)
    strap = R.via2 + 2 * R.m3_via2
    return round((w + 2 * R.m3_capm) * (h + 2 * R.m3_capm) + strap * (compute_height - ctop_via2_y), 6)


def max_mim_height(group_height: float) -> float:
    """Tallest top plate (µm) over a local array of ``group_height`` (compute row + L bitcell rows): the
    bottom plate region (top plate + 0.14 each side) keeps capm.2b's 1.2 µm to the next group's."""
    return round(group_height - 2 * R.m3_capm - R.capm_plate_s, 4)


def mimcap(
    tech: Tech,
    cap_fF: float,
    track: int,
    ctop_via2: tuple[float, float],
    compute_height: float,
    grid: ColumnGrid | None = None,
    name: str | None = None,
) -> DrawnCell:
    """Draw the capacitor of ``cap_fF`` whose top plate is tied to the met4 line on ``track`` (1 or 2).

    ``ctop_via2`` is the via2 landing of the compute cell (its ``params``), ``compute_height`` its
    height; coordinates are relative to the compute cell's origin. Ports: ``CTOP`` (bottom plate) and
    ``TOP`` (top plate; the macro ties it to a DAC line or VSS).
    """
    if track not in (1, 2):
        raise ValueError(f"track must be 1 or 2, got {track}")
    grid = grid or ColumnGrid()
    w, h = mim_size(cap_fF)
    x_via = grid.m4(track)
    x0 = x_via - R.via3 / 2 - R.capm_via3 if track == 1 else x_via + R.via3 / 2 + R.capm_via3 - w
    y0 = compute_height + R.m3_capm
    name = name or f"mimcap_{round(cap_fF * 1000)}a_t{track}"
    cv = CellCanvas(name, tech, grid.pitch, y0 + h + R.m3_capm)
    xv, yv = ctop_via2
    strap = R.via2 + 2 * R.m3_via2
    cv.rect("capm", x0, y0, x0 + w, y0 + h)
    # the plate also covers the strap's width (no sub-minimum met3 notch where they meet)
    cv.rect(
        "met3",
        min(x0 - R.m3_capm, xv - strap / 2),
        y0 - R.m3_capm,
        max(x0 + w + R.m3_capm, xv + strap / 2),
        y0 + h + R.m3_capm,
    )
    cv.via2(xv, yv, m2=False)
    cv.rect("met3", xv - strap / 2, yv - strap / 2, xv + strap / 2, y0)
    cv.via3(x_via, y0 + h / 2, m3=False)
    cv.pin("CTOP", "met3", xv - strap / 2, yv - strap / 2, xv + strap / 2, yv + strap / 2)
    m4 = R.via3 + 2 * R.m4_via3
    cv.pin("TOP", "met4", x_via - m4 / 2, y0 + h / 2 - m4 / 2, x_via + m4 / 2, y0 + h / 2 + m4 / 2)
    area, perimeter = round(w * h, 6), round(2 * (w + h), 6)
    line = f"C1 CTOP TOP {MIM_MODEL} A={area:g}p P={perimeter:g}u"
    params = {
        "cap_fF": mim_capacitance(cap_fF),
        "requested_fF": cap_fF,
        "track": track,
        "capm_um": [w, h],
        "area_um2": area,
        "perimeter_um": perimeter,
        "via3": [round(x_via, 4), round(y0 + h / 2, 4)],
    }
    drawn = cv.finish("cap", ["CTOP", "TOP"], [], extra_lines=[line], params=params)
    # an overlay cell: its boundary would overlap the compute and bitcell cells it lies over
    drawn.cell.filter([tech.gds("boundary")], remove=True)
    return drawn
