"""The stored default cell library equals what the code draws; every leaf cell passes the foundry decks and
the project's own; the bitcell is dense enough to tape out."""

from __future__ import annotations

from pathlib import Path

import gdstk
import pytest

from eda.acim.celllib.build import build_library
from eda.acim.library import default_library_dir, load_library

LIB = default_library_dir()
#: transistors per class the schematic of each device cell has (independent of the drawing)
DEVICES = {
    "bitcell8t": {"sky130_fd_pr__nfet_01v8": 6, "sky130_fd_pr__pfet_01v8": 2},
    "compute": {"sky130_fd_pr__nfet_01v8": 3, "sky130_fd_pr__pfet_01v8": 1},
    "colper": {"sky130_fd_pr__nfet_01v8": 2},
    "colper_end": {"sky130_fd_pr__nfet_01v8": 2},
    "comparator": {"sky130_fd_pr__nfet_01v8": 5, "sky130_fd_pr__pfet_01v8": 4},
}
LEAVES = sorted(p.stem for p in LIB.glob("*.gds"))


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_library(tmp_path_factory.mktemp("lib") / "sky130_acim")


def test_stored_files_match_code(rebuilt: Path) -> None:
    stored = sorted(p.name for p in LIB.iterdir() if p.suffix in (".gds", ".spice", ".yaml"))
    fresh = sorted(p.name for p in rebuilt.iterdir())
    assert stored == fresh
    for name in fresh:
        a, b = (LIB / name).read_bytes(), (rebuilt / name).read_bytes()
        assert a == b, f"{name} differs from the code; rebuild with `eda acim cells`"


def test_metadata_matches_gds() -> None:
    lib = load_library()
    for info in lib.cells.values():
        cell = gdstk.read_gds(str(info.gds)).top_level()[0]
        boundary = [p for p in cell.polygons if (p.layer, p.datatype) == (235, 4)]
        if info.width == 0:  # via stacks placed by their centre
            continue
        (x0, y0), (x1, y1) = boundary[0].bounding_box()
        assert (x0, y0, x1, y1) == pytest.approx((0, 0, info.width, info.height))
        for pin in info.pins:  # every pin lies inside the cell
            assert -1e-9 <= pin.rect[0] <= pin.rect[2] <= info.width + 1e-9
            assert -1e-9 <= pin.rect[1] <= pin.rect[3] <= info.height + 1e-9


def test_bitcell_area_and_pitch_matching() -> None:
    lib = load_library()
    bit = lib.role("bitcell")
    assert bit.width * bit.height <= 8.0  # µm², logic rules (issue 18's density target)
    for role in ("compute", "colper", "colper_end", "adc", "adc_fill"):
        assert lib.role(role).width == pytest.approx(bit.width)  # periphery pitch-matched to the bitcell
    assert lib.role("row_driver").height == pytest.approx(bit.height)
    assert lib.role("ctrl_driver").height == pytest.approx(lib.role("compute").height)


@pytest.mark.pdk
@pytest.mark.parametrize("name", LEAVES)
def test_leaf_cells_pass_the_foundry_decks(name: str, tmp_path: Path) -> None:
    from eda.signoff.foundry import run_foundry_drc, run_foundry_lvs

    drc = run_foundry_drc(LIB / f"{name}.gds", out_dir=tmp_path)
    assert drc.clean, drc.text()
    info = load_library().cells[name]
    if info.devices:
        lvs = run_foundry_lvs(LIB / f"{name}.gds", LIB / f"{name}.spice", out_dir=tmp_path)
        assert lvs.match, lvs.text()
        assert lvs.devices_layout_by_class == lvs.devices_schematic_by_class
        if name in DEVICES:
            assert lvs.devices_layout_by_class == DEVICES[name]


@pytest.mark.klayout
@pytest.mark.parametrize("name", LEAVES)
def test_leaf_cells_pass_the_own_decks(name: str) -> None:
    from eda.signoff.drc import run_drc
    from eda.signoff.lvs import run_lvs

    drc = run_drc(LIB / f"{name}.gds", LIB / "tech.yaml")
    assert drc.clean, drc.text()
    if load_library().cells[name].devices:
        lvs = run_lvs(LIB / f"{name}.gds", LIB / f"{name}.spice", LIB / "tech.yaml")
        assert lvs.match, lvs.text()
