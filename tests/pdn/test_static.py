"""Static solver: analytic circuits, backend agreement, conservation, elimination exactness."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from eda.pdn.eliminate import Elimination
from eda.pdn.generate import GridSpec, generate_pdn
from eda.pdn.linsolve import has_cholmod
from eda.pdn.netlist import parse_netlist
from eda.pdn.static import solve_static
from eda.pdn.system import current_injection, reduce_system


def chain_netlist(resistances, currents, vdd=1.0):
    lines = [f"R{k} n{k} n{k + 1} {r}" for k, r in enumerate(resistances)]
    lines += [f"I{k} n{k + 1} 0 {i}" for k, i in enumerate(currents)]
    lines.append(f"V0 n0 0 {vdd}")
    return parse_netlist("\n".join(lines))


def test_chain_matches_hand_calculation():
    r = np.array([1.0, 2.0, 3.0, 4.0])
    i = np.array([1e-3, 2e-3, 0.0, 4e-3])
    net = chain_netlist(r, i)
    res = solve_static(net, backend="splu")
    # current through segment k is the sum of all sinks downstream of it
    seg_current = np.cumsum(i[::-1])[::-1]
    expected_drop = np.concatenate([[0.0], np.cumsum(r * seg_current)])
    names = [f"n{k}" for k in range(5)]
    order = [net.names.tolist().index(n.encode()) for n in names]
    np.testing.assert_allclose(res.drop[order], expected_drop, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.voltage[order], 1.0 - expected_drop, rtol=1e-12)
    assert res.worst_drop == pytest.approx(expected_drop[-1])
    assert res.vdd == 1.0


def test_inductor_is_short_at_dc():
    base = "R1 g1 g2 2\nI1 g2 0 1m\n"
    direct = solve_static(parse_netlist(base + "V1 g1 0 1.0\n"))
    through_l = solve_static(parse_netlist(base + "V1 p 0 1.0\nL1 p g1 1n\n"))
    assert through_l.worst_drop == pytest.approx(direct.worst_drop, rel=1e-12)
    assert direct.worst_drop == pytest.approx(2e-3)


def test_pad_below_supply_sets_its_drop():
    # two pads: 1.0 V and 0.9 V; the 0.9 V pad itself is 0.1 V below the reference supply
    net = parse_netlist("R1 a m 1\nR2 m b 1\nV1 a 0 1.0\nV2 b 0 0.9\n")
    res = solve_static(net)
    m = net.names.tolist().index(b"m")
    assert res.voltage[m] == pytest.approx(0.95)
    assert res.drop[net.names.tolist().index(b"b")] == pytest.approx(0.1)


@pytest.fixture(scope="module")
def grid():
    return generate_pdn(GridSpec(width_um=120, height_um=120, pad_pitch_um=60, seed=3)).netlist


BACKENDS = ["splu", "amg", "cg", "spsolve"] + (["cholmod"] if has_cholmod() else [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_backends_agree(grid, backend):
    ref = solve_static(grid, backend="spsolve")
    res = solve_static(grid, backend=backend)
    assert res.info.residual <= 1e-8
    # CG stops at a 1e-10 relative residual; drops agree to far below a microvolt
    np.testing.assert_allclose(res.drop, ref.drop, rtol=0, atol=1e-9 * ref.worst_drop + 1e-12)


def test_kirchhoff_current_balance(grid):
    res = solve_static(grid)
    sys_ = reduce_system(grid)
    drawn = current_injection(grid.n_nodes, grid.i_a, grid.i_b, grid.i_amp)
    # current leaving the pads into the grid = G v at pad rows (injection), equals total drawn current
    injected = sys_.G @ res.voltage
    free = np.setdiff1d(np.arange(grid.n_nodes), np.unique(grid.v_pos))
    np.testing.assert_allclose(injected[free], -drawn[free], atol=1e-12 + 1e-9 * np.abs(drawn).max())
    assert injected[np.unique(grid.v_pos)].sum() == pytest.approx(grid.i_amp.sum(), rel=1e-8)


def test_layer_stats_and_worst(grid):
    res = solve_static(grid)
    stats = res.layer_stats()
    assert set(stats) == {1, 4, 7, 8, 9}
    assert sum(s["nodes"] for s in stats.values()) == grid.n_nodes
    # currents enter at m1 and the pads sit on m9: drops grow downward through the stack
    assert stats[1]["worst_drop_v"] == pytest.approx(res.worst_drop)
    assert stats[1]["avg_drop_v"] > stats[4]["avg_drop_v"] > stats[9]["avg_drop_v"] >= 0
    assert grid.layer[res.worst_node] == 1
    assert 0 < res.avg_drop < res.worst_drop


def test_elimination_is_exact(grid):
    sys_ = reduce_system(grid)
    A = sys_.G_uu
    b = np.random.default_rng(0).uniform(0, 1e-3, A.shape[0])
    E = Elimination(A, max_degree=3)
    assert E.core_size < 0.5 * A.shape[0]
    bc, saved = E.reduce_rhs(b)
    x = E.expand(sp.linalg.spsolve(sp.csc_matrix(E.core), bc), saved)
    assert np.linalg.norm(A @ x - b) / np.linalg.norm(b) < 1e-11
    np.testing.assert_allclose(E.restrict(x), sp.linalg.spsolve(sp.csc_matrix(E.core), bc))


def test_auto_switches_from_cg_to_amg(grid, monkeypatch):
    import eda.pdn.linsolve as ls

    monkeypatch.setattr(ls, "AUTO_DIRECT_MAX", 10)  # force the iterative path on the small grid
    monkeypatch.setattr(ls, "AUTO_CG_MAXITER", 5)  # and make Jacobi-CG give up
    ref = solve_static(grid, backend="splu")
    res = solve_static(grid, backend="auto")
    assert res.info.backend == "cg+amg"
    np.testing.assert_allclose(res.drop, ref.drop, rtol=0, atol=1e-9 * ref.worst_drop)
