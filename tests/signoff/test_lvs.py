"""LVS: generated macros match their netlists; a broken connection and a wrong capacitor are caught."""

from __future__ import annotations

from pathlib import Path

import gdstk
import pytest

from eda.acim.generator import generate
from eda.acim.library import default_library_dir
from eda.acim.spec import ACIMSpec

pytestmark = pytest.mark.klayout
TECH = default_library_dir() / "tech.yaml"


@pytest.fixture(scope="module")
def macro(tmp_path_factory: pytest.TempPathFactory):
    return generate(ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=3), out_dir=tmp_path_factory.mktemp("l"))


def test_macro_matches(macro) -> None:
    from eda.signoff.lvs import run_lvs

    report = run_lvs(macro.files["gds"], macro.files["netlist"], TECH)
    assert report.match, report.text()
    assert report.devices_layout == report.devices_schematic > 0


def test_broken_connection_is_caught(macro, tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    lib = gdstk.read_gds(str(macro.files["gds"]))
    bitcell = next(c for c in lib.cells if c.name == "bitcell8t")
    via1 = [p for p in bitcell.polygons if (p.layer, p.datatype) == (68, 44)]
    bitcell.remove(via1[0])  # one strap no longer reaches its met2 track
    lib.write_gds(tmp_path / "broken.gds")
    report = run_lvs(tmp_path / "broken.gds", macro.files["netlist"], TECH)
    assert not report.match
    assert report.mismatches and any("net" in m for m in report.mismatches)


def test_wrong_capacitor_value_is_caught(macro, tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    text = macro.files["netlist"].read_text()
    import re

    wrong = re.sub(r"^(C1 CTOP \S+ )(\S+)f$", lambda m: f"{m.group(1)}{float(m.group(2)) * 1.1:.6g}f", text, flags=re.M)
    assert wrong != text
    (tmp_path / "wrong.spice").write_text(wrong)
    assert not run_lvs(macro.files["gds"], tmp_path / "wrong.spice", TECH).match


def test_cli_exit_code(macro, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eda.signoff.cli import app

    res = CliRunner().invoke(app, ["lvs", str(macro.files["gds"]), str(macro.files["netlist"]), "--tech", str(TECH),
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0 and "MATCH" in res.output


@pytest.mark.parametrize("spec", [ACIMSpec(rows=16, cols=16, local_array_size=2, adc_bits=5, cols_per_adc=8),
                                  ACIMSpec(rows=64, cols=16, local_array_size=8, adc_bits=3, unit_cap_fF=4.0),
                                  ACIMSpec(rows=64, cols=64, local_array_size=4, adc_bits=5)],
                         ids=lambda s: s.name)
def test_more_macros_match(spec: ACIMSpec, tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    macro = generate(spec, out_dir=tmp_path)
    report = run_lvs(macro.files["gds"], macro.files["netlist"], TECH)
    assert report.match, report.text()


def test_pin_stub_off_its_wire_is_caught(macro, tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    lib = gdstk.read_gds(str(macro.files["gds"]))
    top = next(c for c in lib.top_level() if c.name == macro.name)
    label = next(lb for lb in top.labels if lb.text == "WLN3")
    stub = next(p for p in top.polygons if (p.layer, p.datatype) == (69, 20) and p.contain(label.origin))
    (x0, y0), (x1, y1) = stub.bounding_box()
    top.remove(stub)
    top.add(gdstk.rectangle((x0, y0), (x1 - 1.0, y1), layer=69, datatype=20))  # 1 um short of the driver
    lib.write_gds(tmp_path / "pinoff.gds")
    report = run_lvs(tmp_path / "pinoff.gds", macro.files["netlist"], TECH)
    assert not report.match and "pin WLN3 is not connected" in report.mismatches[0]


def test_swapped_pin_labels_are_caught(macro, tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    lib = gdstk.read_gds(str(macro.files["gds"]))
    top = next(c for c in lib.top_level() if c.name == macro.name)
    a = next(lb for lb in top.labels if lb.text == "BL0")
    b = next(lb for lb in top.labels if lb.text == "BL1")
    a.text, b.text = "BL1", "BL0"
    lib.write_gds(tmp_path / "swapped.gds")
    report = run_lvs(tmp_path / "swapped.gds", macro.files["netlist"], TECH)
    assert not report.match
    assert any("labelled BL0" in m or "labelled BL1" in m for m in report.mismatches)
