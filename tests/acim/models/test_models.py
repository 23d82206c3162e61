"""Physics checks of the QR ACIM models (hand-derived limits, Monte-Carlo of the formulas, floorplan area)."""

from __future__ import annotations

import numpy as np
import pytest

from eda.acim.models import DesignPoints, evaluate
from eda.acim.models.area import area_model, column_geometry, floorplan_of, library_tech
from eda.acim.models.energy import _cdac_energy_fJ, adc_figures_of_merit, dac_lines_per_bit
from eda.acim.models.snr import (
    code_error,
    integer_quantisation_error,
    mismatch_variance,
    noise_variances,
    plane_weight_sum,
    product_variance,
)
from eda.acim.models.tech import BOLTZMANN, ModelTech
from eda.errors import SpecError

TECH = library_tech()


def _points(**over: object) -> DesignPoints:
    base = dict(
        rows=64,
        cols=64,
        local_array_size=4,
        adc_bits=4,
        input_bits=4,
        weight_bits=4,
        unit_cap_fF=2.0,
        cols_per_adc=1,
        clock_MHz=500.0,
    )
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


def test_code_error_matches_the_sar_transfer_of_the_drawn_column() -> None:
    """The model's code error (1/g products per code, the products beyond the ADC window, Gaussian analog
    noise of σ counts) against a Monte-Carlo of random input and weight bits through the SAR transfer D = clip(ceil((VREF - V)/Δu) - 1) of the same
    levels with random binary products, and the least-squares calibration a back end applies (or the mean
    count where that errs less). The model integrates the noise with a 9-point Gauss-Hermite rule over a step
    function, so 15 %; σ = 0 is left out (its error is set by clipping events too rare to sample)."""
    rng = np.random.default_rng(7)
    for spec in (
        dict(local_array_size=8, adc_bits=5, cols_per_adc=4),
        dict(local_array_size=4, adc_bits=4, cols_per_adc=1),
        dict(local_array_size=8, adc_bits=3, cols_per_adc=4),
    ):
        p = _points(**spec)
        m = evaluate(p, TECH)
        for sigma in (0.2, 0.5, 1.5):
            # the group's columns share each row's input bit: K = sum over local arrays of x * Binomial(G, 1/2)
            x = rng.integers(0, 2, (200_000, int(p.caps_per_column[0])))
            k = (x * rng.binomial(int(p.cols_per_adc[0]), 0.5, x.shape)).sum(axis=1).astype(float)
            v = m["level_v_zero_V"][0] - (k + sigma * rng.standard_normal(k.size)) * m["level_step_V"][0]
            code = np.clip(
                np.ceil((m["level_vref_V"][0] - v) / m["level_dac_step_V"][0]) - 1,
                0,
                2 ** spec["adc_bits"] - 1,
            )
            a, b = np.polyfit(k, code, 1)
            mse = min(np.mean(((code - b) / a - k) ** 2), np.var(k))
            assert code_error(p, m, np.array([sigma]))[0] == pytest.approx(mse, rel=0.15)


def test_sar_dac_energy_is_the_charge_each_raised_plate_draws() -> None:
    """Every bit is tried once: raising its plates draws VDD·C_b·(VDD - ΔV_X) whatever the decisions; a brute
    force over random decision sequences on the floating capacitor network gives the same energy."""
    p = _points(local_array_size=8, adc_bits=5, cols_per_adc=4)
    geo = column_geometry(p, TECH)
    geo["dac_line_cap_fF"] = np.zeros(1)  # the plates only
    c_total, c_u, vdd = 300.0, float(geo["unit_cap_drawn_fF"][0]), TECH.vdd_V
    model = _cdac_energy_fJ(p, TECH, geo, np.array([c_total]))[0]
    rng = np.random.default_rng(1)
    caps = np.array([2.0**b * c_u for b in range(5)])
    for _ in range(20):
        lines, vx, energy = np.zeros(5), 0.0, 0.0
        for b in range(4, -1, -1):
            dvx = vdd * caps[b] / c_total
            energy += vdd * caps[b] * (vdd - dvx)  # charge into the rising line, top plate follows by dvx
            vx += dvx
            lines[b] = 1.0
            if rng.random() < 0.5:  # rejected: the plate falls back (charge returns to ground)
                lines[b] = 0.0
                vx -= dvx
        assert energy == pytest.approx(model, rel=1e-9)
    assert sum(dac_lines_per_bit(p)[0]) >= 5  # every bit drives at least one met4 line


