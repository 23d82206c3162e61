"""Signal-to-noise models of the charge-redistribution (QR) MAC (Gonugondla, Sakr, Dbouk, Shanbhag 2022).

One ADC group, one input bit-plane: N_g = (H/L)·G local nodes (G = ``cols_per_adc`` columns), node i
holds C_eff = C_u + C_node (C_u as drawn) and is charged to VDD when its binary product a_i = x_i·w_i is 1
(to 0 otherwise); the nodes then share charge over the G column lines (C_line each) and the group's
comparator-input wire (C_g), so with C_T = G·(N·C_eff + C_line) + C_g

    V_out = VDD · K · C_eff / C_T,          K = Σ a_i  (0 … N_g).

Noise sources, as output-voltage variances (V²):

* thermal: the charge sampled on C_T when the compute switches open (kT/C_T, equipartition summed over all
  nodes: Σ kT·C_i / C_T² = kT/C_T) and the top-plate sample taken when the SAR conversion starts (kT/C_T);
* capacitor mismatch: C_i = C_u(1+δ_i), σ_δ = A_C/√(C_u/ρ) (Pelgrom). ∂V/∂C_i = VDD(a_i − V/VDD)/C_T, so
  Var = (VDD·C_u·σ_δ/C_T)² · Σ_i (a_i − r)², r = K·C_eff/C_T; averaged over K ~ Binomial(N, p);
* charge injection (not in the group deck, whose switches are ideal; checked on its own): each compute
  switch leaves half its channel charge on its node; the mean is a fixed
  offset/gain (calibrated), the Vth-mismatch part is random: σ_q = ½·C_ox·WL·A_VT/√(WL) per node,
  Var = N·σ_q²/C_T² (the fast-edge limit: an ngspice level-1 check, :func:`eda.acim.ngspice_check.injection_check`,
  finds 0.07–0.7 of this spread for 50–5 ps gate edges, so the term is an upper bound);
* comparator: σ² = n_f·kT/C_cmp of the dynamic latch, referred to the column node;
* settling residue of the clocked phases (:func:`settling_residual`), when the timing is given.

Signal and error are measured at the multi-bit dot-product output: unsigned ``input_bits``-bit
inputs X and ``weight_bits``-bit weights W (uniform), a dot product of length H·G (the G charge-shared
columns extend the reduction). The bit-plane partial sums K (in units of one product) carry independent
errors; the shift-add weights plane (i, j) by 2^(i+j) and sums the L partial sums, so

    SNR = H·G·Var(X·W) / (L · S_x · S_w · σ_e²),  S_b = Σ_{i<b} 4^i = (4^b − 1)/3,

with σ_e² the analog noise σ_a² = σ_v²/Δ_V² (Δ_V = VDD·C_eff/C_T volts per count) for SNR_a, the noiseless
quantiser's (Δ² − 1)/12 for SQNR (Δ = N_g/2^B counts per code, full-scale range K ∈ [0, N_g]) and, for
SNR_T, the exact error of quantising the noisy integer K (:func:`integer_quantisation_error`). In the
large-noise limit this is σ_a² + Δ²/12, the paper's 1/SNR_T = 1/SNR_a + 1/SQNR; at small noise a
lossless quantiser (Δ = 1) snaps K back to the integer, so SNR_T may exceed that sum (and SNR_a); SQNR
and SNR_T are reported up to :data:`SNR_CEILING_DB`. ``snr_total_additive_db`` keeps the paper's additive
form with Bennett's Δ²/12 for comparison. The composition is checked against a bit-true Monte-Carlo of the bit-serial, bit-sliced pipeline. ``snr_binary_analog_db`` is the single bit-plane
analog SNR, N_g·p(1−p)·Δ²/σ_v², the quantity the ngspice check measures.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from eda.acim.models.points import DesignPoints
from eda.acim.models.tech import ModelTech
from eda.acim.models.throughput import dac_step_fraction

__all__ = [
    "settling_residual",
    "clipping_error",
    "code_error",
    "integer_quantisation_error",
    "total_capacitance",
    "noise_variances",
    "mismatch_variance",
    "product_variance",
    "plane_weight_sum",
    "snr_model",
    "to_db",
    "PRODUCT_PROBABILITY",
]

#: reporting ceiling of SQNR/SNR_T (dB): beyond it a lossless quantiser's output is bit-exact in practice
SNR_CEILING_DB = 120.0
from eda.acim.models.column import PRODUCT_PROBABILITY  # noqa: E402  (re-exported)


def to_db(ratio: np.ndarray | float) -> np.ndarray:
    """10·log10 of a power ratio (inf stays inf)."""
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(np.asarray(ratio, dtype=float))


def total_capacitance(points: DesignPoints, geometry: dict[str, np.ndarray]) -> np.ndarray:
    """C_T (fF) of one conversion: G·(N·C_eff + C_line) + C_g."""
    c_eff = geometry["unit_cap_drawn_fF"] + geometry["local_node_cap_fF"]
    column = points.caps_per_column * c_eff + geometry["line_cap_fF"]
    return points.cols_per_adc * column + geometry["group_wire_cap_fF"]


def mismatch_variance(
    count: np.ndarray | float,
    n_caps: np.ndarray,
    c_eff_fF: np.ndarray,
    c_total_fF: np.ndarray,
    sigma_rel: np.ndarray,
    unit_cap_fF: np.ndarray,
    vdd: float,
) -> np.ndarray:
    """Output variance (V²) from capacitor mismatch for ``count`` = K active nodes (exact first order)."""
    k = np.asarray(count, dtype=float)
    r = k * c_eff_fF / c_total_fF
    spread = k * (1.0 - r) ** 2 + (n_caps - k) * r**2
    return (vdd * unit_cap_fF * sigma_rel / c_total_fF) ** 2 * spread


def _expected_mismatch_variance(
    n_caps: np.ndarray,
    c_eff: np.ndarray,
    c_total: np.ndarray,
    sigma_rel: np.ndarray,
    unit_cap: np.ndarray,
    vdd: float,
    p: float,
) -> np.ndarray:
    """E_K[mismatch variance] for K ~ Binomial(N, p): E[K − 2cK² + N c² K²], c = C_eff/C_T."""
    n = n_caps.astype(float)
    c = c_eff / c_total
    ek = n * p
    ek2 = n * p * (1 - p) + (n * p) ** 2
    spread = ek - 2 * c * ek2 + n * c**2 * ek2
    return (vdd * unit_cap * sigma_rel / c_total) ** 2 * spread


def settling_residual(
    points: DesignPoints, tech: ModelTech, timing: dict[str, np.ndarray], p: float = PRODUCT_PROBABILITY
) -> np.ndarray:
    """Error variance (counts²) left by incomplete settling in the clocked phases.

    Evaluate and share leave a fraction ε = exp(−t/τ) of each node's step, a gain error ε·K (variance
    ε²·E[K²] over the data); each SAR decision sees ε_d of its DAC step (at most half of the window),
    the DAC settling from the SAR logic's clock-to-output delay until the comparator is clocked
    (``t_compare_ns``), from the initial error of :func:`~eda.acim.models.throughput.dac_step_fraction`.
    """
    n = points.caps_per_conversion.astype(float)
    eps_c = np.exp(-(timing["t_charge_ns"] - timing["t_wordline_ns"]) * 1e3 / timing["tau_charge_ps"])
    eps_s = np.exp(-timing["t_share_ns"] * 1e3 / timing["tau_share_ps"])
    t_dac = np.maximum(timing["t_compare_ns"] * 1e3 - tech.sar_clk_to_q_ps, 0.0)
    eps_d = np.minimum(dac_step_fraction(points), 1.0) * np.exp(-t_dac / timing["tau_dac_ps"])
    k2 = n * p * (1 - p) + (n * p) ** 2
    window = 2.0**points.adc_bits / timing["level_dac_gain"]
    return (eps_c**2 + eps_s**2) * k2 + (eps_d * window / 2) ** 2


def clipping_error(points: DesignPoints, top: np.ndarray) -> np.ndarray:
    """E[(K − top)²; K > top] (counts²) for the products K of a conversion
    (:func:`eda.acim.models.column.product_count_pmf`): products beyond the ADC window."""
    from eda.acim.models.column import product_count_pmf

    keys = np.stack(
        [
            points.caps_per_column.astype(float),
            points.cols_per_adc.astype(float),
            np.broadcast_to(np.ravel(top).astype(float), (len(points),)),
        ],
        axis=1,
    )
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    values = np.zeros(len(unique), dtype=float)
    for i, (n, g, t) in enumerate(unique):
        pmf = product_count_pmf(int(n), int(g))
        k = np.arange(len(pmf), dtype=float)
        values[i] = float(np.sum(np.where(k > t, pmf * (k - t) ** 2, 0.0)))
    return values[inverse.ravel()]


def code_error(
    points: DesignPoints,
    timing: dict[str, np.ndarray],
    sigma_counts: np.ndarray,
    p: float = PRODUCT_PROBABILITY,
) -> np.ndarray:
    """E[(K̂ − K)²] (counts²): the error of the SAR ADC as drawn converting the products K of a conversion
    (:func:`eda.acim.models.column.product_count_pmf`: the group's columns share their rows' input bits) with
    Gaussian analog noise σ (counts). ``p`` is kept for the call signature (the distribution sets it).

    The code is D = clip(ceil(D0 + ½ + g·(K + n)) − 1, 0, 2^B − 1) (:mod:`eda.acim.models.column`: VREF half
    a code above the window offset D0, DAC gain g); the back end maps codes to products with the
    least-squares line of D on K (its calibration), K̂ = (D − b)/a, or the mean of K where that errs
    less (a window that holds almost every K in one code). The expectation is exact over K and a
    9-point Gauss-Hermite quadrature over the noise; it includes the products that clip beyond the window.
    Points are evaluated once per distinct (N, G, B, D0, g to 1e-5, σ to 1e-4).
    """
    sigma = np.broadcast_to(np.asarray(sigma_counts, dtype=float), (len(points),))
    keys = zip(
        points.caps_per_column.tolist(),
        points.cols_per_adc.tolist(),
        points.adc_bits.tolist(),
        np.asarray(timing["level_window_offset"]).tolist(),
        np.round(timing["level_dac_gain"], 5).tolist(),
        np.round(sigma, 4).tolist(),
        strict=True,
    )
    return np.array(
        [_code_error(int(n), int(k), int(b), float(d0), float(g), float(s)) for n, k, b, d0, g, s in keys]
    )


@lru_cache(maxsize=100_000)
def _code_error(
    caps_per_column: int, cols_per_adc: int, bits: int, offset: float, gain: float, sigma: float
) -> float:
    from eda.acim.models.column import product_count_pmf, sar_code

    x, w = np.polynomial.hermite_e.hermegauss(9)
    w = w / w.sum()
    pmf = product_count_pmf(caps_per_column, cols_per_adc)
    k = np.arange(len(pmf), dtype=float)[:, None]
    weight = pmf[:, None] * w[None, :]
    code = sar_code(k + sigma * x[None, :], offset, gain, bits)
    kk = np.broadcast_to(k, code.shape)
    mk, mc = np.sum(weight * kk), np.sum(weight * code)
    spread = np.sum(weight * (kk - mk) ** 2)
    slope = np.sum(weight * (kk - mk) * (code - mc)) / spread if spread > 0 else np.nan
    if not np.isfinite(slope) or slope <= 0:
        # every K on one code (a window pushed past the products by VREF's floor): the back end can only
        # return the mean product count, whose error is var(K)
        return float(spread)
    estimate = (code - (mc - slope * mk)) / slope
    # where (nearly) every K lands on one code the line's slope is a rounding residue and its inverse
    # explodes; the back end then does better with the mean product count, whose error is var(K)
    return float(min(np.sum(weight * (estimate - kk) ** 2), spread))


def noise_variances(
    points: DesignPoints,
    tech: ModelTech,
    geometry: dict[str, np.ndarray],
    p: float = PRODUCT_PROBABILITY,
    timing: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Per-point output-voltage noise variances (V²) of one bit-plane, by source, plus the step Δ (V).

    ``timing`` (:func:`eda.acim.models.throughput.timing_model`) carries the column's levels. Returns keys
    ``thermal_charge``, ``thermal_conversion``, ``mismatch`` (capacitors), ``level`` (the precharge level's
    threshold mismatch), ``injection``, ``comparator``, ``settling``, ``total``, ``step_V`` (Δ_H, volts per
    product), ``c_total_fF``, ``c_eff_fF``.
    """
    if timing is None:
        from eda.acim.models.throughput import timing_model

        timing = timing_model(points, tech, geometry)
    n = points.caps_per_conversion.astype(float)
    c_u = timing["level_c_mim_fF"]
    c_eff = timing["level_c_eff_fF"]
    c_total = timing["level_c_total_fF"]
    level = timing["level_charge_level_V"]
    kt_over_c = tech.kT / (c_total * 1e-15)
    cap_area_um2 = c_u / tech.cap_density_fF_per_um2
    sigma_rel = tech.cap_matching_pct_um * 1e-2 / np.sqrt(cap_area_um2)
    mismatch = _expected_mismatch_variance(
        points.caps_per_conversion, c_eff, c_total, sigma_rel, c_u, level, 1 - p
    )
    sigma_vth = tech.avt_mV_um * 1e-3 / np.sqrt(tech.switch_gate_area_um2)
    level_var = n * (1 - p) * (sigma_vth * c_eff / c_total) ** 2
    sigma_q_fC = 0.5 * tech.gate_cap_fF_per_um2 * tech.switch_gate_area_um2 * sigma_vth
    injection = n * (sigma_q_fC / c_total) ** 2
    step = timing["level_step_V"]
    parts = {
        "thermal_charge": kt_over_c,
        "thermal_conversion": kt_over_c.copy(),
        "mismatch": mismatch,
        "level": level_var,
        "injection": injection,
        "comparator": np.zeros_like(c_total),
        "settling": settling_residual(points, tech, timing, p) * step**2,
    }
    parts["total"] = sum(parts.values())
    parts["step_V"] = step
    parts["c_total_fF"] = c_total
    parts["c_eff_fF"] = c_eff
    return parts


