"""Technology figures of the analytic ACIM models: process facts plus the library's transistor-level
characterisation.

:class:`ModelTech` holds, in the units its field names state,

* **process facts**: supply, feature size, temperature; the MIM capacitance per area and perimeter and
  the gate-oxide capacitance (from the SkyWater model files, recorded in the characterisation); the
  MIM matching coefficient and the metal-2 line's resistance/capacitance per µm (the library's
  ``tech.yaml``); the transistors' threshold mismatch ``A_VT`` (:data:`AVT_MV_UM`, a process figure);
* **characterised figures** (``<library>/characterization/<corner>.yaml``, written by
  :func:`eda.acim.characterize.characterize` from ngspice simulations of the drawn cells): the compute
  node's precharge level over time, junction capacitances of the compute and local read bit-line
  nodes, the read port's and share switch's on-resistance, control gate loads, charge injection,
  driver output resistances and energies, comparator delay over its input common mode, energy and
  offset, SAR logic energy per clock edge and clock-to-output delay, and a full adder's energy.

:func:`eda.acim.models.area.library_tech` reads both; :meth:`ModelTech.from_tech_file` the process part
alone (the characterised fields then stay NaN or empty: :meth:`ModelTech.check_complete`, which
:func:`eda.acim.models.evaluate` calls, turns that into a :class:`~eda.errors.SpecError` naming them).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from eda.errors import SpecError

__all__ = ["BOLTZMANN", "ModelTech", "AVT_MV_UM", "NAN"]

#: Boltzmann constant (J/K)
BOLTZMANN = 1.380649e-23
#: threshold-voltage mismatch of the 1.8 V SKY130 transistors, σ(ΔVth) = A_VT/√(W·L) (mV·µm); the
#: SkyWater model files distributed here carry no mismatch parameters, so it is a stated process figure
AVT_MV_UM = 5.0
NAN = float("nan")


@dataclass(frozen=True)
class ModelTech:
    """Technology figures of the analytic ACIM models (units in each field name; tables as tuples)."""

    name: str = "sky130"
    corner: str = "tt"
    feature_nm: float = 130.0
    vdd_V: float = 1.8
    temperature_K: float = 300.15
    # process: MIM capacitor, gate oxide, mismatch, compute-line metal
    cap_density_fF_per_um2: float = NAN
    cap_perimeter_fF_per_um: float = NAN
    cap_matching_pct_um: float = NAN
    gate_cap_fF_per_um2: float = NAN
    avt_mV_um: float = AVT_MV_UM
    wire_cap_fF_per_um: float = NAN
    wire_res_ohm_per_um: float = NAN
    # characterised: compute cell and bitcell
    charge_level_V_vs_ns: tuple[tuple[float, float], ...] = ()
    ctop_junction_cap_fF: float = NAN
    lrbl_cell_cap_fF: float = NAN
    lrbl_compute_cap_fF: float = NAN
    cbl_junction_cap_fF: float = NAN
    read_port_ron_ohm: float = NAN
    switch_ron_ohm_vs_V: tuple[tuple[float, float], ...] = ()
    switch_gate_cap_fF: float = NAN
    switch_channel_cap_fF: float = NAN
    precharge_gate_cap_fF: float = NAN
    switch_gate_area_um2: float = NAN
    injection_fC_at_0V: float = NAN
    injection_fC_at_level: float = NAN
    wordline_gate_cap_fF_per_cell: float = NAN
    # characterised: drivers, comparator, SAR logic, digital
    wordline_driver_ohm: float = NAN
    row_driver_delay_ps: float = NAN
    ctrl_driver_delay_ps: float = NAN
    row_driver_energy_fJ: float = NAN
    ctrl_driver_ohm: float = NAN
    ctrl_driver_energy_fJ: float = NAN
    comparator_delay_ps_vs_cm: tuple[tuple[float, float], ...] = ()
    comparator_energy_fJ: float = NAN
    comparator_offset_mV: float = NAN
    comparator_input_cap_fF: float = NAN
    sar_energy_per_edge_fJ: float = NAN
    sar_clk_to_q_ps: float = NAN
    full_adder_energy_fJ: float = NAN

    @property
    def kT(self) -> float:
        """Thermal energy kT in joule."""
        return BOLTZMANN * self.temperature_K

    def as_dict(self) -> dict[str, Any]:
        """All fields as a plain dict (for metrics and reports)."""
        return asdict(self)

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of the scalar numeric fields."""
        return [f.name for f in fields(cls) if f.type in ("float", float)]

    def missing_fields(self) -> list[str]:
        """Names of the fields without a value (NaN numbers, empty tables)."""
        missing = []
        for f in fields(self):
            value = getattr(self, f.name)
            if (isinstance(value, float) and math.isnan(value)) or (isinstance(value, tuple) and not value):
                missing.append(f.name)
        return missing

    def check_complete(self) -> None:
        """Raise :class:`~eda.errors.SpecError` when a field the models need has no value (a technology file
        without its characterisation), so no NaN reaches a result."""
        missing = self.missing_fields()
        if missing:
            raise SpecError(
                f"the model technology '{self.name}' ({self.corner}) lacks {', '.join(missing)}",
                hint="load it with eda.acim.models.area.library_tech (tech.yaml plus the "
                "characterisation), or run `eda acim characterize --out "
                "<library>/characterization`",
            )

    # -- tables ------------------------------------------------------------------------------------
    def charge_level(self, precharge_ns: np.ndarray | float) -> np.ndarray:
        """Compute-node level (V) after a precharge of ``precharge_ns`` through the EN switch."""
        table = np.asarray(self.charge_level_V_vs_ns, dtype=float).reshape(-1, 2)
        if not len(table):
            return np.full(np.shape(precharge_ns), NAN)
        return np.interp(precharge_ns, table[:, 0], table[:, 1])

    def switch_ron(self, volts: np.ndarray | float) -> np.ndarray:
        """Share switch on-resistance (Ω) with its source at ``volts``."""
        table = np.asarray(self.switch_ron_ohm_vs_V, dtype=float).reshape(-1, 2)
        if not len(table):
            return np.full(np.shape(volts), NAN)
        return np.exp(np.interp(volts, table[:, 0], np.log(table[:, 1])))

    def comparator_delay_ps(self, common_mode_V: np.ndarray | float) -> np.ndarray:
        """Comparator decision delay (ps, 1 mV overdrive) at an input common mode (inf where it does not
        decide)."""
        table = np.asarray(self.comparator_delay_ps_vs_cm, dtype=float).reshape(-1, 2)
        if not len(table):
            return np.full(np.shape(common_mode_V), NAN)
        finite = np.isfinite(table[:, 1])
        if not finite.any():
            return np.full(np.shape(common_mode_V), math.inf)
        low = table[finite, 0].min()
        out = np.exp(np.interp(common_mode_V, table[finite, 0], np.log(table[finite, 1])))
        return np.where(np.asarray(common_mode_V) < low, math.inf, out)

    @property
    def comparator_min_cm_V(self) -> float:
        """Lowest input common mode (V) at which the characterised comparator decides (NaN: no table)."""
        table = np.asarray(self.comparator_delay_ps_vs_cm, dtype=float).reshape(-1, 2)
        finite = np.isfinite(table[:, 1])
        return float(table[finite, 0].min()) if finite.any() else NAN

    # -- construction ------------------------------------------------------------------------------
    @classmethod
    def from_tech_file(cls, path: str | Path, base: ModelTech | None = None) -> ModelTech:
        """The process figures a library's ``tech.yaml`` provides, over ``base`` (default: empty).

        Recognised keys: ``name``, ``feature_nm``/``node_nm``, ``vdd``; ``capacitor`` (``density_fF_per_um2``,
        ``matching_pct_um``); ``mismatch.avt_mV_um``; per-layer ``sheet_res_ohm_sq``/``cap_fF_per_um`` of the
        layer named by ``compute_line_layer`` (default ``met2``) and the drawn width ``compute_line_width_um``
        (else that layer's ``min_width_um``).
        """
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(
                f"cannot read technology file {path}: {exc}", hint="check the library path"
            ) from None
        return replace(base or cls(), **_tech_overrides(data))

    @classmethod
    def from_characterization(cls, path: str | Path, base: ModelTech | None = None) -> ModelTech:
        """The characterised figures of ``<library>/characterization/<corner>.yaml`` over ``base``."""
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(
                f"cannot read characterisation file {path}: {exc}",
                hint="run `eda acim characterize --out <library>/characterization`",
            ) from None
        return replace(base or cls(), **_characterization_fields(data))


