"""Macro views for digital flows: the Liberty view parses with a Liberty parser, the Verilog black box with
slang, and both have exactly the pins of the LEF (read back by KLayout) and of the SPICE subcircuit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eda.acim.extract import parse_subckts
from eda.acim.generator import generate
from eda.acim.spec import ACIMSpec

SPEC = ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=4)


@pytest.fixture(scope="module")
def macro(tmp_path_factory):
    return generate(SPEC, None, tmp_path_factory.mktemp("views"), clock_MHz=100.0)


def _abstract(macro) -> dict:
    return json.loads(macro.files["abstract"].read_text())


def _lef_pins(lef: Path) -> tuple[dict[str, list[tuple[str, object]]], tuple[float, float], int]:
    """Pin shapes ``name -> [(layer, box µm)]``, macro size (µm) and obstruction shape count as KLayout's
    LEF reader sees them."""
    import klayout.db as db

    layout = db.Layout()
    options = db.LoadLayoutOptions()
    config = options.lefdef_config
    config.produce_pin_names = True
    config.pin_property_name = "pin"
    options.lefdef_config = config
    layout.read(str(lef), options)
    top = layout.top_cell()
    pins: dict[str, list[tuple[str, object]]] = {}
    obstructions, outline = 0, None
    for index in layout.layer_indexes():
        info = layout.get_info(index)
        for shape in top.shapes(index).each():
            if info.name == "OUTLINE":
                outline = shape.bbox().to_dtype(layout.dbu)
            elif info.name.endswith(".OBS"):
                obstructions += 1
            elif info.name.endswith(".PIN") and shape.property("pin") is not None:
                pins.setdefault(str(shape.property("pin")), []).append(
                    (info.name.removesuffix(".PIN"), shape.bbox().to_dtype(layout.dbu))
                )
    assert outline is not None, "the LEF has no macro outline"
    return pins, (outline.width(), outline.height()), obstructions


@pytest.mark.klayout
def test_lef_read_back_matches_the_gds(macro):
    """KLayout reads the LEF: its size is the GDS's extent, every pin is a LEF pin of the abstract, and
    each pin shape holds the GDS's label of that net on the same metal (SKY130 label datatype 5)."""
    import klayout.db as db

    from eda.tech.tech import load_tech

    pins, (w, h), obstructions = _lef_pins(macro.files["lef"])
    gds = db.Layout()
    gds.read(str(macro.files["gds"]))
    top = gds.top_cell()
    box = top.dbbox()
    assert w == pytest.approx(box.width(), abs=0.005) and h == pytest.approx(box.height(), abs=0.005)
    assert set(pins) == {p["name"] for p in _abstract(macro)["pins"]}
    assert obstructions > 0
    tech = load_tech()
    labels: dict[tuple[str, tuple[int, int]], list[object]] = {}
    for index in gds.layer_indexes():
        info = gds.get_info(index)
        for shape in top.shapes(index).each():
            if shape.is_text():
                labels.setdefault((shape.text_string, (info.layer, info.datatype)), []).append(
                    shape.dtext.trans.disp.to_p()
                )
    for name, shapes in pins.items():
        for layer, pin_box in shapes:
            points = labels.get((name, tech.label(layer)), [])
            assert any(pin_box.contains(p) for p in points), f"LEF pin {name} on {layer}: no GDS label inside"


def test_liberty_parses_and_matches_lef_and_spice(macro):
    from liberty.parser import parse_liberty

    abstract = _abstract(macro)
    library = parse_liberty(macro.files["liberty"].read_text())
    (cell,) = library.get_groups("cell")
    assert cell.args == [macro.name]
    assert float(cell["area"]) == pytest.approx(abstract["area_um2"], rel=1e-6)
    pins = {str(p.args[0]): p for p in cell.get_groups("pin")}
    pg = {str(p.args[0]): str(p["pg_type"]) for p in cell.get_groups("pg_pin")}
    assert pg == {"VDD": "primary_power", "VSS": "primary_ground"}
    ports = parse_subckts(macro.files["netlist"].read_text())[macro.name][0]
    lef_pins = {p["name"] for p in abstract["pins"]}
    assert set(pins) | set(pg) == lef_pins == set(ports)
    for pin in abstract["pins"]:
        if pin["name"] in pins:
            assert str(pins[pin["name"]]["direction"]) == pin["direction"]

    # WLN drives one row driver inverter: nfet 0.84 x 0.15 + pfet 1.68 x 0.15 µm (rowdrv.spice) = 0.378 µm²
    # of gate; SKY130's 1.8 V oxide (tox ~ 4.1 nm) gives 3.9 * 8.854e-3 / 4.1e-3 = 8.4 fF/µm², so ~3.2 fF
    assert float(pins["WLN0"]["capacitance"]) == pytest.approx(0.378 * 8.4, rel=0.08)
    clk = pins["CLK"]
    assert str(clk["clock"]) == "true" and float(clk["min_period"]) == pytest.approx(10.0)  # 100 MHz
    (setup,) = pins["XN3"].get_groups("timing")
    assert str(setup["timing_type"]) == "setup_rising" and str(setup["related_pin"]).strip('"') == "CLK"
    value = setup.get_groups("rise_constraint")[0].get_array("values")[0][0]
    assert 0 < value < 10.0  # the charge phase settles inside one clock period at 100 MHz
    (power,) = clk.get_groups("internal_power")
    assert power.get_groups("rise_power")[0].get_array("values")[0][0] > 0


