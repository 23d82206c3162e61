"""The example placed block: written on demand, the same bytes every time, the three files consistent."""

from __future__ import annotations

import numpy as np

from eda.pdn.example_block import write_example_block
from eda.pdn.netlist import read_netlist
from eda.pdn.powerreport import read_power_report


def test_example_block_is_deterministic_and_consistent(tmp_path):
    first, second = write_example_block(tmp_path / "a"), write_example_block(tmp_path / "b")
    assert set(first) == {"def", "power_report", "pdn"}
    for role in first:
        assert first[role].read_bytes() == second[role].read_bytes()
    report = read_power_report(first["power_report"])
    # a 200 x 200 µm block at half density draws some tens of mW (2 mW of it the memory macro)
    assert 2e-3 < float(np.sum(report.total_w)) < 0.1
    net = read_netlist(first["pdn"], dbu_per_um=1000)
    assert len(net.i_amp) == 0 and len(net.v_pos) > 0  # resistors and pads, no loads
    assert net.x_um.max() <= 200.0 and net.y_um.max() <= 200.0
