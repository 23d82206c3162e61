"""ACIM mapping: tile, cycle and utilisation counts checked by hand on small layers; current maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from eda.errors import SpecError
from eda.workloads.mapping import AcimModelCost, ArraySpec, current_maps, map_layer, map_workload
from eda.workloads.workload import LayerRecord, TracePhase, Workload


@dataclass(frozen=True)
class UnitCost:
    """1 nJ and 10 ns per array operation (makes energy/latency equal to counts)."""

    def op_energy_j(self, spec: ArraySpec, active_fraction: float) -> float:
        return 1e-9

    def op_time_s(self, spec: ArraySpec) -> float:
        return 10e-9


SPEC = ArraySpec(rows=64, cols=32, local_array_size=4, adc_bits=4, cols_per_adc=1)


def test_dense_gemm_counts_by_hand():
    layer = LayerRecord.gemm("fc", 3, 100, 10, weight_bits=4, activation_bits=2)
    m = map_layer(layer, SPEC, cost=UnitCost())
    # 8 four-bit weights per 32-column row; k=100 over 64 rows -> 2 row tiles; n=10 -> 2 column tiles
    assert (m.row_tiles, m.col_tiles, m.arrays) == (2, 2, 4)
    # per input vector: 2 bit-planes x 4 local-array ops (64 rows / 16 rows per op) x 4 arrays
    assert m.array_ops == 3 * 2 * 4 * 4
    assert m.cycles == 3 * 2 * 4  # arrays run in parallel
    assert m.cell_utilisation == pytest.approx(100 * 10 * 4 / (4 * 64 * 32))
    assert m.compute_utilisation == pytest.approx(3 * 100 * 10 / (96 * 16 * 8))
    assert m.energy_j == pytest.approx(96e-9) and m.latency_s == pytest.approx(24 * 10e-9)


def test_adc_group_folding_by_hand():
    spec = ArraySpec(rows=64, cols=32, local_array_size=4, adc_bits=4, cols_per_adc=2)
    m = map_layer(LayerRecord.gemm("fc", 3, 100, 10, weight_bits=4, activation_bits=2), spec, cost=UnitCost())
    # logical array 128 x 16: one row tile, 4 weights per row -> 3 column tiles; 32 rows per conversion
    assert (m.row_tiles, m.col_tiles, m.arrays) == (1, 3, 3)
    assert m.array_ops == 3 * 2 * 4 * 3 and m.cycles == 24
    assert m.cell_utilisation == pytest.approx(4000 / (3 * 2048))


def test_block_circulant_trades_arrays_for_cycles():
    dense = map_layer(LayerRecord.gemm("d", 1, 64, 32), SPEC, cost=UnitCost())
    circ = map_layer(
        LayerRecord.gemm("c", 1, 64, 32, structure="block_circulant", block_size=4), SPEC, cost=UnitCost()
    )
    assert dense.arrays == 8 and circ.arrays == 2
    assert circ.array_ops == dense.array_ops == 8 * 4 * 8
    assert circ.cycles == 4 * dense.cycles == 128


def test_grouped_conv_packs_block_diagonally():
    m = map_layer(LayerRecord.conv("dw", 16, 16, 3, 8, padding=1, groups=16), SPEC, cost=UnitCost())
    # k=9, n=1 per group: min(64 // 9, 4 // 1) = 4 groups per array -> 4 arrays for 16 groups
    assert (m.groups_per_array, m.arrays) == (4, 4)
    assert m.array_ops == 64 * 8 * 1 * 4  # 64 outputs, 8 planes, 1 op (9 rows <= 16), 4 arrays


def test_replication_one_hot_and_attention():
    rep = map_layer(
        LayerRecord.gemm("fc", 3, 100, 10, weight_bits=4, activation_bits=2),
        SPEC,
        cost=UnitCost(),
        replication=3,
    )
    assert rep.arrays == 12 and rep.cycles == 8
    emb = map_layer(LayerRecord.embedding("e", 100, 8, 5, weight_bits=4), SPEC, cost=UnitCost())
    assert (emb.arrays, emb.array_ops, emb.cycles) == (2, 5, 5)  # one row, one op per lookup
    att = map_layer(LayerRecord.attention("a", 8, 2, 4), SPEC, cost=UnitCost())
    qk = att.parts[0]
    assert qk["arrays"] == 4 and qk["write_cycles"] == 8  # K^T: 4 rows written per head
    assert att.write_cycles == 8 + 16  # V: 8 rows per head
    row_write = 32 * 64 * 0.15e-15 * 0.9**2  # W bitlines of H cells swung to VDD
    assert att.energy_j == pytest.approx(att.array_ops * 1e-9 + 24 * row_write)


def test_workload_timeline_and_current_conservation():
    work = Workload(
        "w",
        [LayerRecord.gemm("a", 4, 64, 16), LayerRecord.gemm("b", 2, 128, 8, input_density=0.2)],
        [TracePhase("t", ["a", "b", "a"])],
    )
    mapping = map_workload(work, SPEC, cost=UnitCost())
    names = [t[0] for t in mapping.timeline]
    assert names == ["a", "b", "a"]
    assert mapping.latency_s == pytest.approx(2 * mapping.layer("a").latency_s + mapping.layer("b").latency_s)
    trace = current_maps(work, mapping, tile_um=5.0, slices=7)
    dt = mapping.latency_s / 7
    drawn = trace.currents_a.sum() * dt * SPEC.vdd
    assert drawn == pytest.approx(mapping.energy_j, rel=1e-9)  # charge from the supply = energy / V
    assert trace.currents_a.shape[0] == 7 and (trace.currents_a >= 0).all()
    assert trace.static_a.sum() * mapping.latency_s * SPEC.vdd == pytest.approx(mapping.energy_j, rel=1e-9)


def test_num_arrays_limit_and_spec_errors():
    work = Workload("w", [LayerRecord.gemm("a", 1, 1000, 100)])
    with pytest.raises(SpecError, match="needs .* arrays"):
        map_workload(work, ArraySpec(rows=64, cols=32, local_array_size=4, num_arrays=2), cost=UnitCost())
    with pytest.raises(SpecError, match="must divide"):
        ArraySpec(rows=64, local_array_size=5)
    with pytest.raises(SpecError, match="does not fit"):
        map_layer(
            LayerRecord.gemm("a", 1, 4, 4, weight_bits=16),
            ArraySpec(rows=64, cols=32, local_array_size=4, cols_per_adc=4),
            cost=UnitCost(),
        )


def test_spec_from_acim_spec_and_model_cost():
    from eda.acim.spec import ACIMSpec

    acim = ACIMSpec(rows=64, cols=32, local_array_size=4, adc_bits=4, cols_per_adc=2)
    spec = ArraySpec.from_any(acim)
    assert (spec.rows, spec.cols, spec.local_array_size, spec.adc_bits, spec.cols_per_adc) == (
        64,
        32,
        4,
        4,
        2,
    )
    assert spec.unit_cap_f == pytest.approx(acim.unit_cap_fF * 1e-15)
    cost = AcimModelCost()
    low, high = cost.op_energy_j(spec, 0.1), cost.op_energy_j(spec, 0.9)
    assert 0 < low < high
    assert cost.op_time_s(spec) > 0
    layer = LayerRecord.gemm("fc", 3, 100, 10, weight_bits=4, activation_bits=2)
    m = map_layer(layer, spec, cost=cost)
    assert m.energy_j == pytest.approx(m.array_ops * cost.op_energy_j(spec, layer.input_density))
    assert np.isfinite(m.latency_s) and m.latency_s == pytest.approx(m.cycles * cost.op_time_s(spec))


def test_time_multiplexed_macro_by_hand():
    work = Workload(
        "w",
        [
            LayerRecord.gemm("fc", 3, 100, 10, weight_bits=4, activation_bits=2),
            LayerRecord.gemm("small", 1, 10, 2, weight_bits=4, activation_bits=2),
        ],
    )
    resident = map_workload(work, SPEC, cost=UnitCost())
    assert resident.arrays == 4 + 1
    small_macro = ArraySpec(rows=64, cols=32, local_array_size=4, adc_bits=4, cols_per_adc=1, num_arrays=3)
    shared = map_workload(work, small_macro, cost=UnitCost(), reload_weights=True)
    fc, small = shared.layer("fc"), shared.layer("small")
    # fc: 4 tiles on 3 arrays -> 2 rounds, each writes 64 rows (in parallel over the round's arrays)
    assert (fc.rounds, fc.arrays, fc.weight_write_cycles) == (2, 3, 128)
    assert fc.latency_s == pytest.approx(2 * 24 * 10e-9 + 128 / small_macro.clock_hz)
    assert fc.energy_j == pytest.approx(96e-9 + 4 * 64 * small_macro.row_write_energy_j)
    assert small.rounds == 1 and small.weight_write_cycles == 64
    assert shared.arrays == 3 and shared.latency_s == pytest.approx(fc.latency_s + small.latency_s)


def test_current_maps_of_a_time_multiplexed_macro_conserve_energy():
    work = Workload(
        "w",
        [
            LayerRecord.gemm("fc", 3, 100, 10, weight_bits=4, activation_bits=2),
            LayerRecord.gemm("small", 1, 10, 2, weight_bits=4, activation_bits=2),
        ],
    )
    spec = ArraySpec(rows=64, cols=32, local_array_size=4, adc_bits=4, cols_per_adc=1, num_arrays=3)
    mapping = map_workload(work, spec, cost=UnitCost(), reload_weights=True)
    trace = current_maps(work, mapping, tile_um=4.0, slices=4)
    drawn = trace.currents_a.sum() * mapping.latency_s / 4 * spec.vdd
    assert drawn == pytest.approx(mapping.energy_j, rel=1e-9)
    assert trace.array_grid.nx * trace.array_grid.ny >= 3 and len(trace.array_layers) == 3
