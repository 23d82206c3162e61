"""Load a technology file: layers (GDS numbers, label layers, sheet resistance), rules and via stack.

The default is SkyWater SKY130 (``eda/tech/sky130.yaml``); a cell library carries its own copy as
``<library>/tech.yaml`` (the default library: ``eda/share/cells/sky130_acim``).
Units: µm for lengths, µm² for areas, Ω/□ for sheet resistance, Ω per cut for vias, fF/µm for wire cap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eda.errors import SpecError

__all__ = [
    "Layer",
    "Rule",
    "Tech",
    "default_tech_path",
    "load_tech",
    "derived_tokens",
    "RULE_KINDS",
    "DERIVED_WORDS",
]

#: rule kinds the DRC engine knows (see :mod:`eda.signoff.drc` for what each checks)
RULE_KINDS = (
    "width",
    "space",
    "size",
    "enclosure",
    "extension",
    "separation",
    "area",
    "cover",
    "adjacent",
    "overlap",
    "isolated",
    "wide_space",
    "holes",
    "grid",
    "angle",
)
_TWO_LAYER_KINDS = ("enclosure", "extension", "separation", "cover", "adjacent", "overlap")
#: words of a derived-layer expression besides layer names and ``& | - ^`` (see :func:`derived_tokens`)
DERIVED_WORDS = (
    "interacting",
    "not_interacting",
    "overlapping",
    "not_overlapping",
    "inside",
    "outside",
    "sized",
)


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
    """One design rule (name as in the PDK, e.g. ``m1.2``); ``value`` in µm (µm² for ``area``/``holes``,
    degrees for ``angle``). ``over`` (µm) is the width above which a ``wide_space`` rule applies.

    Several rules may share a name (one rule of the manual checked in two ways, e.g. an enclosure and a
    cover); the DRC report counts them together under that name.
    """

    name: str
    kind: str
    layer: str
    value: float
    layer2: str | None = None
    over: float | None = None


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
            raise SpecError(
                f"technology '{self.name}' has no layer '{name}'",
                where=str(self.path),
                hint=f"layers: {sorted(self.layers)}",
            ) from None

    def label(self, name: str) -> tuple[int, int]:
        """GDS (layer, texttype) for pin labels on layer ``name`` (the drawing layer if none is given)."""
        layer = self.layers[name]
        return layer.label or layer.gds

    def rule(self, name: str) -> Rule:
        """The (first) rule called ``name``."""
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


def derived_tokens(expr: str) -> list[str]:
    """Tokens of a derived-layer expression, evaluated left to right: layer names, ``& | - ^`` (boolean
    and, or, not, xor), the selections ``interacting``, ``not_interacting``, ``overlapping``,
    ``not_overlapping``, ``inside``, ``outside`` (polygons of the left side by the layer on the right), and
    ``sized D`` (grow by ``D`` µm), e.g. ``"capm & met3 sized 0.14"``."""
    return re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?|[&|^-]", expr)


def _is_number(token: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d*)?", token))


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
            raise SpecError(
                f"layer '{name}' is malformed ({exc})",
                where=str(path),
                hint="each layer needs `gds: [layer, datatype]`",
            ) from None
    derived = {str(k): str(v) for k, v in (data.get("derived") or {}).items()}
    for name, expr in derived.items():
        for token in derived_tokens(expr):
            if (
                token not in layers
                and token not in derived
                and token not in DERIVED_WORDS
                and token not in "&|-^"
                and not _is_number(token)
            ):
                raise SpecError(
                    f"derived layer '{name}' uses unknown layer '{token}'",
                    where=str(path),
                    hint=f"operators: & | - ^ {' '.join(DERIVED_WORDS)}",
                )
    rules = []
    for entry in data.get("rules") or []:
        try:
            over = entry.get("over")
            rule = Rule(
                str(entry["name"]),
                str(entry["kind"]),
                str(entry["layer"]),
                float(entry["value"]),
                entry.get("layer2"),
                None if over is None else float(over),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SpecError(f"rule {entry!r} is malformed ({exc})", where=str(path)) from None
        if rule.kind not in RULE_KINDS:
            raise SpecError(
                f"rule '{rule.name}' has unknown kind '{rule.kind}'",
                where=str(path),
                hint=f"kinds: {', '.join(RULE_KINDS)}",
            )
        if rule.kind in _TWO_LAYER_KINDS and rule.layer2 is None:
            raise SpecError(f"rule '{rule.name}' ({rule.kind}) needs `layer2`", where=str(path))
        if rule.kind == "wide_space" and rule.over is None:
            raise SpecError(
                f"rule '{rule.name}' (wide_space) needs `over` (the width it applies above, um)",
                where=str(path),
            )
        for layer in (rule.layer, rule.layer2):
            if layer is not None and layer not in layers and layer not in derived:
                raise SpecError(f"rule '{rule.name}' uses unknown layer '{layer}'", where=str(path))
        rules.append(rule)
    stack = tuple(tuple(s) for s in data.get("stack") or [])
    return Tech(
        name=str(data.get("name", path.stem)),
        path=path,
        layers=layers,
        rules=tuple(rules),
        derived=derived,
        stack=stack,
        data=data,
    )  # type: ignore[arg-type]
