"""Flow steps over any workload: a built-in network, the choice of an ACIM point, the mapping onto it.

* ``workload.zoo`` — a built-in network (``bert-tiny``, ``resnet18``, ...) as ``workload.yaml``;
* ``workload.select`` — picks the Pareto point of ``acim.explore`` with the least workload energy whose
  ADC resolution meets the workload's lossless bits (:mod:`eda.workloads.selection`);
* ``workload.map`` — tiles a workload onto the chosen ACIM macro (``acim.explore``'s ``best_point`` or a
  fixed spec), energy/latency per inference from the ACIM models, per-layer table and current maps.

The method steps that produce workloads sit in the methods' subpackages (``workload.hequant`` in
:mod:`eda.workloads.hequant.steps`, ...), ``workload.activity`` in :mod:`eda.workloads.activity_steps`.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from eda.acim.adcbits import lossless_adc_bits
from eda.errors import DataError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.workloads.step_report import write_json

__all__ = ["WorkloadZoo", "WorkloadSelect", "WorkloadMap"]


@register
class WorkloadZoo(Step):
    """A built-in network description as a workload."""

    name = "workload.zoo"
    outputs = {"workload": "workload.yaml"}

    class Params(StepParams):
        network: Literal["bert-tiny", "bert-mini", "minilm-l6", "resnet18", "mobilenet_v2", "vit_small"] = (
            Field("bert-tiny", description="built-in network description")
        )
        seq_len: int | None = Field(
            None, ge=1, le=4096, description="tokens (BERT-style networks only; default 128)"
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads import zoo

        bert = {"bert-tiny": zoo.bert_tiny, "bert-mini": zoo.bert_mini, "minilm-l6": zoo.minilm_l6}
        p = ctx.params
        work = bert[p.network](p.seq_len) if p.seq_len and p.network in bert else zoo.build(p.network)
        work.save(ctx.path("workload.yaml"))
        return StepResult(
            outputs={"workload": "workload.yaml"},
            metrics={
                "workload__zoo__layers": len(work.layers),
                "workload__zoo__macs": work.total_macs,
                "workload__zoo__weights": work.total_weights,
            },
        )


@register
class WorkloadMap(Step):
    """Map a workload onto the chosen ACIM macro: energy and latency per inference, layers, current maps."""

    name = "workload.map"
    inputs = {"workload": "workload.yaml", "spec": "ACIM point (acim.explore best_point.json or best.json)"}
    optional_inputs = frozenset({"spec"})
    outputs = {
        "mapping": "mapping.json",
        "layers": "layers.csv",
        "currents": "currents.npz",
        "current_map": "current_map.csv.gz (static, A per tile, rows index x; 1 µm tiles = contest map)",
    }

    class Params(StepParams):
        rows: int = Field(64, ge=1, le=4096, description="array rows H (without a spec input)")
        cols: int = Field(64, ge=1, le=4096, description="array columns W (without a spec input)")
        local_array_size: int = Field(4, ge=1, le=256, description="bitcells per compute capacitor L")
        adc_bits: int = Field(4, ge=1, le=12, description="SAR ADC resolution (bits)")
        cols_per_adc: int = Field(4, ge=1, le=4096, description="columns sharing one ADC")
        clock_MHz: float = Field(100.0, gt=0.0, le=10_000.0, description="macro clock (MHz)")
        unit_cap_fF: float = Field(2.0, gt=0.0, le=1000.0, description="compute capacitance (fF)")
        cost_model: Literal["acim", "analytic"] = Field(
            "acim", description="acim: the ACIM models' energy/latency; analytic: per-operation constants"
        )
        num_arrays: int | None = Field(
            None,
            ge=1,
            le=1_000_000,
            description="arrays available (default: as many as the largest layer needs)",
        )
        slices: int = Field(20, ge=1, le=100_000, description="time slices of the dynamic current maps")
        tile_um: float | None = Field(
            None, gt=0.0, le=1000.0, description="current-map tile (µm; default: chosen from the macro size)"
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads.mapping import current_maps, map_on_point
        from eda.workloads.workload import Workload

        p = ctx.params
        work = Workload.load(ctx.input("workload"))
        spec_path = ctx.optional_input("spec")
        if spec_path is not None:
            try:
                fields = json.loads(Path(spec_path).read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise DataError(f"cannot read the ACIM point: {exc}", where=str(spec_path)) from None
            fields.setdefault("clock_MHz", p.clock_MHz)
        else:
            fields = {
                k: getattr(p, k)
                for k in (
                    "rows",
                    "cols",
                    "local_array_size",
                    "adc_bits",
                    "cols_per_adc",
                    "clock_MHz",
                    "unit_cap_fF",
                )
            }
        mapping = map_on_point(work, fields, cost_model=p.cost_model, num_arrays=p.num_arrays)
        spec = mapping.spec
        tile = p.tile_um or _auto_tile(mapping)
        trace = current_maps(work, mapping, tile_um=tile, slices=p.slices)
        from eda.pdn.maps import write_map

        write_map(ctx.path("current_map.csv.gz"), trace.static_a.T)
        outputs = {
            "mapping": "mapping.json",
            "layers": "layers.csv",
            "currents": "currents.npz",
            "current_map": "current_map.csv.gz",
        }
        np.savez_compressed(
            ctx.path("currents.npz"),
            times_s=trace.times_s,
            currents_a=trace.currents_a,
            static_a=trace.static_a,
            tile_um=trace.tile_um,
        )
        with ctx.path("layers.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "layer",
                    "input_density",
                    "toggle_rate",
                    "arrays",
                    "array_ops",
                    "cycles",
                    "latency_s",
                    "energy_j",
                    "macs",
                    "cell_utilisation",
                    "compute_utilisation",
                ]
            )
            records = {layer.name: layer for layer in work.layers}
            for item in mapping.layers:
                record = records[item.name]
                writer.writerow(
                    [
                        item.name,
                        f"{record.input_density:.4f}",
                        f"{record.toggle_rate:.4f}",
                        item.arrays,
                        item.array_ops,
                        item.cycles,
                        f"{item.latency_s:.6e}",
                        f"{item.energy_j:.6e}",
                        item.macs,
                        f"{item.cell_utilisation:.4f}",
                        f"{item.compute_utilisation:.4f}",
                    ]
                )
        summary = mapping.summary()
        table = {int(k): int(v) for k, v in (work.meta.get("adc_bits_required") or {}).items()}
        required = lossless_adc_bits(table, spec.rows_per_op) if table else None
        summary["adc_bits_lossless"] = required
        summary["cost_model"] = p.cost_model
        summary["tile_um"] = tile
        write_json(ctx.path("mapping.json"), summary)
        metrics = {
            "workload__map__energy_uj": mapping.energy_j * 1e6,
            "workload__map__latency_ms": mapping.latency_s * 1e3,
            "workload__map__arrays": mapping.arrays,
            "workload__map__tops_per_w": mapping.tops_per_w,
            "workload__map__weight_reload_rounds": sum(
                item.rounds for item in mapping.layers if item.weight_write_cycles
            ),
            "workload__map__peak_current_ma": float(trace.currents_a.sum(axis=(1, 2)).max() * 1e3),
        }
        if required is not None:
            metrics["workload__map__adc_bits_lossless"] = int(required)
            metrics["workload__map__adc_is_lossless"] = int(spec.adc_bits >= int(required))
        return StepResult(outputs=outputs, metrics=metrics)


def _auto_tile(mapping: Any) -> float:
    """1 µm tiles (the contest map grid) unless the array grid exceeds 2 mm a side; then coarser."""
    from eda.workloads.currents import ArrayGrid

    plan = ArrayGrid.for_mapping(mapping)
    return float(max(1, math.ceil(max(plan.width_um, plan.height_um) / 2000.0)))


@register
class WorkloadSelect(Step):
    """Pick the ACIM Pareto point for a workload: least energy per inference whose ADC is (nearly) lossless.

    The choice is :func:`eda.workloads.selection.select_point`'s; the energy is the figure ``workload.map``
    reports for that point.
    """

    name = "workload.select"
    inputs = {"pareto": "pareto.csv from acim.explore", "workload": "workload.yaml"}
    outputs = {"best_point": "best_point.json", "selection": "selection.json"}

    class Params(StepParams):
        max_adc_deficit_bits: int = Field(
            0,
            ge=0,
            le=16,
            description="ADC bits a point may lack against the workload's lossless requirement",
        )
        min_snr_db: float | None = Field(
            None, ge=-100.0, le=200.0, description="lowest SNR a selected point may have (dB)"
        )
        cost_model: Literal["acim", "analytic"] = Field(
            "acim", description="energy model of the mapping (as workload.map's cost_model)"
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads.selection import PARETO_COLUMNS, select_point
        from eda.workloads.workload import Workload

        p = ctx.params
        work = Workload.load(ctx.input("workload"))
        with ctx.input("pareto").open() as handle:
            rows = list(csv.DictReader(handle))
        if not rows or not PARETO_COLUMNS <= set(rows[0]):
            raise DataError(
                f"the Pareto set lacks design columns ({', '.join(sorted(PARETO_COLUMNS))})",
                where=str(ctx.input("pareto")),
                hint="connect acim.explore's `pareto` output",
            )
        chosen = select_point(
            work,
            rows,
            max_adc_deficit_bits=p.max_adc_deficit_bits,
            min_snr_db=p.min_snr_db,
            cost_model=p.cost_model,
        )
        write_json(ctx.path("best_point.json"), chosen.point)
        write_json(
            ctx.path("selection.json"),
            {
                "candidates": chosen.candidates,
                "qualifying": chosen.qualifying,
                "adc_bits": chosen.point["adc_bits"],
                "adc_bits_required": chosen.adc_bits_required,
                "deficit_bits": chosen.deficit_bits,
                "workload_energy_uJ": chosen.energy_uj,
            },
        )
        metrics = {
            "workload__select__candidates": chosen.candidates,
            "workload__select__qualifying": chosen.qualifying,
            "workload__select__adc_deficit_bits": chosen.deficit_bits,
            "workload__select__energy_uj": chosen.energy_uj,
        }
        return StepResult(
            outputs={"best_point": "best_point.json", "selection": "selection.json"}, metrics=metrics
        )
