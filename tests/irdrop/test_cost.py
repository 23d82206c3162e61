"""The systems the PDNNet features solve: every one reported, block sizes as counted by hand on a small
PDN, and the coarse grid at most half the PDN's node count on generated and real designs."""

from __future__ import annotations

import numpy as np
import pytest

from eda.data import data_dir
from eda.irdrop.cost import feature_systems, record_system, recording, sizes_table
from eda.irdrop.structure import PdnStructure

from .pdn_fixtures import comb_pdn
from .test_rail import _stripe_mesh


def _with_sinks(pdn: PdnStructure, layer: int, amp: float = 1e-5) -> PdnStructure:
    low = np.flatnonzero(pdn.layer == layer)
    return PdnStructure(
        pdn.xy,
        pdn.layer,
        pdn.res_a,
        pdn.res_b,
        pdn.res_ohm,
        pdn.pad_nodes,
        pdn.pad_volt,
        low,
        np.full(low.size, amp),
    )


def _coarse(systems):
    (coarse,) = [s for s in systems if s.name.startswith("coarse grid")]
    return coarse


def test_chain_blocks_counted_by_hand():
    """The comb: six m1 rails of 25 nodes (no pad on m1) and two m4 stripes of 13 nodes, each cut in two
    by its pad at y = 11 (11 nodes below, 1 above). The pads sit on a bar, so there is no correction and no
    coarse grid: the features solve exactly the two chain layers."""
    systems = feature_systems(_with_sinks(comb_pdn(), 1), (25, 13))
    assert [(s.name, s.unknowns, s.blocks, s.largest_block) for s in systems] == [
        ("m1 chains", 150, 6, 25),
        ("m4 chains", 24, 4, 11),
    ]


def test_reports_nothing_outside_recording():
    record_system("outside", unknowns=10)
    with recording() as seen:
        record_system("dense", unknowns=12, block=3)
    assert [(s.unknowns, s.blocks, s.largest_block) for s in seen] == [(12, 4, 3)]


@pytest.mark.parametrize("case", ["stripe_mesh", "generated"])
def test_coarse_grid_at_most_half_the_nodes_on_synthetic_designs(case):
    """A two-layer stripe mesh (1440 nodes, where 4 µm cells would be 1800 unknowns) and a generated
    five-layer PDN: the coarse grid has at most half the nodes in unknowns, and no system the features
    solve couples more than that."""
    if case == "stripe_mesh":
        pdn, shape = _with_sinks(_stripe_mesh(), 8), (120, 120)
    else:
        from eda.irdrop.netlist_adapter import structure_from_pdn
        from eda.pdn.generate import GridSpec, generate_pdn

        gen = generate_pdn(GridSpec(width_um=120.0, height_um=120.0, seed=3))
        pdn, shape = structure_from_pdn(gen.netlist), gen.current_map.shape
    systems = feature_systems(pdn, shape)
    assert 0 < _coarse(systems).unknowns <= 0.5 * pdn.num_nodes
    assert max(s.largest_block for s in systems) <= 0.5 * pdn.num_nodes
    table = sizes_table([(case, pdn.num_nodes, systems)])
    assert table.count("\n") == len(systems) + 1 and "coarse grid" in table


@pytest.mark.data
def test_coarse_grid_at_most_half_the_nodes_on_real_cases():
    root = data_dir()
    base = None if root is None else root / "iccad23" / "real"
    if base is None or not (base / "testcase1" / "netlist.sp.gz").exists():
        pytest.skip("ICCAD 2023 data not available (set EDA_DATA)")
    from eda.irdrop.dataset import iccad_cases
    from eda.irdrop.structure import load_structure
    from eda.pdn.maps import read_map

    for case in iccad_cases(base.parent, "real"):
        pdn = load_structure(case / "netlist.sp.gz")
        systems = feature_systems(pdn, read_map(case / "current_map.csv.gz").shape)
        assert _coarse(systems).unknowns <= 0.5 * pdn.num_nodes, case.name
        assert max(s.largest_block for s in systems) <= 0.5 * pdn.num_nodes, case.name
