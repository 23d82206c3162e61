"""ICCAD 2023 contest maps: read and write the 1 µm tile CSV maps (gzip transparently).

A contest map is a comma-separated matrix (``%5.3e``), sometimes with a trailing comma on each row. The
convention is **rows index x**: ``map[row, col]`` is the 1 µm × 1 µm tile at ``(x_µm, y_µm) = (row, col)``.
Units depend on the map: ``current_map`` A per tile, ``ir_drop_map`` V, ``eff_dist_map`` µm,
``pdn_density`` a density class.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import numpy as np

from eda.errors import DataError

__all__ = ["read_map", "write_map", "open_text", "read_bytes"]


def read_bytes(path: str | Path) -> bytes:
    """Whole content of ``path``, gunzipped when it is gzip (detected by magic bytes, not the name).

    Raises :class:`DataError` for a missing file and for a truncated or corrupt gzip stream.
    """
    p = Path(path)
    if not p.is_file():
        gz = p.with_name(p.name + ".gz")
        hint = f"did you mean '{gz}'? (gzip files are read as they are)" if gz.is_file() else "check the path"
        raise DataError(f"file '{p}' does not exist", hint=hint)
    raw = p.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataError(f"'{p}' is a truncated or corrupt gzip file ({exc})",
                        where=str(p), hint="re-download or re-compress the file (gzip -t checks it)") from None


def open_text(path: str | Path) -> io.StringIO:
    """A text stream over ``path`` (gzip detected by content)."""
    return io.StringIO(read_bytes(path).decode("utf-8", errors="replace"))


def read_map(path: str | Path) -> np.ndarray:
    """Read a contest CSV map into a float64 array ``[x_µm, y_µm]`` (rows index x).

    Handles gzip, trailing commas, blank lines and Windows line ends. Raises :class:`DataError` naming
    the line for ragged rows or non-numeric cells.
    """
    text = read_bytes(path).decode("utf-8", errors="replace").replace("\r", "")
    lines = [ln.strip().rstrip(",") for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise DataError(f"map '{path}' is empty", where=str(path))
    counts = np.array([ln.count(",") + 1 for ln in lines])
    if np.any(counts != counts[0]):
        bad = int(np.nonzero(counts != counts[0])[0][0])
        raise DataError(f"row has {counts[bad]} values, expected {counts[0]} like the first row",
                        where=f"{path}:{bad + 1}", hint="every row of a contest map has the same length")
    try:
        values = np.array(",".join(lines).split(","), dtype=np.float64)
    except ValueError:
        for i, ln in enumerate(lines):
            try:
                np.array(ln.split(","), dtype=np.float64)
            except ValueError as exc:
                raise DataError(f"non-numeric value in map ({exc})", where=f"{path}:{i + 1}") from None
        raise
    return values.reshape(len(lines), int(counts[0]))


def write_map(path: str | Path, values: np.ndarray, *, fmt: str = "%5.3e", trailing_comma: bool = False) -> Path:
    """Write ``values[x_µm, y_µm]`` as a contest CSV map (gzip when ``path`` ends with ``.gz``)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise DataError(f"a map must be 2-D, got shape {arr.shape}")
    buf = io.StringIO()
    np.savetxt(buf, arr, fmt=fmt, delimiter=",")
    text = buf.getvalue()
    if trailing_comma:
        text = text.replace("\n", ",\n")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    if p.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)
    p.write_bytes(data)
    return p
