"""Floorplan of an ACIM macro: pure arithmetic from an :class:`ACIMSpec` and a cell :class:`Library`.

The generator (:mod:`eda.acim.generator`) places every cell exactly where this module says, so the area
the exploration models report is the area of the drawn layout. Coordinates are µm, origin at the lower
left corner of the macro boundary. From the bottom up::

    power ring (VDD outer, VSS inner)            ring_thickness on every side
    SAR logic row      (one abstract block per ADC, cols_per_adc columns wide)
    ADC row            (a StrongARM comparator under the last column of each ADC group, fillers elsewhere)
    column periphery   (charge-share / reset switches; the last column of a group ends the ADC input line)
    local-array groups g = 0 .. rows/L-1, each from the bottom: the compute row, then L bitcell rows
                       (odd rows mirrored about their horizontal axis); the group's MIM compute
                       capacitors lie over its bitcells (met3/capm), not beside them

Columns are grouped by ``stripe_every`` (a multiple of ``cols_per_adc``); a well-tap column of
``tap_width`` starts the array and follows every group: it ties the wells of the columns beside it and
carries a met4 power stripe (VDD and VSS alternate). Row drivers sit left of every bitcell row and a
control driver left of every compute row (right-aligned against the first tap column).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from eda.acim.library import Library
from eda.acim.spec import ACIMSpec
from eda.errors import SpecError

__all__ = ["Rect", "Floorplan", "floorplan", "sar_height"]


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


def sar_height(spec: ACIMSpec, library: Library) -> float:
    """Height (µm) of the SAR row of ``spec``: the standard-cell SAR block of one tap segment
    (:func:`eda.acim.celllib.sar.sar_height`), placed with the foundry cells.

    A spec whose DAC lines cannot be wired (:func:`eda.acim.dacplan.dac_plan` refuses it) or whose tap
    segment holds more ADC groups than a block routes (:data:`eda.acim.celllib.sar.MAX_GROUPS`) has no block
    to place (the generator cannot draw it, :func:`eda.acim.models.area.drawable`): its height is the
    library's area estimate ``area_fixed_um2 + adc_bits * area_per_bit_um2`` per ADC group
    (``library.sar``) over ``cols_per_adc`` columns, rounded up to 0.1 µm.
    """
    from eda.acim.celllib.sar import sar_height as block_height
    from eda.acim.dacplan import dac_plan

    try:
        plan = dac_plan(spec.local_arrays_per_column, spec.cols_per_adc, spec.adc_bits)
        return block_height(plan, tap_period(spec, library), library.column_pitch)
    except SpecError:
        area = library.sar["area_fixed_um2"] + spec.adc_bits * library.sar["area_per_bit_um2"]
        return round(math.ceil(area / (spec.cols_per_adc * library.column_pitch) * 10 - 1e-9) / 10, 4)


@dataclass(frozen=True)
class Floorplan:
    """Positions and extents of every block of the macro (µm).

    Attributes:
        spec, library: the inputs.
        pitch: column pitch; ``bit_h``, ``compute_h``: row heights of the array.
        group_h: height of one local-array group (``compute_h + L * bit_h``).
        tap_w: width of a well-tap column; ``tap_every``: columns between two tap columns.
        ring_thickness: width of the power ring band on each side.
        array: tap columns + columns region; ``drivers``: row/control-driver column; ``colper``, ``adc``,
        ``sar``: periphery rows; ``core``: everything inside the ring; ``boundary``: the macro outline.
        cap_fF: the drawn compute capacitance (fF).
    """

    spec: ACIMSpec
    library: Library
    pitch: float
    bit_h: float
    compute_h: float
    group_h: float
    tap_w: float
    tap_every: int
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
    cap_fF: float = 0.0

    # -- positions ---------------------------------------------------------------------------------
    def column_x(self, col: int) -> float:
        """Left x of column ``col`` (after the tap columns to its left)."""
        return round(self.array.x0 + (col // self.tap_every + 1) * self.tap_w + col * self.pitch, 4)

    def tap_x(self, index: int) -> float:
        """Left x of tap column ``index`` (0 starts the array, one after every ``tap_every`` columns)."""
        return round(self.array.x0 + index * (self.tap_w + self.tap_every * self.pitch), 4)

    @property
    def n_taps(self) -> int:
        """Number of well-tap columns."""
        return self.spec.cols // self.tap_every + 1

    @property
    def stripe_columns(self) -> tuple[int, ...]:
        """Tap-column indices (each carries one met4 power stripe: even VDD, odd VSS)."""
        return tuple(range(self.n_taps))

    def group_y(self, group: int) -> float:
        """Bottom y of local-array group ``group`` (its compute row)."""
        return round(self.array.y0 + group * self.group_h, 4)

    def compute_y(self, group: int) -> float:
        """Bottom y of the compute-cell row of ``group``."""
        return self.group_y(group)

    def row_y(self, row: int) -> float:
        """Bottom y of bitcell row ``row`` (row 0 is the bottom row)."""
        group, index = divmod(row, self.spec.local_array_size)
        return round(self.group_y(group) + self.compute_h + index * self.bit_h, 4)

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
        """Area per block in µm²; the entries sum to :attr:`area_um2`.

        The compute capacitors lie over the bitcells (met3/capm) and take no area of their own.
        """
        s = self.spec
        groups = s.local_arrays_per_column
        array_h = self.array.height
        parts = {
            "bitcells": s.rows * s.cols * self.pitch * self.bit_h,
            "compute_cells": groups * s.cols * self.pitch * self.compute_h,
            "tap_columns": self.n_taps * self.tap_w * (array_h + self.colper_h + self.adc_h + self.sar_h),
            "column_periphery": s.cols * self.pitch * self.colper_h,
            "adcs": s.cols * self.pitch * self.adc_h,
            "sar_logic": s.cols * self.pitch * self.sar_h,
            "row_drivers": s.rows * self.library.role("row_driver").area,
            "control_drivers": groups * self.library.role("ctrl_driver").area,
            "power_ring": self.boundary.area - self.core.area,
        }
        parts["unused"] = self.area_um2 - sum(parts.values())
        return {k: round(v, 3) for k, v in parts.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (sizes, block rectangles, area breakdown)."""
        return {
            "spec": self.spec.to_dict(),
            "library": self.library.name,
            "width_um": round(self.width, 4),
            "height_um": round(self.height, 4),
            "area_um2": round(self.area_um2, 3),
            "area_breakdown_um2": self.area_breakdown(),
            "area_per_bit_um2": round(self.area_um2 / self.spec.bitcells, 3),
            "pitch_um": self.pitch,
            "bitcell_um": [self.pitch, self.bit_h],
            "unit_cap_fF_drawn": round(self.cap_fF, 4),
            "tap_columns": {
                "width_um": self.tap_w,
                "every": self.tap_every,
                "x_um": [self.tap_x(i) for i in range(self.n_taps)],
            },
            "blocks": {
                name: getattr(self, name).as_list()
                for name in ("boundary", "core", "array", "drivers", "colper", "adc", "sar")
            },
            "stripe_columns": list(self.stripe_columns),
        }


