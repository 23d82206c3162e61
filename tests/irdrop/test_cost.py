"""The features report every system they solve, and none of them comes near the PDN's size."""

from __future__ import annotations

import numpy as np

from eda.irdrop.cost import SolvedSystem, feature_systems, largest_system, record_system, summary
from eda.irdrop.features import structural_maps

from .test_rail import _sparse_middle_layer


def test_recorded_only_inside_the_block():
    record_system(SolvedSystem("outside", 10, 10))
    with feature_systems() as log:
        record_system(SolvedSystem("inside", 10, 10))
    assert [s.name for s in log] == ["inside"]


def test_feature_systems_of_a_hand_built_pdn():
    """m1 rails along x every 2 µm on a 120 µm die (60 rails of 120 nodes), three m4 stripes of 60 nodes under
    a two-layer stripe mesh: the chains are 60 independent systems of 120 unknowns on m1 and 3 of 60 on m4,
    the sheet stack one small system per cosine mode, the coarse grid at most half the PDN's nodes."""
    pdn = _sparse_middle_layer()
    with feature_systems() as log:
        structural_maps(pdn, (120, 120), np.full((120, 120), 1e-7))
    by_name = {s.name: s for s in log}
    assert (by_name["chains m1"].blocks, by_name["chains m1"].largest_block) == (60, 120)
    assert (by_name["chains m4"].blocks, by_name["chains m4"].largest_block) == (3, 60)
    assert by_name["sheet modes"].blocks == 120 * 120 and by_name["sheet modes"].largest_block <= 4
    assert 0 < by_name["coarse grid"].unknowns <= 0.5 * pdn.num_nodes
    assert largest_system(log) <= 0.5 * pdn.num_nodes
    assert any(s.kind == "shortest paths" for s in log)
    line = summary(log, pdn.num_nodes)
    assert f"PDN {pdn.num_nodes:,} nodes" in line and "coarse grid" in line
