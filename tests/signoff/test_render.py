"""PNG render of a generated macro with klayout.lay (headless)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eda.acim.generator import generate
from eda.acim.spec import ACIMSpec
from eda.errors import DataError


@pytest.mark.klayout
def test_render_png(tmp_path: Path) -> None:
    from eda.signoff.render import render_png

    macro = generate(ACIMSpec(rows=8, cols=8, local_array_size=2, adc_bits=3), out_dir=tmp_path, write_netlist=False)
    png = render_png(macro.files["gds"], tmp_path / "m.png", width=400, height=300)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 400 and int.from_bytes(data[20:24], "big") == 300
    with pytest.raises(DataError):
        render_png(tmp_path / "missing.gds", tmp_path / "x.png")
