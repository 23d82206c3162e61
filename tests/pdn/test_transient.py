"""Transient solver: analytic RC response, DC steady state, waveform evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from eda.errors import UserError
from eda.pdn.generate import GridSpec, generate_pdn
from eda.pdn.netlist import parse_netlist
from eda.pdn.static import solve_static
from eda.pdn.transient import converged_transient, solve_transient
from eda.pdn.waveforms import SourceEvaluator, pulse_value

R, C, I_A, VDD = 10.0, 1e-12, 1e-3, 1.0
TAU = R * C  # 10 ps


def rc_netlist(method_step_source: str) -> object:
    return parse_netlist(
        f"V1 pad 0 {VDD}\nR1 pad n 10\nC1 n 0 1p\nI1 n 0 {method_step_source}\n.tran 1p 50p\n"
    )


TR = 5e-12  # current ramp rise time (s)


def ramp_response(t: np.ndarray) -> np.ndarray:
    """Exact drop of the RC node for i(t) = I_A t / TR (t < TR), I_A after: tau d' + d = R i(t)."""
    rising = I_A * R * (t / TR - (TAU / TR) * (1 - np.exp(-t / TAU)))
    settled = I_A * R * (1 - (TAU / TR) * (1 - np.exp(-TR / TAU)) * np.exp(-(t - TR) / TAU))
    return np.where(t <= TR, rising, settled)


@pytest.mark.parametrize("method,step,tol", [("trap", 0.25e-12, 1e-3), ("be", 0.05e-12, 5e-3)])
def test_rc_ramp_response(method, step, tol):
    net = rc_netlist(f"PWL(0 0 {TR} {I_A} 1 {I_A})")
    res = solve_transient(net, 50e-12, step, method=method, probes=[net.names.tolist().index(b"n")])
    exact = VDD - ramp_response(res.time)
    swing = I_A * R
    # trapezoidal error is O(h^2), backward Euler O(h): tolerances relative to the 10 mV swing
    assert np.abs(res.waveforms[:, 0] - exact).max() <= tol * swing
    assert res.worst == pytest.approx(ramp_response(np.array([50e-12]))[0], rel=tol)


@pytest.mark.parametrize("method", ["trap", "be"])
def test_dc_sources_stay_at_operating_point(method):
    net = generate_pdn(
        GridSpec(width_um=40, height_um=40, pad_pitch_um=20, package_r_ohm=0.02, package_l_h=10e-12, seed=2)
    ).netlist
    static = solve_static(net)
    res = solve_transient(net, 200e-12, 10e-12, method=method)
    np.testing.assert_allclose(res.worst_drop, static.drop, atol=1e-9)
    np.testing.assert_allclose(res.worst_drop_t, static.worst_drop, atol=1e-9)


def test_pwl_activity_raises_dynamic_above_static():
    spec = GridSpec(
        width_um=40,
        height_um=40,
        pad_pitch_um=20,
        package_r_ohm=0.02,
        package_l_h=10e-12,
        waveform="pwl",
        cycles=2,
        seed=4,
    )
    net = generate_pdn(spec).netlist
    res = solve_transient(net, 2e-9, 10e-12)
    static = solve_static(net)  # DC value = time-average current
    # clock-edge peaks (3x the idle-weighted mean) drive the dynamic drop above the static one
    assert res.worst > static.worst_drop
    assert res.worst_drop_t.shape == res.time.shape


def test_source_evaluator_pwl_pulse_dc():
    net = parse_netlist(
        "V1 a 0 1\nR1 a b 1\nI1 b 0 PWL(0 0 1n 2m 3n 2m)\nI2 b 0 PULSE(0 1m 1n 0.5n 0.5n 1n 4n)\n"
        "I3 b 0 5m\nI4 b 0 PWL(0 1m 2n 3m)\n"
    )
    ev = SourceEvaluator(net.waves, net.i_amp)
    np.testing.assert_allclose(ev(0.5e-9), [1e-3, 0.0, 5e-3, 1.5e-3])
    np.testing.assert_allclose(ev(1.25e-9), [2e-3, 0.5e-3, 5e-3, 2.25e-3])
    np.testing.assert_allclose(ev(2.2e-9), [2e-3, 1e-3, 5e-3, 3e-3])
    np.testing.assert_allclose(ev(2.7e-9), [2e-3, 0.6e-3, 5e-3, 3e-3])  # falling edge
    np.testing.assert_allclose(ev(5.75e-9), [2e-3, 1e-3, 5e-3, 3e-3])  # second period, flat top
    p = np.array([[0.0, 1.0, 0.0, 1.0, 1.0, 2.0, np.inf]])
    assert pulse_value(p, 10.0)[0] == 0.0 and pulse_value(p, 0.5)[0] == pytest.approx(0.5)


