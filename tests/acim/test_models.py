"""Physics checks of the QR ACIM models (hand-derived limits, Monte-Carlo of the formulas, floorplan area)."""

from __future__ import annotations

import numpy as np
import pytest

from eda.acim.model_area import area_model, column_geometry, floorplan_of, library_tech
from eda.acim.model_energy import adc_figures_of_merit, cdac_switching_energy_units
from eda.acim.model_snr import (
    integer_quantisation_error,
    mismatch_variance,
    noise_variances,
    plane_weight_sum,
    product_variance,
)
from eda.acim.model_tech import BOLTZMANN, ModelTech
from eda.acim.models import DesignPoints, evaluate
from eda.errors import SpecError

TECH = library_tech()


def _points(**over: object) -> DesignPoints:
    base = dict(rows=64, cols=64, local_array_size=4, adc_bits=4, input_bits=4, weight_bits=4, unit_cap_fF=2.0,
                cols_per_adc=1, clock_MHz=500.0)
    base.update(over)
    return DesignPoints.from_arrays(**base)


def test_thermal_noise_is_kt_over_total_capacitance() -> None:
    p = _points(unit_cap_fF=[1.0, 4.0])
    geo = column_geometry(p, TECH)
    noise = noise_variances(p, TECH, geo)
    expected = BOLTZMANN * TECH.temperature_K / (noise["c_total_fF"] * 1e-15)
    np.testing.assert_allclose(noise["thermal_charge"], expected, rtol=1e-12)
    # larger capacitors: less thermal, mismatch and injection noise
    assert noise["thermal_charge"][1] < noise["thermal_charge"][0]


def test_mismatch_formula_matches_monte_carlo_of_charge_sharing() -> None:
    rng = np.random.default_rng(3)
    n, c_eff, c_line, c_u, sigma, vdd = 16, 3e-15, 20e-15, 1e-15, 0.02, 1.8
    a = (rng.random(n) < 0.3).astype(float)
    k = a.sum()
    draws = c_u * (1 + sigma * rng.standard_normal((20000, n)))
    c_nodes = draws + (c_eff - c_u)
    v = vdd * (c_nodes * a).sum(1) / (c_nodes.sum(1) + c_line)
    model = mismatch_variance(k, n, c_eff, n * c_eff + c_line, sigma, c_u, vdd)
    assert np.var(v) == pytest.approx(float(model), rel=0.05)  # 20000 draws: 1% std of the variance


def test_product_variance_against_enumeration() -> None:
    for bx, bw in [(1, 1), (2, 3), (4, 4)]:
        x, w = np.meshgrid(np.arange(2**bx), np.arange(2**bw))
        assert product_variance(np.array([bx]), np.array([bw]))[0] == pytest.approx(np.var(x * w))


def test_sqnr_and_the_papers_additive_total() -> None:
    m = evaluate(_points(local_array_size=1, adc_bits=[2, 3, 4], cols_per_adc=1), TECH)
    delta = 64 / 2.0 ** np.array([2, 3, 4])  # counts per code
    signal = 64 * product_variance(np.array([4]), np.array([4])) / (1 * 85 * 85)
    np.testing.assert_allclose(m["sqnr_db"], 10 * np.log10(signal / ((delta**2 - 1) / 12)), rtol=1e-9)
    bennett = 10 ** (-(10 * np.log10(signal / (delta**2 / 12))) / 10)
    inv = 10 ** (-m["snr_analog_db"] / 10) + bennett
    np.testing.assert_allclose(m["snr_total_additive_db"], -10 * np.log10(inv), rtol=1e-9)


def test_integer_quantiser_limits() -> None:
    assert integer_quantisation_error(np.array([1.0]), np.array([0.0]))[0] == 0.0  # lossless
    assert integer_quantisation_error(np.array([4.0]), np.array([0.0]))[0] == pytest.approx(15 / 12)
    # large noise: the dithered limit Δ²/12 + σ²
    assert integer_quantisation_error(np.array([2.0]), np.array([3.0]))[0] == pytest.approx(4 / 12 + 9, rel=1e-3)


