"""Database units of a PDN's node names: given, or read from the design's DEF.

Node names such as ``VDD_m1_12000_34000`` carry coordinates in DEF database units (DBU). The ICCAD 2023
contest's Nangate45 designs use 2000 DBU per µm (:data:`DEFAULT_DBU_PER_UM`); OpenROAD's SKY130 designs use
1000. A DEF states its units in ``UNITS DISTANCE MICRONS <n> ;``; that one statement is read here with a
regular expression (a DEF parser would read the whole, often large, file for it).
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

from eda.errors import DataError, UserError

__all__ = ["DEFAULT_DBU_PER_UM", "def_dbu_per_um", "resolve_dbu", "dbu_per_um_field"]

#: DBU per µm of the ICCAD 2023 contest netlists (Nangate45), the default when nothing says otherwise
DEFAULT_DBU_PER_UM = 2000.0
_UNITS = re.compile(rb"^\s*UNITS\s+DISTANCE\s+MICRONS\s+(\d+)\s*;", re.M)
#: the UNITS statement comes before any component/net section; this much of the file is read for it
_HEAD_BYTES = 1 << 20


def def_dbu_per_um(path: str | Path) -> float:
    """``n`` of ``UNITS DISTANCE MICRONS n ;`` in the DEF file ``path`` (plain or ``.gz``).

    Raises :class:`DataError` when the file is missing or has no such statement in its header."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"DEF file not found: {path}", where="--def")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read the DEF file: {exc}", where=str(path)) from None
    match = _UNITS.search(head)
    if match is None or int(match.group(1)) <= 0:
        raise DataError(
            "no `UNITS DISTANCE MICRONS <n> ;` statement in the DEF header",
            where=str(path),
            hint="give the database units per µm with --dbu instead",
        )
    return float(match.group(1))


def resolve_dbu(dbu_per_um: float | None = None, def_file: str | Path | None = None) -> float:
    """The DBU per µm to decode node names with: ``dbu_per_um`` when given, else the DEF's units, else
    :data:`DEFAULT_DBU_PER_UM`. Both given and different is a :class:`UserError`."""
    from_def = def_dbu_per_um(def_file) if def_file is not None else None
    if dbu_per_um is not None:
        if dbu_per_um <= 0:
            raise UserError(f"--dbu {dbu_per_um:g} must be positive", where="--dbu")
        if from_def is not None and from_def != dbu_per_um:
            raise UserError(
                f"--dbu {dbu_per_um:g} disagrees with the DEF's UNITS DISTANCE MICRONS {from_def:g}",
                where=str(def_file),
                hint="give one of them",
            )
        return float(dbu_per_um)
    return from_def if from_def is not None else DEFAULT_DBU_PER_UM


def dbu_per_um_field(names: str = "the node names") -> Any:
    """The ``dbu_per_um`` parameter of a step that decodes ``names`` and has a ``def`` input: optional,
    positive, resolved with that input by :func:`resolve_dbu` (DBU per µm)."""
    from pydantic import Field

    return Field(
        default=None,
        gt=0,
        description=f"DBU per µm of {names} "
        f"(default: the `def` input's UNITS DISTANCE MICRONS, else {DEFAULT_DBU_PER_UM:g})",
    )
