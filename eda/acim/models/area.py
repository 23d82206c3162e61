"""Area and column parasitics of ACIM design points, taken from the generator's floorplan.

The area model does not estimate: it calls :func:`eda.acim.floorplan.floorplan` (the same arithmetic the
layout generator places cells with) for every distinct spec, so the model area *is* the layout area. The
same floorplan gives the column's geometry for the electrical models:

* local node: the local read bit line spans L bitcell rows plus the compute cell (``L·bit_h + compute_h``
  of wire) and carries L read-port junctions and the compute switch's junction; the compute capacitor's
  bottom plate (CTOP, met3 over the bitcells' met2 lines) adds its plate capacitance ε·A/t (A the drawn
  plate and strap area, t the met3-to-met2 dielectric of the technology file), the wiring of its
  plate edge and strap, the CTOP wiring inside the compute cell (measured once per library on the cell's
  GDS) and the junctions of the share and reset switches;
* compute line: spans every local-array group of the column (``rows/L · group_h``), loaded by one share
  switch junction per group; its resistance is that length times the wire resistance per µm;
* word line: W column pitches of wire loaded by W read-port gates;
* the comparator input wire joining the group's G column lines spans G column pitches;
* the compute capacitance is the value of the capacitor cell as drawn (grid-rounded), not the request.

Outputs: ``area_um2`` (macro incl. power ring), ``f2_per_bit`` (area per bitcell over F²).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from eda.acim.models.points import SPEC_FIELDS, DesignPoints
from eda.acim.models.tech import ModelTech

__all__ = ["column_geometry", "area_model", "floorplan_of", "spec_table", "library_tech", "drawable"]

_GEOMETRY_KEYS = (
    "area_um2",
    "pitch_um",
    "bit_h_um",
    "compute_h_um",
    "group_h_um",
    "cap_area_um2",
    "cap_perimeter_um",
    "plate_parasitic_fF",
    "ctop_wire_um",
    "ctop_cell_wire_fF",
)
#: vacuum permittivity (fF/µm)
EPS0_FF_PER_UM = 8.8541878128e-3


@lru_cache(maxsize=8)
def _library(path: str | None) -> Any:
    from eda.acim.library import load_library

    return load_library(path)


@lru_cache(maxsize=8)
def _plate_cap_fF_per_um2(path: str | None) -> float:
    """Capacitance density (fF/µm²) of met3 over met2: ε0·εr / t_ild of the library's technology file."""
    from eda.tech import load_tech

    tech = load_tech(_library(path).tech_file)
    return EPS0_FF_PER_UM * float(tech.data.get("eps_r", 3.9)) / tech.prop("met3", "ild_below_um")


@lru_cache(maxsize=8)
def _cell_net_cap_fF(path: str | None, role: str, net: str) -> float:
    """Wire capacitance (fF) of ``net`` inside the library cell of ``role``, measured on its GDS with the
    technology file's per-layer capacitances (:func:`eda.acim.wirecap.net_capacitance`); 0 without a GDS."""
    from eda.acim.wirecap import net_capacitance
    from eda.tech import load_tech

    lib = _library(path)
    gds = lib.role(role).gds
    if gds is None or not Path(gds).is_file():
        return 0.0
    return float(net_capacitance(gds, load_tech(lib.tech_file), {net}).get(net, 0.0))


@lru_cache(maxsize=8)
def _library_tech(path: str | None, corner: str) -> ModelTech:
    from eda.acim.characterize import characterization_file
    from eda.acim.library import default_library_dir
    from eda.errors import SpecError

    lib = _library(path)
    tech = ModelTech.from_tech_file(lib.tech_file)
    for directory in (lib.path, default_library_dir()):
        char = characterization_file(directory, corner)
        if char.is_file():
            return ModelTech.from_characterization(char, tech)
    raise SpecError(
        f"library '{lib.name}' has no transistor-level characterisation for corner {corner}",
        where=str(characterization_file(lib.path, corner)),
        hint=f"run `eda acim characterize --corner {corner} --library {lib.path} "
        f"--out {lib.path}/characterization`",
    )


def library_tech(library: Any = None, corner: str = "tt") -> ModelTech:
    """The model figures of a cell library at ``corner``: its ``tech.yaml`` process figures and its
    characterisation (``<library>/characterization/<corner>.yaml``; a library without one uses the
    default library's, whose cells it is drawn from)."""
    return _library_tech(_library_key(library), corner)


def _library_key(library: Any) -> str | None:
    if library is None:
        return None
    if isinstance(library, str | Path):
        return str(library)
    return str(library.path)


@lru_cache(maxsize=200_000)
def _floorplan_numbers(spec_values: tuple[Any, ...], library_key: str | None) -> tuple[float, ...]:
    from eda.acim.celllib.mimcap import plate_area_um2
    from eda.acim.floorplan import floorplan
    from eda.acim.spec import ACIMSpec

    spec = ACIMSpec(**dict(zip(SPEC_FIELDS, spec_values, strict=True)))
    lib = _library(library_key)
    plan = floorplan(spec, lib)
    plate = plate_area_um2(spec.unit_cap_fF, plan.compute_h, float(lib.capacitor["ctop_via2"][1]))
    plate_fF = plate * _plate_cap_fF_per_um2(library_key)
    from eda.acim.celllib.mimcap import mim_size
    from eda.layout.sky130 import R

    w, h = mim_size(spec.unit_cap_fF)
    via_y = float(lib.capacitor["ctop_via2"][1])
    # the CTOP net's wiring: the met3 bottom plate (half its perimeter) and the strap down to the via2
    wire = (w + 2 * R.m3_capm) + (h + 2 * R.m3_capm) + (plan.compute_h - via_y)
    cell_fF = _cell_net_cap_fF(library_key, "compute", "CTOP")
    return (
        plan.area_um2,
        plan.pitch,
        plan.bit_h,
        plan.compute_h,
        plan.group_h,
        w * h,
        2 * (w + h),
        plate_fF,
        wire,
        cell_fF,
    )


