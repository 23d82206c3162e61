"""Timing and throughput of the QR macro: RC-settling-limited phases on a discrete control clock.

One compute cycle (one input bit-plane through all W columns; :mod:`eda.acim.models.column` for the
levels) has four phases, each a whole number of clock periods (at least one):

1. precharge: one clock period; EN stays on through the evaluate phase, so the non-product nodes reach the
   characterised level V_H after precharge + evaluate;
2. evaluate: the row driver (characterised delay at no load and output resistance R_drv) raises the read
   word line, a distributed RC line of W pitches loaded by W read-port gates (Elmore τ_wl = R_drv·C_wl +
   R_wl·C_wl/2, ln 2·τ_wl to its midpoint),
   then the read port (R_port, the characterised on-resistance of the 8T read stack) discharges the
   local bit line and, through EN (R_en, the switch at 0 V), the compute node:
   τ_e = R_port·(C_lrbl + C_eff) + R_en·C_eff;
3. share: the control driver raises SH (its delay and R_ctrl into the SH line, as the word line), then the
   share switches (R_sw, characterised at the mean share voltage) connect the N_g nodes to the
   group's lines (C_L): the common mode settles with τ_s = R_sw·C_eff·C_L/(C_L + N_g·C_eff) plus the first
   mode of the distributed line, k·R_line·C_col/π² (k = 1 for a lone column, 4 when G > 1 columns join);
   G > 1 columns join at the ADC input through their column-share switches, and the differences between
   the columns' counts (one standard deviation of a column's products, a fraction of full scale) settle
   with τ_j = R_sw·C_col; the slower of the two sets the phase;
4. conversion: B + 1 SAR periods; in each the SAR logic switches its DAC lines (clock-to-output delay),
   the DAC step settles, then the comparator is clocked and decides (characterised delay at the VREF
   common mode) before the next SAR edge latches its output. A DAC bit's capacitors sit in one or a few
   columns, so its charge reaches the ADC input through those columns' share switches: the step settles
   with τ_d = R_sw(VREF)·C_col (one column against the others; for G = 1 the local term
   R_sw·C_eff + the line term), from an initial error of k·(G − 1)/2^B of full scale (k = min(N, 2^(B−1))
   capacitors of the largest bit in one column). Both parts take whole clock periods: the comparator
   clock rises ``t_compare_ns`` after the SAR edge and ``t_bit_ns`` later the next edge comes.

Settling to half an LSB of a full-scale step takes τ·ln(2^(B+1)). ``clock_ok`` is false where the
comparator does not decide at VREF (its input common mode below the characterised range);
``comparator_headroom_V`` is VREF less the lowest common mode at which it decides. Throughput:
per cycle each column computes N binary products; a multi-bit MAC needs ``input_bits`` cycles ×
``weight_bits`` columns, so ops/s = 2·N·W/(B_x·B_w)/T_cycle (1 MAC = 2 ops).
"""

from __future__ import annotations

import numpy as np

from eda.acim.models.column import PRODUCT_PROBABILITY, column_levels
from eda.acim.models.points import DesignPoints
from eda.acim.models.tech import ModelTech

__all__ = ["time_constants", "dac_step_fraction", "settling_time", "timing_model"]


