"""Cell libraries: a directory with ``library.yaml``, ``tech.yaml`` and per-cell GDS + SPICE + YAML.

``library.yaml`` names the library, its technology file, the column pitch every column cell shares, the
role -> cell mapping the generator uses, the power-grid parameters, the compute capacitor (a MIM
capacitor drawn per macro over the local array) and the SAR logic's area estimate::

    name: sky130_acim
    tech: tech.yaml
    column_pitch_um: 2.6
    roles: {bitcell: bitcell8t, compute: compute, colper: colper, ..., tap_bitcell: tap_bitcell8t, ...}
    power: {stripe_every: 8, tap_width_um: 1.6, ring_width_um: 2.0, ring_space_um: 1.0}
    capacitor: {kind: mim, ff_per_um2: 2.0, ctop_via2: [1.81, 3.1], max_height_margin_um: 1.48}
    sar: {area_fixed_um2: 100, area_per_bit_um2: 50}

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

__all__ = [
    "Pin",
    "CellInfo",
    "Library",
    "load_library",
    "default_library_dir",
    "ROLES",
    "COLUMN_ROLES",
    "with_stripe_every",
]

#: roles the generator needs a cell for (compute capacitors and SAR blocks are drawn per macro)
ROLES: tuple[str, ...] = (
    "bitcell",
    "compute",
    "colper",
    "colper_end",
    "adc",
    "adc_fill",
    "row_driver",
    "ctrl_driver",
    "tap_bitcell",
    "tap_compute",
    "tap_colper",
    "tap_adc",
    "powertap",
)
#: column cells: exactly one column pitch wide
COLUMN_ROLES: tuple[str, ...] = ("bitcell", "compute", "colper", "colper_end", "adc", "adc_fill")


def default_library_dir() -> Path:
    """The default cell library ``sky130_acim``, shipped with the package (:mod:`eda.shipped`)."""
    from eda.shipped import default_library_dir as shipped

    return shipped()


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
    devices: int = 0

    @property
    def area(self) -> float:
        """Cell area in µm²."""
        return self.width * self.height

    def pin(self, name: str) -> Pin:
        """The first pin called ``name``."""
        for pin in self.pins:
            if pin.name == name:
                return pin
        raise SpecError(
            f"cell '{self.name}' has no pin '{name}'", hint=f"pins: {sorted({p.name for p in self.pins})}"
        )

    @classmethod
    def from_yaml(cls, path: Path) -> CellInfo:
        """Read ``<cell>.yaml``."""
        return cls.from_meta(_read_yaml(path), path)

    @classmethod
    def from_meta(cls, data: dict[str, Any], path: Path | None = None) -> CellInfo:
        """Build from a metadata mapping (the content of ``<cell>.yaml``)."""
        try:
            pins = tuple(
                Pin(p["name"], p["layer"], tuple(float(v) for v in p["rect"]), p.get("use", "signal"))
                for p in data.get("pins", [])
            )
            return cls(
                name=data["name"],
                role=data.get("role", ""),
                width=float(data["width_um"]),
                height=float(data["height_um"]),
                ports=tuple(data.get("ports", [])),
                pins=pins,
                rails={k: float(v) for k, v in (data.get("rails") or {}).items()},
                abutment=dict(data.get("abutment") or {}),
                params=dict(data.get("params") or {}),
                gds=path.with_suffix(".gds") if path else None,
                spice=path.with_suffix(".spice") if path else None,
                abstract=bool(data.get("abstract", False)),
                devices=int(data.get("devices", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(
                f"malformed cell metadata: {exc}",
                where=str(path or data.get("name")),
                hint="rebuild the library with `eda acim cells --out DIR`",
            ) from None


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
    capacitor: dict[str, Any] = field(default_factory=dict)
    sar: dict[str, float] = field(default_factory=dict)

    def role(self, role: str) -> CellInfo:
        """The cell playing ``role`` (``bitcell``, ``compute``, ``cap`` ...)."""
        try:
            return self.cells[self.roles[role]]
        except KeyError:
            raise SpecError(
                f"library '{self.name}' has no cell for role '{role}'",
                where=str(self.path),
                hint=f"library.yaml `roles` must map all of {list(ROLES)}",
            ) from None

    def cap_size(self, unit_cap_fF: float) -> tuple[float, float]:
        """Top-plate ``(width, height)`` (µm) of the MIM capacitor drawn for ``unit_cap_fF``."""
        from eda.acim.celllib.mimcap import mim_size

        return mim_size(unit_cap_fF)

    def cap_value(self, unit_cap_fF: float) -> float:
        """Capacitance (fF) of the MIM capacitor drawn for ``unit_cap_fF`` (at least the MIM minimum)."""
        from eda.acim.celllib.mimcap import mim_capacitance

        return mim_capacitance(unit_cap_fF)

    def check_capacitor(self, unit_cap_fF: float, group_height: float, compute_height: float) -> None:
        """Raise :class:`SpecError` when the capacitor for ``unit_cap_fF`` does not fit over its local array.

        The top plate may grow up to ``group_height + compute_height/2 - margin`` (µm): its bottom plate keeps
        1.2 µm from the next group's (capm.2b) and from the power taps in the next compute row.
        """
        from eda.acim.celllib.mimcap import MIM_FF_PER_UM2, mim_size

        width, height = mim_size(unit_cap_fF)
        limit = group_height - compute_height / 2 - float(self.capacitor.get("max_height_margin_um", 1.48))
        if height > limit + 1e-9:
            most = MIM_FF_PER_UM2 * width * limit
            raise SpecError(
                f"a {unit_cap_fF:g} fF MIM capacitor needs a {height:.2f} um tall top plate but only "
                f"{limit:.2f} um fit over a local array of this size",
                hint=f"unit_cap_fF <= {most:.1f} or a larger local_array_size",
            )


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
        raise SpecError(
            f"no library.yaml in {root}",
            where=str(root),
            hint="build a library with `eda acim cells --out DIR` or pass --library DIR",
        )
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
        raise SpecError(
            f"library lacks cells for roles {missing}", where=str(index), hint=f"cells found: {sorted(cells)}"
        )
    try:
        lib = Library(
            name=str(data.get("name", root.name)),
            path=root,
            tech_file=root / str(data.get("tech", "tech.yaml")),
            column_pitch=float(data["column_pitch_um"]),
            roles=roles,
            cells=cells,
            power={k: float(v) for k, v in (data.get("power") or {}).items()},
            capacitor=dict(data.get("capacitor") or {}),
            sar={k: float(v) for k, v in (data.get("sar") or {}).items()},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(
            f"malformed library.yaml ({exc})",
            where=str(index),
            hint="rebuild the library with `eda acim cells --out DIR`",
        ) from None
    for key in ("tap_width_um", "ring_width_um", "ring_space_um"):
        if key not in lib.power:
            raise SpecError(f"library.yaml `power` lacks {key}", where=str(index))
    for key in ("area_fixed_um2", "area_per_bit_um2"):
        if key not in lib.sar:
            raise SpecError(f"library.yaml `sar` lacks {key}", where=str(index))
    for role in COLUMN_ROLES:
        if abs(lib.role(role).width - lib.column_pitch) > 1e-6:
            raise SpecError(
                f"cell '{lib.roles[role]}' is {lib.role(role).width} µm wide but the column pitch is "
                f"{lib.column_pitch} µm",
                where=str(index),
                hint="all column cells share the pitch",
            )
    if abs(lib.role("row_driver").height - lib.role("bitcell").height) > 1e-6:
        raise SpecError("the row driver must be as tall as the bitcell", where=str(index))
    if abs(lib.role("ctrl_driver").height - lib.role("compute").height) > 1e-6:
        raise SpecError("the control driver must be as tall as the compute cell", where=str(index))
    for role, row in (
        ("tap_bitcell", "bitcell"),
        ("tap_compute", "compute"),
        ("tap_colper", "colper"),
        ("tap_adc", "adc"),
    ):
        if abs(lib.role(role).height - lib.role(row).height) > 1e-6:
            raise SpecError(
                f"the tap cell '{lib.roles[role]}' must be as tall as the {row} row", where=str(index)
            )
    return lib


def with_stripe_every(library: Library, stripe_every: int) -> Library:
    """A copy of ``library`` whose met4 power stripes repeat every ``stripe_every`` columns.

    A smaller value is a denser power grid (less IR drop, more met4 used); the floorplan, generator and
    power-grid extraction all read the spacing from ``library.power``.
    """
    if stripe_every < 1:
        raise SpecError(
            f"stripe_every must be >= 1 (got {stripe_every})", hint="use 1 (every column) or more"
        )
    return replace(library, power={**library.power, "stripe_every": stripe_every})
