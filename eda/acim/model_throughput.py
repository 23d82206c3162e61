"""Timing and throughput of the QR macro: RC-settling-limited phases on a discrete control clock.

One compute cycle (one input bit-plane through all W columns) has four phases, each a whole number of
clock periods (at least one):

1. reset of the local nodes and the compute line (one clock period);
2. charge: the row driver (R_drv) raises the read word line, a distributed RC line of W pitches loaded by
   W read-port gates (Elmore τ_wl = R_drv·C_wl + R_wl·C_wl/2, ln 10·τ_wl to 90 %), then the 8T read port
   (R_port) charges node i (C_eff) to VDD·a_i — τ_c = R_port·C_eff;
3. share: the share switches (R_sw) connect the N_g nodes to the group's column lines (total wire
   capacitance C_L = G·C_line + C_g). The comparator node sees only the common mode — nodes discharging
   together into the lines, R_sw·C_eff in series with C_L/N_g: τ_s = R_sw·C_eff·C_L/(C_L + N_g·C_eff) —
   (node-to-node differential modes carry no net current into the line) plus the first mode of the
   distributed line, k·R_line·C_col/π² with C_col = N·C_eff + C_line (k = 1 for a lone column, an RC line
   open at both ends; k = 4 when G > 1 columns join at the bottom, two lines in series);
4. conversion: every ADC group converts in parallel, B_ADC SAR decisions each of CDAC settling and the
   comparator delay; a bottom-plate step moves individual nodes, so the DAC settles with the slower
   differential mode τ_d = R_sw·C_eff (+ the same line term).

Settling to half an LSB of full scale from a full-scale step needs t = τ·ln(2^(B+1)). The clock must not
exceed the SAR logic's f_max (constraint ``clock_ok``). Throughput: per cycle each column computes N
binary products; a multi-bit MAC needs ``input_bits`` cycles × ``weight_bits`` columns, so

    ops/s = 2 · N · W / (B_x · B_w) / T_cycle     (1 MAC = 2 ops).
"""

from __future__ import annotations

import numpy as np

from eda.acim.model_tech import ModelTech
from eda.acim.models import DesignPoints

__all__ = ["time_constants", "settling_time", "timing_model"]


def time_constants(points: DesignPoints, tech: ModelTech, geometry: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Time constants (s): ``tau_charge_s``, ``tau_share_s`` (common mode), ``tau_dac_s``, ``tau_wordline_s``."""
    n = points.caps_per_column.astype(float)
    n_g = points.caps_per_conversion.astype(float)
    c_eff = (geometry["unit_cap_drawn_fF"] + geometry["local_node_cap_fF"]) * 1e-15
    c_column = n * c_eff + geometry["line_cap_fF"] * 1e-15
    c_lines = (points.cols_per_adc * geometry["line_cap_fF"] + geometry["group_wire_cap_fF"]) * 1e-15
    line_factor = np.where(points.cols_per_adc > 1, 4.0, 1.0)
    tau_line = line_factor * geometry["line_res_ohm"] * c_column / np.pi**2
    tau_charge = tech.read_port_ron_ohm * c_eff
    tau_share = tech.switch_ron_ohm * c_eff * c_lines / (c_lines + n_g * c_eff) + tau_line
    tau_dac = tech.switch_ron_ohm * c_eff + tau_line
    c_wl = geometry["wordline_cap_fF"] * 1e-15
    tau_wl = tech.wordline_driver_ohm * c_wl + geometry["wordline_res_ohm"] * c_wl / 2
    return {"tau_charge_s": tau_charge, "tau_share_s": tau_share, "tau_dac_s": tau_dac, "tau_wordline_s": tau_wl}


def settling_time(tau_s: np.ndarray, adc_bits: np.ndarray, initial_error_fraction: np.ndarray | float = 1.0
                  ) -> np.ndarray:
    """Time (s) for a single-pole response to settle within half an LSB (1/2^(B+1) of full scale)."""
    ratio = np.maximum(np.asarray(initial_error_fraction, dtype=float) * 2.0 ** (adc_bits + 1), 1.0)
    return tau_s * np.log(ratio)


def timing_model(points: DesignPoints, tech: ModelTech, geometry: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cycle time, clock periods per compute cycle, throughput (TOPS) and the clock constraint."""
    tau = time_constants(points, tech, geometry)
    period = 1.0 / (points.clock_MHz * 1e6)
    t_wordline = np.log(10.0) * tau["tau_wordline_s"]
    t_charge = t_wordline + settling_time(tau["tau_charge_s"], points.adc_bits)
    t_share = settling_time(tau["tau_share_s"], points.adc_bits)
    t_bit = settling_time(tau["tau_dac_s"], points.adc_bits) + tech.comparator_delay_ps * 1e-12

    def periods(t: np.ndarray) -> np.ndarray:
        return np.maximum(np.ceil(t / period - 1e-9), 1.0)

    n_charge = periods(t_charge)
    n_share = periods(t_share)
    n_bit = periods(t_bit)
    n_conv = points.adc_bits * n_bit
    n_cycle = 1.0 + n_charge + n_share + n_conv
    cycle_time = n_cycle * period
    n = points.caps_per_column.astype(float)
    ops_per_s = 2.0 * n * points.cols / (points.input_bits * points.weight_bits) / cycle_time
    return {
        "tau_charge_ps": tau["tau_charge_s"] * 1e12,
        "tau_share_ps": tau["tau_share_s"] * 1e12,
        "tau_dac_ps": tau["tau_dac_s"] * 1e12,
        "t_wordline_ns": t_wordline * 1e9,
        "t_charge_ns": n_charge * period * 1e9,
        "t_share_ns": n_share * period * 1e9,
        "t_conversion_ns": n_conv * period * 1e9,
        "t_bit_ns": n_bit * period * 1e9,
        "clock_cycles_per_compute": n_cycle,
        "cycle_time_ns": cycle_time * 1e9,
        "throughput_tops": ops_per_s * 1e-12,
        "clock_ok": points.clock_MHz <= tech.logic_fmax_MHz,
    }
