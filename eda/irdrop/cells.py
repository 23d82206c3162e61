"""Cell-level inputs: per-instance power reports with placement (the CircuitNet sign-off format).

``*.inst.power.rpt`` lines: ``inst_name cell_name freq toggle_rate leakage_power switching_power
internal_power total_power library P/G-pin P/G-volt powerDomain [x0,y0,x1,y1]`` (W, µm). Only the
supply (``VDD``) pin rows are kept (macros also list e.g. ``OEB`` rows with zero power).
:func:`eda.irdrop.graph.graph_from_cells` turns the result into a PDNGraph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eda.errors import DataError

__all__ = ["PowerReport", "read_power_report"]


@dataclass
class PowerReport:
    """Per instance: ``bbox_um`` ``[k, 4]`` and leakage / internal / switching power (W), supply (V)."""

    names: list[str]
    bbox_um: np.ndarray
    leakage_w: np.ndarray
    internal_w: np.ndarray
    switching_w: np.ndarray
    supply_v: float

    @property
    def die_um(self) -> tuple[float, float]:
        """Extent covering every instance, µm."""
        return float(self.bbox_um[:, 2].max()), float(self.bbox_um[:, 3].max())

    @property
    def total_w(self) -> float:
        """Total power, W."""
        return float(self.leakage_w.sum() + self.internal_w.sum() + self.switching_w.sum())


def read_power_report(path: str | Path, pin: str = "VDD") -> PowerReport:
    """Read an instance power report (gzip ok); raises :class:`DataError` naming the bad line."""
    from eda.pdn.maps import read_bytes

    text = read_bytes(path).decode("utf-8", errors="replace")
    names, boxes, leak, sw, internal, volts = [], [], [], [], [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("*"):
            continue
        parts = line.split()
        if len(parts) < 13:
            raise DataError(
                f"expected 13 fields (inst cell freq toggle leakage switching internal total lib "
                f"pin volt domain bbox), got {len(parts)}",
                where=f"{path}:{lineno}",
            )
        if parts[9] != pin:
            continue
        try:
            box = [float(v) for v in parts[12].strip("[]").split(",")]
            leak.append(float(parts[4]))
            sw.append(float(parts[5]))
            internal.append(float(parts[6]))
            volts.append(float(parts[10]))
        except ValueError as exc:
            raise DataError(f"bad number ({exc})", where=f"{path}:{lineno}") from None
        if len(box) != 4:
            raise DataError(f"bbox needs 4 numbers, got {parts[12]!r}", where=f"{path}:{lineno}")
        names.append(parts[0])
        boxes.append(box)
    if not names:
        raise DataError(f"no '{pin}' rows in power report '{path}'", hint="check the P/G pin name (--pin)")
    return PowerReport(
        names=names,
        bbox_um=np.array(boxes),
        leakage_w=np.array(leak),
        internal_w=np.array(internal),
        switching_w=np.array(sw),
        supply_v=float(np.median(volts)),
    )
