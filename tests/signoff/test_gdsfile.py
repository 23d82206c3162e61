"""Checked GDS reading (eda.signoff.gdsfile): every unreadable layout is a DataError saying what it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from eda.errors import DataError
from eda.shipped import default_library_dir
from eda.signoff.gdsfile import check_gds, read_gds, read_layout

GOOD = default_library_dir() / "bitcell8t.gds"


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    data = GOOD.read_bytes()
    files = {
        "missing": (tmp / "missing.gds", None, "not found"),
        "directory": (tmp / "dir.gds", None, "is a directory"),
        "empty": (tmp / "empty.gds", b"", "is empty"),
        "text": (tmp / "text.gds", b"* a SPICE netlist\nR1 a b 1\n", "a text file, not a GDSII layout"),
        "oasis": (tmp / "x.oas", b"%SEMI-OASIS\r\n" + bytes(40), "OASIS"),
        "gzip": (tmp / "x.gds.gz", b"\x1f\x8b\x08" + bytes(40), "gzip data"),
        "truncated": (tmp / "trunc.gds", data[: len(data) // 2], "truncated or corrupt"),
        "corrupt-body": (tmp / "corrupt.gds", data[:100] + b"\xff" * 50 + data[150:], "corrupt"),
    }
    (tmp / "dir.gds").mkdir()
    out = {}
    for name, (path, content, fragment) in files.items():
        if content is not None:
            path.write_bytes(content)
        out[name] = (path, fragment)
    return out


@pytest.mark.parametrize("reader", [check_gds, read_gds, read_layout], ids=["check", "gdstk", "klayout"])
def test_unreadable_layouts_are_data_errors(tmp_path: Path, reader) -> None:
    if reader is read_layout:
        pytest.importorskip("klayout.db")
    for name, (path, fragment) in _bad_files(tmp_path).items():
        if reader is check_gds and name == "corrupt-body":
            continue  # framing intact: only a full read finds it
        with pytest.raises(DataError, match=fragment):
            reader(path)


def test_good_layout_reads(tmp_path: Path) -> None:
    assert check_gds(GOOD) == GOOD
    assert [c.name for c in read_gds(GOOD).top_level()] == ["bitcell8t"]
    pytest.importorskip("klayout.db")
    assert read_layout(GOOD).top_cell().name == "bitcell8t"
    padded = tmp_path / "padded.gds"  # tape-block zero padding after ENDLIB is legal
    padded.write_bytes(GOOD.read_bytes() + bytes(2048 - len(GOOD.read_bytes()) % 2048))
    assert read_gds(padded).cells