def integer_quantisation_error(
    lsb_counts: np.ndarray, sigma_counts: np.ndarray, exact_below: float = 64.0
) -> np.ndarray:
    """E[(Q(K + n) − K)²]: error variance (counts²) of converting an integer partial sum K with Gaussian
    analog noise n ~ N(0, σ²) by a quantiser of step Δ (counts).

    The SAR thresholds sit half a unit below the code boundaries (mΔ − ½) and codes reconstruct to the
    centre of the integers they hold (mΔ + (Δ−1)/2), so Δ = 1 is lossless for a noiseless input. For
    integer Δ <= ``exact_below`` the expectation is summed exactly over the Δ residues of K (assumed
    uniform: K spreads over many steps) and the Gaussian cell probabilities; otherwise (and for
    non-integer Δ) the dithered limit Δ²/12 + σ² is used. Noiseless: (Δ² − 1)/12 (0 at Δ = 1).
    """
    from scipy.special import ndtr

    delta = np.asarray(lsb_counts, dtype=float)
    sigma = np.broadcast_to(np.asarray(sigma_counts, dtype=float), delta.shape)
    out = delta**2 / 12 + sigma**2
    exact = (np.abs(delta - np.round(delta)) < 1e-9) & (delta <= exact_below) & (delta >= 1)
    for step in np.unique(delta[exact]):
        sel = exact & (delta == step)
        sig = sigma[sel][:, None, None]
        d = int(step)
        span = int(np.ceil(6 * float(sig.max()) / d)) + 1
        u = np.arange(d, dtype=float)[None, :, None]
        m = np.arange(-span, span + 1, dtype=float)[None, None, :]
        lo, hi = m * d - 0.5 - u, (m + 1) * d - 0.5 - u
        if float(sig.max()) == 0.0:
            prob = ((lo <= 0) & (hi > 0)).astype(float) * np.ones_like(sig)
        else:
            safe = np.maximum(sig, 1e-12)
            prob = ndtr(hi / safe) - ndtr(lo / safe)
        err = (m * d + (d - 1) / 2 - u) ** 2
        out[sel] = (prob * err).sum(axis=2).mean(axis=1)
    return out


