"""Choosing the ACIM point for a workload: least mapped energy among the points whose ADC is lossless."""

from __future__ import annotations

import pytest

from eda.errors import DataError
from eda.workloads.mapping import AcimModelCost, ArraySpec, map_workload
from eda.workloads.selection import pareto_point, select_point
from eda.workloads.workload import LayerRecord, Workload

HEADER = [
    "rows",
    "cols",
    "local_array_size",
    "adc_bits",
    "cols_per_adc",
    "clock_MHz",
    "unit_cap_fF",
    "input_bits",
    "weight_bits",
    "snr_total_db",
    "label",
]
# rows per conversion H·G/L: 16 (needs 5 bits, has 4), 32 (needs 5, has 5), 128 (needs 7, has 7)
POINTS = [
    ["64", "64", "4", "4", "1", "100.0", "2.0", "4", "4", "20.0", "a"],
    ["64", "64", "4", "5", "2", "100.0", "2.0", "4", "4", "22.0", "b"],
    ["64", "64", "1", "7", "2", "100.0", "2.0", "4", "4", "25.0", "c"],
]
ROWS = [dict(zip(HEADER, p, strict=True)) for p in POINTS]


def _work() -> Workload:
    return Workload(
        "w",
        [LayerRecord.gemm("a", 1, 8, 8)],
        meta={"adc_bits_required": {"16": 5, "32": 5, "64": 7, "128": 7}},
    )


def _energy_uj(row: dict[str, str]) -> float:
    spec = ArraySpec.from_any(pareto_point(row))
    return map_workload(_work(), spec, cost=AcimModelCost(4, 4), reload_weights=True).energy_j * 1e6


def test_pareto_point_keeps_numbers_with_their_types():
    point = pareto_point(ROWS[0])
    assert "label" not in point
    assert point["rows"] == 64 and isinstance(point["rows"], int)
    assert point["clock_MHz"] == 100.0 and isinstance(point["clock_MHz"], float)
    assert isinstance(point["snr_total_db"], float)


def test_lossless_points_only_unless_a_deficit_is_allowed():
    energy = [_energy_uj(row) for row in ROWS]
    strict = select_point(_work(), ROWS)
    assert strict.energy_uj == pytest.approx(min(energy[1:]))
    assert strict.deficit_bits == 0 and strict.qualifying == 2 and strict.candidates == 3
    assert strict.adc_bits_required == (5 if strict.point["local_array_size"] == 4 else 7)
    loose = select_point(_work(), ROWS, max_adc_deficit_bits=1)
    assert loose.energy_uj == pytest.approx(min(energy)) and loose.qualifying == 3


def test_snr_floor_and_a_point_with_the_smallest_deficit():
    assert select_point(_work(), ROWS, min_snr_db=24.0).point["local_array_size"] == 1
    only_lossy = select_point(_work(), ROWS[:1])
    assert only_lossy.qualifying == 0 and only_lossy.deficit_bits == 1 and only_lossy.adc_bits_required == 5
    with pytest.raises(DataError, match="SNR"):
        select_point(_work(), ROWS, min_snr_db=30.0)


def test_without_a_table_every_point_qualifies():
    plain = Workload("w", [LayerRecord.gemm("a", 1, 8, 8)])
    chosen = select_point(plain, ROWS)
    assert chosen.qualifying == 3 and chosen.adc_bits_required is None and chosen.deficit_bits == 0
    assert chosen.energy_uj == pytest.approx(min(_energy_uj(row) for row in ROWS))