def test_bad_time_arguments():
    net = rc_netlist("1m")
    with pytest.raises(UserError, match="0 < step <= stop"):
        solve_transient(net, 1e-12, 2e-12)
    with pytest.raises(UserError, match="unknown integration method"):
        solve_transient(net, 1e-12, 1e-13, method="gear")


PULSE = [(0.0, 0.0), (2e-12, 0.0), (3e-12, I_A), (9e-12, I_A), (10e-12, 0.0), (1.0, 0.0)]  # (s, A)


def pulse_worst_drop(stop: float) -> float:
    """Exact largest drop of the RC node under the PWL pulse: tau d' + d = R i(t), solved per linear piece."""
    d, best = 0.0, 0.0
    for (t0, i0), (t1, i1) in zip(PULSE[:-1], PULSE[1:], strict=True):
        if t0 >= stop:
            break
        b = (i1 - i0) / (t1 - t0)
        s = np.linspace(0.0, min(t1, stop) - t0, 4001)
        piece = R * (i0 + b * s) - R * b * TAU + (d - R * i0 + R * b * TAU) * np.exp(-s / TAU)
        best, d = max(best, float(piece.max())), float(piece[-1])
    return best


def test_converged_transient_halves_the_step_until_the_worst_drop_settles():
    # a 1 ps edge under a 4 ps step: the first runs miss the pulse's peak by 6-16 %
    net = parse_netlist(
        f"V1 pad 0 {VDD}\nR1 pad n 10\nC1 n 0 1p\n"
        f"I1 n 0 PWL({' '.join(f'{t} {v}' for t, v in PULSE)})\n.tran 4p 40p\n"
    )
    exact = pulse_worst_drop(40e-12)
    study = converged_transient(net, 40e-12, 4e-12, tolerance=0.005, max_halvings=6)
    assert study.converged
    steps = [h for h, _ in study.tried]
    assert steps == sorted(steps, reverse=True) and len(steps) >= 3  # it had to refine
    assert steps[-1] == pytest.approx(study.step / 2)
    assert study.result.worst == pytest.approx(exact, rel=0.005)
    # the accepted step itself is within the tolerance of the exact answer
    assert solve_transient(net, 40e-12, study.step).worst == pytest.approx(exact, rel=0.005)
    short = converged_transient(net, 40e-12, 4e-12, tolerance=0.005, max_halvings=1)
    assert not short.converged and len(short.tried) == 2
    with pytest.raises(UserError, match="tolerance"):
        converged_transient(net, 40e-12, 4e-12, tolerance=0.0)


def test_pdn_solve_refines_the_transient_step_on_request(tmp_path):
    from eda.pdn.analysis import analyze

    text = (
        f"V1 pad 0 {VDD}\nR1 pad n 10\nC1 n 0 1p\n"
        f"I1 n 0 PWL({' '.join(f'{t} {v}' for t, v in PULSE)})\n.tran 4p 40p\n"
    )
    (tmp_path / "rc.sp").write_text(text)
    exact = pulse_worst_drop(40e-12)
    plain = analyze(tmp_path / "rc.sp", tmp_path / "plain", transient="netlist", plots=False).metrics
    refined = analyze(
        tmp_path / "rc.sp", tmp_path / "refined", transient="netlist", plots=False, step_tolerance=0.005
    ).metrics
    assert abs(plain["pdn__dynamic__worst_drop_mv"] / 1e3 - exact) > 0.05 * exact  # the netlist's step misses
    assert refined["pdn__dynamic__worst_drop_mv"] / 1e3 == pytest.approx(exact, rel=0.005)
    assert refined["pdn__dynamic__step_converged"] and refined["pdn__dynamic__time_step_s"] < 4e-12
