"""DRC: generated macros are clean over the spec grid; injected violations are found and located."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import gdstk
import pytest

from eda.acim.generator import generate
from eda.acim.library import default_library_dir
from eda.acim.spec import ACIMSpec
from eda.errors import SpecError

pytestmark = pytest.mark.klayout
TECH = default_library_dir() / "tech.yaml"


def _feasible(rows: int, cols: int) -> list[ACIMSpec]:
    specs = []
    for size, bits in itertools.product((2, 4, 8, 16), (3, 5, 8)):
        try:
            specs.append(ACIMSpec(rows=rows, cols=cols, local_array_size=size, adc_bits=bits))
        except SpecError:
            pass
    return specs


def _check(spec: ACIMSpec, out: Path) -> None:
    from eda.signoff.drc import run_drc

    macro = generate(spec, out_dir=out, write_netlist=False)
    report = run_drc(macro.files["gds"], TECH)
    assert report.clean, report.text()


@pytest.mark.parametrize("spec", _feasible(16, 16) + _feasible(16, 64)[:1] + _feasible(64, 16)[:2],
                         ids=lambda s: s.name)
def test_small_grid_is_drc_clean(spec: ACIMSpec, tmp_path: Path) -> None:
    _check(spec, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s for h, w in itertools.product((16, 64, 256), repeat=2) for s in _feasible(h, w)
                                  if max(h, w) > 16], ids=lambda s: f"{s.name}_w{s.cols}")
def test_full_grid_is_drc_clean(spec: ACIMSpec, tmp_path: Path) -> None:
    _check(spec, tmp_path)


def test_injected_spacing_violation_is_found(tmp_path: Path) -> None:
    from eda.signoff.drc import run_drc

    macro = generate(ACIMSpec(rows=8, cols=8, local_array_size=2, adc_bits=3), out_dir=tmp_path, write_netlist=False)
    lib = gdstk.read_gds(str(macro.files["gds"]))
    top = next(c for c in lib.top_level() if c.name == macro.name)
    # a met1 square 0.10 um beside another met1 square: m1.2 needs 0.14 um
    top.add(gdstk.rectangle((2.0, 2.0), (2.5, 2.5), layer=68, datatype=20))
    top.add(gdstk.rectangle((2.6, 2.0), (3.1, 2.5), layer=68, datatype=20))
    bad = tmp_path / "bad.gds"
    lib.write_gds(bad)
    report = run_drc(bad, TECH, rdb_path=tmp_path / "bad.lyrdb")
    assert report.counts["m1.2"] == 1 and report.total == 1
    v = report.violations[0]
    assert v.rule == "m1.2" and v.value == pytest.approx(0.10)
    assert v.box == pytest.approx((2.5, 2.0, 2.6, 2.5))
    assert (tmp_path / "bad.lyrdb").is_file()


def test_cli_exit_codes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eda.signoff.cli import app

    macro = generate(ACIMSpec(rows=8, cols=8, local_array_size=2, adc_bits=3), out_dir=tmp_path, write_netlist=False)
    runner = CliRunner()
    ok = runner.invoke(app, ["drc", str(macro.files["gds"]), "--tech", str(TECH), "--out", str(tmp_path / "r")])
    assert ok.exit_code == 0, ok.output
    assert json.loads((tmp_path / "r" / f"{macro.name}.drc.json").read_text())["clean"]
    lib = gdstk.read_gds(str(macro.files["gds"]))
    next(c for c in lib.top_level() if c.name == macro.name).add(
        gdstk.rectangle((1.0, 1.0), (1.1, 1.5), layer=69, datatype=20))  # 0.10 wide met2: m2.1
    lib.write_gds(tmp_path / "bad.gds")
    bad = runner.invoke(app, ["drc", str(tmp_path / "bad.gds"), "--tech", str(TECH), "--out", str(tmp_path / "r")])
    assert bad.exit_code == 1 and "m2.1" in bad.output
