"""Characterise a cell library at transistor level: one YAML file of electrical figures per corner.

``eda acim characterize --corner tt --out DIR`` (step ``acim.characterize``) simulates the library's
drawn cells in ngspice with the SkyWater models (:mod:`eda.acim.characterize_benches`) and writes
``DIR/<corner>.yaml``, which :class:`~eda.acim.models.tech.ModelTech` reads instead of hand-set
constants, plus ``DIR/<corner>_butterfly.png`` (bitcell butterfly curves, hold and read) and
``DIR/<corner>_transfer.png`` (share-switch on-resistance over the signal range, precharge level over
time, comparator delay over its input common mode). The default library ships its characterisation in
``cells/sky130_acim/characterization/``.

Every figure is a simulation result except where a key says otherwise: the MIM capacitance comes from
the model file (``camimc``/``cpmimc``), the ``leakage`` section is each cell's static power in the
macro's standby (:data:`eda.acim.characterize_benches.STANDBY_LEVELS`), the comparator offset uses the
transistors' threshold mismatch ``A_VT`` (a process figure of the technology file), the full adder is a 28-transistor mirror adder netlist
(the digital shift-add is not drawn in the macro). The numbers are deterministic: the same corner,
supply and temperature give the same file (the Monte-Carlo offset draws use a fixed seed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from eda.acim.ngspice import Conditions, require_simulator

__all__ = [
    "characterize",
    "characterization_file",
    "CHARACTERIZATION_DIR",
    "DEFAULT_SAR",
    "PRECHARGE_TIMES_NS",
]

#: where a library keeps its characterisation (``<library>/characterization/<corner>.yaml``)
CHARACTERIZATION_DIR = "characterization"
#: the SAR logic characterised for the library: (rows/L capacitors per column, columns per ADC, ADC bits)
DEFAULT_SAR = (8, 4, 5)
#: precharge durations (ns) at which the compute node's charge level is tabulated
PRECHARGE_TIMES_NS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
#: input common modes (V) at which the comparator's delay is tabulated
COMPARATOR_CM_V = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0)
#: driver test loads (fF)
DRIVER_LOADS_FF = (10.0, 50.0)
OFFSET_TRIALS = 24
SEED = 20


def characterization_file(library_dir: str | Path, corner: str = "tt") -> Path:
    """``<library>/characterization/<corner>.yaml``."""
    return Path(library_dir) / CHARACTERIZATION_DIR / f"{corner}.yaml"


def _round(value: Any, digits: int = 5) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    return value


def characterize(
    library: Any = None,
    *,
    conditions: Conditions | None = None,
    out: str | Path | None = None,
    plots: bool = True,
) -> dict[str, Any]:
    """Run every bench on ``library`` (default: the default library) at ``conditions``; write
    ``<out>/<corner>.yaml`` (and the plots) when ``out`` is given. Returns the YAML content."""
    from eda.acim.celllib.mimcap import mim_size
    from eda.acim.celllib.sar import sar_logic_subckt
    from eda.acim.characterize_benches import (
        CellNetlists,
        bitcell_benches,
        comparator_benches,
        compute_benches,
        driver_benches,
        full_adder_energy,
        hold_read_transient,
        leakage_benches,
        sar_benches,
    )
    from eda.acim.dacplan import dac_plan
    from eda.acim.devicemodels import mim_capacitance_F, oxide_capacitance_fF_per_um2
    from eda.acim.library import Library, load_library
    from eda.tech import load_tech

    lib = library if isinstance(library, Library) else load_library(library)
    cond = conditions or Conditions()
    models = require_simulator(cond.corner)
    tech = load_tech(lib.tech_file)
    from eda.acim.models.tech import AVT_MV_UM

    avt = float((tech.data.get("mismatch") or {}).get("avt_mV_um", AVT_MV_UM))
    w, h = mim_size(2.0)
    mim_fF = mim_capacitance_F(models, w * h, 2 * (w + h)) * 1e15
    groups, k, bits = DEFAULT_SAR
    sar_text, sar_ports = sar_logic_subckt(dac_plan(groups, k, bits), "sar_logic")
    cells = CellNetlists.of(lib, sar_text, mim_fF)
    bitcell = bitcell_benches(cells, cond)
    butterflies = {key: bitcell.pop(f"{key}_butterfly_V") for key in ("hold", "read")}
    bitcell["hold_read_transient"] = hold_read_transient(cells, cond)
    compute = compute_benches(cells, cond, PRECHARGE_TIMES_NS)
    comparator = comparator_benches(
        cells, cond, COMPARATOR_CM_V, avt_mV_um=avt, trials=OFFSET_TRIALS, seed=SEED
    )
    drivers = driver_benches(cells, cond, DRIVER_LOADS_FF)
    sar = sar_benches(cells, cond, sar_ports, bits, 4.0, SEED)
    data = {
        "library": lib.name,
        "corner": cond.corner,
        "vdd_V": cond.vdd_V,
        "temperature_C": cond.temperature_C,
        "models": f"{models.kind}: {Path(models.logic_file).name}",
        "generated_by": "eda acim characterize",
        "process": {
            "mim_fF_per_um2": models.mim_area_F_per_um2 * 1e15,
            "mim_fF_per_um": models.mim_perimeter_F_per_um * 1e15,
            "unit_mim_fF": mim_fF,
            "avt_mV_um": avt,
            "cox_fF_per_um2": oxide_capacitance_fF_per_um2(models),
        },
        "bitcell": bitcell,
        "compute": compute,
        "comparator": comparator,
        "drivers": drivers,
        "sar": {**sar, "adc_bits": bits, "cols_per_adc": k, "caps_per_column": groups},
        "full_adder_energy_fJ": full_adder_energy(cond, SEED),
        "leakage": leakage_benches(cells, cond),
    }
    data = _round(data)
    if out is not None:
        directory = Path(out)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{cond.corner}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        if plots:
            _plots(directory, cond.corner, butterflies, data)
    return data


def _plots(directory: Path, corner: str, butterflies: dict[str, list], data: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
    for ax, (key, curve) in zip(axes, butterflies.items(), strict=True):
        arr = np.asarray(curve)
        ax.plot(arr[:, 0], arr[:, 1], label="QB(Q)")
        ax.plot(arr[:, 2], arr[:, 0], label="Q(QB)")
        ax.set_title(f"{key}: SNM {data['bitcell'][f'{key}_snm_mV']:.0f} mV ({corner})")
        ax.set_xlabel("Q (V)")
        ax.set_ylabel("QB (V)")
        ax.set_aspect("equal")
        ax.legend()
    fig.tight_layout()
    fig.savefig(directory / f"{corner}_butterfly.png", dpi=110)
    plt.close(fig)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    ron = np.asarray(data["compute"]["switch_ron_ohm_vs_V"])
    axes[0].semilogy(ron[:, 0], ron[:, 1])
    axes[0].set_xlabel("switch source voltage (V)")
    axes[0].set_ylabel("share switch R_on (ohm)")
    level = np.asarray(data["compute"]["charge_level_V"])
    axes[1].plot(level[:, 0], level[:, 1], "o-")
    axes[1].set_xlabel("precharge time (ns)")
    axes[1].set_ylabel("compute node level (V)")
    table = [row for row in data["comparator"]["delay_ps_energy_fJ_vs_cm"] if np.isfinite(row[1])]
    if table:
        arr = np.asarray([[r[0], r[1]] for r in table])
        axes[2].plot(arr[:, 0], arr[:, 1], "o-")
    axes[2].set_xlabel("comparator input common mode (V)")
    axes[2].set_ylabel("decision delay at 1 mV (ps)")
    fig.tight_layout()
    fig.savefig(directory / f"{corner}_transfer.png", dpi=110)
    plt.close(fig)
