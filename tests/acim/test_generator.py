"""Generated macros: hierarchy kept, H*W bitcell instances, one netlist instance per placed cell,
floorplan area equals layout area, a second library with another bitcell size works."""

from __future__ import annotations

import re
from pathlib import Path

import gdstk
import pytest

from eda.acim.cells import LibraryOptions, build_library
from eda.acim.floorplan import floorplan
from eda.acim.generator import cap_bit, generate
from eda.acim.library import load_library
from eda.acim.spec import ACIMSpec


def _placed(top: gdstk.Cell) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ref in top.references:
        name = ref.cell.name if isinstance(ref.cell, gdstk.Cell) else ref.cell
        counts[name] = counts.get(name, 0) + ref.repetition.size if ref.repetition.size else counts.get(name, 0) + 1
    return counts


@pytest.fixture(scope="module")
def macro(tmp_path_factory: pytest.TempPathFactory):
    return generate(ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=3), out_dir=tmp_path_factory.mktemp("m"))


def test_hierarchy_and_instance_counts(macro) -> None:
    lib = gdstk.read_gds(str(macro.files["gds"]))
    top = next(c for c in lib.top_level() if c.name == macro.name)
    placed = _placed(top)
    assert placed["bitcell8t"] == 16 * 16
    assert placed["rowdrv"] == 16 and placed["compute"] == 4 * 16
    assert sum(v for k, v in placed.items() if k.startswith("momcap")) == 4 * 16
    assert placed["comparator"] == 4 and placed["sar_k4"] == 4
    # never flattened: no transistor layers in the top cell itself
    assert not [p for p in top.polygons if (p.layer, p.datatype) in ((65, 20), (66, 20))]
    # the netlist has one subcircuit instance per placed cell
    text = macro.files["netlist"].read_text()
    body = text.split(f".subckt {macro.name} ")[1]
    instances = re.findall(r"^X\S+ .* (\S+)$", body, flags=re.M)
    by_cell: dict[str, int] = {}
    for cell in instances:
        by_cell[cell] = by_cell.get(cell, 0) + 1
    assert by_cell == placed


def test_layout_matches_floorplan(macro) -> None:
    fp = macro.floorplan
    (x0, y0), (x1, y1) = macro.top.bounding_box()
    assert (x0, y0, x1, y1) == pytest.approx((0, 0, fp.width, fp.height))
    parts = fp.area_breakdown()
    assert sum(parts.values()) == pytest.approx(fp.area_um2, rel=1e-9)
    assert parts["unused"] >= 0
    lib = load_library()
    assert parts["bitcells"] == pytest.approx(256 * lib.column_pitch * lib.role("bitcell").height)


def test_cap_bits_binary_weighted() -> None:
    bits = [cap_bit(i, 5) for i in range(64)]
    assert bits[0] is None and all(b is None for b in bits[32:])
    for b in range(5):
        assert bits.count(b) == 2**b


def test_second_library_other_bitcell_size(tmp_path: Path) -> None:
    other = build_library(tmp_path / "wide", LibraryOptions(name="wide", extra_tracks=2, extra_pitch=1.6))
    lib, default = load_library(other), load_library()
    assert lib.column_pitch == pytest.approx(default.column_pitch + 1.6)
    assert lib.role("bitcell").height == pytest.approx(default.role("bitcell").height + 1.2)
    spec = ACIMSpec(rows=16, cols=8, local_array_size=2, adc_bits=3)
    macro = generate(spec, other, tmp_path / "out")
    fp = floorplan(spec, lib)
    assert macro.floorplan.width == pytest.approx(fp.width)
    assert fp.width > floorplan(spec, default).width
    (_, _), (x1, y1) = macro.top.bounding_box()
    assert (x1, y1) == pytest.approx((fp.width, fp.height))


@pytest.mark.klayout
def test_second_library_macro_drc_lvs_clean(tmp_path: Path) -> None:
    from eda.signoff.drc import run_drc
    from eda.signoff.lvs import run_lvs

    other = build_library(tmp_path / "wide", LibraryOptions(name="wide", extra_tracks=2, extra_pitch=1.6))
    macro = generate(ACIMSpec(rows=8, cols=8, local_array_size=2, adc_bits=3), other, tmp_path / "out")
    assert run_drc(macro.files["gds"], other / "tech.yaml").clean
    assert run_lvs(macro.files["gds"], macro.files["netlist"], other / "tech.yaml").match


def test_outputs_written(macro) -> None:
    import json

    abstract = json.loads(macro.files["abstract"].read_text())
    assert abstract["width_um"] == pytest.approx(macro.floorplan.width)
    names = {p["name"] for p in abstract["pins"]}
    assert {"VDD", "VSS", "BL0", "WLN15", "DOUT0_3", "CLK", "VREF"} <= names
    lef = macro.files["lef"].read_text()
    assert f"MACRO {macro.name}" in lef and "PIN WLN0" in lef and "USE POWER" in lef


def test_sar_block_drawn_for_any_group_width(tmp_path: Path) -> None:
    spec = ACIMSpec(rows=8, cols=64, local_array_size=2, adc_bits=3, cols_per_adc=32)
    macro = generate(spec, out_dir=tmp_path)
    placed = _placed(next(c for c in gdstk.read_gds(str(macro.files["gds"])).top_level() if c.name == macro.name))
    assert placed["sar_k32"] == 2 and placed["comparator"] == 2
    assert ".subckt sar_k32 OUTP OUTN DB0_0" in macro.files["netlist"].read_text()


@pytest.mark.klayout
def test_klayout_sees_hierarchy(macro) -> None:
    import klayout.db as kdb

    layout = kdb.Layout()
    layout.read(str(macro.files["gds"]))
    top = layout.top_cell()
    assert top.name == macro.name
    bitcells = sum(inst.cell_inst.size() for inst in top.each_inst() if inst.cell.name == "bitcell8t")
    assert bitcells == 16 * 16
    assert layout.cell("bitcell8t").child_cells() == 0 and top.child_cells() >= 10


@pytest.mark.klayout
@pytest.mark.parametrize("spec", [ACIMSpec(12, 8, 3, 3), ACIMSpec(8, 8, 1, 4),
                                  ACIMSpec(16, 16, 2, 3, cols_per_adc=1, weight_bits=1),
                                  ACIMSpec(8, 8, 2, 3, unit_cap_fF=0.5), ACIMSpec(8, 8, 2, 3, unit_cap_fF=25.0)],
                         ids=lambda s: f"{s.name}_k{s.cols_per_adc}_c{s.unit_cap_fF:g}")
def test_unusual_specs_drc_lvs_clean(spec: ACIMSpec, tmp_path: Path) -> None:
    from eda.acim.library import default_library_dir
    from eda.signoff.drc import run_drc
    from eda.signoff.lvs import run_lvs

    tech = default_library_dir() / "tech.yaml"
    macro = generate(spec, out_dir=tmp_path)
    assert run_drc(macro.files["gds"], tech).clean
    assert run_lvs(macro.files["gds"], macro.files["netlist"], tech).match
