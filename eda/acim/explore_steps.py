"""Flow steps ``acim.explore`` (NSGA-II exploration) and ``acim.area_check`` (model vs layout area).

``acim.explore`` writes ``pareto.csv`` (Pareto set, best TOPS/W first; ``workload.select`` ranks it by a
workload's energy per inference), ``best.json`` (the picked point's ACIMSpec fields, what ``acim.generate``
consumes), ``best_point.json`` (the same point with its clock and metrics), ``hypervolume.csv`` (per
generation), Pareto plots and ``exploration.json``. With ``reference: true`` it also enumerates the space
and reports the NSGA-II hypervolume as a fraction of the exhaustive front's, with the evaluation ratio.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from eda.acim.explore import (
    VARIABLES,
    DesignSpace,
    ExploreResult,
    exhaustive,
    explore,
    hypervolume,
    pick,
    spec_of,
)
from eda.acim.spec import MAX_ADC_BITS, MAX_OPERAND_BITS, MAX_UNIT_CAP_FF, MIN_UNIT_CAP_FF
from eda.errors import DataError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult

__all__ = ["AcimExplore", "AcimAreaCheck", "write_exploration", "measured_layout_area", "build_space"]

# one allowed value of an explored variable, within the bounds ACIMSpec accepts
_PositiveInt = Annotated[int, Field(ge=1)]
_AdcBits = Annotated[int, Field(ge=1, le=MAX_ADC_BITS)]
_OperandBits = Annotated[int, Field(ge=1, le=MAX_OPERAND_BITS)]
_UnitCap = Annotated[float, Field(ge=MIN_UNIT_CAP_FF, le=MAX_UNIT_CAP_FF)]
_ClockMHz = Annotated[float, Field(gt=0.0)]

_PLOTS = (
    ("tops_per_w", "snr_total_db", "TOPS/W", "SNR_T (dB)"),
    ("area_um2", "throughput_tops", "area (µm²)", "throughput (TOPS)"),
    ("tops_per_mm2", "tops_per_w", "TOPS/mm²", "TOPS/W"),
)


def build_space(
    rows: int,
    cols: int,
    overrides: dict[str, list[Any] | None],
    adc_bits_lossless: dict[int, int] | None = None,
) -> DesignSpace:
    """A :class:`DesignSpace` for H×W with any per-variable value lists replaced (and an ADC ceiling)."""
    values = {k: tuple(v) for k, v in overrides.items() if v}
    ceiling = tuple(sorted((int(r), int(b)) for r, b in (adc_bits_lossless or {}).items()))
    return DesignSpace(rows=rows, cols=cols, adc_bits_lossless=ceiling, **values)


def read_adc_requirement(path: Path) -> dict[int, int]:
    """``{rows per conversion: lossless ADC bits}`` from a HEQuant report (``adc_bits_required``)."""
    try:
        data = json.loads(path.read_text())
        table = data["adc_bits_required"]
        return {int(rows): int(bits) for rows, bits in table.items()}
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise DataError(
            f"cannot read an ADC requirement from {path}: {exc}",
            hint="connect workload.hequant's `report` output (hequant.json)",
        ) from None


def _normalisation(*results: ExploreResult) -> tuple[np.ndarray, np.ndarray]:
    """Ideal and nadir over the feasible Pareto fronts of the given results (for comparable hypervolumes)."""
    fronts = [r.F[r.pareto] for r in results if r.pareto.any()]
    if not fronts:
        return np.zeros(4), np.ones(4)
    stacked = np.concatenate(fronts)
    return stacked.min(axis=0), stacked.max(axis=0)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as handle:
        if not rows:
            handle.write("")
            return
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _plots(result: ExploreResult, out: Path, hv: list[float]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    m, feas, par = result.metrics, result.feasible, result.pareto
    for x, y, xl, yl in _PLOTS:
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.scatter(m[x][feas], m[y][feas], s=6, c="0.75", label="evaluated (feasible)")
        ax.scatter(m[x][par], m[y][par], s=14, c=m["snr_total_db"][par], cmap="viridis", label="Pareto")
        ax.set_xscale("log")
        if y in ("throughput_tops", "tops_per_w"):
            ax.set_yscale("log")
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_title(f"{result.space.rows}x{result.space.cols} ACIM design space")
        ax.legend(fontsize=7)
        fig.tight_layout()
        name = f"pareto_{x}_vs_{y}.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        names.append(name)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot([h["n_evaluations"] for h in result.history], hv, marker=".")
    ax.set_xlabel("distinct design points evaluated")
    ax.set_ylabel("hypervolume (normalised)")
    fig.tight_layout()
    fig.savefig(out / "hypervolume.png", dpi=110)
    plt.close(fig)
    return names + ["hypervolume.png"]


def write_exploration(
    result: ExploreResult,
    out: Path,
    *,
    min_snr_db: float | None = None,
    pareto_index: int | None = None,
    reference: ExploreResult | None = None,
) -> dict[str, Any]:
    """Write every exploration artifact into ``out``; returns the metrics dict (``acim__explore__*``)."""
    out.mkdir(parents=True, exist_ok=True)
    ideal, nadir = _normalisation(result, *([reference] if reference else []))
    hv = result.hypervolume_history(ideal, nadir)
    rows = result.pareto_rows()
    _write_csv(out / "pareto.csv", rows)
    _write_csv(
        out / "hypervolume.csv",
        [
            {"generation": h["generation"], "n_evaluations": h["n_evaluations"], "hypervolume": v}
            for h, v in zip(result.history, hv, strict=True)
        ],
    )
    best = pick(result, min_snr_db=min_snr_db, pareto_index=pareto_index)
    (out / "best.json").write_text(json.dumps(spec_of(best), indent=1))
    (out / "best_point.json").write_text(json.dumps(best, indent=1))
    plots = _plots(result, out, hv)
    metrics: dict[str, Any] = {
        "acim__explore__evaluations": result.n_evaluations,
        "acim__explore__space_size": int(result.space.feasible(result.space.all_indices()).sum()),
        "acim__explore__pareto_points": len(rows),
        "acim__explore__seconds": round(result.seconds, 3),
        "acim__explore__hypervolume": hv[-1] if hv else 0.0,
        "acim__best__snr_total_db": best["snr_total_db"],
        "acim__best__tops_per_w": best["tops_per_w"],
        "acim__best__throughput_tops": best["throughput_tops"],
        "acim__best__area_um2": best["area_um2"],
        "acim__best__f2_per_bit": best["f2_per_bit"],
    }
    if reference is not None:
        hv_ref = hypervolume(reference.F[reference.pareto], ideal, nadir)
        metrics["acim__explore__hypervolume_ratio"] = (hv[-1] / hv_ref) if hv_ref > 0 else 0.0
        metrics["acim__explore__evaluation_ratio"] = result.n_evaluations / max(reference.n_evaluations, 1)
    summary = {
        "space": result.space.to_dict(),
        "constraints": result.constraints,
        "metrics": metrics,
        "plots": plots,
        "best": best,
    }
    (out / "exploration.json").write_text(json.dumps(summary, indent=1))
    return metrics


@register
class AcimExplore(Step):
    """NSGA-II exploration of the QR ACIM design space for an H×W array (Pareto set + picked spec)."""

    name = "acim.explore"
    #: bump whenever the models (eda/acim/model_*.py) change, so cached explorations are not reused
    version = "3"
    inputs = {"adc_requirement": "optional HEQuant report: no point uses more ADC bits than lossless needs"}
    optional_inputs = frozenset({"adc_requirement"})
    outputs = {
        "pareto": "pareto.csv",
        "best": "best.json (ACIMSpec fields)",
        "best_point": "best_point.json",
        "hypervolume": "hypervolume.csv",
        "plots": "directory of Pareto PNGs",
        "summary": "exploration.json",
    }

    class Params(StepParams):
        rows: int = Field(ge=1, description="H, bitcell rows of the explored array")
        cols: int = Field(ge=1, description="W, bitcell columns of the explored array")
        min_snr_db: float | None = Field(
            None,
            description="constraint: lowest total SNR a design may have (dB); "
            "also the floor of the picked best point (default 0 dB)",
        )
        max_area_mm2: float | None = Field(
            None, gt=0.0, description="constraint: largest macro area a design may have (mm²; default: none)"
        )
        population: int = Field(100, ge=4, description="NSGA-II population (and offspring) size")
        generations: int = Field(
            100, ge=1, description="NSGA-II generations (the initial population is the first)"
        )
        seed: int = Field(
            1, ge=0, description="random seed of NSGA-II (results are deterministic for a seed)"
        )
        pareto_index: int | None = Field(
            None,
            ge=0,
            description="pick the Pareto point of this rank in "
            "best-TOPS/W order instead of the best TOPS/W meeting min_snr_db",
        )
        batch_size: int = Field(256, ge=1, description="design points per executor task")
        library: str | None = Field(
            None,
            description="cell library directory or shipped name whose cells the "
            "area and energy models read (default: the shipped sky130_acim)",
        )
        reference: bool = Field(
            False,
            description="also enumerate the whole space and report NSGA-II's "
            "hypervolume and evaluations as fractions of the exhaustive front's",
        )
        local_array_size: list[_PositiveInt] | None = Field(
            None,
            min_length=1,
            description="allowed L, bitcells per compute capacitor (default 1, 2, 4, 8, "
            "16, 32; values not dividing rows dropped)",
        )
        adc_bits: list[_AdcBits] | None = Field(
            None, min_length=1, description="allowed SAR ADC resolutions in bits (default 1..8)"
        )
        unit_cap_fF: list[_UnitCap] | None = Field(
            None, min_length=1, description="allowed unit compute capacitances (fF; default 0.5, 1, 2, 4, 8)"
        )
        input_bits: list[_OperandBits] | None = Field(
            None,
            min_length=1,
            description="allowed input (activation) precisions in bits (default 1, 2, 4, 8)",
        )
        weight_bits: list[_OperandBits] | None = Field(
            None,
            min_length=1,
            description="allowed weight precisions in bits (default 1, 2, 4, 8; values "
            "not dividing cols dropped)",
        )
        cols_per_adc: list[_PositiveInt] | None = Field(
            None,
            min_length=1,
            description="allowed columns sharing one ADC (powers of two dividing cols; default 1, 2, 4, 8)",
        )
        clock_MHz: list[_ClockMHz] | None = Field(
            None, min_length=1, description="allowed clock frequencies (MHz; default 100, 200, 300, 400, 500)"
        )

    def run(self, ctx: StepContext) -> StepResult:
        p = ctx.params
        library = _library(p.library, ctx)
        requirement = ctx.optional_input("adc_requirement")
        space = build_space(
            p.rows,
            p.cols,
            {v: getattr(p, v) for v in VARIABLES},
            read_adc_requirement(requirement) if requirement else None,
        )
        result = explore(
            space,
            population=p.population,
            generations=p.generations,
            seed=p.seed,
            min_snr_db=p.min_snr_db,
            max_area_mm2=p.max_area_mm2,
            library=library,
            executor=ctx.executor,
            batch_size=p.batch_size,
            progress=lambda it: ctx.progress(it, total=p.generations, description="NSGA-II"),
        )
        reference = (
            exhaustive(space, min_snr_db=p.min_snr_db, max_area_mm2=p.max_area_mm2, library=library)
            if p.reference
            else None
        )
        out = ctx.workdir
        metrics = write_exploration(
            result, out, min_snr_db=p.min_snr_db, pareto_index=p.pareto_index, reference=reference
        )
        plots = out / "plots"
        plots.mkdir(exist_ok=True)
        for png in out.glob("*.png"):
            png.rename(plots / png.name)
        ctx.log.info(
            "explored %d design points, %d Pareto points, best %.1f TOPS/W at %.1f dB",
            metrics["acim__explore__evaluations"],
            metrics["acim__explore__pareto_points"],
            metrics["acim__best__tops_per_w"],
            metrics["acim__best__snr_total_db"],
        )
        return StepResult(
            outputs={
                "pareto": "pareto.csv",
                "best": "best.json",
                "best_point": "best_point.json",
                "hypervolume": "hypervolume.csv",
                "plots": "plots",
                "summary": "exploration.json",
            },
            metrics=metrics,
        )


def _library(name: str | None, ctx: StepContext) -> Path | None:
    from eda.acim.steps import resolve_library

    return resolve_library(name, ctx.flow_dir)


def measured_layout_area(path: Path) -> float:
    """Area (µm²) of a generated layout: the top cell's bounding box of a GDS (a file or the first ``*.gds``
    in a directory), or ``area_um2`` of an area JSON."""
    if path.is_dir():
        found = sorted(path.rglob("*.gds")) or sorted(path.rglob("*.area.json"))
        if not found:
            raise DataError(f"no GDS or area JSON under {path}", hint="connect the acim.generate output")
        path = found[0]
    if path.suffix == ".json":
        return float(json.loads(path.read_text())["area_um2"])
    import gdstk

    lib = gdstk.read_gds(str(path))
    tops = lib.top_level()
    if not tops:
        raise DataError(f"{path} has no top cell")
    (x0, y0), (x1, y1) = max(tops, key=lambda c: len(c.references)).bounding_box()
    return float((x1 - x0) * (y1 - y0))


@register
class AcimAreaCheck(Step):
    """Compare the model area of an explored spec with the generated layout's measured area."""

    name = "acim.area_check"
    version = "1"
    inputs = {"spec": "best.json from acim.explore", "layout": "GDS (or directory) from acim.generate"}
    outputs = {"report": "area_check.json"}

    class Params(StepParams):
        tolerance: float = Field(
            0.05,
            ge=0.0,
            description="largest relative difference between model and "
            "layout area that passes (fraction, 0.05 = 5 %)",
        )
        library: str | None = Field(
            None,
            description="cell library directory or shipped name of the area model "
            "(default: the shipped sky130_acim)",
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.acim.models import DesignPoints
        from eda.acim.models.area import area_model, library_tech

        p = ctx.params
        library = _library(p.library, ctx)
        spec = json.loads(ctx.input("spec").read_text())
        spec = spec.get("spec", spec)
        points = DesignPoints.from_specs([spec], 100.0)
        model = float(area_model(points, library_tech(library), library=library)["area_um2"][0])
        measured = measured_layout_area(ctx.input("layout"))
        error = abs(model - measured) / measured
        report = {
            "spec": spec,
            "model_area_um2": model,
            "layout_area_um2": measured,
            "relative_error": error,
            "tolerance": p.tolerance,
            "pass": error <= p.tolerance,
        }
        (ctx.workdir / "area_check.json").write_text(json.dumps(report, indent=1))
        return StepResult(
            outputs={"report": "area_check.json"},
            metrics={
                "acim__area__model_um2": model,
                "acim__area__layout_um2": measured,
                "acim__area__relative_error": error,
            },
            violations=int(error > p.tolerance),
        )