def _bit_true_snr(rows: int, local: int, group: int, adc_bits: int, bits: int, sigma: float, seed: int) -> float:
    """Monte-Carlo of the whole pipeline: bit-planes, L partial sums of N_g products, analog noise, the SAR
    quantiser (thresholds mΔ − ½, centre reconstruction) and the digital shift-add."""
    rng = np.random.default_rng(seed)
    n_g = rows // local * group
    step = n_g // 2**adc_bits
    trials = 3000
    x = rng.integers(0, 2**bits, size=(trials, rows * group))
    w = rng.integers(0, 2**bits, size=(trials, rows * group))
    exact = (x * w).sum(1).astype(float)
    estimate = np.zeros(trials)
    for i in range(bits):
        for j in range(bits):
            k = (((x >> i) & 1) * ((w >> j) & 1)).reshape(trials, local, n_g).sum(2).astype(float)
            noisy = k + sigma * rng.standard_normal(k.shape)
            code = np.clip(np.floor((noisy + 0.5) / step), 0, 2**adc_bits - 1)
            estimate += 2 ** (i + j) * (code * step + (step - 1) / 2).sum(1)
    return 10 * np.log10(np.var(exact) / np.mean((estimate - exact) ** 2))


@pytest.mark.parametrize("rows,local,group,adc_bits,bits,sigma", [
    (64, 4, 1, 3, 4, 0.3), (64, 4, 1, 4, 4, 0.45), (64, 2, 2, 5, 2, 0.5), (64, 2, 1, 5, 4, 1.0), (128, 4, 1, 3, 1, 0.2)])
def test_total_snr_matches_a_bit_true_simulation(rows, local, group, adc_bits, bits, sigma) -> None:
    n_g = rows // local * group
    error = integer_quantisation_error(np.array([n_g / 2**adc_bits]), np.array([sigma]))[0]
    signal = rows * group * product_variance(np.array([bits]), np.array([bits]))[0]
    model = 10 * np.log10(signal / (local * plane_weight_sum(np.array([bits]))[0] ** 2 * error))
    # 3000 trials: the error-power estimate has a ~3 % (0.15 dB) standard error
    assert _bit_true_snr(rows, local, group, adc_bits, bits, sigma, seed=rows + adc_bits) == pytest.approx(model, abs=0.5)


def test_throughput_counts_parallel_rows_and_bit_serial_cycles() -> None:
    m = evaluate(_points(local_array_size=[2, 4], adc_bits=3), TECH)
    n = np.array([32, 16])
    ops_per_cycle = 2 * n * 64 / 16
    np.testing.assert_allclose(m["throughput_tops"] * 1e12 * m["cycle_time_ns"] * 1e-9, ops_per_cycle)
    # every phase is a whole number of 2 ns clock periods
    periods = m["cycle_time_ns"] / 2.0
    np.testing.assert_allclose(periods, np.round(periods))


def _brute_force_cdac_energy(bits: int) -> float:
    """Average reference energy (C·V², V_ref = 1) of a single-ended conventional SAR over all codes.

    Binary caps 2^(B-1)..1 plus a dummy unit, top plate floating: switching bottom plates from vb to new
    moves the top plate by ΔVt = Σ C(new − vb)/C_tot; the reference delivers C·((1 − vb) − ΔVt) to every
    cap whose bottom plate is at the reference after the step.
    """
    caps = np.array([2 ** (bits - 1 - i) for i in range(bits)] + [1], dtype=float)
    total = 0.0
    for code in range(2**bits):
        vb = np.zeros(bits + 1)
        decided = 0
        for i in range(bits):
            trial = decided | (1 << (bits - 1 - i))
            new = np.array([(trial >> (bits - 1 - j)) & 1 for j in range(bits)] + [0], dtype=float)
            dvt = (caps * (new - vb)).sum() / caps.sum()
            on = new == 1
            total += (caps[on] * ((1 - vb[on]) - dvt)).sum()
            vb = new
            if code >= trial:
                decided = trial
    return total / 2**bits


