"""Die area and instance placement of a DEF, read with KLayout's LEF/DEF reader.

A DEF (``UNITS DISTANCE MICRONS``, ``DIEAREA``, ``COMPONENTS`` with ``PLACED``/``FIXED`` locations) says
where each instance sits. It is read with KLayout's LEF/DEF reader (``klayout.db``, the ``signoff`` extra),
a maintained parser of the whole language that reads ``.def.gz`` as well. The PyPI packages that parse
DEF on their own were not usable: ``lefdef`` 0.6 ships one prebuilt x86-64 Linux library, has no
``UNITS`` and is no longer released; ``opendbpy``/``openroad-opendbpy`` are empty or 2020 placeholders.

Routing, pins, blockages and fills are not turned into shapes (only the placement is needed). Without LEF
macros KLayout makes an empty placeholder cell per master and an instance sits at its DEF location (the
lower-left corner of its placed box); with the LEF files given, an instance's location is the centre of
its placed box.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eda.errors import DataError, UserError

__all__ = ["DefPlacement", "read_def_placement", "normalize_instance_name"]

_INSTANCE_NAME = 1  # KLayout property key holding the DEF component name


@dataclass
class DefPlacement:
    """What a DEF says about placement.

    Attributes:
        dbu_per_um: ``UNITS DISTANCE MICRONS``.
        die_um: ``(x0, y0, x1, y1)`` bounding box of ``DIEAREA`` (µm).
        names: component names as written in the DEF; ``cells``: their masters.
        xy_um: ``[n, 2]`` location (µm): the centre of the placed box when the master's size is known (LEF
            given), else the DEF location (lower-left corner of the placed box).
        box_um: ``[n, 4]`` placed box ``x0, y0, x1, y1`` (µm; NaN where the master's size is unknown).
        source: the file read.
    """

    dbu_per_um: float
    die_um: tuple[float, float, float, float]
    names: np.ndarray
    cells: np.ndarray
    xy_um: np.ndarray
    box_um: np.ndarray
    source: str = "<memory>"

    def index(self) -> dict[str, int]:
        """Row of each component by :func:`normalize_instance_name`."""
        return {normalize_instance_name(n): i for i, n in enumerate(self.names.tolist())}


def normalize_instance_name(name: str) -> str:
    """An instance name without DEF escapes (``u\\[3\\]`` -> ``u[3]``), as power reports write it."""
    return name.replace("\\", "")


def _options(lef_files: list[str]):  # noqa: ANN202 - klayout.db.LoadLayoutOptions
    import klayout.db as kdb

    options = kdb.LoadLayoutOptions()
    cfg = options.lefdef_config
    cfg.instance_property_name = _INSTANCE_NAME
    cfg.produce_cell_outlines = True
    for flag in (
        "routing",
        "special_routing",
        "via_geometry",
        "pins",
        "lef_pins",
        "labels",
        "lef_labels",
        "obstructions",
        "blockages",
        "placement_blockages",
        "regions",
        "fills",
    ):
        setattr(cfg, f"produce_{flag}", False)
    cfg.lef_files = lef_files
    cfg.read_lef_with_def = False
    return options


def _read_layout(path: Path, lef_files: list[str]):  # noqa: ANN202 - klayout.db.Layout
    try:
        import klayout.db as kdb
        import klayout.tl as ktl
    except ImportError:
        raise UserError(
            "reading a DEF needs the klayout Python module",
            where=str(path),
            hint="pip install 'eda[signoff]' (or pip install klayout)",
        ) from None
    layout = kdb.Layout()
    verbosity = ktl.Logger.verbosity
    ktl.Logger.set_verbosity(-1)  # one "Macro not found in LEF" warning per master without LEF
    try:
        layout.read(str(path), _options(lef_files))
    except RuntimeError as exc:
        raise DataError(
            f"KLayout cannot read the DEF: {str(exc).strip()}",
            where=str(path),
            hint="give a DEF (optionally .gz) and, with --lef, its technology and cell LEF files",
        ) from None
    finally:
        ktl.Logger.set_verbosity(verbosity)
    return layout


def read_def_placement(path: str | Path, lef_files: list[str | Path] | tuple = ()) -> DefPlacement:
    """Read the units, die area and component placement of the DEF ``path`` (plain or ``.gz``).

    ``lef_files`` (technology LEF first) give the masters' sizes so that locations are box centres.
    Raises :class:`DataError` for a missing or unreadable file and a DEF without ``DIEAREA`` or components.
    """
    from eda.pdn.defunits import def_dbu_per_um

    p = Path(path)
    dbu_per_um = def_dbu_per_um(p)  # also checks that the file exists and states its units
    for lef in lef_files:
        if not Path(lef).is_file():
            raise DataError(f"LEF file not found: {lef}", where="--lef")
    layout = _read_layout(p, [str(f) for f in lef_files])
    top = layout.top_cells()
    if len(top) != 1:
        raise DataError(f"the DEF makes {len(top)} top cells, expected one design", where=str(p))
    top = top[0]
    outline = layout.find_layer("OUTLINE")
    shapes = list(top.shapes(outline).each()) if outline is not None else []
    if not shapes:
        raise DataError(
            "the DEF has no DIEAREA", where=str(p), hint="add `DIEAREA ( x0 y0 ) ( x1 y1 ) ;` (DBU)"
        )
    die = shapes[0].bbox()
    for shape in shapes[1:]:
        die += shape.bbox()
    um = layout.dbu
    names, cells, xy, boxes = [], [], [], []
    for inst in top.each_inst():
        name = inst.property(_INSTANCE_NAME)
        if name is None:
            continue
        box = inst.bbox()
        names.append(str(name))
        cells.append(inst.cell.name)
        if box.empty():
            xy.append((inst.trans.disp.x * um, inst.trans.disp.y * um))
            boxes.append((np.nan,) * 4)
        else:
            xy.append((box.center().x * um, box.center().y * um))
            boxes.append((box.left * um, box.bottom * um, box.right * um, box.top * um))
    if not names:
        raise DataError(
            "the DEF places no components",
            where=str(p),
            hint="give the placed (or routed) DEF, whose COMPONENTS are PLACED or FIXED",
        )
    return DefPlacement(
        dbu_per_um=dbu_per_um,
        die_um=(die.left * um, die.bottom * um, die.right * um, die.top * um),
        names=np.array(names),
        cells=np.array(cells),
        xy_um=np.array(xy, dtype=np.float64),
        box_um=np.array(boxes, dtype=np.float64).reshape(-1, 4),
        source=str(p),
    )
