"""The ACIM architecture spec: the design variables of one analog compute-in-memory macro.

Architecture (EasyACIM-style charge-domain CIM, as drawn by :mod:`eda.acim.generator`):

* ``rows`` × ``cols`` 8T SRAM bitcells; the bitcells of one column are grouped in *local arrays* of
  ``local_array_size`` (L) cells sharing one local read bit line, one compute cell (precharge, product and
  reset switches) and one unit compute capacitor of ``unit_cap_fF``. A column therefore holds ``rows/L``
  compute capacitors.
* Inputs are applied bit-serially (``input_bits`` cycles) on the read word lines; multi-bit weights
  (``weight_bits``) span adjacent columns and are combined digitally after the ADC.
* A SAR ADC serves ``cols_per_adc`` adjacent columns: their column lines are charge-shared onto the
  comparator input and the compute capacitors of those columns are reused as the ADC's capacitive DAC
  (bottom plates driven by the SAR logic through per-column DAC lines).

Feasibility rules (each violation raises :class:`~eda.errors.SpecError` saying what would work):

* all sizes positive; ``local_array_size`` divides ``rows``; ``cols_per_adc`` divides ``cols``;
* ``cols_per_adc`` is a power of two (the group is split binary by the SAR DAC wiring);
* **DAC rule**: a B-bit binary-weighted charge-redistribution DAC needs ``2**B`` unit capacitors; the ADC
  of a group can use every compute capacitor of its columns, so ``2**adc_bits <= (rows/L) * cols_per_adc``;
* ``1 <= adc_bits <= 8`` (the column DAC wiring has 8 bottom-plate lines), ``input_bits`` and
  ``weight_bits`` in 1..16, ``weight_bits`` divides ``cols`` (a weight spans that many columns).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from eda.errors import SpecError
from eda.limits import check_limit

__all__ = [
    "ACIMSpec",
    "MAX_ADC_BITS",
    "MAX_OPERAND_BITS",
    "MIN_UNIT_CAP_FF",
    "MAX_UNIT_CAP_FF",
    "dac_capacitors",
    "max_adc_bits",
    "check_array_dimensions",
]

#: the column DAC wiring carries this many bottom-plate lines (one per SAR bit)
MAX_ADC_BITS = 8
#: widest input (activation) or weight precision in bits
MAX_OPERAND_BITS = 16
#: range of the unit compute capacitance in femtofarad (metal finger capacitors of 0.5-10 fF are typical)
MIN_UNIT_CAP_FF = 0.1
MAX_UNIT_CAP_FF = 100.0


def dac_capacitors(rows: int, local_array_size: int, cols_per_adc: int) -> int:
    """Unit compute capacitors one ADC can use as its DAC: ``(rows / L) * cols_per_adc``."""
    return (rows // local_array_size) * cols_per_adc


def max_adc_bits(rows: int, local_array_size: int, cols_per_adc: int) -> int:
    """Largest ADC resolution the DAC rule allows (``floor(log2(caps))``, capped at :data:`MAX_ADC_BITS`)."""
    caps = dac_capacitors(rows, local_array_size, cols_per_adc)
    return min(MAX_ADC_BITS, caps.bit_length() - 1) if caps > 0 else 0


def check_array_dimensions(rows: int, cols: int) -> None:
    """Raise :class:`~eda.errors.LimitError` when ``rows`` or ``cols`` exceeds the ``acim_dimension`` limit."""
    check_limit("acim_dimension", max(rows, cols), what=f"an ACIM macro of {rows} x {cols} bitcells")


def _is_pow2(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


@dataclass(frozen=True)
class ACIMSpec:
    """Design variables of one ACIM macro (validated on construction).

    Attributes:
        rows: H, bitcell rows (one input/word line each).
        cols: W, bitcell columns.
        local_array_size: L, bitcells of a column sharing one compute capacitor.
        adc_bits: SAR ADC resolution in bits.
        input_bits: activation precision (bit-serial cycles).
        weight_bits: weight precision (columns per weight).
        unit_cap_fF: compute (unit DAC) capacitance in femtofarad.
        cols_per_adc: adjacent columns sharing one ADC.
    """

    rows: int
    cols: int
    local_array_size: int
    adc_bits: int
    input_bits: int = 4
    weight_bits: int = 4
    unit_cap_fF: float = 2.0
    cols_per_adc: int = 4

    def __post_init__(self) -> None:
        self._check_types()
        self._check_ranges()
        self._check_divisibility()
        self._check_dac()

    # -- validation ---------------------------------------------------------------------------------
    def _check_types(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "unit_cap_fF":
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise SpecError(
                        f"unit_cap_fF must be a number, got {value!r}", hint="e.g. unit_cap_fF=2.0"
                    )
                object.__setattr__(self, f.name, float(value))
            elif isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"{f.name} must be an integer, got {value!r}", hint=f"e.g. {f.name}=4")

    def _check_ranges(self) -> None:
        for name in ("rows", "cols", "local_array_size", "cols_per_adc"):
            if getattr(self, name) < 1:
                raise SpecError(f"{name} must be >= 1, got {getattr(self, name)}")
        check_array_dimensions(self.rows, self.cols)
        if not 1 <= self.adc_bits <= MAX_ADC_BITS:
            raise SpecError(
                f"adc_bits={self.adc_bits} is outside 1..{MAX_ADC_BITS}",
                hint=f"the column DAC wiring has {MAX_ADC_BITS} bottom-plate lines",
            )
        for name in ("input_bits", "weight_bits"):
            if not 1 <= getattr(self, name) <= MAX_OPERAND_BITS:
                raise SpecError(f"{name}={getattr(self, name)} is outside 1..{MAX_OPERAND_BITS}")
        if not MIN_UNIT_CAP_FF <= self.unit_cap_fF <= MAX_UNIT_CAP_FF:
            raise SpecError(
                f"unit_cap_fF={self.unit_cap_fF} is outside {MIN_UNIT_CAP_FF:g}..{MAX_UNIT_CAP_FF:g} fF",
                hint="metal finger capacitors of 0.5-10 fF are typical",
            )

    def _check_divisibility(self) -> None:
        if self.rows % self.local_array_size:
            options = [d for d in (1, 2, 4, 8, 16, 32, 64) if self.rows % d == 0]
            raise SpecError(
                f"local_array_size={self.local_array_size} does not divide rows={self.rows}",
                hint=f"local array sizes that divide {self.rows}: {options}",
            )
        if not _is_pow2(self.cols_per_adc):
            raise SpecError(
                f"cols_per_adc={self.cols_per_adc} is not a power of two", hint="use 1, 2, 4, 8 ..."
            )
        if self.cols % self.cols_per_adc:
            raise SpecError(
                f"cols_per_adc={self.cols_per_adc} does not divide cols={self.cols}",
                hint="choose a power of two that divides the column count",
            )
        if self.cols % self.weight_bits:
            raise SpecError(
                f"weight_bits={self.weight_bits} does not divide cols={self.cols}",
                hint="a weight spans weight_bits adjacent columns; pick a divisor of cols",
            )

    def _check_dac(self) -> None:
        caps = dac_capacitors(self.rows, self.local_array_size, self.cols_per_adc)
        if 2**self.adc_bits > caps:
            best = max_adc_bits(self.rows, self.local_array_size, self.cols_per_adc)
            need = 2**self.adc_bits
            fixes = [f"adc_bits <= {best}" if best else "a smaller local_array_size"]
            for cpa in (2, 4, 8, 16, 32):
                if (
                    cpa > self.cols_per_adc
                    and self.cols % cpa == 0
                    and dac_capacitors(self.rows, self.local_array_size, cpa) >= need
                ):
                    fixes.append(f"cols_per_adc={cpa}")
                    break
            for size in (8, 4, 2, 1):
                if (
                    size < self.local_array_size
                    and self.rows % size == 0
                    and dac_capacitors(self.rows, size, self.cols_per_adc) >= need
                ):
                    fixes.append(f"local_array_size={size}")
                    break
            raise SpecError(
                f"a {self.adc_bits}-bit SAR DAC needs {need} unit capacitors but an ADC group has only "
                f"(rows/L)*cols_per_adc = ({self.rows}/{self.local_array_size})*{self.cols_per_adc} = {caps}",
                hint="use " + " or ".join(fixes),
            )

    def check_layout_size(self) -> None:
        """Raise :class:`~eda.errors.LimitError` when the layout would exceed the ``acim_bitcells`` limit
        (call before generating GDS/SPICE; the models handle any size)."""
        check_limit(
            "acim_bitcells", self.bitcells, what=f"an ACIM layout of {self.rows} x {self.cols} bitcells"
        )

    # -- derived quantities -------------------------------------------------------------------------
    @property
    def local_arrays_per_column(self) -> int:
        """Compute capacitors per column (``rows / L``)."""
        return self.rows // self.local_array_size

    @property
    def adcs(self) -> int:
        """Number of SAR ADCs (``cols / cols_per_adc``)."""
        return self.cols // self.cols_per_adc

    @property
    def bitcells(self) -> int:
        """Number of bitcells ``rows * cols``."""
        return self.rows * self.cols

    @property
    def name(self) -> str:
        """A short name such as ``acim_64x64_l4_b5``."""
        return f"acim_{self.rows}x{self.cols}_l{self.local_array_size}_b{self.adc_bits}"

    # -- I/O ----------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """All fields as plain JSON values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str | None = None) -> ACIMSpec:
        """Build a spec from a mapping; unknown keys are an error naming the allowed ones.

        A mapping holding the spec under ``"spec"`` (as written by exploration results) is accepted too.
        """
        if not isinstance(data, dict):
            raise SpecError(f"an ACIM spec must be a mapping, got {type(data).__name__}", where=where)
        if "spec" in data and isinstance(data["spec"], dict):
            data = data["spec"]
        allowed = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise SpecError(
                f"unknown ACIM spec field(s) {unknown}",
                where=where,
                hint=f"allowed fields: {sorted(allowed)}",
            )
        missing = [name for name in ("rows", "cols", "local_array_size", "adc_bits") if name not in data]
        if missing:
            raise SpecError(f"ACIM spec lacks {missing}", where=where)
        try:
            return cls(**data)
        except SpecError as exc:
            raise SpecError(exc.message, where=where or exc.where, hint=exc.hint) from None

    @classmethod
    def from_json(cls, path: str | Path) -> ACIMSpec:
        """Read a spec from a JSON file (fields at top level or under ``"spec"``)."""
        from eda.flow.yamlio import decode_text

        path = Path(path)
        try:
            data = json.loads(decode_text(path.read_bytes(), str(path), kind="JSON"))
        except OSError as exc:
            raise SpecError(
                f"cannot read spec file: {exc.strerror or exc}",
                where=str(path),
                hint="check the path" + (" (it is a directory)" if path.is_dir() else ""),
            ) from None
        except json.JSONDecodeError as exc:
            raise SpecError(
                f"spec file is not valid JSON: {exc.msg}", where=f"{path}:{exc.lineno}:{exc.colno}"
            ) from None
        return cls.from_dict(data, where=str(path))
