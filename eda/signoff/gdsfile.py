"""Checked GDSII reading: a missing, empty, non-GDS or truncated file is a clear :class:`DataError`.

Without the check, ``klayout`` guesses another format for a text file (or raises a ``RuntimeError``)
and ``gdstk`` raises a bare ``OSError`` after printing to the C stderr: both surfaced as internal
errors. :func:`check_gds` costs two small reads (the first record and the file's tail), so every reader
of a layout can call it.

GDSII is a sequence of records ``[length: u16][record type: u8][data type: u8][data]``; a file starts
with a ``HEADER`` record (type 0x00, data type 0x02, length 6) and ends with ``ENDLIB`` (``00 04 04 00``),
possibly followed by zero padding to a tape block.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from eda.errors import DataError

if TYPE_CHECKING:
    import gdstk
    import klayout.db as kdb

__all__ = ["check_gds", "read_gds", "read_layout"]

_HEADER = b"\x00\x06\x00\x02"
_ENDLIB = b"\x00\x04\x04\x00"
_OASIS = b"%SEMI-OASIS\r\n"
_TAIL = 4096  # bytes read from the end: ENDLIB plus tape-block padding (2048 at most)


def _what_is_it(head: bytes) -> str:
    """A guess of what a non-GDS file is, for the message."""
    if head.startswith(_OASIS):
        return "an OASIS layout (convert it to GDS, e.g. with KLayout's File > Save As)"
    if head.startswith(b"\x1f\x8b"):
        return "gzip data (gunzip it first)"
    if head.startswith(b"\x89PNG"):
        return "a PNG image"
    if head[:1].isascii() and all(32 <= c < 127 or c in (9, 10, 13) for c in head[:64]):
        return "a text file"
    return "not GDSII (it does not start with a GDSII HEADER record)"


def check_gds(path: str | Path) -> Path:
    """Return ``path`` when it looks like a complete GDSII file; raise :class:`DataError` otherwise.

    Checks: it exists and is a file (not a directory), it is not empty, it starts with a GDSII
    ``HEADER`` record and it ends with an ``ENDLIB`` record (a truncated copy does not).
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(
            f"'{path}' is a directory, not a GDS file", hint="give the path of the .gds file itself"
        )
    if not path.is_file():
        raise DataError(
            f"GDS file not found: {path}",
            hint="check the path (a generated macro's GDS is in its output directory)",
        )
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(64)
            handle.seek(max(0, size - _TAIL))
            tail = handle.read()
    except OSError as exc:
        raise DataError(
            f"cannot read '{path}': {exc.strerror or exc}", hint="check the file's permissions"
        ) from None
    if size == 0:
        raise DataError("the GDS file is empty", where=str(path), hint="regenerate or re-copy the layout")
    if not head.startswith(_HEADER):
        raise DataError(
            f"this is {_what_is_it(head)}, not a GDSII layout",
            where=str(path),
            hint="give a GDSII (.gds) file",
        )
    if not tail.rstrip(b"\x00").endswith(_ENDLIB[:3]) or _ENDLIB not in tail:
        raise DataError(
            f"the GDS file is truncated or corrupt: it does not end with an ENDLIB record ({size} bytes)",
            where=str(path),
            hint="the copy or the writer was interrupted: regenerate or re-copy the layout",
        )
    return path


def read_gds(path: str | Path) -> gdstk.Library:
    """Read a GDSII file with gdstk after :func:`check_gds`; a corrupt body is a :class:`DataError` too."""
    import gdstk

    path = check_gds(path)
    try:
        return gdstk.read_gds(str(path))
    except (
        OSError,
        RuntimeError,
        ValueError,
        MemoryError,
    ) as exc:  # gdstk: MemoryError on a bad record length
        raise DataError(
            f"the GDS file is corrupt: {exc}", where=str(path), hint="regenerate or re-copy the layout"
        ) from None


def read_layout(path: str | Path) -> kdb.Layout:
    """Read a GDSII file into a ``klayout.db.Layout`` after :func:`check_gds` (for DRC, LVS, rendering)."""
    import klayout.db as kdb

    path = check_gds(path)
    layout = kdb.Layout()
    try:
        layout.read(str(path))
    except (RuntimeError, ValueError) as exc:  # klayout: UnicodeDecodeError on a garbled cell name
        raise DataError(
            f"the GDS file is corrupt: {str(exc).splitlines()[0]}",
            where=str(path),
            hint="regenerate or re-copy the layout",
        ) from None
    return layout
