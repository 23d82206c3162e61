"""Cell libraries: a directory with ``library.yaml``, ``tech.yaml`` and per-cell GDS + SPICE + YAML.

``library.yaml`` names the library, its technology file, the column pitch every column cell shares, the
role -> cell mapping the generator uses and the power-grid parameters::

    name: sky130_acim
    tech: tech.yaml
    column_pitch_um: 16.0
    roles: {bitcell: bitcell8t, compute: compute, cap: momcap, colper: colper, ...}
    power: {stripe_every: 8, ring_width_um: 2.0, ring_space_um: 1.0}

Each cell ``<name>.yaml`` gives ``width_um``/``height_um``, its SPICE subcircuit and port order, pins
(name, layer, rectangle in µm, use), the y of its power rails and its abutment edges. Sizes are the
contract between the floorplan (:mod:`eda.acim.floorplan`), the generator and the exploration models:
they must equal the drawn GDS (checked by ``tests/acim/test_cells.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from eda.errors import SpecError

__all__ = ["Pin", "CellInfo", "Library", "load_library", "default_library_dir", "ROLES", "with_stripe_every"]

#: roles the generator needs a cell for
ROLES: tuple[str, ...] = ("bitcell", "compute", "cap", "colper", "colper_end", "adc", "adc_fill", "sar",
                          "row_driver", "ctrl_driver", "tap_vdd", "tap_vss")


def default_library_dir() -> Path:
    """``cells/sky130_acim`` of the source tree (the default cell library)."""
    return Path(__file__).resolve().parents[2] / "cells" / "sky130_acim"


@dataclass(frozen=True)
class Pin:
    """A cell pin: net name, layer name and rectangle ``(x0, y0, x1, y1)`` in µm (cell coordinates)."""

    name: str
    layer: str
    rect: tuple[float, float, float, float]
    use: str = "signal"  # signal | power | ground

    @property
    def center(self) -> tuple[float, float]:
        """Centre of the pin rectangle (µm)."""
        x0, y0, x1, y1 = self.rect
        return (x0 + x1) / 2, (y0 + y1) / 2


@dataclass(frozen=True)
class CellInfo:
    """Metadata of one library cell (sizes in µm)."""

    name: str
    role: str
    width: float
    height: float
    ports: tuple[str, ...]
    pins: tuple[Pin, ...]
    rails: dict[str, float] = field(default_factory=dict)
    abutment: dict[str, list[str]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    gds: Path | None = None
    spice: Path | None = None
    abstract: bool = False

    @property
    def area(self) -> float:
        """Cell area in µm²."""
        return self.width * self.height

    def pin(self, name: str) -> Pin:
        """The first pin called ``name``."""
        for pin in self.pins:
            if pin.name == name:
                return pin
        raise SpecError(f"cell '{self.name}' has no pin '{name}'", hint=f"pins: {sorted({p.name for p in self.pins})}")

    @classmethod
    def from_yaml(cls, path: Path) -> CellInfo:
        """Read ``<cell>.yaml``."""
        return cls.from_meta(_read_yaml(path), path)

    @classmethod
    def from_meta(cls, data: dict[str, Any], path: Path | None = None) -> CellInfo:
        """Build from a metadata mapping (the content of ``<cell>.yaml``)."""
        try:
            pins = tuple(Pin(p["name"], p["layer"], tuple(float(v) for v in p["rect"]), p.get("use", "signal"))
                         for p in data.get("pins", []))
            return cls(name=data["name"], role=data.get("role", ""), width=float(data["width_um"]),
                       height=float(data["height_um"]), ports=tuple(data.get("ports", [])), pins=pins,
                       rails={k: float(v) for k, v in (data.get("rails") or {}).items()},
                       abutment=dict(data.get("abutment") or {}), params=dict(data.get("params") or {}),
                       gds=path.with_suffix(".gds") if path else None,
                       spice=path.with_suffix(".spice") if path else None,
                       abstract=bool(data.get("abstract", False)))
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"malformed cell metadata: {exc}", where=str(path or data.get("name")),
                            hint="rebuild the library with `eda acim cells --out DIR`") from None


@dataclass(frozen=True)
class Library:
    """A loaded cell library: name, directory, technology file, column pitch and cells by role."""

    name: str
    path: Path
    tech_file: Path
    column_pitch: float
    roles: dict[str, str]
    cells: dict[str, CellInfo]
    power: dict[str, float]
    columns: dict[str, float] = field(default_factory=dict)

    def role(self, role: str) -> CellInfo:
        """The cell playing ``role`` (``bitcell``, ``compute``, ``cap`` ...)."""
        try:
            return self.cells[self.roles[role]]
        except KeyError:
            raise SpecError(f"library '{self.name}' has no cell for role '{role}'", where=str(self.path),
                            hint=f"library.yaml `roles` must map all of {list(ROLES)}") from None

    def cap_height(self, unit_cap_fF: float) -> float:
        """Height (µm) of the compute-capacitor cell drawn for ``unit_cap_fF`` (its width is the pitch).

        The MOM finger capacitor grows linearly with its finger length: ``C = c0 + c_per_um * length``
        (both from the cap cell's ``params``, computed from geometry when the library was built); the
        length is rounded up to the layout grid step ``length_step_um``.
        """
        p = self.role("cap").params
        length = max(float(p["min_length_um"]), (unit_cap_fF - float(p["c0_fF"])) / float(p["c_per_um_fF"]))
        step = float(p["length_step_um"])
        steps = -(-round(length / step, 6) // 1)
        return round(float(p["overhead_um"]) + steps * step, 3)

    def cap_value(self, unit_cap_fF: float) -> float:
        """Capacitance (fF) of the cap cell drawn for ``unit_cap_fF`` (after grid rounding)."""
        p = self.role("cap").params
        length = self.cap_height(unit_cap_fF) - float(p["overhead_um"])
        return float(p["c0_fF"]) + float(p["c_per_um_fF"]) * length


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"cannot read {path.name}: {exc}", where=str(path)) from None
    if not isinstance(data, dict):
        raise SpecError("expected a mapping", where=str(path))
    return data


def load_library(path: str | Path | None = None) -> Library:
    """Load the cell library in directory ``path`` (default: :func:`default_library_dir`)."""
    root = Path(path) if path is not None else default_library_dir()
    index = root / "library.yaml"
    if not index.is_file():
        raise SpecError(f"no library.yaml in {root}", where=str(root),
                        hint="build a library with `eda acim cells --out DIR` or pass --library DIR")
    data = _read_yaml(index)
    cells: dict[str, CellInfo] = {}
    for cell_yaml in sorted(root.glob("*.yaml")):
        if cell_yaml.name in ("library.yaml", "tech.yaml"):
            continue
        info = CellInfo.from_yaml(cell_yaml)
        cells[info.name] = info
    roles = dict(data.get("roles") or {})
    missing = [r for r in ROLES if roles.get(r) not in cells]
    if missing:
        raise SpecError(f"library lacks cells for roles {missing}", where=str(index),
                        hint=f"cells found: {sorted(cells)}")
    lib = Library(name=str(data.get("name", root.name)), path=root, tech_file=root / str(data.get("tech", "tech.yaml")),
                  column_pitch=float(data["column_pitch_um"]), roles=roles, cells=cells,
                  power={k: float(v) for k, v in (data.get("power") or {}).items()},
                  columns={k: float(v) for k, v in (data.get("columns") or {}).items()})
    for role in ("bitcell", "compute", "cap", "colper", "colper_end", "adc", "adc_fill"):
        if abs(lib.role(role).width - lib.column_pitch) > 1e-6:
            raise SpecError(f"cell '{lib.roles[role]}' is {lib.role(role).width} µm wide but the column pitch is "
                            f"{lib.column_pitch} µm", where=str(index), hint="all column cells share the pitch")
    if abs(lib.role("row_driver").height - lib.role("bitcell").height) > 1e-6:
        raise SpecError("the row driver must be as tall as the bitcell", where=str(index))
    if abs(lib.role("ctrl_driver").height - lib.role("compute").height) > 1e-6:
        raise SpecError("the control driver must be as tall as the compute cell", where=str(index))
    return lib


def with_stripe_every(library: Library, stripe_every: int) -> Library:
    """A copy of ``library`` whose met4 power stripes repeat every ``stripe_every`` columns.

    A smaller value is a denser power grid (less IR drop, more met4 used); the floorplan, generator and
    power-grid extraction all read the spacing from ``library.power``.
    """
    if stripe_every < 1:
        raise SpecError(f"stripe_every must be >= 1 (got {stripe_every})", hint="use 1 (every column) or more")
    return replace(library, power={**library.power, "stripe_every": stripe_every})