def test_integer_quantiser_limits() -> None:
    assert integer_quantisation_error(np.array([1.0]), np.array([0.0]))[0] == 0.0  # lossless
    assert integer_quantisation_error(np.array([4.0]), np.array([0.0]))[0] == pytest.approx(15 / 12)
    # large noise: the dithered limit Δ²/12 + σ²
    assert integer_quantisation_error(np.array([2.0]), np.array([3.0]))[0] == pytest.approx(
        4 / 12 + 9, rel=1e-3
    )


def _bit_true_snr(
    rows: int, local: int, group: int, adc_bits: int, bits: int, sigma: float, seed: int
) -> float:
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


@pytest.mark.parametrize(
    "rows,local,group,adc_bits,bits,sigma",
    [
        (64, 4, 1, 3, 4, 0.3),
        (64, 4, 1, 4, 4, 0.45),
        (64, 2, 2, 5, 2, 0.5),
        (64, 2, 1, 5, 4, 1.0),
        (128, 4, 1, 3, 1, 0.2),
    ],
)
def test_total_snr_matches_a_bit_true_simulation(rows, local, group, adc_bits, bits, sigma) -> None:
    n_g = rows // local * group
    error = integer_quantisation_error(np.array([n_g / 2**adc_bits]), np.array([sigma]))[0]
    signal = rows * group * product_variance(np.array([bits]), np.array([bits]))[0]
    model = 10 * np.log10(signal / (local * plane_weight_sum(np.array([bits]))[0] ** 2 * error))
    # 3000 trials: the error-power estimate has a ~3 % (0.15 dB) standard error
    assert _bit_true_snr(rows, local, group, adc_bits, bits, sigma, seed=rows + adc_bits) == pytest.approx(
        model, abs=0.5
    )


def test_throughput_counts_parallel_rows_and_bit_serial_cycles() -> None:
    m = evaluate(_points(local_array_size=[2, 4], adc_bits=3), TECH)
    n = np.array([32, 16])
    ops_per_cycle = 2 * n * 64 / 16
    np.testing.assert_allclose(m["throughput_tops"] * 1e12 * m["cycle_time_ns"] * 1e-9, ops_per_cycle)
    # every phase is a whole number of 2 ns clock periods
    periods = m["cycle_time_ns"] / 2.0
    np.testing.assert_allclose(periods, np.round(periods))


def test_adc_fom_stays_behind_the_state_of_the_art() -> None:
    space = DesignPoints.from_arrays(
        rows=256,
        cols=64,
        local_array_size=[1, 2, 4],
        adc_bits=[8, 7, 6],
        input_bits=4,
        weight_bits=4,
        unit_cap_fF=[0.5, 1.0, 8.0],
        cols_per_adc=1,
        clock_MHz=500.0,
    )
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
        spec = dict(
            rows=rows,
            cols=cols,
            local_array_size=local,
            adc_bits=adc_bits,
            input_bits=4,
            weight_bits=4,
            unit_cap_fF=2.0,
            cols_per_adc=cpa,
        )
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
    path.write_text(
        "node_nm: 28\nvdd: 0.9\ncapacitor: {density_fF_per_um2: 2.5, matching_pct_um: 0.5}\n"
        "layers: {met2: {sheet_res_ohm_sq: 0.2, min_width_um: 0.1, cap_fF_per_um: 0.15}}\n"
    )
    tech = ModelTech.from_tech_file(path)
    assert (tech.feature_nm, tech.vdd_V, tech.cap_density_fF_per_um2, tech.cap_matching_pct_um) == (
        28,
        0.9,
        2.5,
        0.5,
    )
    assert tech.wire_res_ohm_per_um == pytest.approx(2.0)
    assert tech.wire_cap_fF_per_um == pytest.approx(0.15)


def test_a_technology_without_characterisation_is_an_error_not_nan(tmp_path) -> None:
    path = tmp_path / "tech.yaml"
    path.write_text("node_nm: 130\nvdd: 1.8\n")
    with pytest.raises(SpecError, match="read_port_ron_ohm"):
        evaluate(_points(), ModelTech.from_tech_file(path))
    with pytest.raises(SpecError, match="no transistor-level characterisation for corner xx"):
        library_tech(None, "xx")
    # the shipped tt characterisation leaves no field empty
    assert library_tech().missing_fields() == []
