"""PNG render of a layout (a tile of the project's cells) with klayout.lay (headless)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eda.errors import DataError
from tests.signoff import cellcases as cc


@pytest.mark.klayout
def test_render_png(tmp_path: Path) -> None:
    from eda.signoff.render import render_png

    gds, _ = cc.tile_fixture().write(tmp_path)
    png = render_png(gds, tmp_path / "m.png", width=400, height=300)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 400 and int.from_bytes(data[20:24], "big") == 300
    with pytest.raises(DataError):
        render_png(tmp_path / "missing.gds", tmp_path / "x.png")
