"""A macro power grid written by the PDN writer reads back as the same network with the same static solve."""

from __future__ import annotations

import numpy as np
import pytest

from eda.acim.spec import ACIMSpec
from eda.macro.activity import Segment, dynamic_waveforms, macro_power, static_currents
from eda.macro.grid import extract_power_grid
from eda.macro.spice import grid_netlist, write_grid_spice
from eda.pdn.netlist import read_netlist
from eda.pdn.static import solve_static

SPEC = ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=3)


@pytest.mark.parametrize("net", ["VDD", "VSS"])
def test_written_grid_reads_back_with_the_same_counts_and_solve(net, acim_library, tmp_path):
    grid = extract_power_grid(SPEC, acim_library, net=net)
    current = static_currents(grid, macro_power(SPEC, library=acim_library))
    memory = grid_netlist(grid, current=current)
    text = (write_grid_spice(grid, tmp_path / "grid.sp", current=current)).read_text()
    back = read_netlist(tmp_path / "grid.sp")
    assert text.startswith("* macro power grid\n* net ")
    assert back.n_nodes == memory.n_nodes == grid.n_nodes
    assert len(back.r_ohm) == len(grid.r_ohm) and len(back.v_pos) == len(grid.pads)
    assert len(back.i_a) == np.count_nonzero(current)
    # the sinks' total is the cells' current; VDD sinks draw (+), VSS sinks return it (-)
    sign = 1.0 if net == "VDD" else -1.0
    # 6 significant digits per value: each rounds by at most half a unit in the 6th digit, 5e-6 of itself
    assert back.i_amp.sum() == pytest.approx(sign * current.sum(), rel=5e-6)
    index = {name: i for i, name in enumerate(back.names.tolist())}
    order = [index[name] for name in memory.names.tolist()]
    assert np.allclose(back.x_um[order], grid.x_um) and np.allclose(back.y_um[order], grid.y_um)
    assert np.allclose(back.r_ohm, memory.r_ohm, rtol=1e-5, atol=0)


def test_written_grid_solves_as_the_grid_in_memory(acim_library, tmp_path):
    """The static solve of the VDD grid (the PDN solver takes a positive supply) before and after writing."""
    grid = extract_power_grid(SPEC, acim_library, net="VDD")
    current = static_currents(grid, macro_power(SPEC, library=acim_library))
    memory = grid_netlist(grid, current=current)
    back = read_netlist(write_grid_spice(grid, tmp_path / "grid.sp", current=current))
    index = {name: i for i, name in enumerate(back.names.tolist())}
    order = [index[name] for name in memory.names.tolist()]
    ours, theirs = solve_static(memory), solve_static(back)
    # values are written to 6 significant digits: the drops agree to a few parts per million of the worst
    assert np.allclose(theirs.voltage[order], ours.voltage, rtol=0, atol=1e-5 * ours.worst_drop + 1e-15)
    assert theirs.worst_drop == pytest.approx(ours.worst_drop, rel=1e-5)
    assert ours.worst_drop > 0


def test_transient_grid_carries_pwl_sinks_decaps_and_tran(acim_library, tmp_path):
    grid = extract_power_grid(SPEC, acim_library, net="VDD")
    power = macro_power(SPEC, library=acim_library)
    times, waves, drawing = dynamic_waveforms(grid, power, [Segment("full-activity", 1.0)], 2)
    decap = np.zeros(grid.n_nodes)
    decap[drawing[:3]] = [1e-15, 2e-15, 3e-15]
    back = read_netlist(
        write_grid_spice(grid, tmp_path / "dyn.sp", times=times, waves=waves, drawing=drawing, decap_f=decap)
    )
    assert len(back.i_a) == len(drawing) and np.all(back.waves.kind == 1)
    assert back.c_f.sum() == pytest.approx(6e-15, rel=1e-6)
    assert back.tran == pytest.approx((float(np.min(np.diff(times))), float(times[-1])), rel=1e-5)
    k = len(drawing) // 2
    s, e = back.waves.pwl_ptr[k], back.waves.pwl_ptr[k + 1]
    assert np.allclose(back.waves.pwl_v[s:e], waves[drawing[k]], rtol=1e-5, atol=0)
    assert np.allclose(back.waves.pwl_t[s:e], times, rtol=1e-5, atol=0)
