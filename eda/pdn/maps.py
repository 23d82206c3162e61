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

__all__ = ["read_map", "write_map", "open_text", "read_bytes", "check_not_binary"]

#: magic bytes of formats people hand over by mistake -> what they are
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive",
    b"\x00\x06\x00\x02": "a GDS layout",
    b"\x7fELF": "a program",
    b"BZh": "a bzip2 file",
    b"\xfd7zXZ": "an xz file",
    b"\x93NUMPY": "a NumPy .npy file",
    b"\x80\x02": "a Python pickle (e.g. a checkpoint)",
}


def check_not_binary(data: bytes, source: str, kind: str) -> None:
    """Raise :class:`DataError` when ``data`` (already gunzipped) is binary rather than ``kind`` text.

    Recognises common formats by their magic bytes (a PNG, a GDS, a zip ...) and otherwise any NUL byte.
    """
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise DataError(f"this is {what}, not {kind}", where=source, hint=f"give the {kind} file here")
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise DataError(
            f"binary data (a NUL byte on line {line}), not {kind}",
            where=source,
            hint=f"give the {kind} file here (text, optionally gzip-compressed)",
        )


def read_bytes(path: str | Path) -> bytes:
    """Whole content of ``path``, gunzipped when it is gzip (detected by magic bytes, not the name).

    Raises :class:`DataError` for a missing file and for a truncated or corrupt gzip stream.
    """
    p = Path(path)
    if p.is_dir():
        raise DataError(f"'{p}' is a directory, not a file", hint="give the path of the file itself")
    if not p.is_file():
        gz = p.with_name(p.name + ".gz")
        hint = f"did you mean '{gz}'? (gzip files are read as they are)" if gz.is_file() else "check the path"
        raise DataError(f"file '{p}' does not exist", hint=hint)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(
            f"cannot read '{p}': {exc.strerror or exc}", hint="check the file's permissions"
        ) from None
    if raw[:2] != b"\x1f\x8b":
        if p.suffix == ".gz" and b"\0" in raw[:65536]:
            raise DataError(
                f"'{p}' is named .gz but is not gzip data (nor text)",
                where=str(p),
                hint="re-download or re-compress the file (gzip -t checks it)",
            )
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataError(
            f"'{p}' is a truncated or corrupt gzip file ({exc})",
            where=str(p),
            hint="re-download or re-compress the file (gzip -t checks it)",
        ) from None


def open_text(path: str | Path) -> io.StringIO:
    """A text stream over ``path`` (gzip detected by content)."""
    return io.StringIO(read_bytes(path).decode("utf-8", errors="replace"))


def read_map(path: str | Path, *, nonnegative: bool = False) -> np.ndarray:
    """Read a contest CSV map into a float64 array ``[x_µm, y_µm]`` (rows index x).

    Handles gzip, trailing commas, blank lines and Windows line ends. Raises :class:`DataError` naming
    the line for ragged rows, non-numeric cells and non-finite values (``nan``, ``inf``, overflowing
    numbers; with ``nonnegative`` also negative ones, e.g. for a current map), and for binary files
    (an image given as a map).
    """
    raw = read_bytes(path)
    check_not_binary(raw, str(path), "a CSV map")
    text = raw.decode("utf-8", errors="replace").replace("\r", "")
    lines = [ln.strip().rstrip(",") for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise DataError(f"map '{path}' is empty", where=str(path))
    counts = np.array([ln.count(",") + 1 for ln in lines])
    if np.any(counts != counts[0]):
        bad = int(np.nonzero(counts != counts[0])[0][0])
        raise DataError(
            f"row has {counts[bad]} values, expected {counts[0]} like the first row",
            where=f"{path}:{bad + 1}",
            hint="every row of a contest map has the same length",
        )
    try:
        values = np.array(",".join(lines).split(","), dtype=np.float64)
    except ValueError:
        for i, ln in enumerate(lines):
            try:
                np.array(ln.split(","), dtype=np.float64)
            except ValueError as exc:
                raise DataError(f"non-numeric value in map ({exc})", where=f"{path}:{i + 1}") from None
        raise
    values = values.reshape(len(lines), int(counts[0]))
    _check_values(values, path, nonnegative)
    return values


def _check_values(values: np.ndarray, path: str | Path, nonnegative: bool) -> None:
    bad = ~np.isfinite(values)
    what = "non-finite"
    if nonnegative and not np.any(bad):
        bad, what = values < 0, "negative"
    if np.any(bad):
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise DataError(
            f"{what} value {values[row, col]} in map (row {row + 1}, column {col + 1}; "
            f"{int(bad.sum())} such value(s))",
            where=f"{path}:{row + 1}",
            hint="every tile needs a finite value"
            + (" >= 0" if nonnegative else "")
            + "; fix or regenerate the map",
        )


def write_map(
    path: str | Path, values: np.ndarray, *, fmt: str = "%5.3e", trailing_comma: bool = False
) -> Path:
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