def product_variance(input_bits: np.ndarray, weight_bits: np.ndarray) -> np.ndarray:
    """Var(X·W) for independent uniform unsigned integers of the given widths."""

    def moments(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        levels = 2.0 ** bits.astype(float)
        mean = (levels - 1) / 2
        second = (levels - 1) * (2 * levels - 1) / 6
        return mean, second

    mx, sx = moments(input_bits)
    mw, sw = moments(weight_bits)
    return sx * sw - (mx * mw) ** 2


def plane_weight_sum(bits: np.ndarray) -> np.ndarray:
    """S_b = Σ_{i<b} 4^i = (4^b − 1)/3: power gain of the shift-add over b bit-planes."""
    return (4.0 ** bits.astype(float) - 1) / 3


def snr_model(
    points: DesignPoints,
    tech: ModelTech,
    geometry: dict[str, np.ndarray],
    timing: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Analog SNR, SQNR and total SNR (dB) of the multi-bit dot product, and the binary-plane analog SNR.

    The quantiser is the SAR ADC as drawn (:mod:`eda.acim.models.column`): one code per 1/g products, a
    window of 2^B codes placed by VREF, products beyond it clip; :func:`code_error` is the exact expected
    error after the back end's linear calibration. ``snr_total_additive_db`` keeps the paper's additive form
    with Bennett's Δ²/12 (Δ = 1/g) and the clipping term.
    """
    p = PRODUCT_PROBABILITY
    noise = noise_variances(points, tech, geometry, p, timing)
    timing = timing or {}
    n = points.caps_per_conversion.astype(float)
    analog_counts = noise["total"] / noise["step_V"] ** 2
    from eda.acim.models.throughput import timing_model

    if "level_dac_gain" not in timing:
        timing = timing_model(points, tech, geometry)
    lsb_counts = 1.0 / timing["level_dac_gain"]
    signal = points.rows * points.cols_per_adc * product_variance(points.input_bits, points.weight_bits)
    gain = (
        points.local_array_size * plane_weight_sum(points.input_bits) * plane_weight_sum(points.weight_bits)
    )
    snr_a = signal / (gain * analog_counts)
    floor = signal / (gain * 10 ** (SNR_CEILING_DB / 10))
    quant = code_error(points, timing, np.zeros_like(lsb_counts), p)
    sqnr = signal / (gain * np.maximum(quant, floor))
    total = code_error(points, timing, np.sqrt(analog_counts), p)
    snr_t = signal / (gain * np.maximum(total, floor))
    bennett = signal / (gain * (lsb_counts**2 / 12 + clipping_error(points, timing["level_window_top"])))
    binary = n * p * (1 - p) / analog_counts
    return {
        "snr_analog_db": to_db(snr_a),
        "sqnr_db": to_db(sqnr),
        "snr_total_db": to_db(snr_t),
        "snr_total_additive_db": to_db(1.0 / (1.0 / snr_a + 1.0 / bennett)),
        "snr_binary_analog_db": to_db(binary),
        "code_error_counts2": total,
        "noise_thermal_uV": np.sqrt(noise["thermal_charge"] + noise["thermal_conversion"]) * 1e6,
        "noise_mismatch_uV": np.sqrt(noise["mismatch"] + noise["level"]) * 1e6,
        "noise_injection_uV": np.sqrt(noise["injection"]) * 1e6,
        "noise_comparator_uV": np.sqrt(noise["comparator"]) * 1e6,
        "noise_settling_uV": np.sqrt(noise["settling"]) * 1e6,
        "lsb_mV": lsb_counts * noise["step_V"] * 1e3,
    }
