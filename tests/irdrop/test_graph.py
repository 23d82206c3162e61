"""PDNGraph and structural features on hand-built PDNs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from eda.errors import NetlistError
from eda.irdrop.features import (
    STATIC_CHANNELS,
    assemble_inputs,
    structural_maps,
    transform_inputs,
    transform_map,
)
from eda.irdrop.graph import build_pdn_graph, graph_from_cells, tile_pool
from eda.irdrop.structure import PdnStructure, transform_points

from .pdn_fixtures import M1_OHM_PER_UM, M4_OHM_PER_UM, VIA_OHM, comb_pdn


def _edges(graph) -> set[tuple[int, int]]:
    return set(map(tuple, graph.edge_index.T.tolist()))


def test_stripes_and_vias():
    pdn = comb_pdn()
    assert np.allclose(pdn.stripes("vertical"), [4, 20])
    # the m1 rails run along x on the lowest layer: not PDN stripes
    assert pdn.stripes("horizontal").size == 0
    assert len(pdn.via_sites()) == 2 * 6


def test_pad_resistance_is_shortest_path():
    pdn = comb_pdn()
    nearest, parallel = pdn.pad_resistance()
    # m1 node (7, 5): 3 µm of m1 to the via at x=4, the via, then 6 µm of m4 up to the pad at y=11
    i = next(
        k
        for k, (p, lay) in enumerate(zip(pdn.xy, pdn.layer, strict=True))
        if lay == 1 and tuple(p) == (7.0, 5.0)
    )
    expect = 3 * M1_OHM_PER_UM + VIA_OHM + 6 * M4_OHM_PER_UM
    assert nearest[i] == pytest.approx(expect)
    # the other pad: 13 µm of m1 to x=20, via, 6 µm of m4; parallel combination of the two
    other = 13 * M1_OHM_PER_UM + VIA_OHM + 6 * M4_OHM_PER_UM
    assert parallel[i] == pytest.approx(1 / (1 / expect + 1 / other))


def test_edges_point_away_from_stripes():
    pdn = comb_pdn()
    x = assemble_inputs(
        np.zeros((24, 12)), np.zeros((24, 12)), np.zeros((24, 12)), structural_maps(pdn, (24, 12))
    )
    g = build_pdn_graph(x, 2, pdn=pdn)
    assert g.grid == (12, 6)
    gy = g.grid[1]

    def node(tx, ty):
        return tx * gy + ty

    edges = _edges(g)
    # tile centres x = 1, 3, 5, ... ; stripes at x = 4 and 20
    # tile 1 (x=3) is nearer the stripe than tile 0 (x=1): current flows 1 -> 0 only
    assert (node(1, 2), node(0, 2)) in edges and (node(0, 2), node(1, 2)) not in edges
    # tiles 1 and 2 straddle the stripe at x=4: both directions
    assert (node(1, 2), node(2, 2)) in edges and (node(2, 2), node(1, 2)) in edges
    # tiles 2 -> 3 -> 4 -> 5 move away from x=4
    for t in (2, 3, 4):
        assert (node(t, 0), node(t + 1, 0)) in edges and (node(t + 1, 0), node(t, 0)) not in edges
    # tiles 5 (x=11) and 6 (x=13) are both 7 µm from their nearest stripe (the midpoint): both ways
    assert (node(5, 3), node(6, 3)) in edges and (node(6, 3), node(5, 3)) in edges
    # no horizontal PDN stripes: every y edge goes both ways
    assert (node(3, 1), node(3, 2)) in edges and (node(3, 2), node(3, 1)) in edges
    bidir = g.edge_attr[:, 3]
    assert set(torch.unique(bidir).tolist()) == {0.0, 1.0}
    # count: 11*6 x-pairs, 12*5 y-pairs; per tile row 3 x-pairs go both ways (straddling x=4, straddling
    # x=20 and the midpoint x=12), the others one way; all y-pairs both ways
    n_both_x = 3 * 6
    assert g.edge_index.shape[1] == (11 * 6 - n_both_x) + 2 * n_both_x + 2 * 12 * 5


def test_edge_conductance_counts_crossing_wires():
    pdn = comb_pdn()
    x = np.zeros((8, 24, 12), np.float32)
    g = build_pdn_graph(x, 2, pdn=pdn)
    gy = g.grid[1]
    src, dst = g.edge_index
    # boundary between tiles (3, 0) and (4, 0) at x = 8: crossed by the m1 rails at y = 1 (one rail in
    # tile row 0 covering y in [0, 2)); each 1 µm m1 resistor is a 1/2-tile piece: G = 1 / (2 * R per µm)
    k = int(torch.nonzero((src == 3 * gy) & (dst == 4 * gy))[0])
    g_expect = 1.0 / (M1_OHM_PER_UM * 2)
    assert g.edge_attr[k, 0].item() == pytest.approx(np.log10(1 + g_expect), rel=1e-5)
    assert g.edge_attr[k, 1].item() == 1.0 and g.edge_attr[k, 2].item() == 0.0
    # y boundary at y = 2 in tile column 2 (x in [4, 6)): the m4 stripe at x = 4, 0.5 Ω/µm
    k = int(torch.nonzero((src == 2 * gy + 0) & (dst == 2 * gy + 1))[0])
    assert g.edge_attr[k, 0].item() == pytest.approx(np.log10(1 + 1.0 / (M4_OHM_PER_UM * 2)), rel=1e-5)


def test_node_features_are_tile_means_and_pads():
    pdn = comb_pdn()
    cur = np.arange(24 * 12, dtype=float).reshape(24, 12) * 1e-8
    smaps = structural_maps(pdn, (24, 12))
    x = assemble_inputs(cur, np.ones((24, 12)) * 10, np.full((24, 12), 3.0), smaps)
    g = build_pdn_graph(x, 4, pdn=pdn)
    assert g.x.shape == (6 * 3, len(STATIC_CHANNELS) + 1)
    np.testing.assert_allclose(
        g.x[:, : len(STATIC_CHANNELS)].numpy(), tile_pool(x, 4).reshape(len(STATIC_CHANNELS), -1).T, rtol=1e-6
    )
    assert g.x[0, 0].item() == pytest.approx(cur[:4, :4].mean() * 1e7, rel=1e-5)
    # pads at (4, 11) and (20, 11) -> tiles (1, 2) and (5, 2)
    pad_tiles = sorted(torch.nonzero(g.x[:, -1]).ravel().tolist())
    assert pad_tiles == [1 * 3 + 2, 5 * 3 + 2]
    # channel values: via density counts vias in the tile (rail y=1 via at x=4 -> tile (4, 1))
    e = STATIC_CHANNELS.index("d_edge")  # 24 x 12 die: tile (10, 0) is 0.5 µm from the bottom edge
    assert x[e, 10, 0] == pytest.approx(0.5 / 30) and x[e, 12, 6] == pytest.approx(5.5 / 30)
    v = STATIC_CHANNELS.index("via_density")
    assert x[v, 4, 1] == pytest.approx(0.25)
    assert x[STATIC_CHANNELS.index("d_vstripe"), 10, 0] == pytest.approx((10.5 - 4) / 30)


def test_transforms_move_points_with_maps():
    rng = np.random.default_rng(0)
    m = np.zeros((7, 5))
    m[2, 3] = 1.0
    for k in range(4):
        for flip in (False, True):
            t = transform_map(m, k, flip)
            p = transform_points(np.array([[2.5, 3.5]]), k, flip, (7, 5))[0]
            assert t[int(np.floor(p[0])), int(np.floor(p[1]))] == 1.0
    x = rng.random((len(STATIC_CHANNELS), 6, 4)).astype(np.float32)
    t = transform_inputs(x, 1, False)
    v, h = STATIC_CHANNELS.index("d_vstripe"), STATIC_CHANNELS.index("d_hstripe")
    np.testing.assert_allclose(t[v], np.rot90(x[h]))


def test_graph_follows_rotation():
    pdn = comb_pdn()
    rot = pdn.transformed(1, False, (24, 12))
    # vertical stripes at x = 4, 20 become horizontal stripes at y = 4, 20 of the rotated die
    assert np.allclose(rot.stripes("horizontal"), [4, 20])
    assert rot.stripes("vertical").size == 0


def test_bad_pdn_is_a_user_error():
    with pytest.raises(NetlistError):
        PdnStructure(
            xy=np.zeros((2, 2)),
            layer=[1, 1],
            res_a=[0],
            res_b=[1],
            res_ohm=[-1.0],
            pad_nodes=[0],
            pad_volt=[1.0],
        )
    with pytest.raises(NetlistError):
        PdnStructure(
            xy=np.zeros((2, 2)), layer=[1, 1], res_a=[0], res_b=[1], res_ohm=[1.0], pad_nodes=[], pad_volt=[]
        )


def test_graph_from_cell_power_report():
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [5.2, 5.2, 6.0, 6.8], [5.0, 1.0, 7.0, 2.0]])
    leak, internal, switching = (
        np.array([1e-6, 2e-6, 0.0]),
        np.array([0.0, 1e-6, 3e-6]),
        np.array([1e-6, 0, 0]),
    )
    g = graph_from_cells(boxes, leak, internal, switching, (8.0, 8.0), 4, vstripes=np.array([0.5]))
    assert g.grid == (2, 2)
    # instance 2 sits at (6.0, 1.5) -> tile (1, 0) (node 2): 3 µW internal
    assert g.x[2, 1].item() == pytest.approx(3.0)
    assert g.x[3, :3].tolist() == pytest.approx([2.0, 1.0, 0.0])
    assert g.x[:, :3].sum().item() == pytest.approx(1 + 2 + 1 + 3 + 1)


@pytest.mark.data
def test_graph_from_circuitnet_power_report():
    from eda.data import data_dir
    from eda.irdrop.cells import read_power_report

    root = data_dir()
    path = (
        None
        if root is None
        else root / "circuitnet-zero-riscy" / "p_3_fi_ap" / "pulpino_top.inst.power.rpt.gz"
    )
    if path is None or not path.exists():
        pytest.skip("CircuitNet data not available (set EDA_DATA)")
    rep = read_power_report(path)
    assert len(rep.names) > 20_000 and rep.supply_v == pytest.approx(0.9)
    g = graph_from_cells(
        rep.bbox_um,
        rep.leakage_w,
        rep.internal_w,
        rep.switching_w,
        rep.die_um,
        10,
        vstripes=np.arange(5.0, rep.die_um[0], 20.0),
    )
    # power is conserved by the tiling (µW)
    total = (rep.leakage_w.sum() + rep.internal_w.sum() + rep.switching_w.sum()) * 1e6
    assert g.x[:, :3].sum().item() == pytest.approx(total, rel=1e-4)
    assert g.num_nodes == np.prod(g.grid)