def test_cdac_energy_matches_brute_force_and_published_value() -> None:
    for bits in (1, 2, 3, 6):
        assert cdac_switching_energy_units(np.array([bits]))[0] == pytest.approx(_brute_force_cdac_energy(bits))
    # Ginsburg & Chandrakasan / Liu et al.: 1363.3 C·V² for a 10-bit differential array (two arrays)
    assert 2 * cdac_switching_energy_units(np.array([10]))[0] == pytest.approx(1363.33, abs=0.01)


def test_adc_fom_stays_behind_the_state_of_the_art() -> None:
    space = DesignPoints.from_arrays(rows=256, cols=64, local_array_size=[1, 2, 4], adc_bits=[8, 7, 6],
                                     input_bits=4, weight_bits=4, unit_cap_fF=[0.5, 1.0, 8.0], cols_per_adc=1,
                                     clock_MHz=500.0)
    m = evaluate(space, TECH)
    assert np.all(m["adc_schreier_db"] < 186.0)  # best published SAR ADCs (Murmann survey)
    assert np.all(m["adc_walden_fJ_per_step"] > 0.5)
    fom = adc_figures_of_merit(np.array([1000.0]), np.array([10.0]))
    assert fom["adc_walden_fJ_per_step"][0] == pytest.approx(1000 / 1024)


def test_energy_breakdown_sums_and_tops_per_w() -> None:
    m = evaluate(_points(), TECH)
    parts = sum(v for k, v in m.items() if k.startswith("energy_") and k.endswith("_fJ_per_op"))
    np.testing.assert_allclose(parts, m["energy_per_op_fJ"])
    np.testing.assert_allclose(m["tops_per_w"], 1e3 / m["energy_per_op_fJ"])


@pytest.mark.parametrize("rows", [16, 64, 256])
@pytest.mark.parametrize("local", [2, 4, 8, 16])
@pytest.mark.parametrize("adc_bits", [3, 5, 8])
def test_model_area_is_the_floorplan_area(rows: int, local: int, adc_bits: int) -> None:
    cpa = 1
    while 2**adc_bits > (rows // local) * cpa:
        cpa *= 2
    for cols in (16, 64, 256):
        if cpa > cols:
            continue
        spec = dict(rows=rows, cols=cols, local_array_size=local, adc_bits=adc_bits, input_bits=4,
                    weight_bits=4, unit_cap_fF=2.0, cols_per_adc=cpa)
        p = DesignPoints.from_specs([spec], 500.0)
        area = area_model(p, TECH)["area_um2"][0]
        assert area == pytest.approx(floorplan_of(spec).area_um2, rel=1e-12)


def test_infeasible_points_are_rejected_with_a_reason() -> None:
    with pytest.raises(SpecError, match="2\\*\\*adc_bits"):
        _points(local_array_size=16, adc_bits=5)
    with pytest.raises(SpecError, match="divide rows"):
        _points(local_array_size=3)


def test_tech_file_overrides_defaults(tmp_path) -> None:
    path = tmp_path / "tech.yaml"
    path.write_text("node_nm: 28\nvdd: 0.9\ncapacitor: {density_fF_per_um2: 2.5, matching_pct_um: 0.5}\n"
                    "layers: {met2: {sheet_res_ohm_sq: 0.2, min_width_um: 0.1, cap_fF_per_um: 0.15}}\n")
    tech = ModelTech.from_tech_file(path)
    assert (tech.feature_nm, tech.vdd_V, tech.cap_density_fF_per_um2, tech.cap_matching_pct_um) == (28, 0.9, 2.5, 0.5)
    assert tech.wire_res_ohm_per_um == pytest.approx(2.0)
    assert tech.wire_cap_fF_per_um == pytest.approx(0.15)
