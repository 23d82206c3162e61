"""Abstract views of a generated macro: JSON (size, pins, power) and LEF 5.8 (MACRO with PINs and OBS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eda.acim.generator import Macro

__all__ = ["abstract_dict", "write_abstract", "write_lef"]


def abstract_dict(macro: Macro) -> dict[str, Any]:
    """Size (µm), pins (name, layer, rectangle, use, direction) and power nets of ``macro``."""
    fp = macro.floorplan
    return {
        "name": macro.name,
        "width_um": round(fp.width, 4),
        "height_um": round(fp.height, 4),
        "area_um2": round(fp.area_um2, 3),
        "power": ["VDD"],
        "ground": ["VSS"],
        "pins": macro.pins,
        "spec": macro.spec.to_dict(),
        "library": fp.library.name,
    }


def write_abstract(macro: Macro, path: str | Path) -> Path:
    """Write :func:`abstract_dict` as JSON."""
    path = Path(path)
    path.write_text(json.dumps(abstract_dict(macro), indent=1))
    return path


def write_lef(macro: Macro, path: str | Path) -> Path:
    """Write a LEF MACRO: CLASS BLOCK, SIZE, one PIN per net (all its shapes), OBS over the core."""
    fp = macro.floorplan
    lines = [
        "VERSION 5.8 ;",
        'BUSBITCHARS "[]" ;',
        'DIVIDERCHAR "/" ;',
        "UNITS",
        "  DATABASE MICRONS 1000 ;",
        "END UNITS",
        "",
        f"MACRO {macro.name}",
        "  CLASS BLOCK ;",
        "  ORIGIN 0 0 ;",
        f"  SIZE {fp.width:.3f} BY {fp.height:.3f} ;",
        "  SYMMETRY X Y ;",
    ]
    by_net: dict[str, list[dict[str, Any]]] = {}
    for pin in macro.pins:
        by_net.setdefault(pin["name"], []).append(pin)
    for net, shapes in by_net.items():
        use = {"power": "POWER", "ground": "GROUND"}.get(shapes[0].get("use", "signal"), "SIGNAL")
        direction = shapes[0].get("direction", "inout").upper()
        lines += [f"  PIN {net}", f"    DIRECTION {direction} ;", f"    USE {use} ;", "    PORT"]
        for shape in shapes:
            x0, y0, x1, y1 = shape["rect"]
            lines += [
                f"      LAYER {shape['layer']} ;",
                f"        RECT {x0:.3f} {y0:.3f} {x1:.3f} {y1:.3f} ;",
            ]
        lines += ["    END", f"  END {net}"]
    c = fp.core
    lines += ["  OBS"]
    for layer in ("li1", "met1", "met2", "met3", "met4"):
        lines += [f"    LAYER {layer} ;", f"      RECT {c.x0:.3f} {c.y0:.3f} {c.x1:.3f} {c.y1:.3f} ;"]
    lines += ["  END", f"END {macro.name}", "", "END LIBRARY", ""]
    path = Path(path)
    path.write_text("\n".join(lines))
    return path
