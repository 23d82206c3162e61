"""Generated macros: hierarchy kept, H*W bitcells placed, one netlist instance per device cell, floorplan
area equals layout area, the DAC lines tie every capacitor to its bit, a second library with another bitcell
size works, and the foundry decks pass the macros (and still catch an injected open and short)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import gdstk
import pytest

from eda.acim.celllib.build import LibraryOptions, build_library
from eda.acim.floorplan import floorplan
from eda.acim.generator import generate
from eda.acim.library import load_library
from eda.acim.spec import ACIMSpec


def placements(cell: gdstk.Cell, times: int = 1, out: Counter | None = None) -> Counter:
    """How many times each cell is placed under ``cell``, through every level of hierarchy."""
    out = Counter() if out is None else out
    for ref in cell.references:
        n = times * (ref.repetition.size if ref.repetition.size else 1)
        out[ref.cell.name] += n
        placements(ref.cell, n, out)
    return out


@pytest.fixture(scope="module")
def macro(tmp_path_factory: pytest.TempPathFactory):
    return generate(
        ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=3), out_dir=tmp_path_factory.mktemp("m")
    )


def test_hierarchy_and_instance_counts(macro) -> None:
    lib = gdstk.read_gds(str(macro.files["gds"]))
    top = next(c for c in lib.top_level() if c.name == macro.name)
    placed = placements(top)
    assert placed["bitcell8t"] == 16 * 16
    assert placed["rowdrv"] == 16 and placed["compute"] == 4 * 16 and placed["ctrldrv"] == 4
    assert sum(v for k, v in placed.items() if k.startswith("mimcap")) == 4 * 16
    assert placed["comparator"] == 4
    assert placed[f"{macro.name}__sar"] == 2  # one standard-cell SAR block per 8-column tap segment
    assert placed["colper_end"] == 4 and placed["colper"] == 12
    assert placed["tap_bitcell8t"] == 16 * 3  # a tap column starts the array and follows every 8 columns
    # never flattened: no transistor layers in the top cell itself
    assert not [p for p in top.polygons if (p.layer, p.datatype) in ((65, 20), (66, 20))]
    # the netlist has one subcircuit instance per placed cell that has devices
    body = macro.files["netlist"].read_text().split(f".subckt {macro.name} ")[1]
    instances = Counter(re.findall(r"^X\S+ .* (\S+)$", body, flags=re.M))
    devices = {name for name, info in load_library().cells.items() if info.devices}
    expected = {name: n for name, n in placed.items() if name in devices or name.startswith("mimcap")}
    expected[f"{macro.name}__sar"] = 2
    assert instances == expected


def test_capacitors_tied_to_their_bits(macro) -> None:
    """Every DAC bit b of every ADC drives exactly 2**b capacitors; the rest sit on VSS."""
    body = macro.files["netlist"].read_text().split(f".subckt {macro.name} ")[1]
    tops = Counter()
    for top in re.findall(r"^Xc\S+ CTOP\d+_\d+ (\S+) mimcap\S+$", body, flags=re.M):
        net = (
            re.sub(r"_(\d+)$", lambda m: f"_adc{int(m.group(1)) // 4}", top) if top.startswith("DB") else top
        )
        tops[net] += 1
    for a in range(4):
        for b in range(3):
            assert tops[f"DB{b}_adc{a}"] == 2**b
    assert tops["VSS"] == 4 * 16 - 4 * 7


def test_layout_matches_floorplan(macro) -> None:
    fp = macro.floorplan
    (x0, y0), (x1, y1) = macro.top.bounding_box()
    assert (x0, y0, x1, y1) == pytest.approx((0, 0, fp.width, fp.height))
    parts = fp.area_breakdown()
    assert sum(parts.values()) == pytest.approx(fp.area_um2, rel=1e-9)
    assert parts["unused"] >= -1e-6
    lib = load_library()
    assert parts["bitcells"] == pytest.approx(256 * lib.column_pitch * lib.role("bitcell").height)
    area = json.loads(macro.files["area"].read_text())
    assert area["area_um2"] == pytest.approx(fp.area_um2)


def test_second_library_other_bitcell_size(tmp_path: Path) -> None:
    other = build_library(tmp_path / "wide", LibraryOptions(name="wide", extra_pitch=0.4))
    lib, default = load_library(other), load_library()
    assert lib.column_pitch == pytest.approx(default.column_pitch + 0.4)
    spec = ACIMSpec(rows=16, cols=8, local_array_size=2, adc_bits=3)
    macro = generate(spec, other, tmp_path / "out")
    fp = floorplan(spec, lib)
    assert macro.floorplan.width == pytest.approx(fp.width)
    assert fp.width > floorplan(spec, default).width
    (_, _), (x1, y1) = macro.top.bounding_box()
    assert (x1, y1) == pytest.approx((fp.width, fp.height))


def test_outputs_written(macro) -> None:
    abstract = json.loads(macro.files["abstract"].read_text())
    assert abstract["width_um"] == pytest.approx(macro.floorplan.width)
    names = {p["name"] for p in abstract["pins"]}
    assert {"VDD", "VSS", "BL0", "WLN15", "DOUT0_3", "CLK", "VREF"} <= names
    lef = macro.files["lef"].read_text()
    assert f"MACRO {macro.name}" in lef and "PIN WLN0" in lef and "USE POWER" in lef


def test_infeasible_layouts_are_clear_errors() -> None:
    from eda.errors import SpecError

    with pytest.raises(SpecError, match="does not fit the capacitor wiring"):
        generate(ACIMSpec(rows=256, cols=16, local_array_size=4, adc_bits=8))
    with pytest.raises(SpecError, match="MIM capacitor needs"):
        generate(ACIMSpec(rows=16, cols=16, local_array_size=2, adc_bits=3, unit_cap_fF=40.0))


@pytest.mark.pdk
@pytest.mark.parametrize(
    "spec",
    [
        ACIMSpec(16, 16, 4, 3),
        ACIMSpec(16, 16, 2, 3, cols_per_adc=2, weight_bits=1),
        ACIMSpec(16, 8, 16, 2, cols_per_adc=4, unit_cap_fF=9.0),
        ACIMSpec(64, 64, 8, 5),
        ACIMSpec(64, 16, 2, 5, unit_cap_fF=0.5),
    ],
    ids=lambda s: f"{s.name}_k{s.cols_per_adc}_c{s.unit_cap_fF:g}",
)
def test_foundry_decks_pass_generated_macros(spec: ACIMSpec, tmp_path: Path) -> None:
    from eda.signoff.foundry import run_foundry_drc, run_foundry_lvs

    macro = generate(spec, out_dir=tmp_path)
    drc = run_foundry_drc(macro.files["gds"], out_dir=tmp_path)
    assert drc.clean, drc.text()
    if spec.rows * spec.cols <= 16 * 16 or spec.rows == 64 and spec.cols == 64:
        lvs = run_foundry_lvs(macro.files["gds"], macro.files["netlist"], out_dir=tmp_path)
        assert lvs.match, lvs.text()
        assert lvs.devices_layout_by_class == lvs.devices_schematic_by_class
        assert lvs.devices_layout_by_class["sky130_fd_pr__model__cap_mim"] >= 1


def _edited(macro, tmp_path: Path, edit) -> Path:
    lib = gdstk.read_gds(str(macro.files["gds"]))
    top = next(c for c in lib.top_level() if c.name == macro.name)
    edit(top)
    path = tmp_path / "edited.gds"
    lib.write_gds(path)
    return path


@pytest.mark.pdk
def test_foundry_lvs_catches_an_open_and_a_short(macro, tmp_path: Path) -> None:
    from eda.signoff.foundry import run_foundry_lvs

    def open_dac_line(top: gdstk.Cell) -> None:  # cut the first DAC line (met4) above the SAR
        line = next(
            p
            for p in top.polygons
            if (p.layer, p.datatype) == (71, 20) and p.bounding_box()[0][1] > macro.floorplan.colper.y0 - 1
        )
        (x0, y0), (x1, y1) = line.bounding_box()
        top.remove(line)
        top.add(
            gdstk.rectangle((x0, y0), (x1, (y0 + y1) / 2 - 0.3), layer=71, datatype=20),
            gdstk.rectangle((x0, (y0 + y1) / 2 + 0.3), (x1, y1), layer=71, datatype=20),
        )

    def short_word_lines(top: gdstk.Cell) -> None:  # bridge WL0 and RWL0 on met1 in column 0
        fp, bit = macro.floorplan, load_library().role("bitcell")
        x = fp.column_x(0) + 0.1
        y0, y1 = fp.row_y(0) + bit.pin("WL").rect[1], fp.row_y(0) + bit.pin("RWL").rect[3]
        top.add(gdstk.rectangle((x, y0), (x + 0.14, y1), layer=68, datatype=20))

    for edit in (open_dac_line, short_word_lines):
        lvs = run_foundry_lvs(_edited(macro, tmp_path, edit), macro.files["netlist"], out_dir=tmp_path)
        assert not lvs.match, edit.__name__
