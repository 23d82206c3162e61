"""Model vs ngspice on a few design points (real transient simulations of one ADC group).

Tolerances and why:

* output voltage: 1 % of the value (floor 10 % of full scale) — the model is exact charge conservation
  with the layout's parasitics, and the model's clocked phases settle every node to half an LSB;
* supply energy of the charge phase: 1 % — each node draws C·VDD² charging from 0 to VDD through any
  resistance; the residue is the e^(-t/τ) incomplete charge;
* share settling to half an LSB: the model's full-scale single-pole time (τ_s·ln(2^(B+1)), with the
  common-mode τ plus the distributed line's first mode) sizes the clock, so it must cover every simulated
  pattern within 10 % and the per-pattern model may be conservative by up to 1.6× (the line mode adds in
  series);
* analog SNR of one bit-plane (kT/C of the charge phase + Pelgrom mismatch): 1.5 dB — with 200 trials the
  noise-variance estimate has a 10 % (0.4 dB) standard error, so 1.5 dB is a 3.5σ band around a correct
  model, and a missing noise source (e.g. the line reset's kT/C) moves it by more than that.
"""

from __future__ import annotations

import numpy as np
import pytest

from eda.acim.ngspice_check import run_check

pytestmark = pytest.mark.ngspice

SPECS = [
    dict(rows=32, cols=32, local_array_size=2, adc_bits=4, input_bits=4, weight_bits=4, unit_cap_fF=1.0,
         cols_per_adc=1),
    dict(rows=16, cols=16, local_array_size=2, adc_bits=3, input_bits=4, weight_bits=4, unit_cap_fF=2.0,
         cols_per_adc=2),
    dict(rows=64, cols=64, local_array_size=4, adc_bits=4, input_bits=2, weight_bits=2, unit_cap_fF=4.0,
         cols_per_adc=1),
]


@pytest.fixture(scope="module", params=range(len(SPECS)), ids=["32x32-L2-B4", "16x16-L2-B3-G2", "64x64-L4-B4"])
def check(request: pytest.FixtureRequest) -> dict:
    return run_check(SPECS[request.param], trials=200, seed=request.param + 1)


def test_output_voltage_within_1_percent(check: dict) -> None:
    scale = np.maximum(check["v_model"], 0.1 * check["full_scale_V"])
    assert np.max(np.abs(check["v_sim"] - check["v_model"]) / scale) < 0.01


def test_charge_phase_energy_within_1_percent(check: dict) -> None:
    assert check["energy_sim_J"] == pytest.approx(check["energy_model_J"], rel=0.01)


def test_share_settling_time_is_a_tight_upper_bound(check: dict) -> None:
    from eda.acim.model_throughput import settling_time

    # the clock is sized from the full-scale settling time: it must cover every simulated pattern (a sparse
    # pattern can settle slower than the model's single pole predicts for its own smaller step, as long
    # as the full-scale time the clock uses still covers it) and must not be loose by more than 1.6x
    full_scale = settling_time(np.array([check["circuit"].tau_share_s]), np.array([check["spec"]["adc_bits"]]))
    assert np.all(full_scale[0] > 0.9 * check["settle_sim_s"])
    assert np.max(check["settle_model_s"]) < 1.6 * np.max(check["settle_sim_s"])


def test_analog_snr_within_1p5_db(check: dict) -> None:
    assert abs(check["snr_sim_db"] - check["snr_model_db"]) < 1.5


@pytest.mark.parametrize("edge_ps", [5.0, 20.0, 50.0])
def test_charge_injection_model_bounds_the_simulated_mismatch(edge_ps: float) -> None:
    """The model's injection noise (½·C_g·σ_Vth/C, all channel charge split evenly) is the fast-edge limit:
    the simulated Vth-driven spread must stay below it at every edge rate; the mean offset (half the
    channel charge) is the right size (within 35 % from 5 to 50 ps edges: Meyer gate capacitances couple
    more of the edge when it is fast, the grounded side absorbs more when it is slow)."""
    from eda.acim.ngspice_check import injection_check

    r = injection_check(trials=120, edge_ps=edge_ps)
    assert r["vth_correlation"] > 0.9
    assert r["std_sim_V"] < r["std_model_V"]
    assert r["mean_sim_V"] == pytest.approx(r["mean_model_V"], rel=0.35)