def _number(mapping: Any, *keys: str) -> float | None:
    """The first of ``keys`` in ``mapping`` that holds a number."""
    if not isinstance(mapping, dict):
        return None
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _tech_overrides(data: dict[str, Any]) -> dict[str, Any]:
    """Map the keys of a tech.yaml onto :class:`ModelTech` fields."""
    out: dict[str, Any] = {}
    if isinstance(data.get("name"), str):
        out["name"] = data["name"]
    for key, target in (
        ("feature_nm", "feature_nm"),
        ("node_nm", "feature_nm"),
        ("vdd", "vdd_V"),
        ("vdd_V", "vdd_V"),
    ):
        value = _number(data, key)
        if value is not None:
            out[target] = value
    cap = data.get("capacitor") or data.get("compute_capacitor") or {}
    density = _number(cap, "density_fF_per_um2", "cap_density_fF_per_um2", "density")
    matching = _number(cap, "matching_pct_um", "cap_matching_pct_um", "matching")
    if density is not None:
        out["cap_density_fF_per_um2"] = density
    if matching is not None:
        out["cap_matching_pct_um"] = matching
    avt = _number(data.get("mismatch") or {}, "avt_mV_um")
    if avt is not None:
        out["avt_mV_um"] = avt
    layers = data.get("layers") or {}
    line_layer = layers.get(str(data.get("compute_line_layer", "met2"))) if isinstance(layers, dict) else None
    sheet = _number(line_layer, "sheet_res_ohm_sq", "sheet_resistance_ohm_sq", "sheet_res")
    width = _number(data, "compute_line_width_um") or _number(line_layer, "min_width_um", "width_um")
    if width is None:
        rules = (line_layer or {}).get("rules") if isinstance(line_layer, dict) else None
        width = _number(rules, "min_width_um", "width")
    if sheet is not None and width:
        out["wire_res_ohm_per_um"] = sheet / width
    wire_cap = _number(line_layer, "cap_fF_per_um", "wire_cap_fF_per_um")
    if wire_cap is not None:
        out["wire_cap_fF_per_um"] = wire_cap
    return out


