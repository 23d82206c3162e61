"""Electrical technology constants used by the ACIM performance models.

The models (:mod:`eda.acim.model_snr`, :mod:`eda.acim.model_throughput`, :mod:`eda.acim.model_energy`)
need a handful of device and interconnect figures: supply, capacitor density and matching, switch
on-resistance, gate and junction capacitances, wire R/C and the comparator/logic figures of the column
periphery. :class:`ModelTech` holds them in the units named by each field.

Values come from the cell library's ``tech.yaml`` when it carries them (layer sheet resistance and
capacitance, the compute capacitor's density and matching coefficient, see :meth:`ModelTech.from_tech_file`);
the remaining device figures are the defaults below, stated for SkyWater SKY130 (the open 130 nm process the
default cell library is drawn in) at 1.8 V and 300 K:

* MIM/MOM compute capacitor: 2 fF/µm² (``sky130_fd_pr__cap_mim_m3_1``); matching ``A_C`` = 1 %·µm
  (Pelgrom area law σ(ΔC/C) = A_C/√A, the usual figure for metal capacitors of this node).
* ``nfet_01v8``: Vth ≈ 0.5 V, C_ox ≈ 8.4 fF/µm² (t_ox 4.1 nm), A_VT ≈ 5 mV·µm; a 0.42/0.15 µm switch has
  R_on ≈ 2 kΩ; the 8T read port (two series devices) ≈ 5 kΩ.
* metal-2 compute line: 0.125 Ω/□ at 0.14 µm width → 0.9 Ω/µm; 0.2 fF/µm total wire capacitance.
* row driver 300 Ω output resistance; read-word-line gate load 0.5 fF per bitcell (0.42/0.15 µm gate),
  the word line's wire R/C per µm as the column line's (its length is W column pitches of the floorplan).
* StrongARM comparator: 20 fF latch load, noise factor 4 (σ² = n_f·kT/C), 150 ps decision.
* SAR logic 60 fJ per decision; a full-adder bit 20 fJ; DFF clock pin 2 fF; logic f_max 500 MHz.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from eda.errors import SpecError

__all__ = ["BOLTZMANN", "ModelTech", "SKY130"]

#: Boltzmann constant (J/K)
BOLTZMANN = 1.380649e-23


@dataclass(frozen=True)
class ModelTech:
    """Technology constants of the analytic ACIM models (units in each field name)."""

    name: str = "sky130"
    feature_nm: float = 130.0  # minimum feature size F (for F²/bit)
    vdd_V: float = 1.8
    temperature_K: float = 300.0
    # compute capacitor
    cap_density_fF_per_um2: float = 2.0
    cap_matching_pct_um: float = 1.0  # A_C: sigma(dC/C)[%] = A_C / sqrt(area[um^2])
    # switches and read port
    switch_ron_ohm: float = 2000.0  # reset / charge-share / CDAC bottom-plate switch
    read_port_ron_ohm: float = 5000.0  # 8T read port charging the local compute node
    switch_gate_area_um2: float = 0.063  # W*L = 0.42 um * 0.15 um
    gate_cap_fF_per_um2: float = 8.4
    vth_V: float = 0.5
    avt_mV_um: float = 5.0
    # parasitics
    cell_drain_cap_fF: float = 0.25  # read-port junction each bitcell puts on its local node
    switch_drain_cap_fF: float = 0.3  # junction of a share switch on the compute line
    wire_cap_fF_per_um: float = 0.2
    wire_res_ohm_per_um: float = 0.9
    wordline_gate_cap_fF_per_cell: float = 0.5  # read-port gate load each bitcell puts on its word line
    wordline_driver_ohm: float = 300.0  # output resistance of a row driver
    bitcell_height_um: float = 2.0  # used only when no floorplan is available
    # comparator and digital periphery
    comparator_cap_fF: float = 20.0
    comparator_noise_factor: float = 4.0
    comparator_delay_ps: float = 150.0
    sar_logic_energy_fJ: float = 60.0
    full_adder_energy_fJ: float = 20.0
    dff_clock_cap_fF: float = 2.0
    logic_fmax_MHz: float = 500.0

    @property
    def kT(self) -> float:
        """Thermal energy kT in joule."""
        return BOLTZMANN * self.temperature_K

    def as_dict(self) -> dict[str, Any]:
        """All fields as a plain dict (for metrics and reports)."""
        return asdict(self)

    @classmethod
    def from_tech_file(cls, path: str | Path, base: ModelTech | None = None) -> ModelTech:
        """Read the electrical figures a cell library's ``tech.yaml`` provides, over ``base`` defaults.

        Recognised keys (all optional): a top-level ``feature_nm``/``node_nm``, ``vdd``; an ``acim_model``
        mapping with any :class:`ModelTech` field name; ``capacitor`` (``density_fF_per_um2``,
        ``matching_pct_um``); per-layer ``sheet_res_ohm_sq``/``cap_fF_per_um`` of the layer named by
        ``compute_line_layer`` (default ``met2``) and the drawn line width ``compute_line_width_um`` (else
        that layer's ``min_width_um``).
        """
        base = base or SKY130
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(f"cannot read technology file {path}: {exc}", hint="check the library path") from None
        return replace(base, **_tech_overrides(data))

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of the numeric fields."""
        return [f.name for f in fields(cls) if f.name != "name"]


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
    for key, target in (("feature_nm", "feature_nm"), ("node_nm", "feature_nm"), ("vdd", "vdd_V"),
                        ("vdd_V", "vdd_V")):
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
    model = data.get("acim_model") or {}
    known = set(ModelTech.field_names())
    for key, value in (model.items() if isinstance(model, dict) else []):
        if key in known and isinstance(value, int | float):
            out[key] = float(value)
    return out


#: the default technology constants (SkyWater SKY130 at 1.8 V, 300 K)
SKY130 = ModelTech()
