"""Floorplan arithmetic: block stacking, row positions, mirroring, tap columns and the area breakdown."""

from __future__ import annotations

import pytest

from eda.acim.floorplan import floorplan, sar_height
from eda.acim.library import load_library
from eda.acim.spec import ACIMSpec
from eda.errors import SpecError


@pytest.fixture(scope="module")
def lib():
    return load_library()


def test_stacking_and_rows(lib) -> None:
    spec = ACIMSpec(rows=16, cols=32, local_array_size=4, adc_bits=3)
    fp = floorplan(spec, lib)
    ring = 3 * lib.power["ring_space_um"] + 2 * lib.power["ring_width_um"]
    assert fp.sar.y0 == pytest.approx(ring) and fp.adc.y0 == pytest.approx(fp.sar.y1)
    assert fp.colper.y1 == pytest.approx(fp.array.y0)
    assert fp.group_h == pytest.approx(fp.compute_h + 4 * fp.bit_h)
    assert fp.array.height == pytest.approx(4 * fp.group_h)
    # row 4 is the first row of group 1: above group 1's compute row
    assert fp.row_y(4) == pytest.approx(fp.array.y0 + fp.group_h + fp.compute_h)
    assert fp.row_y(5) - fp.row_y(4) == pytest.approx(fp.bit_h)
    assert [fp.row_mirrored(r) for r in range(4)] == [False, True, False, True]
    # a tap column starts the array and follows every 8 columns: 32 columns, 5 tap columns
    assert fp.n_taps == 5
    assert fp.column_x(0) == pytest.approx(fp.array.x0 + fp.tap_w)
    assert fp.column_x(8) - fp.column_x(7) == pytest.approx(fp.pitch + fp.tap_w)
    assert fp.tap_x(4) + fp.tap_w == pytest.approx(fp.array.x1)
    assert fp.width == pytest.approx(2 * ring + fp.driver_w + 32 * fp.pitch + 5 * fp.tap_w)


def test_area_breakdown_by_hand(lib) -> None:
    spec = ACIMSpec(rows=64, cols=64, local_array_size=8, adc_bits=5, unit_cap_fF=3.0)
    fp = floorplan(spec, lib)
    parts = fp.area_breakdown()
    p, bit_h = lib.column_pitch, lib.role("bitcell").height
    assert parts["bitcells"] == pytest.approx(64 * 64 * p * bit_h, rel=1e-9)
    assert parts["compute_cells"] == pytest.approx(8 * 64 * p * lib.role("compute").height, rel=1e-9)
    assert parts["row_drivers"] == pytest.approx(64 * lib.role("row_driver").area, rel=1e-9)
    assert sum(parts.values()) == pytest.approx(fp.area_um2, rel=1e-9)
    assert parts["unused"] >= -1e-6
    # the capacitor lies over the bitcells: a larger one costs no area while it fits
    bigger = floorplan(ACIMSpec(rows=64, cols=64, local_array_size=8, adc_bits=5, unit_cap_fF=6.0), lib)
    assert bigger.area_um2 == pytest.approx(fp.area_um2)
    assert lib.cap_value(6.0) >= 6.0 > lib.cap_value(3.0) >= 3.0
    assert lib.cap_value(0.5) == pytest.approx(2.0)  # the smallest MIM: 1 x 1 um at 2 fF/um²


def test_sar_row_holds_the_standard_cells_of_its_adc_groups(lib) -> None:
    """One SAR block per 8-column tap segment serves two 4-column ADC groups of 5 bits: per group 11 dfrtp
    (tokens, EOC, code), one dfstp, three inverters and one or2 per DAC line, 2.72 µm tall foundry cells.
    The row holds them at no more than the placement's 70 % row utilisation and no less than a quarter."""
    from eda.acim.celllib.stdcells import ROW_HEIGHT, load_cell
    from eda.acim.dacplan import dac_plan

    spec = ACIMSpec(rows=64, cols=64, local_array_size=8, adc_bits=5)
    plan = dac_plan(spec.local_arrays_per_column, spec.cols_per_adc, spec.adc_bits)
    lines = sum(1 for column in plan.columns for net, _ in column.runs if net != "VSS")
    width = {c: load_cell(c).width for c in ("dfrtp_1", "dfstp_1", "inv_1", "or2_1")}
    per_group = 11 * width["dfrtp_1"] + width["dfstp_1"] + 3 * width["inv_1"] + lines * width["or2_1"]
    cells_um2 = 2 * per_group * ROW_HEIGHT
    block_um2 = sar_height(spec, lib) * 8 * lib.column_pitch
    assert 0.25 < cells_um2 / block_um2 <= 0.7


def test_capacitor_too_tall_for_its_local_array(lib) -> None:
    with pytest.raises(SpecError, match="MIM capacitor needs") as err:
        floorplan(ACIMSpec(rows=16, cols=16, local_array_size=2, adc_bits=3, unit_cap_fF=40.0), lib)
    assert "unit_cap_fF <=" in (err.value.hint or "")
