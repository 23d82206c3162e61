"""KLayout technology (``.lyt``) and layer-properties (``.lyp``) files written from a technology file.

With them a generated GDS opens in KLayout with named, coloured layers (``klayout -nn sky130.lyt
macro.gds``, or the technology selected in KLayout's Technology Manager), and a LEF/DEF read through the
technology maps LEF layer names (``met1``, ``via``, ...) to the GDS layers of ``tech.yaml``.

Both files are written through KLayout's own API (``klayout.lay.LayoutView.save_layer_props`` and
``klayout.db.Technology.save``), so they are in the format KLayout itself reads. Colours are presentation
only: SKY130's usual hues (diffusion green, poly red, li1 and metals blue to pink, cuts dark and
stippled), not a foundry file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from eda.tech.tech import Tech, load_tech

__all__ = ["LAYER_STYLE", "layer_entries", "write_lyp", "write_lyt", "write_klayout_tech"]

#: fill colour (0xRRGGBB) and KLayout dither pattern index of the SKY130 layers the generator draws
#: (pattern 1 solid, 2 hollow, 5/9 diagonal hatches, 13 dotted); other layers get a colour from their name
LAYER_STYLE: dict[str, tuple[int, int]] = {
    "nwell": (0x268C6B, 13),
    "diff": (0x00CC66, 5),
    "tap": (0x99E6B3, 9),
    "poly": (0xFF0000, 5),
    "licon": (0x800000, 1),
    "li1": (0xFFE6BF, 9),
    "mcon": (0x1A1A1A, 1),
    "met1": (0x0000FF, 5),
    "via": (0x3333FF, 1),
    "met2": (0xFF00FF, 9),
    "via2": (0x800080, 1),
    "met3": (0x00FFFF, 5),
    "via3": (0x008080, 1),
    "met4": (0xFFA500, 9),
    "via4": (0x805500, 1),
    "met5": (0xBFBF00, 5),
    "capm": (0x8000FF, 13),
    "npc": (0x8C8CFF, 2),
    "nsdm": (0x9999FF, 2),
    "psdm": (0xFF9999, 2),
    "boundary": (0xFFFFFF, 2),
}


def _colour(name: str) -> int:
    """A stable colour for a layer not in :data:`LAYER_STYLE` (from its name's hash)."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:6], 16) | 0x404040


def layer_entries(tech: Tech) -> list[tuple[str, tuple[int, int], int, int]]:
    """``(name, (layer, datatype), colour, dither)`` of every drawn and label layer of ``tech``, in the
    order of its layer table (a label layer follows its drawing layer, named ``<layer>.label``)."""
    entries: list[tuple[str, tuple[int, int], int, int]] = []
    for name, layer in tech.layers.items():
        colour, dither = LAYER_STYLE.get(name, (_colour(name), 5))
        entries.append((name, layer.gds, colour, dither))
        if layer.label is not None and layer.label != layer.gds:
            entries.append((f"{name}.label", layer.label, colour, 2))
    return entries


def write_lyp(tech: Tech | str | Path | None, path: str | Path) -> Path:
    """Write the layer-properties file of ``tech`` (a :class:`Tech`, a ``tech.yaml`` path or ``None``
    for the default SKY130) to ``path``; returns it."""
    import klayout.lay as lay

    tech = tech if isinstance(tech, Tech) else load_tech(tech)
    view = lay.LayoutView()
    for name, (layer, datatype), colour, dither in layer_entries(tech):
        node = lay.LayerPropertiesNode()
        node.name = name
        node.source = f"{layer}/{datatype}@*"
        node.fill_color = colour
        node.frame_color = colour
        node.dither_pattern = dither
        view.insert_layer(view.end_layers(), node)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    view.save_layer_props(str(path))
    return path


def _lef_layer_map(tech: Tech) -> str:
    """KLayout layer-map text sending LEF/DEF geometry of each routing and cut layer to its GDS layer
    (pins and labels to the label layer); LEF ``OVERLAP`` to the boundary layer."""
    lines: list[str] = []
    for name, layer in tech.layers.items():
        gl, gd = layer.gds
        lines.append(f"{name} : {name} ({gl}/{gd})")
        if layer.label is not None:
            ll, ld = layer.label
            lines.append(f"{name}.PIN : {name}.pin ({gl}/{gd})")
            lines.append(f"{name}.LABEL : {name}.label ({ll}/{ld})")
    if "boundary" in tech.layers:
        bl, bd = tech.layers["boundary"].gds
        lines.append(f"OUTLINE : boundary ({bl}/{bd})")
    return "\n".join(lines)


def write_lyt(
    tech: Tech | str | Path | None, path: str | Path, lyp: str | Path, *, name: str | None = None
) -> Path:
    """Write the KLayout technology file of ``tech`` to ``path``, naming layer-properties file ``lyp``
    (relative to the ``.lyt``'s directory when it is there) and the LEF/DEF layer map; returns it."""
    import klayout.db as db

    tech = tech if isinstance(tech, Tech) else load_tech(tech)
    path = Path(path)
    lyp = Path(lyp)
    technology = db.Technology()
    technology.name = name or tech.name
    technology.description = f"{tech.name}: layers of {tech.path.name} (written by eda)"
    technology.dbu = float(tech.data.get("dbu_um", 0.001))
    technology.default_grids = [tech.grid]
    technology.layer_properties_file = lyp.name if lyp.parent.resolve() == path.parent.resolve() else str(lyp)
    technology.add_other_layers = True
    options = technology.load_layout_options
    lefdef = options.lefdef_config
    lefdef.layer_map = db.LayerMap.from_string(_lef_layer_map(tech))
    lefdef.read_all_layers = False
    lefdef.dbu = technology.dbu
    options.lefdef_config = lefdef
    technology.load_layout_options = options
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(technology.to_xml())
    return path


def write_klayout_tech(
    tech: Tech | str | Path | None, directory: str | Path, stem: str | None = None
) -> tuple[Path, Path]:
    """Write ``<stem>.lyp`` and ``<stem>.lyt`` (stem: the technology's name) into ``directory``."""
    tech = tech if isinstance(tech, Tech) else load_tech(tech)
    directory = Path(directory)
    stem = stem or tech.name
    lyp = write_lyp(tech, directory / f"{stem}.lyp")
    return lyp, write_lyt(tech, directory / f"{stem}.lyt", lyp, name=stem)
