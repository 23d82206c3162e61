"""A drawn library cell: its gdstk cell, metadata (``<cell>.yaml``) and SPICE subcircuit.

Transistors are written in the convention the SKY130 foundry LVS deck reads: ``M`` devices named after
the foundry models with ``w=``/``l=`` in microns, bulk on the cell's ``VNB`` (p-substrate) and ``VPB``
(n-well) ports, as the foundry's standard cells do; the macro ties ``VNB`` to VSS and ``VPB`` to VDD
through the well-tap cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import gdstk

from eda.layout.sky130 import Canvas, snap
from eda.tech import Tech

__all__ = ["Mos", "DrawnCell", "CellCanvas", "NMOS", "PMOS", "subckt", "natural_key"]

NMOS = "sky130_fd_pr__nfet_01v8"
PMOS = "sky130_fd_pr__pfet_01v8"


@dataclass(frozen=True)
class Mos:
    """A transistor: ``kind`` ``n``/``p``; drain, gate, source nets; W and L in µm."""

    name: str
    kind: str
    drain: str
    gate: str
    source: str
    w: float = 0.42
    l: float = 0.15  # noqa: E741

    def spice(self) -> str:
        """The SPICE line (foundry model name, bulk on VNB/VPB)."""
        model, bulk = (NMOS, "VNB") if self.kind == "n" else (PMOS, "VPB")
        return (
            f"M{self.name} {self.drain} {self.gate} {self.source} {bulk} {model} w={self.w:g}u l={self.l:g}u"
        )


def subckt(name: str, ports: list[str], lines: list[str]) -> str:
    """A ``.subckt`` block."""
    return "\n".join([f".subckt {name} {' '.join(ports)}", *lines, f".ends {name}"]) + "\n"


def natural_key(text: str) -> tuple[object, ...]:
    """Sort key that orders ``DB2`` before ``DB10``."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


@dataclass
class DrawnCell:
    """A finished cell: gdstk cell, ``<cell>.yaml`` content and SPICE subcircuit text."""

    cell: gdstk.Cell
    meta: dict[str, Any]
    spice: str


class CellCanvas(Canvas):
    """A :class:`Canvas` that also records pins (label + metadata) and builds the :class:`DrawnCell`."""

    def __init__(self, name: str, tech: Tech, width: float, height: float) -> None:
        super().__init__(gdstk.Cell(name), tech)
        self.name, self.width, self.height = name, snap(width), snap(height)
        self.pins: list[dict[str, Any]] = []
        self.rails: dict[str, float] = {}
        self.abutment: dict[str, set[str]] = {"left": set(), "right": set(), "top": set(), "bottom": set()}

    def pin(
        self, net: str, layer: str, x0: float, y0: float, x1: float, y1: float, *, label: bool = True
    ) -> None:
        """Record a pin rectangle on ``layer`` (drawn by the caller) and label it at its centre."""
        use = "power" if net in ("VDD", "VPB") else "ground" if net in ("VSS", "VNB") else "signal"
        rect = [snap(v) for v in (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))]
        self.pins.append({"name": net, "layer": layer, "rect": rect, "use": use})
        if label:
            self.label(net, layer, (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2)
        if rect[0] <= 1e-9:
            self.abutment["left"].add(net)
        if rect[2] >= self.width - 1e-9:
            self.abutment["right"].add(net)
        if rect[1] <= 1e-9:
            self.abutment["bottom"].add(net)
        if rect[3] >= self.height - 1e-9:
            self.abutment["top"].add(net)

    def finish(
        self,
        role: str,
        ports: list[str],
        devices: list[Mos],
        *,
        extra_lines: list[str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> DrawnCell:
        """Add the boundary and return the :class:`DrawnCell` (SPICE ports in ``ports`` order)."""
        self.rect("boundary", 0, 0, self.width, self.height)
        meta: dict[str, Any] = {
            "name": self.name,
            "role": role,
            "width_um": self.width,
            "height_um": self.height,
            "ports": ports,
            "pins": self.pins,
            "rails": self.rails,
            "abutment": {k: sorted(v, key=natural_key) for k, v in self.abutment.items()},
            "devices": len(devices) + len(extra_lines or []),
        }
        if params:
            meta["params"] = params
        lines = [d.spice() for d in devices] + list(extra_lines or [])
        return DrawnCell(self.cell, meta, subckt(self.name, ports, lines))


@dataclass
class Bands:
    """Horizontal implant/well bands of a row-style cell (y ranges in µm), drawn full width."""

    nsdm: list[tuple[float, float]] = field(default_factory=list)
    psdm: list[tuple[float, float]] = field(default_factory=list)
    nwell: list[tuple[float, float]] = field(default_factory=list)
    npc: list[tuple[float, float]] = field(default_factory=list)

    def draw(self, canvas: CellCanvas) -> None:
        """Draw every band across the whole cell width."""
        for layer in ("nsdm", "psdm", "nwell", "npc"):
            for y0, y1 in getattr(self, layer):
                canvas.rect(layer, 0, y0, canvas.width, y1)