def _slang(text: str, defines: tuple[str, ...] = ()):
    from pyslang import ast, syntax

    tree = syntax.SyntaxTree.fromText("".join(f"`define {d}\n" for d in defines) + text)
    compilation = ast.Compilation()
    compilation.addSyntaxTree(tree)
    return compilation


def test_verilog_black_box_parses_with_the_lef_pins(macro):
    abstract = _abstract(macro)
    text = macro.files["verilog"].read_text()
    direction = {"input": "In", "output": "Out", "inout": "InOut"}
    for defines, expected in (
        (("USE_POWER_PINS",), abstract["pins"]),
        ((), [p for p in abstract["pins"] if p["use"] == "signal"]),
    ):
        compilation = _slang(text, defines)
        assert not list(compilation.getAllDiagnostics())
        (top,) = compilation.getRoot().topInstances
        assert top.name == macro.name
        ports = {p.name: str(p.direction).split(".")[-1] for p in top.body.portList}
        assert ports == {p["name"]: direction[p["direction"]] for p in expected}
    assert list(_slang(text.replace(");", ")", 1)).getAllDiagnostics())  # the check sees a broken file


def test_views_are_written_by_the_step_outputs(macro):
    assert {"verilog", "liberty"} <= set(macro.files)
    for kind in ("verilog", "liberty"):
        assert macro.files[kind].parent == macro.files["gds"].parent


def test_sar_clock_pin_capacitance_is_the_gate_area_of_its_flip_flops(macro):
    """CLKSAR clocks, in every ADC's SAR logic, the B token flip-flops and EOC (sky130_fd_sc_hd__dfrtp_1) and
    the start flip-flop F (sky130_fd_sc_hd__dfstp_1). The pin carries the gate area of the transistors whose
    gate is the CLK pin in those cells' foundry netlists, times the library's gate capacitance per area."""
    import re

    from liberty.parser import parse_liberty

    from eda.acim.celllib.stdcells import library_dir
    from eda.acim.models.area import library_tech

    def clock_area_um2(short: str) -> float:
        spice = next(library_dir().rglob(f"sky130_fd_sc_hd__{short}.spice")).read_text()
        area = 0.0
        for line in spice.splitlines():
            words = line.split()
            if line.startswith("X") and words[2] == "CLK":  # X<n> drain gate source bulk model w= l=
                w, length = (float(re.search(rf"{k}=([0-9.e+]+)u", line).group(1)) * 1e-6 for k in ("w", "l"))
                area += w * length
        return area

    per_adc = (SPEC.adc_bits + 1) * clock_area_um2("dfrtp_1") + clock_area_um2("dfstp_1")
    expected = per_adc * SPEC.adcs * float(library_tech().gate_cap_fF_per_um2)
    (cell,) = parse_liberty(macro.files["liberty"].read_text()).get_groups("cell")
    pins = {str(p.args[0]): p for p in cell.get_groups("pin")}
    assert float(pins["CLKSAR"]["capacitance"]) == pytest.approx(expected, rel=1e-4)


def test_leakage_is_the_sum_of_the_characterised_cells(macro):
    """cell_leakage_power (nW) = the standby leakage of every leaf cell of the macro: rows x cols bitcells,
    one row driver per row, rows/L compute cells per column, one control driver per local-array row, one
    comparator and one SAR logic block per ADC (the characterised block's figure scaled by its transistor
    count, the SAR logic's size being set by its bits)."""
    import yaml
    from liberty.parser import parse_liberty

    from eda.acim.celllib.sar import sar_instances
    from eda.acim.celllib.stdcells import load_cell
    from eda.acim.characterize import characterization_file
    from eda.acim.dacplan import dac_plan
    from eda.acim.library import default_library_dir

    char = yaml.safe_load(characterization_file(default_library_dir(), "tt").read_text())
    leak, sar = char["leakage"], char["sar"]
    groups = SPEC.rows // SPEC.local_array_size

    def transistors(plan) -> int:  # the SAR logic of one ADC group, counted in the foundry cells
        return sum(load_cell(i.cell).devices for i in sar_instances(plan, 1))

    sar_scale = transistors(dac_plan(groups, SPEC.cols_per_adc, SPEC.adc_bits)) / transistors(
        dac_plan(sar["caps_per_column"], sar["cols_per_adc"], sar["adc_bits"])
    )
    expected = (
        SPEC.rows * SPEC.cols * leak["bitcell_nW"]
        + SPEC.rows * leak["row_driver_nW"]
        + groups * SPEC.cols * leak["compute_nW"]
        + groups * leak["ctrl_driver_nW"]
        + SPEC.adcs * (leak["adc_nW"] + leak["sar_nW"] * sar_scale)
    )
    library = parse_liberty(macro.files["liberty"].read_text())
    assert str(library["leakage_power_unit"]).strip('"') == "1nW"
    (cell,) = library.get_groups("cell")
    assert float(cell["cell_leakage_power"]) == pytest.approx(expected, rel=1e-5)
