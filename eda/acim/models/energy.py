"""Energy per operation of the QR macro as drawn, by component, with an ADC figure-of-merit cross-check.

Per compute cycle and column (random data: input bits 1 with probability α_x = ½, products with p = ¼;
levels and capacitances from :mod:`eda.acim.models.column`; every energy is charge drawn from a supply
times its voltage):

* precharge: the PMOS restores each local bit line a product discharged (p·C_lrbl·VDD) and, through EN,
  lifts every compute node from the shared level it was left at to V_H (C_eff·(V_H − E[V_share])):
  N·VDD·(p·C_lrbl·VDD + C_eff·(V_H − E[V_share]));
* read word lines: N lines per cycle, each asserted with α_x, loaded by its wire and W read-port gates,
  plus the row driver's own (characterised) energy; shared by the W columns;
* control: the PCHB, EN and SH lines of each local array (gate loads characterised, wire per pitch) and
  the column reset CRST toggle once per cycle, plus the control drivers' own energy;
* SAR conversion (one per group of G columns, shared by them): each bit is tried once by raising its
  2^b top plates (C_b) and its met4 lines (C_line,b) to VDD: VDD²·(C_b·(1 − C_b/C_T) + C_line,b) — the
  decisions only decide which plates fall back, and falling plates draw nothing; B comparator decisions
  and B + 1 SAR clock edges (characterised energies);
* digital shift-add: two accumulations per converted partial sum of B_ADC + B_x + B_w + ⌈log2 L⌉ bits, at
  the characterised energy of a full adder.

Energy per operation = E_cycle / (2·N/(B_x·B_w)) per column; TOPS/W = 1/(energy per op in pJ).
``energy_per_mac_fJ`` is the analog part (everything but the shift-add) per binary product, the figure
``eda acim verify`` measures.

The ADC cross-check: Walden FOM = E_conv/2^ENOB and Schreier FOM = SNDR + 10·log10(f_s/2 / P) =
SNDR − 10·log10(2·E_conv); the ADC must stay behind the state of the art (Schreier ≤ 186 dB, Walden ≥
~0.5 fJ/step from the Murmann ADC survey).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from eda.acim.models.column import PRODUCT_PROBABILITY
from eda.acim.models.points import DesignPoints
from eda.acim.models.tech import ModelTech

__all__ = ["dac_lines_per_bit", "energy_model", "adc_figures_of_merit", "INPUT_BIT_DENSITY"]

#: fraction of input bits that are 1 (uniform random activations)
INPUT_BIT_DENSITY = 0.5


@lru_cache(maxsize=4096)
def _lines(groups: int, cols_per_adc: int, adc_bits: int) -> tuple[int, ...]:
    from eda.acim.dacplan import dac_plan
    from eda.errors import SpecError

    try:
        plan = dac_plan(groups, cols_per_adc, adc_bits)
    except SpecError:  # not drawable: one line per bit
        return (1,) * adc_bits
    counts = [0] * adc_bits
    for column in plan.columns:
        for net, _ in column.runs:
            if net != "VSS":
                counts[int(net[2:])] += 1
    return tuple(counts)


def dac_lines_per_bit(points: DesignPoints) -> list[tuple[int, ...]]:
    """met4 DAC lines driven for each bit of each point (from the DAC plan)."""
    return [
        _lines(int(n), int(k), int(b))
        for n, k, b in zip(points.caps_per_column, points.cols_per_adc, points.adc_bits, strict=True)
    ]


def _cdac_energy_fJ(
    points: DesignPoints, tech: ModelTech, geometry: dict[str, np.ndarray], c_total: np.ndarray
) -> np.ndarray:
    """SAR DAC energy per conversion (fJ): every bit raised once (see the module docstring)."""
    out = np.zeros(len(points))
    c_mim = geometry["unit_cap_drawn_fF"]
    for i, lines in enumerate(dac_lines_per_bit(points)):
        for b, count in enumerate(lines):
            c_b = 2.0**b * c_mim[i]
            out[i] += tech.vdd_V**2 * (c_b * (1 - c_b / c_total[i]) + count * geometry["dac_line_cap_fF"][i])
    return out


def energy_model(
    points: DesignPoints, tech: ModelTech, geometry: dict[str, np.ndarray], timing: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Energy per operation (fJ), its breakdown (fJ per op), per binary MAC, TOPS/W and the ADC FOMs."""
    vdd, vdd2 = tech.vdd_V, tech.vdd_V**2
    n = points.caps_per_column.astype(float)
    w = points.cols.astype(float)
    bits = points.adc_bits.astype(float)
    p = PRODUCT_PROBABILITY
    group = points.cols_per_adc.astype(float)
    c_eff = timing["level_c_eff_fF"]
    level = timing["level_charge_level_V"]
    v_share = timing["level_v_share_mean_V"]
    # all in fJ per column per compute cycle (fF * V^2 = fJ)
    e_caps = n * vdd * (p * geometry["lrbl_cap_fF"] * vdd + c_eff * (level - v_share))
    e_wordline = n * INPUT_BIT_DENSITY * (geometry["wordline_cap_fF"] * vdd2 + tech.row_driver_energy_fJ) / w
    per_cell = 2 * tech.switch_gate_cap_fF + tech.precharge_gate_cap_fF
    e_switch = (
        n * (per_cell * vdd2 + 3 * geometry["control_cap_fF"] / w * vdd2 + 3 * tech.ctrl_driver_energy_fJ / w)
        + (tech.switch_gate_cap_fF + geometry["control_cap_fF"] / w) * vdd2
    )
    e_cdac = _cdac_energy_fJ(points, tech, geometry, timing["level_c_convert_fF"]) / group
    e_comparator = bits * tech.comparator_energy_fJ / group
    e_sar_logic = (bits + 1) * tech.sar_energy_per_edge_fJ / group
    acc_bits = bits + points.input_bits + points.weight_bits + np.ceil(np.log2(points.local_array_size))
    e_digital = 2 * acc_bits * tech.full_adder_energy_fJ / group
    ops = 2.0 * n / (points.input_bits * points.weight_bits)
    parts = {
        "caps": e_caps,
        "wordline": e_wordline,
        "switch": e_switch,
        "cdac": e_cdac,
        "comparator": e_comparator,
        "sar_logic": e_sar_logic,
        "digital": e_digital,
    }
    e_cycle = sum(parts.values())
    out = {f"energy_{name}_fJ_per_op": value / ops for name, value in parts.items()}
    out["energy_per_op_fJ"] = e_cycle / ops
    out["energy_per_mac_fJ"] = (e_cycle - e_digital) / n
    out["tops_per_w"] = 1e3 / out["energy_per_op_fJ"]  # 1 op per fJ = 1000 TOPS/W
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
