"""Device netlists extracted from the drawn cells by the foundry LVS deck, in the library's port order.

The SKY130 KLayout LVS runset extracts every transistor of a cell's GDS with its drawn W, L and the
source/drain junction geometry (``AS``/``AD`` in µm², ``PS``/``PD`` in µm) that sets its junction
capacitance, and every MIM capacitor with its plate area and perimeter. :func:`extracted_subckt` runs it
on one library cell (it must match the cell's schematic, else :class:`ExtractionError`) and returns the
extracted devices as a ``.subckt`` with the schematic's name and port order: the extracted nets carry the
cell's pin labels, and the substrate net the deck calls ``sky130_gnd`` is the cell's ``VNB`` port (or
``VSS`` for a cell without one). A macro netlist whose cells are swapped for these subcircuits is the
extracted netlist of the macro, because the macro's LVS (foundry deck) matches the netlist the generator
writes cell by cell.

Results are cached per GDS content in ``$EDA_CACHE`` (default ``~/.cache/eda``)/``extracted``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from eda.errors import UserError

__all__ = ["ExtractionError", "extracted_subckt", "parse_subckts", "cache_dir"]

_SUBSTRATE = "sky130_gnd"


class ExtractionError(UserError):
    """A cell's layout does not match its schematic, so its extraction cannot stand for it (exit 2)."""


def cache_dir() -> Path:
    """Where extracted netlists are cached (``$EDA_CACHE/extracted``, default ``~/.cache/eda/extracted``)."""
    base = Path(os.environ.get("EDA_CACHE", Path.home() / ".cache" / "eda"))
    return base / "extracted"


def parse_subckts(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """``.subckt`` blocks of a SPICE text: name -> (ports, body lines), continuation lines joined."""
    joined: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("*"):
            continue
        if line.startswith("+") and joined:
            joined[-1] += " " + line[1:].strip()
        else:
            joined.append(line)
    out: dict[str, tuple[list[str], list[str]]] = {}
    current: str | None = None
    for line in joined:
        head = line.split()
        if head[0].lower() == ".subckt":
            current = head[1]
            out[current] = (head[2:], [])
        elif head[0].lower() == ".ends":
            current = None
        elif current is not None:
            out[current][1].append(line)
    return out


def extracted_subckt(gds: str | Path, schematic: str | Path, cell: str, ports: list[str]) -> str:
    """The devices the foundry LVS deck extracts from ``cell`` in ``gds``, as ``.subckt cell PORTS``.

    ``schematic`` is the cell's SPICE (LVS must match it). Raises :class:`ExtractionError` on a mismatch.
    """
    gds, schematic = Path(gds), Path(schematic)
    key = hashlib.sha256(gds.read_bytes() + schematic.read_bytes() + cell.encode()).hexdigest()[:20]
    cached = cache_dir() / f"{cell}-{key}.spice"
    if cached.is_file():
        text = cached.read_text()
    else:
        from eda.signoff.foundry import run_foundry_lvs

        with tempfile.TemporaryDirectory(prefix="eda-extract-") as tmp:
            report = run_foundry_lvs(gds, schematic, out_dir=tmp, top=cell)
            if not report.match:
                raise ExtractionError(
                    f"the layout of cell '{cell}' does not match its schematic",
                    where=str(gds),
                    hint=f"run `eda signoff lvs {gds} {schematic} --deck foundry`",
                )
            text = (Path(tmp) / "lvs.extracted.cir").read_text()
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(text)
    subckts = parse_subckts(text)
    if cell not in subckts:
        raise ExtractionError(f"the extracted netlist has no circuit '{cell}'", where=str(gds))
    extracted_ports, body = subckts[cell]
    substrate = "VNB" if "VNB" in ports else "VSS"
    rename = {_SUBSTRATE: substrate}
    for pin in extracted_ports:  # pins joined inside the cell (a driver's n-well on VDD) carry "A|B"
        names = [n for n in pin.split("|") if n in ports]
        if pin != _SUBSTRATE and not names:
            raise ExtractionError(
                f"extracted pin '{pin}' of '{cell}' is not a port of its schematic", where=str(gds)
            )
        if "|" in pin:
            rename[pin] = names[0]
    lines = []
    for line in body:
        tokens = [rename.get(t, t) for t in line.split()]
        lines.append(" ".join(t.replace("\\$", "n").replace("$", "n") for t in tokens))
    return "\n".join([f".subckt {cell} {' '.join(ports)}", *lines, f".ends {cell}"]) + "\n"
