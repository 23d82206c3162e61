"""Load a technology file: layers (GDS numbers, label layers, sheet resistance), rules and via stack.

The default is SkyWater SKY130 (``eda/tech/sky130.yaml``); a cell library carries its own copy as
``cells/<lib>/tech.yaml`` (with the compute capacitor's density filled in from the drawn geometry).
Units: µm for lengths, µm² for areas, Ω/□ for sheet resistance, Ω per cut for vias, fF/µm for wire cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eda.errors import SpecError

__all__ = ["Layer", "Rule", "Tech", "default_tech_path", "load_tech", "RULE_KINDS"]

#: rule kinds the DRC engine knows (see :mod:`eda.signoff.drc`)
RULE_KINDS = ("width", "space", "size", "enclosure", "extension", "separation", "area", "cover")


def default_tech_path() -> Path:
    """Path of the bundled SKY130 technology file."""
    return Path(__file__).with_name("sky130.yaml")


@dataclass(frozen=True)
class Layer:
    """A drawn layer: name, GDS (layer, datatype), optional label layer and electrical figures."""

    name: str
    gds: tuple[int, int]
    label: tuple[int, int] | None = None
    props: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """One design rule (name as in the PDK, e.g. ``m1.2``); ``value`` in µm (µm² for ``area``)."""

    name: str
    kind: str
    layer: str
    value: float
    layer2: str | None = None


@dataclass(frozen=True)
class Tech:
    """A loaded technology file."""

    name: str
    path: Path
    layers: dict[str, Layer]
    rules: tuple[Rule, ...]
    derived: dict[str, str]
    stack: tuple[tuple[str, str, str], ...]
    data: dict[str, Any]

    @property
    def grid(self) -> float:
        """Manufacturing grid (µm)."""
        return float(self.data.get("grid_um", 0.005))

    def gds(self, name: str) -> tuple[int, int]:
        """GDS (layer, datatype) of layer ``name``."""
        try:
            return self.layers[name].gds
        except KeyError:
            raise SpecError(f"technology '{self.name}' has no layer '{name}'", where=str(self.path),
                            hint=f"layers: {sorted(self.layers)}") from None

    def label(self, name: str) -> tuple[int, int]:
        """GDS (layer, texttype) for pin labels on layer ``name`` (the drawing layer if none is given)."""
        layer = self.layers[name]
        return layer.label or layer.gds

    def rule(self, name: str) -> Rule:
        """The rule called ``name``."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise SpecError(f"no rule '{name}' in {self.path}")

    def value(self, name: str) -> float:
        """Value of rule ``name`` (µm or µm²)."""
        return self.rule(name).value

    def prop(self, layer: str, key: str, default: float | None = None) -> float:
        """Electrical/physical property ``key`` of ``layer`` (e.g. ``sheet_res_ohm_sq``)."""
        value = self.layers[layer].props.get(key, default)
        if value is None:
            raise SpecError(f"layer '{layer}' has no '{key}'", where=str(self.path))
        return float(value)


def load_tech(path: str | Path | None = None) -> Tech:
    """Read a ``tech.yaml`` (default: bundled SKY130); errors name the file and the bad entry."""
    path = Path(path) if path is not None else default_tech_path()
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"cannot read technology file: {exc}", where=str(path)) from None
    if not isinstance(data, dict) or "layers" not in data:
        raise SpecError("a technology file needs a `layers` mapping", where=str(path))
    layers: dict[str, Layer] = {}
    for name, entry in data["layers"].items():
        try:
            props = {k: float(v) for k, v in entry.items() if k not in ("gds", "label")}
            label = tuple(entry["label"]) if "label" in entry else None
            layers[name] = Layer(name, (int(entry["gds"][0]), int(entry["gds"][1])), label, props)  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SpecError(f"layer '{name}' is malformed ({exc})", where=str(path),
                            hint="each layer needs `gds: [layer, datatype]`") from None
    derived = {str(k): str(v) for k, v in (data.get("derived") or {}).items()}
    rules = []
    for entry in data.get("rules") or []:
        try:
            rule = Rule(str(entry["name"]), str(entry["kind"]), str(entry["layer"]), float(entry["value"]),
                        entry.get("layer2"))
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"rule {entry!r} is malformed ({exc})", where=str(path)) from None
        if rule.kind not in RULE_KINDS:
            raise SpecError(f"rule '{rule.name}' has unknown kind '{rule.kind}'", where=str(path),
                            hint=f"kinds: {', '.join(RULE_KINDS)}")
        for layer in (rule.layer, rule.layer2):
            if layer is not None and layer not in layers and layer not in derived:
                raise SpecError(f"rule '{rule.name}' uses unknown layer '{layer}'", where=str(path))
        rules.append(rule)
    stack = tuple(tuple(s) for s in data.get("stack") or [])
    return Tech(name=str(data.get("name", path.stem)), path=path, layers=layers, rules=tuple(rules),
                derived=derived, stack=stack, data=data)  # type: ignore[arg-type]