def time_constants(
    points: DesignPoints, tech: ModelTech, geometry: dict[str, np.ndarray], levels: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Time constants (s): ``tau_charge_s`` (evaluate), ``tau_share_s`` (common mode), ``tau_dac_s``,
    ``tau_wordline_s``."""
    n = points.caps_per_column.astype(float)
    n_g = points.caps_per_conversion.astype(float)
    c_eff = levels["c_eff_fF"] * 1e-15
    c_lrbl = geometry["lrbl_cap_fF"] * 1e-15
    c_column = n * c_eff + geometry["line_cap_fF"] * 1e-15
    c_lines = (points.cols_per_adc * geometry["line_cap_fF"] + geometry["group_wire_cap_fF"]) * 1e-15
    line_factor = np.where(points.cols_per_adc > 1, 4.0, 1.0)
    tau_line = line_factor * geometry["line_res_ohm"] * c_column / np.pi**2
    r_share = tech.switch_ron(levels["v_share_mean_V"])
    r_dac = tech.switch_ron(levels["vref_V"])
    tau_charge = tech.read_port_ron_ohm * (c_lrbl + c_eff) + tech.switch_ron(0.0) * c_eff
    tau_share = r_share * c_eff * c_lines / (c_lines + n_g * c_eff) + tau_line
    tau_dac = np.where(points.cols_per_adc > 1, r_dac * c_column, r_dac * c_eff + tau_line)
    c_wl = geometry["wordline_cap_fF"] * 1e-15
    tau_wl = tech.wordline_driver_ohm * c_wl + geometry["wordline_res_ohm"] * c_wl / 2
    c_ctrl = (geometry["control_cap_fF"] + points.cols * tech.switch_gate_cap_fF) * 1e-15
    tau_ctrl = tech.ctrl_driver_ohm * c_ctrl + geometry["wordline_res_ohm"] * c_ctrl / 2
    tau_join = r_share * c_column
    return {
        "tau_charge_s": tau_charge,
        "tau_share_s": tau_share,
        "tau_dac_s": tau_dac,
        "tau_wordline_s": tau_wl,
        "tau_control_s": tau_ctrl,
        "tau_join_s": tau_join,
    }


def dac_step_fraction(points: DesignPoints) -> np.ndarray:
    """Initial settling error of a DAC step, as a fraction of full scale: the largest bit's capacitors in
    one column (k = min(N, 2^(B-1))) step that column against the other G - 1, k·(G - 1)/2^B; 1 for G = 1."""
    k = np.minimum(points.caps_per_column, 2.0 ** (points.adc_bits - 1))
    joined = k * (points.cols_per_adc - 1) / 2.0**points.adc_bits
    return np.where(points.cols_per_adc > 1, joined, 1.0)


def settling_time(
    tau_s: np.ndarray, adc_bits: np.ndarray, initial_error_fraction: np.ndarray | float = 1.0
) -> np.ndarray:
    """Time (s) for a single-pole response to settle within half an LSB (1/2^(B+1) of full scale)."""
    ratio = np.maximum(np.asarray(initial_error_fraction, dtype=float) * 2.0 ** (adc_bits + 1), 1.0)
    return tau_s * np.log(ratio)


def timing_model(
    points: DesignPoints, tech: ModelTech, geometry: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Phase plan, cycle time, throughput (TOPS), the column's levels and the clock constraint."""
    period = 1.0 / (points.clock_MHz * 1e6)
    # EN stays on through precharge and evaluate: the level is reached after both (evaluate found first
    # from the precharge-only level; the level moves the time constants by a few percent at most)
    levels = column_levels(points, tech, geometry, period * 1e9)
    tau = time_constants(points, tech, geometry, levels)
    t_wordline = tech.row_driver_delay_ps * 1e-12 + np.log(2.0) * tau["tau_wordline_s"]
    t_control = tech.ctrl_driver_delay_ps * 1e-12 + np.log(2.0) * tau["tau_control_s"]
    t_charge = t_wordline + settling_time(tau["tau_charge_s"], points.adc_bits)
    n_charge_first = np.maximum(np.ceil(t_charge / period - 1e-9), 1.0)
    levels = column_levels(points, tech, geometry, (1.0 + n_charge_first) * period * 1e9)
    tau = time_constants(points, tech, geometry, levels)
    t_charge = t_wordline + settling_time(tau["tau_charge_s"], points.adc_bits)
    # columns of a group join at the ADC input through their share switches: the count differences
    # between columns (about one standard deviation of a column's products) equalise with R_sw·C_col
    n = points.caps_per_column.astype(float)
    spread = np.sqrt(n * PRODUCT_PROBABILITY * (1 - PRODUCT_PROBABILITY)) / points.caps_per_conversion
    t_join = np.where(points.cols_per_adc > 1, settling_time(tau["tau_join_s"], points.adc_bits, spread), 0.0)
    t_share = t_control + np.maximum(settling_time(tau["tau_share_s"], points.adc_bits), t_join)
    t_dac = (
        settling_time(tau["tau_dac_s"], points.adc_bits, dac_step_fraction(points))
        + tech.sar_clk_to_q_ps * 1e-12
    )
    t_decide = tech.comparator_delay_ps(levels["vref_V"]) * 1e-12

    def periods(t: np.ndarray) -> np.ndarray:
        return np.maximum(np.ceil(t / period - 1e-9), 1.0)

    n_charge = periods(t_charge)
    n_share = periods(t_share)
    n_compare = periods(t_dac)
    n_bit = n_compare + periods(np.where(np.isfinite(t_decide), t_decide, period))
    n_conv = (points.adc_bits + 1) * n_bit
    n_cycle = 1.0 + n_charge + n_share + n_conv
    cycle_time = n_cycle * period
    n = points.caps_per_column.astype(float)
    ops_per_s = 2.0 * n * points.cols / (points.input_bits * points.weight_bits) / cycle_time
    return {
        "tau_charge_ps": tau["tau_charge_s"] * 1e12,
        "tau_share_ps": tau["tau_share_s"] * 1e12,
        "tau_dac_ps": tau["tau_dac_s"] * 1e12,
        "t_wordline_ns": t_wordline * 1e9,
        "t_precharge_ns": period * 1e9 * np.ones_like(n),
        "t_charge_ns": n_charge * period * 1e9,
        "t_share_ns": n_share * period * 1e9,
        "t_conversion_ns": n_conv * period * 1e9,
        "t_bit_ns": n_bit * period * 1e9,
        "t_compare_ns": n_compare * period * 1e9,
        "settle_dac_ns": t_dac * 1e9,
        "settle_charge_ns": t_charge * 1e9,
        "settle_share_ns": t_share * 1e9,
        "clock_cycles_per_compute": n_cycle,
        "cycle_time_ns": cycle_time * 1e9,
        "throughput_tops": ops_per_s * 1e-12,
        "clock_ok": np.isfinite(t_decide),
        "comparator_headroom_V": levels["vref_V"] - tech.comparator_min_cm_V,
        **{f"level_{k}": v for k, v in levels.items()},
    }