def _pairs(rows: Any, x: int = 0, y: int = 1) -> tuple[tuple[float, float], ...]:
    out = []
    for row in rows or []:
        a, b = float(row[x]), float(row[y])
        out.append((a, b))
    return tuple(out)


def _characterization_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Map a characterisation YAML onto :class:`ModelTech` fields."""
    p, bit, comp = data.get("process", {}), data.get("bitcell", {}), data.get("compute", {})
    cmp_, drv, sar = data.get("comparator", {}), data.get("drivers", {}), data.get("sar", {})
    delay = [
        (r[0], r[1] if isinstance(r[1], int | float) else math.inf)
        for r in cmp_.get("delay_ps_energy_fJ_vs_cm", [])
    ]
    out = {
        "corner": str(data.get("corner", "tt")),
        "vdd_V": float(data.get("vdd_V", 1.8)),
        "temperature_K": float(data.get("temperature_C", 27.0)) + 273.15,
        "cap_density_fF_per_um2": p.get("mim_fF_per_um2"),
        "cap_perimeter_fF_per_um": p.get("mim_fF_per_um"),
        "gate_cap_fF_per_um2": p.get("cox_fF_per_um2"),
        "avt_mV_um": p.get("avt_mV_um"),
        "charge_level_V_vs_ns": _pairs(comp.get("charge_level_V")),
        "ctop_junction_cap_fF": comp.get("ctop_junction_cap_fF"),
        "lrbl_cell_cap_fF": bit.get("lrbl_junction_cap_fF"),
        "lrbl_compute_cap_fF": comp.get("lrbl_junction_cap_fF"),
        "cbl_junction_cap_fF": comp.get("cbl_junction_cap_fF"),
        "read_port_ron_ohm": bit.get("read_port_ohm"),
        "switch_ron_ohm_vs_V": _pairs(comp.get("switch_ron_ohm_vs_V")),
        "switch_gate_cap_fF": comp.get("sh_gate_cap_fF"),
        "precharge_gate_cap_fF": comp.get("pchb_gate_cap_fF"),
        "switch_channel_cap_fF": comp.get("sh_channel_cap_fF"),
        "switch_gate_area_um2": comp.get("switch_gate_area_um2"),
        "injection_fC_at_0V": comp.get("injection_fC_at_0V"),
        "injection_fC_at_level": comp.get("injection_fC_at_level"),
        "wordline_gate_cap_fF_per_cell": bit.get("rwl_gate_cap_fF"),
        "wordline_driver_ohm": drv.get("row_driver_ohm"),
        "row_driver_energy_fJ": drv.get("row_driver_energy_fJ"),
        "row_driver_delay_ps": drv.get("row_driver_intrinsic_delay_ps"),
        "ctrl_driver_delay_ps": drv.get("ctrl_driver_intrinsic_delay_ps"),
        "ctrl_driver_ohm": drv.get("ctrl_driver_ohm"),
        "ctrl_driver_energy_fJ": drv.get("ctrl_driver_energy_fJ"),
        "comparator_delay_ps_vs_cm": tuple(delay),
        "comparator_energy_fJ": cmp_.get("energy_fJ"),
        "comparator_offset_mV": cmp_.get("offset_sigma_mV"),
        "comparator_input_cap_fF": cmp_.get("input_cap_fF"),
        "sar_energy_per_edge_fJ": sar.get("energy_per_edge_fJ"),
        "sar_clk_to_q_ps": sar.get("clk_to_q_ps"),
        "full_adder_energy_fJ": data.get("full_adder_energy_fJ"),
    }
    return {
        k: (float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v)
        for k, v in out.items()
        if v is not None
    }
