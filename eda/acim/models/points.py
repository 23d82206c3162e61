"""Design points of the charge-redistribution (QR) ACIM macro.

A design point is an H×W array of 8T bitcells grouped in *local arrays* of L cells that share one compute
capacitor C_u (EasyACIM; the architecture of :mod:`eda.acim.spec`). Each compute cycle activates one row
per local array, so N = H/L capacitors per column hold the binary products x·w of one input bit-plane. A
SAR ADC serves ``cols_per_adc`` (G) adjacent columns: their column lines are charge-shared onto the
comparator input, so one conversion accumulates N_g = N·G products, and the group's N_g compute capacitors
are reused as the ADC's capacitive DAC (hence 2^B_ADC <= N_g). Inputs are applied bit-serially
(``input_bits`` cycles), weights span ``weight_bits`` columns; partial sums are combined by a digital
shift-add. ``clock_MHz`` is the control clock: every phase takes a whole number of clock periods, long
enough for RC settling to half an LSB.

:class:`DesignPoints` holds many points as numpy arrays (one entry per point) so every model is vectorised;
:func:`eda.acim.models.evaluate` returns all metrics of all points as a dict of arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from eda.acim.spec import MAX_ADC_BITS
from eda.errors import SpecError

__all__ = ["DesignPoints", "SPEC_FIELDS", "MAX_ADC_BITS", "METRIC_UNITS"]

#: the ACIMSpec fields (the layout generator's architecture spec)
SPEC_FIELDS: tuple[str, ...] = (
    "rows",
    "cols",
    "local_array_size",
    "adc_bits",
    "input_bits",
    "weight_bits",
    "unit_cap_fF",
    "cols_per_adc",
)

#: metrics returned by :func:`evaluate` and their units
METRIC_UNITS: dict[str, str] = {
    "snr_analog_db": "dB",
    "sqnr_db": "dB",
    "snr_total_db": "dB",
    "snr_binary_analog_db": "dB",
    "cycle_time_ns": "ns",
    "clock_cycles_per_compute": "1",
    "throughput_tops": "TOPS",
    "energy_per_op_fJ": "fJ",
    "tops_per_w": "TOPS/W",
    "area_um2": "µm²",
    "f2_per_bit": "F²",
    "tops_per_mm2": "TOPS/mm²",
    "settling_ok": "bool",
}


@dataclass(frozen=True)
class DesignPoints:
    """Many design points as equal-length numpy arrays.

    Attributes:
        rows: array height H (word lines).
        cols: array width W (bitcell columns; a multi-bit weight spans ``weight_bits`` of them).
        local_array_size: L, bitcells sharing one compute capacitor (divides H).
        adc_bits: SAR ADC resolution B_ADC (needs 2**B_ADC <= H/L capacitors).
        input_bits: activation precision (bit-serial cycles).
        weight_bits: weight precision (columns per weight).
        unit_cap_fF: compute capacitor C_u in fF.
        cols_per_adc: columns sharing one comparator and SAR logic (time-multiplexed).
        clock_MHz: control clock frequency in MHz.
    """

    rows: np.ndarray
    cols: np.ndarray
    local_array_size: np.ndarray
    adc_bits: np.ndarray
    input_bits: np.ndarray
    weight_bits: np.ndarray
    unit_cap_fF: np.ndarray
    cols_per_adc: np.ndarray
    clock_MHz: np.ndarray

    @classmethod
    def from_arrays(cls, **values: Any) -> DesignPoints:
        """Broadcast scalars/arrays for every field into equal-length 1-D arrays (validated)."""
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in values]
        unknown = [n for n in values if n not in names]
        if missing or unknown:
            raise SpecError(f"design points need {names}", hint=f"missing {missing}, unknown {unknown}")
        arrays = np.broadcast_arrays(*[np.atleast_1d(np.asarray(values[n], dtype=float)) for n in names])
        kwargs = {}
        for name, arr in zip(names, arrays, strict=True):
            arr = np.array(arr, dtype=float).ravel()
            kwargs[name] = arr if name in ("unit_cap_fF", "clock_MHz") else arr.astype(np.int64)
        points = cls(**kwargs)
        points.validate()
        return points

    @classmethod
    def from_specs(cls, specs: list[dict[str, Any]], clock_MHz: float | list[float]) -> DesignPoints:
        """Points from ACIMSpec-like dicts (or objects with those attributes) and clock(s)."""

        def get(spec: Any, key: str) -> Any:
            return spec[key] if isinstance(spec, dict) else getattr(spec, key)

        values = {key: [get(s, key) for s in specs] for key in SPEC_FIELDS}
        return cls.from_arrays(**values, clock_MHz=clock_MHz)

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @property
    def caps_per_column(self) -> np.ndarray:
        """N = H/L compute capacitors per column (= rows computed in parallel per cycle)."""
        return self.rows // self.local_array_size

    @property
    def caps_per_conversion(self) -> np.ndarray:
        """N_g = (H/L)·cols_per_adc capacitors charge-shared into one ADC conversion (its DAC)."""
        return self.caps_per_column * self.cols_per_adc

    def subset(self, index: np.ndarray) -> DesignPoints:
        """The points selected by a boolean mask or an index array."""
        return DesignPoints(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def spec(self, i: int) -> dict[str, Any]:
        """Point ``i`` as an ACIMSpec field dict (plain Python numbers)."""
        out: dict[str, Any] = {}
        for key in SPEC_FIELDS:
            value = getattr(self, key)[i]
            out[key] = float(value) if key == "unit_cap_fF" else int(value)
        return out

    def validate(self) -> None:
        """Raise :class:`SpecError` naming the first infeasible point and why."""
        checks = [
            (self.rows >= 1, "rows must be >= 1"),
            (self.cols >= 1, "cols must be >= 1"),
            (self.local_array_size >= 1, "local_array_size must be >= 1"),
            (self.rows % np.maximum(self.local_array_size, 1) == 0, "local_array_size must divide rows"),
            (self.adc_bits >= 1, "adc_bits must be >= 1"),
            (self.adc_bits <= MAX_ADC_BITS, f"adc_bits must be <= {MAX_ADC_BITS}"),
            (
                (2**self.adc_bits) <= (self.rows // np.maximum(self.local_array_size, 1)) * self.cols_per_adc,
                "the SAR DAC reuses the group's compute capacitors: need 2**adc_bits <= rows/L * cols_per_adc",
            ),
            (self.input_bits >= 1, "input_bits must be >= 1"),
            (self.weight_bits >= 1, "weight_bits must be >= 1"),
            (self.cols % np.maximum(self.weight_bits, 1) == 0, "weight_bits must divide cols"),
            (self.cols_per_adc >= 1, "cols_per_adc must be >= 1"),
            ((self.cols_per_adc & (self.cols_per_adc - 1)) == 0, "cols_per_adc must be a power of two"),
            (self.cols % np.maximum(self.cols_per_adc, 1) == 0, "cols_per_adc must divide cols"),
            (self.unit_cap_fF > 0, "unit_cap_fF must be > 0"),
            (self.clock_MHz > 0, "clock_MHz must be > 0"),
        ]
        for ok, message in checks:
            bad = np.flatnonzero(~ok)
            if bad.size:
                i = int(bad[0])
                raise SpecError(
                    f"infeasible design point {i}: {message}",
                    where=f"point {self.describe(i)}",
                    hint="choose values satisfying the constraint (e.g. smaller L or fewer ADC bits)",
                )

    def describe(self, i: int) -> str:
        """A one-line description of point ``i``."""
        return ", ".join(f"{f.name}={getattr(self, f.name)[i]:g}" for f in fields(self))
