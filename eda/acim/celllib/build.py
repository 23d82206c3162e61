"""Build the ACIM cell library from code: every cell's GDS + SPICE + YAML, ``library.yaml``, ``tech.yaml``.

The cells are drawn by the modules of :mod:`eda.acim.celllib` on one column grid; the well-tap cells are
derived from the row cells they serve (:func:`eda.acim.celllib.tapcol.tap_cell`). Compute capacitors and
SAR blocks depend on the macro's spec and are drawn by the generator. ``eda acim cells --out DIR`` writes
a library; the stored default library (``eda/share/cells/sky130_acim``) is byte-identical to what this code draws
(a test checks it).
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gdstk
import yaml

from eda.acim.celllib.bitcell import bitcell
from eda.acim.celllib.cell import DrawnCell
from eda.acim.celllib.compute import compute
from eda.acim.celllib.drivers import ctrldrv, rowdrv
from eda.acim.celllib.grid import ColumnGrid
from eda.acim.celllib.mimcap import MIM_FF_PER_UM2, MIM_MODEL
from eda.acim.celllib.periphery import adc_fill, colper, colper_end, comparator
from eda.acim.celllib.tapcol import TAP_WIDTH, powertap, tap_cell
from eda.tech import load_tech

__all__ = ["LibraryOptions", "build_cells", "build_library"]

#: fixed GDS timestamp so rebuilt files are byte-identical
_EPOCH = datetime.datetime(2024, 1, 1)


@dataclass(frozen=True)
class LibraryOptions:
    """Knobs of the library: its name, a wider column (µm added to the 2.60 µm pitch), the power stripe
    period (columns between well-tap columns) and the SAR logic's area estimate.

    The SAR estimate counts SKY130 high-density standard cells per ADC bit: two D flip-flops (the
    sequencing one-hot register and the result register, ``sky130_fd_sc_hd__dfxtp_1``, 7.36 × 2.72 µm =
    20.0 µm² each), a DAC-line buffer (``buf_2``, 3.75 µm²) and a 2-input gate (3.75 µm²) = 47.5 µm², plus
    ~50 µm² of clock and control logic, at 70 % placement utilisation: 68 µm² per bit + 72 µm².
    """

    name: str = "sky130_acim"
    extra_pitch: float = 0.0
    stripe_every: int = 8
    sar_area_fixed_um2: float = 72.0
    sar_area_per_bit_um2: float = 68.0


def build_cells(
    opt: LibraryOptions | None = None, tech_path: str | Path | None = None
) -> tuple[dict[str, DrawnCell], dict[str, Any]]:
    """Draw every cell of the library; returns the cells by name and the ``library.yaml`` content."""
    opt = opt or LibraryOptions()
    tech = load_tech(tech_path)
    grid = ColumnGrid(extra_pitch=opt.extra_pitch)
    rows = {
        "bitcell": bitcell(tech, grid),
        "compute": compute(tech, grid),
        "colper": colper(tech, grid),
        "colper_end": colper_end(tech, grid),
        "adc": comparator(tech, grid),
        "adc_fill": adc_fill(tech, grid),
        "row_driver": rowdrv(tech),
        "ctrl_driver": ctrldrv(tech),
    }
    taps = {
        f"tap_{role}": tap_cell(rows[role], tech, name=f"tap_{rows[role].cell.name}")
        for role in ("bitcell", "compute", "colper", "adc")
    }
    cells = {d.cell.name: d for d in [*rows.values(), *taps.values(), powertap(tech)]}
    roles = {role: drawn.cell.name for role, drawn in {**rows, **taps}.items()}
    roles["powertap"] = "powertap"
    index = {
        "name": opt.name,
        "tech": "tech.yaml",
        "column_pitch_um": grid.pitch,
        "roles": roles,
        "grid": {"extra_pitch_um": opt.extra_pitch},
        "power": {
            "stripe_every": opt.stripe_every,
            "tap_width_um": TAP_WIDTH,
            "ring_width_um": 2.0,
            "ring_space_um": 2.0,
        },
        "capacitor": {
            "kind": "mim",
            "model": MIM_MODEL,
            "ff_per_um2": MIM_FF_PER_UM2,
            "ctop_via2": rows["compute"].meta["params"]["ctop_via2"],
            "max_height_margin_um": 1.48,
        },
        "sar": {"area_fixed_um2": opt.sar_area_fixed_um2, "area_per_bit_um2": opt.sar_area_per_bit_um2},
        "options": asdict(opt),
    }
    return cells, index


def build_library(
    out: str | Path, opt: LibraryOptions | None = None, tech_path: str | Path | None = None
) -> Path:
    """Write the library to directory ``out``: per cell GDS + SPICE + YAML, library.yaml, tech.yaml."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cells, index = build_cells(opt, tech_path)
    for name, drawn in cells.items():
        lib = gdstk.Library(name=name, unit=1e-6, precision=1e-9)
        lib.add(drawn.cell)
        lib.write_gds(out / f"{name}.gds", timestamp=_EPOCH)
        (out / f"{name}.spice").write_text(drawn.spice)
        (out / f"{name}.yaml").write_text(yaml.safe_dump(drawn.meta, sort_keys=False))
    (out / "library.yaml").write_text(yaml.safe_dump(index, sort_keys=False))
    tech = load_tech(tech_path)
    (out / "tech.yaml").write_text(yaml.safe_dump(dict(tech.data), sort_keys=False))
    for stale in out.iterdir():  # files of cells this code no longer draws
        if (
            stale.suffix in (".gds", ".spice", ".yaml")
            and stale.stem not in cells
            and stale.name not in ("library.yaml", "tech.yaml")
        ):
            stale.unlink()
    return out
