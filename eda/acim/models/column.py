"""Voltage levels of the charge-domain column as drawn: precharge level, MAC and DAC steps, ADC window.

One compute cycle of an ADC group (G columns of N = H/L compute nodes, N_g = N·G nodes):

* **precharge** (one clock period): PCHB pulls each local read bit line to VDD and EN passes it to the
  compute node CTOP, which an NMOS can only raise to its threshold below the gate: the node reaches the
  characterised level V_H(t) (``ModelTech.charge_level``); the column lines are reset to 0;
* **evaluate**: a product x·w = 1 discharges its node (and bit line) to 0 through the 8T read port;
* **share**: the N_g nodes (C_eff each: MIM capacitor, junctions, plate parasitic) and the group's lines
  (C_L = G·C_line + C_g) share charge: V = V_H·C_eff·(N_g − K)/C_T, C_T = N_g·C_eff + C_L, so each
  product lowers the ADC input by Δ_H = V_H·C_eff/C_T;
* **convert**: the SAR raises the top plates (the MIM's other terminal) of bit b's 2^b capacitors from 0
  to VDD, each unit raising the input by Δ_u = VDD·C_mim/C_T,conv, and keeps a bit while the input stays
  below VREF. The code is D = ceil((VREF − V)/Δ_u) − 1 (clipped to 0..2^B−1): D = D0 + g·K with the
  DAC gain g = Δ_H/Δ_u, so one code step is 1/g products. The share switches stay on through the
  conversion, so the DAC sees their inverted channels too (the characterised SH channel capacitance C_ch
  across the comparator's decision range, one per compute node and, the same device, one column-share
  switch per column): C_T,conv = C_T + (N_g + G)·C_ch.

The G columns of a group share their rows' input bits: row r of local array i contributes
x_i·S_i products, x_i ~ Bernoulli(½) its input bit and S_i ~ Binomial(G, ½) the weights it meets, so K is
a sum of N such independent terms (:func:`product_count_pmf`), not Binomial(N_g, ¼): the same mean
N·G/4, but variance N·G·(G + 2)/16, (G + 2)/3 times the binomial N_g·3/16.

VREF places the ADC window: the comparator decides fastest at a high common mode and the input ends
each conversion near VREF, so VREF is set as high as the window allows while still covering
K_hi = E[K] + 4σ_K products: D0 = max(0, 2^B − 1 − ⌈g·K_hi⌉), VREF = V(K=0) + (D0 + ½)·Δ_u. VREF never
sits below the lowest input common mode at which the characterised comparator decides
(:attr:`~eda.acim.models.tech.ModelTech.comparator_min_cm_V`; an NMOS-input StrongARM makes no decision below
it): D0 ≥ ⌈(V_cm,min − V(K=0))/Δ_u − ½⌉, which narrows the window where V(K=0) is low. Products beyond the
window's top clip (the code error counts them).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from eda.acim.models.points import DesignPoints
from eda.acim.models.tech import ModelTech

__all__ = [
    "column_levels",
    "product_count_pmf",
    "product_count_moments",
    "PRODUCT_PROBABILITY",
    "WINDOW_SIGMAS",
    "BIT_PROBABILITY",
]

#: probability that a binary product x·w is 1 for uniform random input and weight bits
PRODUCT_PROBABILITY = 0.25
#: probability that a random input or weight bit is 1
BIT_PROBABILITY = 0.5
#: the ADC window covers the mean product count plus this many standard deviations
WINDOW_SIGMAS = 4.0


@lru_cache(maxsize=4096)
@lru_cache(maxsize=4096)
def product_count_pmf(caps_per_column: int, cols_per_adc: int) -> np.ndarray:
    """Distribution of the products K of one conversion: N = ``caps_per_column`` independent local arrays, each
    contributing x·S (x ~ Bernoulli(½) the computing row's input bit, shared by the G = ``cols_per_adc``
    columns; S ~ Binomial(G, ½) the weight bits it meets). Returns P(K = k), k = 0..N·G (read-only: the
    array is cached per (N, G))."""
    from scipy.stats import binom

    g = int(cols_per_adc)
    row = BIT_PROBABILITY * binom.pmf(np.arange(g + 1), g, BIT_PROBABILITY)
    row[0] += 1.0 - BIT_PROBABILITY
    out = np.ones(1)
    for _ in range(int(caps_per_column)):
        out = np.convolve(out, row)
    out.flags.writeable = False
    return out


def product_count_moments(
    caps_per_column: np.ndarray, cols_per_adc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of K (see :func:`product_count_pmf`): N·G/4 and N·(G/8 + G²/16)."""
    n, g = np.asarray(caps_per_column, dtype=float), np.asarray(cols_per_adc, dtype=float)
    px, pw = BIT_PROBABILITY, BIT_PROBABILITY
    return n * g * px * pw, n * (px * g * pw * (1 - pw) + px * (1 - px) * (g * pw) ** 2)


