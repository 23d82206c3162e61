"""Dynamic load of a static PDN: capacitance, clock activity, and a transient on the result."""

from __future__ import annotations

import numpy as np
import pytest

from eda.errors import NetlistError
from eda.pdn.dynamics import clock_activity, load_capacitance, with_activity
from eda.pdn.generate import GridSpec, generate_pdn
from eda.pdn.netlist import parse_netlist
from eda.pdn.static import solve_static
from eda.pdn.transient import solve_transient
from eda.pdn.waveforms import SourceEvaluator

T = 1e-9  # clock period (s)


def _mean_current(net, cycles: int, samples: int = 4000) -> np.ndarray:
    """Time average of every source over ``cycles`` periods (A), by dense sampling of the PWL."""
    ev = SourceEvaluator(net.waves, net.i_amp)
    ts = (np.arange(samples) + 0.5) * cycles * T / samples
    return np.mean([ev(float(t)) for t in ts], axis=0)


def test_clock_activity_mean_follows_load():
    rng = np.random.default_rng(0)
    amps = np.full(2000, 1e-6)
    load = np.where(np.arange(2000) < 1000, 0.25, 4.0)  # clipped to 0.5 and 2
    waves = clock_activity(amps, load, 8, T, rng)
    from eda.pdn.netlist import PdnNetlist

    net = PdnNetlist(
        names=np.array([b"a"]),
        x_um=np.zeros(1),
        y_um=np.zeros(1),
        layer=np.ones(1, np.int64),
        r_a=np.zeros(0, np.int64),
        r_b=np.zeros(0, np.int64),
        r_ohm=np.zeros(0),
        i_a=np.zeros(2000, np.int64),
        i_b=np.full(2000, -1, np.int64),
        i_amp=amps,
        waves=waves,
    )
    mean = _mean_current(net, 8)
    # the die draws its DC total on average; the loaded half toggles 4x (2 / 0.5) more than the light half
    assert mean.sum() == pytest.approx(amps.sum(), rel=0.02)
    assert mean[1000:].mean() / mean[:1000].mean() == pytest.approx(4.0, rel=0.03)
    # the clock-edge peak is 3 / 0.93 of a cycle's mean (the pulse shape), times the activity
    ev = SourceEvaluator(waves, amps)
    peak, quiet = ev(0.15 * T), ev(0.9 * T)
    assert np.all(peak > 5 * quiet)


def test_load_capacitance_area_and_decaps():
    rng = np.random.default_rng(1)
    area = np.array([0.0, 2.0, 4.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    cap = load_capacitance(area, rng, cap_per_um2_f=2e-15, decap_fraction=0.2, decap_f=50e-15)
    assert cap.sum() == pytest.approx(2e-15 * area.sum() + 2 * 50e-15)
    assert np.count_nonzero(cap - 2e-15 * area) == 2  # two decaps on distinct nodes


def test_with_activity_on_a_static_grid():
    net = generate_pdn(GridSpec(width_um=60, height_um=60, pad_pitch_um=30, seed=3)).netlist
    assert net.waves.is_static  # a DC grid (with the generator's own capacitance, which is replaced)
    dyn = with_activity(net, cycles=3, clock_period_s=T, decap_fraction=0.05, seed=7)
    bottom = net.layer == net.layer.min()
    assert np.all(bottom[dyn.c_a]) and np.all(dyn.c_b == -1)
    area = np.ptp(net.x_um[bottom]) * np.ptp(net.y_um[bottom])
    n_decap = round(0.05 * bottom.sum())
    assert dyn.c_f.sum() == pytest.approx(2e-15 * area + n_decap * 50e-15, rel=1e-9)
    assert dyn.tran == (T / 50, 3 * T)
    assert np.array_equal(dyn.r_ohm, net.r_ohm) and np.array_equal(dyn.i_amp, net.i_amp)
    # seeded: the same seed gives the same netlist, another seed another one
    again = with_activity(net, cycles=3, clock_period_s=T, decap_fraction=0.05, seed=7)
    assert np.array_equal(again.waves.pwl_v, dyn.waves.pwl_v) and np.array_equal(again.c_a, dyn.c_a)
    assert not np.array_equal(with_activity(net, cycles=3, seed=8).waves.pwl_v[:50], dyn.waves.pwl_v[:50])
    mean = _mean_current(dyn, 3)
    assert mean.sum() == pytest.approx(net.i_amp.sum(), rel=0.05)
    # clock-edge peaks through the PDN: the worst dynamic drop exceeds the static drop of the mean load
    res = solve_transient(dyn, 3 * T, T / 20)
    static = solve_static(net)
    assert res.worst > 1.5 * static.worst_drop


def test_with_activity_keeps_other_sources_dc_and_rejects_no_load():
    net = parse_netlist(
        "V1 n1_m1_0_0 0 1\nR1 n1_m1_0_0 n1_m1_2000_0 1\nI1 n1_m1_2000_0 0 1m\nI2 0 n1_m1_2000_0 0.1m\n"
    )
    dyn = with_activity(net, cycles=2)
    assert dyn.waves.kind.tolist() == [1, 0]  # the sink switches, the source feeding the node stays DC
    assert SourceEvaluator(dyn.waves, dyn.i_amp)(0.7e-9)[1] == pytest.approx(0.1e-3)
    with pytest.raises(NetlistError, match="draws no current"):
        with_activity(parse_netlist("V1 a 0 1\nR1 a b 1\n"))