def stripe_every(library: Library) -> int:
    """The library's met4 power stripe (tap column) period in columns (``power.stripe_every``, default 8)."""
    return max(1, int(library.power.get("stripe_every", 8)))


def tap_period(spec: ACIMSpec, library: Library) -> int:
    """Columns between two tap columns: ``stripe_every`` rounded up to a multiple of ``cols_per_adc``."""
    every = stripe_every(library)
    k = spec.cols_per_adc
    period = min(max(k, -(-every // k) * k), spec.cols)  # a macro narrower than the period: taps at both ends
    while spec.cols % period:
        period += k
    return period


def floorplan(spec: ACIMSpec, library: Library) -> Floorplan:
    """Compute the floorplan of ``spec`` drawn with ``library`` (no geometry is created).

    Raises :class:`~eda.errors.SpecError` when the compute capacitor does not fit over its local array.
    """
    pitch = library.column_pitch
    bit_h = library.role("bitcell").height
    compute_h = library.role("compute").height
    group_h = compute_h + spec.local_array_size * bit_h
    library.check_capacitor(spec.unit_cap_fF, group_h, compute_h)
    driver_w = max(library.role("row_driver").width, library.role("ctrl_driver").width)
    colper_h = library.role("colper").height
    adc_h = library.role("adc").height
    sar_h = sar_height(spec, library)
    tap_w = float(library.power["tap_width_um"])
    every = tap_period(spec, library)
    ring_w = library.power["ring_width_um"]
    ring_s = library.power["ring_space_um"]
    ring = 3 * ring_s + 2 * ring_w

    n_taps = spec.cols // every + 1
    core_w = driver_w + n_taps * tap_w + spec.cols * pitch
    core_h = sar_h + adc_h + colper_h + spec.local_arrays_per_column * group_h
    boundary = Rect(0.0, 0.0, round(core_w + 2 * ring, 4), round(core_h + 2 * ring, 4))
    core = Rect(ring, ring, round(ring + core_w, 4), round(ring + core_h, 4))
    x_array = round(ring + driver_w, 4)
    y = ring
    sar = Rect(x_array, y, core.x1, round(y + sar_h, 4))
    adc = Rect(x_array, sar.y1, core.x1, round(sar.y1 + adc_h, 4))
    colper = Rect(x_array, adc.y1, core.x1, round(adc.y1 + colper_h, 4))
    array = Rect(x_array, colper.y1, core.x1, core.y1)
    drivers = Rect(ring, array.y0, x_array, core.y1)
    return Floorplan(
        spec=spec,
        library=library,
        pitch=pitch,
        bit_h=bit_h,
        compute_h=compute_h,
        group_h=group_h,
        tap_w=tap_w,
        tap_every=every,
        driver_w=driver_w,
        colper_h=colper_h,
        adc_h=adc_h,
        sar_h=sar_h,
        ring_thickness=ring,
        boundary=boundary,
        core=core,
        array=array,
        drivers=drivers,
        colper=colper,
        adc=adc,
        sar=sar,
        cap_fF=library.cap_value(spec.unit_cap_fF),
    )
