"""The stored default cell library equals what the code draws, and every leaf cell is DRC/LVS clean."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eda.acim.cells import build_library
from eda.acim.library import default_library_dir, load_library

LIB = default_library_dir()
LEAVES = ["bitcell8t", "compute", "momcap", "colper", "colper_end", "comparator", "adc_fill", "rowdrv", "powertap"]


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_library(tmp_path_factory.mktemp("lib") / "sky130_acim")


def test_stored_files_match_code(rebuilt: Path) -> None:
    stored = sorted(p.name for p in LIB.iterdir() if p.suffix in (".gds", ".spice", ".yaml"))
    fresh = sorted(p.name for p in rebuilt.iterdir())
    assert stored == fresh
    for name in fresh:
        a, b = (LIB / name).read_bytes(), (rebuilt / name).read_bytes()
        assert a == b, f"{name} differs from the code; rebuild with `eda acim cells --out cells/sky130_acim`"


def test_metadata_matches_gds() -> None:
    import gdstk

    lib = load_library()
    for name in LEAVES[:-1]:
        info = lib.cells[name]
        cell = gdstk.read_gds(str(info.gds)).top_level()[0]
        (x0, y0), (x1, y1) = cell.bounding_box()
        assert (x0, y0) == pytest.approx((0, 0)) and (x1, y1) == pytest.approx((info.width, info.height))
        for pin in info.pins:  # every pin lies inside the cell
            assert 0 <= pin.rect[0] <= pin.rect[2] <= info.width + 1e-9


def test_cap_value_from_geometry() -> None:
    lib = load_library()
    meta = yaml.safe_load((LIB / "momcap.yaml").read_text())["params"]
    # C = L * [(n-1) * sum_layers eps t / s + n * eps w / t_ild]
    eps = 8.8541878128e-3 * 3.9
    c_per_um = 7 * 2 * eps * 0.36 / 0.14 + 8 * eps * 0.14 / 0.27
    assert meta["c_per_um_fF"] == pytest.approx(c_per_um, rel=1e-4)
    assert meta["cap_fF"] == pytest.approx(c_per_um * meta["finger_length_um"], rel=1e-4)
    assert 2.0 <= lib.cap_value(2.0) < 2.0 + c_per_um * 0.01 + 1e-9
    assert lib.cap_height(4.0) > lib.cap_height(2.0)


@pytest.mark.klayout
@pytest.mark.parametrize("name", LEAVES)
def test_leaf_cells_drc_lvs_clean(name: str) -> None:
    from eda.signoff.drc import run_drc
    from eda.signoff.lvs import run_lvs

    drc = run_drc(LIB / f"{name}.gds", LIB / "tech.yaml")
    assert drc.clean, drc.text()
    lvs = run_lvs(LIB / f"{name}.gds", LIB / f"{name}.spice", LIB / "tech.yaml")
    assert lvs.match, lvs.text()
    expected = {"bitcell8t": 8, "compute": 4, "momcap": 1, "comparator": 9, "rowdrv": 4, "colper": 2, "colper_end": 2}
    assert lvs.devices_layout == expected.get(name, 0)