def sar_code(
    products: np.ndarray | float, window_offset: float, dac_gain: float, adc_bits: int
) -> np.ndarray:
    """The SAR ADC's code for ``products`` (counts, may carry noise): D = clip(ceil(D0 + ½ + g·K) − 1, 0,
    2^B − 1), VREF half a code above the window offset D0 (see the module docstring)."""
    return np.clip(
        np.ceil(window_offset + 0.5 + dac_gain * np.asarray(products, dtype=float)) - 1, 0, 2.0**adc_bits - 1
    )


def column_levels(
    points: DesignPoints,
    tech: ModelTech,
    geometry: dict[str, np.ndarray],
    precharge_ns: np.ndarray,
    p: float = PRODUCT_PROBABILITY,
) -> dict[str, np.ndarray]:
    """Per-point capacitances (fF), levels (V), steps (V), DAC gain and window (see the module docstring).

    Keys: ``c_eff_fF``, ``c_total_fF``, ``c_convert_fF`` (C_T,conv), ``c_mim_fF``, ``charge_level_V``, ``step_V`` (Δ_H), ``dac_step_V``
    (Δ_u), ``dac_gain`` (g), ``window_offset`` (D0), ``window_top`` (products at the top code),
    ``vref_V``, ``v_zero_V`` (input at K = 0), ``v_share_mean_V``.
    """
    n_g = points.caps_per_conversion.astype(float)
    c_mim = geometry["unit_cap_drawn_fF"]
    c_eff = c_mim + geometry["local_node_cap_fF"]
    c_lines = points.cols_per_adc * geometry["line_cap_fF"] + geometry["group_wire_cap_fF"]
    c_total = n_g * c_eff + c_lines
    level = tech.charge_level(precharge_ns)
    step = level * c_eff / c_total
    c_convert = c_total + (n_g + points.cols_per_adc) * tech.switch_channel_cap_fF
    dac = tech.vdd_V * c_mim / c_convert
    gain = step / dac
    codes = 2.0**points.adc_bits - 1
    mean, var = product_count_moments(points.caps_per_column, points.cols_per_adc)
    k_hi = np.minimum(n_g, mean + WINDOW_SIGMAS * np.sqrt(var))
    v_zero = step * n_g
    offset = np.maximum(0.0, codes - np.ceil(gain * k_hi))
    min_cm = tech.comparator_min_cm_V
    if np.isfinite(min_cm):
        offset = np.clip(np.maximum(offset, np.ceil((min_cm - v_zero) / dac - 0.5)), 0.0, codes)
    return {
        "c_eff_fF": c_eff,
        "c_total_fF": c_total,
        "c_convert_fF": c_convert,
        "c_mim_fF": c_mim,
        "charge_level_V": level,
        "step_V": step,
        "dac_step_V": dac,
        "dac_gain": gain,
        "window_offset": offset,
        "window_top": (codes - offset) / gain,
        "vref_V": v_zero + (offset + 0.5) * dac,
        "v_zero_V": v_zero,
        "v_share_mean_V": step * n_g * (1 - p),
    }
