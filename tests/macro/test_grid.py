"""Macro PDN extraction: hand-checkable drop, current conservation, every strap connected and drawn."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from eda.acim.library import load_library
from eda.acim.spec import ACIMSpec
from eda.macro.activity import Segment, dynamic_waveforms, macro_power, static_currents
from eda.macro.grid import RAIL_WIDTH_UM, extract_power_grid, stripes_in_gds
from eda.macro.spice import write_grid_spice
from eda.pdn.netlist import read_netlist
from eda.pdn.static import solve_static
from eda.tech import load_tech

SMALL = ACIMSpec(rows=4, cols=8, local_array_size=2, adc_bits=2, cols_per_adc=4)


def _solve(grid, current, tmp_path):
    path = write_grid_spice(grid, tmp_path / "grid.sp", current=current)
    net = read_netlist(path)
    result = solve_static(net)
    names = {(n.decode() if isinstance(n, bytes) else str(n)): i for i, n in enumerate(net.names)}
    return result.drop[[names[name] for name in grid.node_names()]]


def test_single_stripe_drop_matches_hand_calculation(tmp_path):
    """One stripe: the rails are trees hanging off it, so the network reduces by series/parallel rules."""
    lib = load_library()
    tech = load_tech(lib.tech_file)
    grid = extract_power_grid(SMALL, lib)
    assert len(grid.stripes_x_um) == 1
    row = 1
    driver = grid.sinks["row_driver"][row]
    current = np.zeros(grid.n_nodes)
    current[driver] = 1e-3
    drop = _solve(grid, current, tmp_path)

    rs2, rs4, rs5 = (tech.prop(m, "sheet_res_ohm_sq") for m in ("met2", "met4", "met5"))
    via4 = tech.prop("via4", "res_ohm")
    tap = tech.prop("via2", "res_ohm") + tech.prop("via3", "res_ohm")
    x_s, y_r, x_d = grid.stripes_x_um[0], grid.y_um[driver], grid.x_um[driver]
    w_ring, s_ring, w_s = lib.power["ring_width_um"], lib.power["ring_space_um"], lib.columns["stripe_w"]
    c = s_ring + w_ring / 2
    W, H = grid.width_um, grid.height_um
    r_rail = rs2 * (x_s - x_d) / RAIL_WIDTH_UM
    r_down = rs4 * (y_r - c) / w_s + via4
    r_up = rs4 * (H - c - y_r) / w_s + via4
    side = rs4 * (H - 2 * c) / w_ring + 2 * via4
    r_left = rs5 * (x_s - c) / w_ring + side
    r_right = rs5 * (W - c - x_s) / w_ring + side

    def par(a: float, b: float) -> float:
        return a * b / (a + b)

    expected = 1e-3 * (r_rail + tap + par(r_down, r_up + par(r_left, r_right)))
    assert drop[driver] == pytest.approx(expected, rel=1e-6)
    assert drop.max() == pytest.approx(expected, rel=1e-6)  # the sink is the worst node


def test_every_strap_connected_and_drawn(tmp_path):
    from eda.acim.generator import generate

    spec = ACIMSpec(rows=16, cols=32, local_array_size=4, adc_bits=3)
    lib = load_library()
    macro = generate(spec, lib, tmp_path)
    for net in ("VDD", "VSS"):
        grid = extract_power_grid(spec, lib, net=net)
        adjacency = sp.coo_matrix((np.ones(len(grid.r_a)), (grid.r_a, grid.r_b)), shape=(grid.n_nodes,) * 2)
        assert connected_components(adjacency, directed=False)[0] == 1, f"{net} grid has a floating piece"
        assert len(grid.stripes_x_um) == len(macro.floorplan.stripe_columns)
    vdd = extract_power_grid(spec, lib, net="VDD").stripes_x_um
    vss = extract_power_grid(spec, lib, net="VSS").stripes_x_um
    tech = load_tech(lib.tech_file)
    drawn = stripes_in_gds(macro.files["gds"], tech.gds("met4"), lib.columns["stripe_w"], min_length=10.0)
    assert drawn == pytest.approx(sorted(vdd + vss))


def test_total_current_is_conserved(tmp_path):
    spec = ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=3)
    grid = extract_power_grid(spec)
    power = macro_power(spec)
    current = static_currents(grid, power)
    assert current.sum() == pytest.approx(sum(power.component_w.values()) / power.vdd, rel=1e-12)
    path = write_grid_spice(grid, tmp_path / "g.sp", current=current)
    net = read_netlist(path)
    result = solve_static(net)
    # Kirchhoff: the pads deliver exactly what the sinks draw (G v = J summed over all nodes)
    v = result.voltage
    pads = set(net.v_pos.tolist())
    flow = 0.0
    for a, b, r in zip(net.r_a, net.r_b, net.r_ohm, strict=True):
        if a in pads and b not in pads:
            flow += (v[a] - v[b]) / r
        elif b in pads and a not in pads:
            flow += (v[b] - v[a]) / r
    assert flow == pytest.approx(net.i_amp.sum(), rel=1e-8)


def test_dynamic_pulses_carry_the_average_charge():
    spec = ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=3)
    grid = extract_power_grid(spec)
    power = macro_power(spec)
    times, waves, drawing = dynamic_waveforms(grid, power, Segment("x", 1.0), cycles=5)
    average = np.trapezoid(waves.sum(axis=0), times) / times[-1]
    assert average == pytest.approx(static_currents(grid, power).sum(), rel=1e-9)
    assert waves.sum(axis=0).max() > 2 * average  # phases concentrate the current: real peaks
    assert set(drawing) <= set(np.concatenate(list(grid.sinks.values())))


def test_partial_column_use_moves_the_current():
    spec = ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=3)
    grid = extract_power_grid(spec)
    power = macro_power(spec)
    half = static_currents(grid, power, [Segment("half", 1.0, data_scale=1.0, column_fraction=0.5)])
    compute = grid.sinks["compute"]
    cols = grid.sink_columns["compute"]
    assert half[compute[cols >= 8]].sum() == pytest.approx(
        power.component_w["switch"] / power.vdd * 0.5, rel=1e-9)  # only the switches, split over all columns
    assert half[compute[cols < 8]].sum() > half[compute[cols >= 8]].sum()


def test_denser_stripes_lower_the_drop(tmp_path):
    spec = ACIMSpec(rows=16, cols=32, local_array_size=4, adc_bits=3)
    power = macro_power(spec)
    worst = {}
    for every in (8, 2):
        grid = extract_power_grid(spec, stripe_every=every)
        worst[every] = _solve(grid, static_currents(grid, power), tmp_path).max()
    assert worst[2] < 0.7 * worst[8]


def test_expert_segments_move_the_current_across_columns():
    """A trace of two experts: each draws its data-dependent current in its own column slice, in turn."""
    spec = ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=3)
    grid = extract_power_grid(spec)
    power = macro_power(spec)
    left = Segment("l0.e0", 1.0, column_fraction=0.5, column_start=0.0)
    right = Segment("l0.e1", 1.0, column_fraction=0.5, column_start=0.5)
    times, waves, _ = dynamic_waveforms(grid, power, [left, right], cycles=2)
    compute, cols = grid.sinks["compute"], grid.sink_columns["compute"]
    half = times <= 2 * power.cycle_s
    caps_left_first = waves[compute[cols < 8]][:, half].sum()
    caps_right_first = waves[compute[cols >= 8]][:, half].sum()
    caps_right_then = waves[compute[cols >= 8]][:, ~half].sum()
    assert caps_left_first > 2 * caps_right_first  # expert 0 first: the left half works
    assert caps_right_then > 2 * waves[compute[cols < 8]][:, ~half].sum()  # then expert 1, the right half
    total = np.trapezoid(waves.sum(axis=0), times) / times[-1]
    assert total == pytest.approx(static_currents(grid, power, [left, right]).sum(), rel=1e-9)
