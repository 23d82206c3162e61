"""Energy per operation of the QR macro, by component, with an ADC figure-of-merit cross-check.

Per compute cycle and column (random data: input bits 1 with probability α_x = ½, products with p = ¼):

* compute capacitors: node i (C_eff, reset to 0) is charged to VDD when a_i = 1: N·p·C_eff·VDD²
  (energy drawn from the supply charging a capacitor from 0 to VDD through any resistance);
* read word lines: N lines per cycle, each asserted with α_x, loaded by its wire and W read-port gates
  (from the floorplan); the array's energy shared by its W columns: N·α_x·(C_wl/W)·VDD²;
* switch control: the reset and share switches' gates toggle once each per cycle: 2·N·C_g·VDD²;
* SAR conversion (one per group of G = ``cols_per_adc`` columns, its cost shared by them) on the reused
  capacitors: conventional CDAC switching of the single-ended array, E = ½·Σ_{i=1}^{B} 2^(B+1−2i)(2^i−1)·
  C_unit·VDD² with C_unit = N_g·C_u/2^B (the sum is the differential-array figure of Ginsburg &
  Chandrakasan / Liu et al., 1363.3 C·V² at 10 bits; one single-ended array draws half), B comparator decisions (2·C_cmp·VDD² each) and B
  SAR-logic decisions; the SAR register's clock (B+2 flip-flops) toggles every clock period;
* digital shift-add: two accumulations per converted partial sum (input bit-plane and weight column) of
  width B_ADC + B_x + B_w + ⌈log2 L⌉ full-adder bits.

Energy per operation = E_cycle / (2·N/(B_x·B_w)) per column; TOPS/W = 1/(energy per op in pJ).

The ADC cross-check: Walden FOM = E_conv/2^ENOB and Schreier FOM = SNDR + 10·log10(f_s/2 / P) =
SNDR − 10·log10(2·E_conv); the model's ADC must stay behind the state of the art (Schreier ≤ 186 dB,
Walden ≥ ~0.5 fJ/step from the Murmann ADC survey).
"""

from __future__ import annotations

import numpy as np

from eda.acim.model_tech import ModelTech
from eda.acim.models import DesignPoints

__all__ = ["cdac_switching_energy_units", "energy_model", "adc_figures_of_merit", "INPUT_BIT_DENSITY"]

#: fraction of input bits that are 1 (uniform random activations)
INPUT_BIT_DENSITY = 0.5
#: fraction of weight bits that are 1
WEIGHT_BIT_DENSITY = 0.5


def cdac_switching_energy_units(bits: np.ndarray) -> np.ndarray:
    """Average conventional SAR switching energy of a single-ended binary CDAC, in C_unit·VDD² (uniform input).

    E/(C·V²) = ½·Σ_{i=1}^{B} 2^(B+1−2i)·(2^i − 1): half the differential-array 1363.3 at B = 10.
    """
    bits = np.asarray(bits, dtype=np.int64)
    out = np.zeros(bits.shape, dtype=float)
    for b in np.unique(bits):
        i = np.arange(1, int(b) + 1, dtype=float)
        out[bits == b] = 0.5 * np.sum(2.0 ** (b + 1 - 2 * i) * (2.0**i - 1))
    return out


def energy_model(points: DesignPoints, tech: ModelTech, geometry: dict[str, np.ndarray],
                 timing: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Energy per operation (fJ), its breakdown (fJ per op), TOPS/W and the ADC FOMs."""
    vdd2 = tech.vdd_V**2
    n = points.caps_per_column.astype(float)
    bits = points.adc_bits.astype(float)
    p = INPUT_BIT_DENSITY * WEIGHT_BIT_DENSITY
    c_u = geometry["unit_cap_drawn_fF"]
    c_eff = c_u + geometry["local_node_cap_fF"]
    group = points.cols_per_adc.astype(float)
    gate_cap = tech.gate_cap_fF_per_um2 * tech.switch_gate_area_um2
    # all in fJ per column per compute cycle (fF * V^2 = fJ)
    e_caps = n * p * c_eff * vdd2
    e_wordline = n * INPUT_BIT_DENSITY * geometry["wordline_cap_fF"] / points.cols * vdd2
    e_switch = 2 * n * gate_cap * vdd2
    c_unit = n * group * c_u / 2.0**bits
    e_cdac = cdac_switching_energy_units(points.adc_bits) * c_unit * vdd2 / group
    e_comparator = bits * 2 * tech.comparator_cap_fF * vdd2 / group
    e_sar_logic = bits * tech.sar_logic_energy_fJ / group
    e_clock = timing["clock_cycles_per_compute"] * (bits + 2) * tech.dff_clock_cap_fF * vdd2 / group
    acc_bits = bits + points.input_bits + points.weight_bits + np.ceil(np.log2(points.local_array_size))
    e_digital = 2 * acc_bits * tech.full_adder_energy_fJ / group
    ops = 2.0 * n / (points.input_bits * points.weight_bits)
    parts = {"caps": e_caps, "wordline": e_wordline, "switch": e_switch, "cdac": e_cdac,
             "comparator": e_comparator, "sar_logic": e_sar_logic, "clock": e_clock, "digital": e_digital}
    e_cycle = sum(parts.values())
    energy_per_op = e_cycle / ops
    out = {f"energy_{name}_fJ_per_op": value / ops for name, value in parts.items()}
    out["energy_per_op_fJ"] = energy_per_op
    out["tops_per_w"] = 1e3 / energy_per_op  # 1 op per fJ = 1000 TOPS/W
    e_adc = (e_cdac + e_comparator + e_sar_logic) * group  # one conversion
    out["adc_energy_fJ"] = e_adc
    out.update(adc_figures_of_merit(e_adc, bits))
    return out


def adc_figures_of_merit(conversion_energy_fJ: np.ndarray, enob: np.ndarray) -> dict[str, np.ndarray]:
    """Walden FOM (fJ/conversion-step) and Schreier FOM (dB) of an ADC from its energy per conversion.

    SNDR = 6.02·ENOB + 1.76 dB; Schreier FOM = SNDR + 10·log10(BW/P) with BW = f_s/2, P = E·f_s.
    """
    energy = np.asarray(conversion_energy_fJ, dtype=float)
    enob = np.asarray(enob, dtype=float)
    walden = energy / 2.0**enob
    sndr = 6.02 * enob + 1.76
    schreier = sndr - 10 * np.log10(2 * energy * 1e-15)
    return {"adc_walden_fJ_per_step": walden, "adc_schreier_db": schreier}
