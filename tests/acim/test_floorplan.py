"""Floorplan arithmetic: block stacking, row positions, mirroring and the area breakdown."""

from __future__ import annotations

import pytest

from eda.acim.floorplan import floorplan
from eda.acim.library import load_library
from eda.acim.spec import ACIMSpec


@pytest.fixture(scope="module")
def lib():
    return load_library()


def test_stacking_and_rows(lib) -> None:
    spec = ACIMSpec(rows=16, cols=32, local_array_size=4, adc_bits=3)
    fp = floorplan(spec, lib)
    ring = 3 * lib.power["ring_space_um"] + 2 * lib.power["ring_width_um"]
    assert fp.sar.y0 == pytest.approx(ring) and fp.adc.y0 == pytest.approx(fp.sar.y1)
    assert fp.colper.y1 == pytest.approx(fp.array.y0)
    assert fp.group_h == pytest.approx(fp.cap_h + fp.compute_h + 4 * fp.bit_h)
    assert fp.array.height == pytest.approx(4 * fp.group_h)
    # row 4 is the first row of group 1: above group 1's cap and compute rows
    assert fp.row_y(4) == pytest.approx(fp.array.y0 + fp.group_h + fp.cap_h + fp.compute_h)
    assert fp.row_y(5) - fp.row_y(4) == pytest.approx(fp.bit_h)
    assert [fp.row_mirrored(r) for r in range(4)] == [False, True, False, True]
    assert fp.column_x(31) + fp.pitch == pytest.approx(fp.array.x1)
    assert fp.width == pytest.approx(2 * ring + fp.driver_w + 32 * fp.pitch)
    assert fp.stripe_columns == (4, 12, 20, 28)


def test_area_breakdown_by_hand(lib) -> None:
    spec = ACIMSpec(rows=64, cols=64, local_array_size=8, adc_bits=5, unit_cap_fF=3.0)
    fp = floorplan(spec, lib)
    parts = fp.area_breakdown()
    p, bit_h = lib.column_pitch, lib.role("bitcell").height
    assert parts["bitcells"] == pytest.approx(64 * 64 * p * bit_h, rel=1e-9)
    assert parts["compute_caps"] == pytest.approx(8 * 64 * p * lib.cap_height(3.0), rel=1e-9)
    assert parts["row_drivers"] == pytest.approx(64 * lib.role("row_driver").area, rel=1e-9)
    assert sum(parts.values()) == pytest.approx(fp.area_um2, rel=1e-9)
    # a larger unit capacitor only grows the capacitor rows
    bigger = floorplan(ACIMSpec(rows=64, cols=64, local_array_size=8, adc_bits=5, unit_cap_fF=6.0), lib)
    assert bigger.area_breakdown()["bitcells"] == parts["bitcells"]
    assert bigger.area_um2 > fp.area_um2
    assert lib.cap_value(6.0) >= 6.0 > lib.cap_value(3.0)
