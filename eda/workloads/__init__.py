"""Workload front-ends: the workload representation, its mapping onto ACIM macros, one subpackage per method.

Public entry points (import the submodules for the rest):

* :class:`~eda.workloads.workload.Workload`, :class:`~eda.workloads.workload.LayerRecord`,
  :class:`~eda.workloads.workload.TracePhase` — the representation (YAML/JSON, NeuroSim export);
* :func:`~eda.workloads.mapping.map_workload`, :class:`~eda.workloads.mapping.ArraySpec`,
  :func:`~eda.workloads.mapping.current_maps` — tiling onto H × W arrays and activity → current maps
  (:mod:`eda.workloads.currents`).

Methods, one subpackage each with its algorithm, flow step (``steps``) and command (``cli``):
:mod:`~eda.workloads.hequant`, :mod:`~eda.workloads.privquant`, :mod:`~eda.workloads.fastquery`,
:mod:`~eda.workloads.mcubert`, :mod:`~eda.workloads.privcirnet`, :mod:`~eda.workloads.adapmoe`,
:mod:`~eda.workloads.propd`, :mod:`~eda.workloads.chatemg`. Shared by them: quantisation and integer
programs (:mod:`~eda.workloads.quant`), built-in networks (:mod:`~eda.workloads.zoo`), the real MiniLM weights
(:mod:`~eda.workloads.minilm`), measured activity (:mod:`~eda.workloads.activity`), what a method step writes
(:mod:`~eda.workloads.step_report`); the choice of an ACIM point for a workload in
:mod:`~eda.workloads.selection`.
"""

from eda.workloads.mapping import ArraySpec, current_maps, map_layer, map_workload
from eda.workloads.workload import LayerRecord, TracePhase, Workload, export_neurosim

__all__ = [
    "Workload",
    "LayerRecord",
    "TracePhase",
    "export_neurosim",
    "ArraySpec",
    "map_layer",
    "map_workload",
    "current_maps",
]
