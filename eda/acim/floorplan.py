"""Floorplan of an ACIM macro: pure arithmetic from an :class:`ACIMSpec` and a cell :class:`Library`.

The generator (:mod:`eda.acim.generator`) places every cell exactly where this module says, so the area
the exploration models report is the area of the drawn layout. Coordinates are µm, origin at the lower
left corner of the macro boundary. From the bottom up::

    power ring (VDD outer, VSS inner)            thickness ring_thickness on every side
    SAR logic row      (one abstract block per ADC, cols_per_adc columns wide)
    ADC row            (a StrongARM comparator under the last column of each ADC group, fillers elsewhere)
    column periphery   (charge-share / reset switches; the last column of a group ends the ADC input line)
    local-array groups g = 0 .. rows/L-1, each from the bottom: compute capacitor, compute cell,
                       L bitcell rows (odd rows mirrored about their horizontal axis)

Row drivers sit left of every bitcell row and a control driver left of every compute row (both
right-aligned against the array). Column c starts at ``array_x + c * pitch``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eda.acim.library import Library
from eda.acim.spec import ACIMSpec

__all__ = ["Rect", "Floorplan", "floorplan"]


@dataclass(frozen=True)
class Rect:
    """An axis-aligned box ``(x0, y0)``-``(x1, y1)`` in µm."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return self.width * self.height

    def as_list(self) -> list[float]:
        return [round(self.x0, 4), round(self.y0, 4), round(self.x1, 4), round(self.y1, 4)]


@dataclass(frozen=True)
class Floorplan:
    """Positions and extents of every block of the macro (µm).

    Attributes:
        spec, library: the inputs.
        pitch: column pitch; ``bit_h``, ``compute_h``, ``cap_h``: row heights of the array.
        group_h: height of one local-array group (``cap_h + compute_h + L * bit_h``).
        ring_thickness: width of the power ring band on each side.
        array: bitcell/compute/cap region; ``drivers``: row-driver column; ``colper``, ``adc``, ``sar``:
        periphery rows; ``core``: everything inside the ring; ``boundary``: the macro outline.
        stripe_columns: columns carrying a VDD/VSS met4 stripe pair.
    """

    spec: ACIMSpec
    library: Library
    pitch: float
    bit_h: float
    compute_h: float
    cap_h: float
    group_h: float
    driver_w: float
    colper_h: float
    adc_h: float
    sar_h: float
    ring_thickness: float
    boundary: Rect
    core: Rect
    array: Rect
    drivers: Rect
    colper: Rect
    adc: Rect
    sar: Rect
    stripe_columns: tuple[int, ...] = field(default_factory=tuple)

    # -- positions ---------------------------------------------------------------------------------
    def column_x(self, col: int) -> float:
        """Left x of column ``col``."""
        return self.array.x0 + col * self.pitch

    def group_y(self, group: int) -> float:
        """Bottom y of local-array group ``group`` (its compute capacitor row)."""
        return self.array.y0 + group * self.group_h

    def compute_y(self, group: int) -> float:
        """Bottom y of the compute-cell row of ``group``."""
        return self.group_y(group) + self.cap_h

    def row_y(self, row: int) -> float:
        """Bottom y of bitcell row ``row`` (row 0 is the bottom row)."""
        group, index = divmod(row, self.spec.local_array_size)
        return self.group_y(group) + self.cap_h + self.compute_h + index * self.bit_h

    @staticmethod
    def row_mirrored(row: int) -> bool:
        """Odd rows are mirrored about their horizontal axis (rows pair up by abutment)."""
        return row % 2 == 1

    # -- areas ---------------------------------------------------------------------------------------
    @property
    def width(self) -> float:
        """Macro width (µm)."""
        return self.boundary.width

    @property
    def height(self) -> float:
        """Macro height (µm)."""
        return self.boundary.height

    @property
    def area_um2(self) -> float:
        """Macro area (µm²) including the power ring."""
        return self.boundary.area

    def area_breakdown(self) -> dict[str, float]:
        """Area per block in µm²; the entries sum to :attr:`area_um2`."""
        s = self.spec
        groups = s.local_arrays_per_column
        parts = {
            "bitcells": s.rows * s.cols * self.pitch * self.bit_h,
            "compute_cells": groups * s.cols * self.pitch * self.compute_h,
            "compute_caps": groups * s.cols * self.pitch * self.cap_h,
            "column_periphery": self.colper.area,
            "adcs": self.adc.area,
            "sar_logic": self.sar.area,
            "row_drivers": s.rows * self.library.role("row_driver").area,
            "control_drivers": groups * self.library.role("ctrl_driver").area,
            "power_ring": self.boundary.area - self.core.area,
        }
        parts["unused"] = self.area_um2 - sum(parts.values())
        return {k: round(v, 3) for k, v in parts.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (sizes, block rectangles, area breakdown)."""
        return {
            "spec": self.spec.to_dict(), "library": self.library.name,
            "width_um": round(self.width, 4), "height_um": round(self.height, 4),
            "area_um2": round(self.area_um2, 3), "area_breakdown_um2": self.area_breakdown(),
            "pitch_um": self.pitch, "bitcell_um": [self.pitch, self.bit_h],
            "unit_cap_fF_drawn": round(self.library.cap_value(self.spec.unit_cap_fF), 4),
            "blocks": {name: getattr(self, name).as_list()
                       for name in ("boundary", "core", "array", "drivers", "colper", "adc", "sar")},
            "stripe_columns": list(self.stripe_columns),
        }


def floorplan(spec: ACIMSpec, library: Library) -> Floorplan:
    """Compute the floorplan of ``spec`` drawn with ``library`` (no geometry is created)."""
    pitch = library.column_pitch
    bit_h = library.role("bitcell").height
    compute_h = library.role("compute").height
    cap_h = library.cap_height(spec.unit_cap_fF)
    group_h = cap_h + compute_h + spec.local_array_size * bit_h
    driver_w = max(library.role("row_driver").width, library.role("ctrl_driver").width)
    colper_h = library.role("colper").height
    adc_h = library.role("adc").height
    sar_h = library.role("sar").height
    ring_w = library.power["ring_width_um"]
    ring_s = library.power["ring_space_um"]
    ring = 3 * ring_s + 2 * ring_w

    core_w = driver_w + spec.cols * pitch
    core_h = sar_h + adc_h + colper_h + spec.local_arrays_per_column * group_h
    boundary = Rect(0.0, 0.0, core_w + 2 * ring, core_h + 2 * ring)
    core = Rect(ring, ring, ring + core_w, ring + core_h)
    x_array = ring + driver_w
    y = ring
    sar = Rect(x_array, y, core.x1, y + sar_h)
    adc = Rect(x_array, sar.y1, core.x1, sar.y1 + adc_h)
    colper = Rect(x_array, adc.y1, core.x1, adc.y1 + colper_h)
    array = Rect(x_array, colper.y1, core.x1, core.y1)
    drivers = Rect(ring, array.y0, x_array, core.y1)
    every = max(1, int(library.power.get("stripe_every", 8)))
    stripes = tuple(range(min(every // 2, spec.cols - 1), spec.cols, every))
    return Floorplan(spec=spec, library=library, pitch=pitch, bit_h=bit_h, compute_h=compute_h, cap_h=cap_h,
                     group_h=group_h, driver_w=driver_w, colper_h=colper_h, adc_h=adc_h, sar_h=sar_h,
                     ring_thickness=ring, boundary=boundary, core=core, array=array, drivers=drivers,
                     colper=colper, adc=adc, sar=sar, stripe_columns=stripes)
