"""Device conventions of the SPICE netlists the generator writes.

* ``lvs`` (the default): what the SKY130 foundry KLayout LVS deck reads and extracts — MOSFETs as
  ``M<name> d g s b sky130_fd_pr__nfet_01v8 w=0.84u l=0.15u`` (SI values with unit suffixes), the MIM
  capacitor as ``C<name> a b sky130_fd_pr__model__cap_mim A=1p P=4u``.
* ``open_pdks``: what open_pdks' sky130 ngspice library (``sky130A/libs.tech/ngspice/sky130.lib.spice``)
  and xschem/magic netlists use — every foundry device is a subcircuit, so an ``X`` instance, with
  lengths in µm and areas in µm² and no unit suffix (the library runs with ``scale=1e-6``):
  ``XM1 d g s b sky130_fd_pr__nfet_01v8 w=0.84 l=0.15`` (``M1`` becomes ``XM1``, as xschem names
  them); the MIM capacitor ``C1`` is ``XC1 a b sky130_fd_pr__cap_mim_m3_1 w=W l=L`` with the rectangle W×L of the same area and
  perimeter (terminal order kept).
"""

from __future__ import annotations

import math
import re
from typing import Literal

from eda.errors import SpecError
from eda.pdn.netlist import parse_value

__all__ = ["SpiceConvention", "SPICE_CONVENTIONS", "MOS_DEVICES", "to_open_pdks", "convert_netlist"]

SpiceConvention = Literal["lvs", "open_pdks"]
SPICE_CONVENTIONS: tuple[str, ...] = ("lvs", "open_pdks")
#: SKY130 MOS devices the libraries draw (foundry names, the same in both conventions)
MOS_DEVICES = re.compile(r"^sky130_fd_pr__[np]fet_\w+$")
MIM_LVS = "sky130_fd_pr__model__cap_mim"
MIM_OPEN_PDKS = "sky130_fd_pr__cap_mim_m3_1"
#: parameter scale from SI to the µm-based open_pdks values: lengths (µm) and areas (µm²)
_LENGTH = {"w", "l", "pd", "ps", "sa", "sb", "sd"}
_AREA = {"ad", "as"}


def _um(value: float) -> str:
    return f"{value:.6g}"


def _mos_line(words: list[str]) -> str:
    name, nodes, model, params = words[0], words[1:5], words[5], words[6:]
    out = []
    for param in params:
        key, eq, value = param.partition("=")
        k = key.lower()
        if not eq:
            raise SpecError(f"cannot convert MOSFET parameter '{param}'", where=name)
        if k in _LENGTH:
            out.append(f"{k}={_um(parse_value(value) * 1e6)}")
        elif k in _AREA:
            out.append(f"{k}={_um(parse_value(value) * 1e12)}")
        else:
            out.append(f"{k}={value}")
    return " ".join([f"X{name}", *nodes, model, *out])


def _mim_line(words: list[str]) -> str:
    name, a, b, _model, *params = words
    values = {k.lower(): parse_value(v) for k, _, v in (p.partition("=") for p in params)}
    if "a" not in values or "p" not in values:
        raise SpecError(f"MIM capacitor '{name}' needs A= and P=", where=name)
    area, perimeter = values["a"] * 1e12, values["p"] * 1e6  # µm², µm
    # the rectangle with that area and perimeter: w + l = P/2, w * l = A
    half = perimeter / 2
    disc = half * half - 4 * area
    if disc < -1e-9 * half * half:
        raise SpecError(
            f"MIM capacitor '{name}': no rectangle has area {area:g} µm² and perimeter {perimeter:g} µm",
            where=name,
        )
    root = math.sqrt(max(disc, 0.0))
    w, length = (half + root) / 2, (half - root) / 2
    return f"X{name} {a} {b} {MIM_OPEN_PDKS} w={_um(w)} l={_um(length)}"


def to_open_pdks(text: str) -> str:
    """``text`` (a SPICE netlist in the ``lvs`` convention) with every SKY130 MOSFET and MIM capacitor
    rewritten as an open_pdks subcircuit instance; other lines (comments, ``.subckt``, ``X`` instances
    of the netlist's own cells) are unchanged. Continuation lines are joined first."""
    lines: list[str] = []
    for raw in text.splitlines():
        if raw.startswith("+") and lines:
            lines[-1] += " " + raw[1:].strip()
        else:
            lines.append(raw)
    out = []
    for line in lines:
        words = line.split()
        if len(words) >= 6 and words[0][0] in "Mm" and MOS_DEVICES.match(words[5]):
            out.append(_mos_line(words))
        elif len(words) >= 4 and words[0][0] in "Cc" and words[3] == MIM_LVS:
            out.append(_mim_line(words))
        else:
            out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def convert_netlist(text: str, convention: str) -> str:
    """``text`` in ``convention`` (one of :data:`SPICE_CONVENTIONS`; the generator writes ``lvs``)."""
    if convention == "lvs":
        return text
    if convention == "open_pdks":
        return to_open_pdks(text)
    raise SpecError(f"unknown SPICE convention '{convention}'", hint=f"one of {', '.join(SPICE_CONVENTIONS)}")
