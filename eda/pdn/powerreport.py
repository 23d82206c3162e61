"""Instance power reports: per-instance leakage, switching, internal and total power, and the cell's box.

The format is the sign-off tools' instance power report (the CircuitNet ``*.inst.power.rpt`` files are real
examples): ``*`` lines are comments, the last of which before the data names the columns::

    *inst_name  cell_name  freq  toggle_rate  leakage_power  switching_power  internal_power  total_power  library  P/G-pin  P/G-volt  powerDomain  bbox
    u1/U8  INV0P5  5e+08  0.15  4.5e-10  1.9e-08  2.0e-08  3.9e-08  library  VDD  0.9  VDD  [188.608,145.392,188.788,145.968]

Powers are in W, the P/G voltage in V and the box ``[x0,y0,x1,y1]`` in µm. An instance with several power
pins has one row per pin, each with that pin's share of the power; the rows are kept as they are (the
instance's power is their sum). Columns are found by their header names, so their order may differ; only
``inst_name`` and ``total_power`` are required.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eda.errors import DataError
from eda.pdn.maps import check_not_binary, read_bytes

__all__ = ["InstancePower", "read_power_report", "supply_voltage"]

_POWER_COLUMNS = ("leakage_power", "switching_power", "internal_power", "total_power")
_HINT = (
    "an instance power report has a `*inst_name ... total_power ...` header line and one row per "
    "instance power pin"
)


@dataclass
class InstancePower:
    """One row per (instance, power pin) of a report.

    Attributes:
        names: instance names; ``cells``: their cell (master) names.
        leakage_w, switching_w, internal_w, total_w: power of the row (W; NaN where the report has no such
            column).
        pg_pin: the power pin of the row (``""`` when not reported); ``pg_volt``: its voltage (V, NaN when not
            reported).
        bbox_um: ``[n, 4]`` cell box ``x0, y0, x1, y1`` (µm; NaN when not reported).
        source: the file read.
    """

    names: np.ndarray
    cells: np.ndarray
    leakage_w: np.ndarray
    switching_w: np.ndarray
    internal_w: np.ndarray
    total_w: np.ndarray
    pg_pin: np.ndarray
    pg_volt: np.ndarray
    bbox_um: np.ndarray
    source: str = "<memory>"

    def __len__(self) -> int:
        return len(self.names)

    @property
    def has_bbox(self) -> np.ndarray:
        """Rows whose box is known."""
        return np.all(np.isfinite(self.bbox_um), axis=1)

    @property
    def centre_um(self) -> np.ndarray:
        """``[n, 2]`` centre of each row's box (µm; NaN where unknown)."""
        return 0.5 * (self.bbox_um[:, :2] + self.bbox_um[:, 2:])


def _header(lines: list[str], source: str) -> tuple[dict[str, int], int]:
    """Column index by name from the last ``*`` line before the data, and the index of the first data line."""
    header: list[str] | None = None
    for k, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        if text.startswith("*"):
            words = text.lstrip("*").split()
            if "inst_name" in words:
                header = words
            continue
        if header is None:
            break
        return {name: i for i, name in enumerate(header)}, k
    if header is None:
        raise DataError("no `*inst_name ...` header line naming the columns", where=source, hint=_HINT)
    raise DataError("the report has a header but no instance rows", where=source, hint=_HINT)


def _bbox(text: str, where: str) -> tuple[float, float, float, float]:
    parts = text.strip().lstrip("[(").rstrip("])").split(",")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise DataError(f"bbox '{text}' is not [x0,y0,x1,y1] (µm)", where=where, hint=_HINT) from None
    if not (x1 >= x0 and y1 >= y0) or not np.all(np.isfinite([x0, y0, x1, y1])):
        raise DataError(f"bbox '{text}' is not a box (x1 >= x0, y1 >= y0, finite)", where=where, hint=_HINT)
    return x0, y0, x1, y1


def read_power_report(path: str | Path) -> InstancePower:
    """Read an instance power report (plain or gzip). Raises :class:`DataError` with ``file:line`` for a
    missing column, a short row, a non-numeric or negative power, or a malformed box."""
    source = str(path)
    raw = read_bytes(path)
    check_not_binary(raw, source, "an instance power report")
    lines = raw.decode("utf-8", errors="replace").replace("\r", "").split("\n")
    cols, first = _header(lines, source)
    for need in ("inst_name", "total_power"):
        if need not in cols:
            raise DataError(
                f"the header has no '{need}' column (it has: {', '.join(cols)})",
                where=f"{source}:{first}",
                hint=_HINT,
            )
    names, cells, pins, boxes = [], [], [], []
    powers: list[list[float]] = []
    volts: list[float] = []
    width = max(cols.values()) + 1
    wanted = [cols.get(c) for c in _POWER_COLUMNS]
    for k in range(first, len(lines)):
        words = lines[k].split()
        if not words or words[0].startswith("*"):
            continue
        where = f"{source}:{k + 1}"
        if len(words) < width:
            raise DataError(f"row has {len(words)} fields, the header names {width}", where=where, hint=_HINT)
        try:
            row = [float(words[i]) if i is not None else np.nan for i in wanted]
            volt = float(words[cols["P/G-volt"]]) if "P/G-volt" in cols else np.nan
        except ValueError as exc:
            raise DataError(f"non-numeric power or voltage ({exc})", where=where, hint=_HINT) from None
        if not all(np.isnan(v) or (np.isfinite(v) and v >= 0) for v in row):
            raise DataError(f"power must be finite and >= 0 (W), got {row}", where=where, hint=_HINT)
        names.append(words[cols["inst_name"]])
        cells.append(words[cols["cell_name"]] if "cell_name" in cols else "")
        pins.append(words[cols["P/G-pin"]] if "P/G-pin" in cols else "")
        boxes.append(_bbox(words[cols["bbox"]], where) if "bbox" in cols else (np.nan,) * 4)
        powers.append(row)
        volts.append(volt)
    if not names:
        raise DataError("the report has a header but no instance rows", where=source, hint=_HINT)
    p = np.array(powers, dtype=np.float64)
    return InstancePower(
        names=np.array(names),
        cells=np.array(cells),
        leakage_w=p[:, 0],
        switching_w=p[:, 1],
        internal_w=p[:, 2],
        total_w=p[:, 3],
        pg_pin=np.array(pins),
        pg_volt=np.array(volts, dtype=np.float64),
        bbox_um=np.array(boxes, dtype=np.float64),
        source=source,
    )


def supply_voltage(report: InstancePower, vdd: float | None = None) -> float:
    """The supply voltage (V) the currents are taken at: ``vdd`` when given, else the report's single
    ``P/G-volt``. A :class:`DataError` when neither gives one value."""
    if vdd is not None:
        if not (np.isfinite(vdd) and vdd > 0):
            raise DataError(f"--vdd {vdd:g} must be a positive voltage (V)", where="--vdd")
        return float(vdd)
    volts = np.unique(report.pg_volt[np.isfinite(report.pg_volt)])
    if volts.size == 1 and volts[0] > 0:
        return float(volts[0])
    found = (
        "no P/G-volt column" if volts.size == 0 else f"P/G-volt values {', '.join(f'{v:g}' for v in volts)}"
    )
    raise DataError(
        f"cannot tell the supply voltage: the report has {found}",
        where=report.source,
        hint="give it with --vdd (V)",
    )