@lru_cache(maxsize=200_000)
def _drawable(spec_values: tuple[Any, ...], library_key: str | None) -> bool:
    from eda.acim.celllib.sar import sar_height
    from eda.acim.dacplan import dac_plan
    from eda.acim.floorplan import floorplan, tap_period
    from eda.acim.spec import ACIMSpec
    from eda.errors import SpecError

    try:
        spec = ACIMSpec(**dict(zip(SPEC_FIELDS, spec_values, strict=True)))
        lib = _library(library_key)
        floorplan(spec, lib)  # the capacitor fits over its local array
        plan = dac_plan(spec.local_arrays_per_column, spec.cols_per_adc, spec.adc_bits)  # the DAC lines fit
        sar_height(plan, tap_period(spec, lib), lib.column_pitch)  # the SAR logic of a tap segment routes
    except SpecError:
        return False
    return True


def drawable(points: DesignPoints, library: Any = None) -> np.ndarray:
    """Mask of the points the generator can draw with ``library`` (capacitor fit, DAC wiring, SAR block)."""
    unique, inverse = np.unique(spec_table(points), axis=0, return_inverse=True)
    key = _library_key(library)
    ok = np.array([_drawable(_spec_tuple(row), key) for row in unique], dtype=bool)
    return ok[inverse.ravel()]


def floorplan_of(spec: dict[str, Any], library: Any = None) -> Any:
    """The :class:`eda.acim.floorplan.Floorplan` of one ACIMSpec field dict."""
    from eda.acim.floorplan import floorplan
    from eda.acim.spec import ACIMSpec

    return floorplan(ACIMSpec(**spec), _library(_library_key(library)))


def spec_table(points: DesignPoints) -> np.ndarray:
    """The ACIMSpec fields of every point as a (points × 8) float array."""
    return np.stack([getattr(points, key).astype(float) for key in SPEC_FIELDS], axis=1)


def _spec_tuple(row: np.ndarray) -> tuple[Any, ...]:
    return tuple(
        float(v) if key == "unit_cap_fF" else int(v) for key, v in zip(SPEC_FIELDS, row, strict=True)
    )


def _floorplan_arrays(points: DesignPoints, library: Any) -> dict[str, np.ndarray]:
    """Floorplan numbers for every point (one floorplan call per distinct spec)."""
    unique, inverse = np.unique(spec_table(points), axis=0, return_inverse=True)
    key = _library_key(library)
    values = np.array([_floorplan_numbers(_spec_tuple(row), key) for row in unique], dtype=float)
    values = values[inverse.ravel()]
    return {name: values[:, i] for i, name in enumerate(_GEOMETRY_KEYS)}


def column_geometry(points: DesignPoints, tech: ModelTech, *, library: Any = None) -> dict[str, np.ndarray]:
    """Per-point column capacitances (fF), resistances (Ω) and lengths (µm) from the floorplan and the
    characterised junctions (see the module docstring)."""
    plan = _floorplan_arrays(points, library)
    n = points.caps_per_column.astype(float)
    cap = (
        tech.cap_density_fF_per_um2 * plan["cap_area_um2"]
        + tech.cap_perimeter_fF_per_um * plan["cap_perimeter_um"]
    )
    local_wire_um = points.local_array_size * plan["bit_h_um"] + plan["compute_h_um"]
    line_um = n * plan["group_h_um"]
    return {
        "unit_cap_drawn_fF": cap,
        "plate_parasitic_fF": plan["plate_parasitic_fF"],
        "local_node_cap_fF": (
            tech.ctop_junction_cap_fF
            + plan["ctop_wire_um"] * tech.wire_cap_fF_per_um
            + plan["plate_parasitic_fF"]
            + plan["ctop_cell_wire_fF"]
        ),
        "lrbl_cap_fF": (
            points.local_array_size * tech.lrbl_cell_cap_fF
            + tech.lrbl_compute_cap_fF
            + local_wire_um * tech.wire_cap_fF_per_um
        ),
        "line_cap_fF": line_um * tech.wire_cap_fF_per_um + n * tech.cbl_junction_cap_fF,
        "line_res_ohm": line_um * tech.wire_res_ohm_per_um,
        "line_length_um": line_um,
        "group_wire_cap_fF": (
            points.cols_per_adc * plan["pitch_um"] * tech.wire_cap_fF_per_um + tech.comparator_input_cap_fF
        ),
        "wordline_res_ohm": points.cols * plan["pitch_um"] * tech.wire_res_ohm_per_um,
        "wordline_cap_fF": points.cols
        * (plan["pitch_um"] * tech.wire_cap_fF_per_um + tech.wordline_gate_cap_fF_per_cell),
        "control_cap_fF": points.cols * plan["pitch_um"] * tech.wire_cap_fF_per_um,
        "dac_line_cap_fF": (line_um + points.cols_per_adc * plan["pitch_um"]) * tech.wire_cap_fF_per_um,
        "area_um2": plan["area_um2"],
    }


def area_model(
    points: DesignPoints,
    tech: ModelTech,
    *,
    library: Any = None,
    geometry: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Macro area (µm²) and area per bitcell in F² (F = ``tech.feature_nm``)."""
    area = (geometry or _floorplan_arrays(points, library))["area_um2"]
    f_um = tech.feature_nm * 1e-3
    return {"area_um2": area, "f2_per_bit": area / (points.rows * points.cols) / f_um**2}
