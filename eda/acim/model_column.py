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
  to VDD, each unit raising the input by Δ_u = VDD·C_mim/C_T, and keeps a bit while the input stays
  below VREF. The code is D = ceil((VREF − V)/Δ_u) − 1 (clipped to 0..2^B−1): D = D0 + g·K with the
  DAC gain g = Δ_H/Δ_u, so one code step is 1/g products.

VREF places the ADC window: the comparator decides fastest at a high common mode and the input ends
each conversion near VREF, so VREF is set as high as the window allows while still covering
K_hi = N_g·p + 4σ products (p = ¼ for random bits): D0 = max(0, 2^B − 1 − ⌈g·K_hi⌉),
VREF = V(K=0) + (D0 + ½)·Δ_u. Products beyond the window's top clip.
"""

from __future__ import annotations

import numpy as np

from eda.acim.model_tech import ModelTech
from eda.acim.models import DesignPoints

__all__ = ["column_levels", "PRODUCT_PROBABILITY", "WINDOW_SIGMAS"]

#: probability that a binary product x·w is 1 for uniform random input and weight bits
PRODUCT_PROBABILITY = 0.25
#: the ADC window covers the mean product count plus this many standard deviations
WINDOW_SIGMAS = 4.0


def column_levels(points: DesignPoints, tech: ModelTech, geometry: dict[str, np.ndarray],
                  precharge_ns: np.ndarray, p: float = PRODUCT_PROBABILITY) -> dict[str, np.ndarray]:
    """Per-point capacitances (fF), levels (V), steps (V), DAC gain and window (see the module docstring).

    Keys: ``c_eff_fF``, ``c_total_fF``, ``c_mim_fF``, ``charge_level_V``, ``step_V`` (Δ_H), ``dac_step_V``
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
    dac = tech.vdd_V * c_mim / c_total
    gain = step / dac
    codes = 2.0 ** points.adc_bits - 1
    k_hi = np.minimum(n_g, n_g * p + WINDOW_SIGMAS * np.sqrt(n_g * p * (1 - p)))
    offset = np.maximum(0.0, codes - np.ceil(gain * k_hi))
    v_zero = step * n_g
    return {
        "c_eff_fF": c_eff, "c_total_fF": c_total, "c_mim_fF": c_mim, "charge_level_V": level, "step_V": step,
        "dac_step_V": dac, "dac_gain": gain, "window_offset": offset, "window_top": (codes - offset) / gain,
        "vref_V": v_zero + (offset + 0.5) * dac, "v_zero_V": v_zero, "v_share_mean_V": step * n_g * (1 - p),
    }
