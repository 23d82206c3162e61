"""Workload front-ends: the workload representation, its mapping onto ACIM macros, one module per method.

Public entry points (import the submodules for the rest):

* :class:`~eda.workloads.workload.Workload`, :class:`~eda.workloads.workload.LayerRecord`,
  :class:`~eda.workloads.workload.TracePhase` — the representation (YAML/JSON, NeuroSim export);
* :func:`~eda.workloads.mapping.map_workload`, :class:`~eda.workloads.mapping.ArraySpec`,
  :func:`~eda.workloads.mapping.current_maps` — tiling onto H × W arrays and activity → current maps
  (:mod:`eda.workloads.currents`).

Methods: :mod:`~eda.workloads.hequant`, :mod:`~eda.workloads.privquant`, :mod:`~eda.workloads.fastquery`,
:mod:`~eda.workloads.mcubert` (shared quantisation and integer programs in :mod:`~eda.workloads.quant`,
built-in networks in :mod:`~eda.workloads.zoo`, the real MiniLM weights in :mod:`~eda.workloads.minilm`).
"""

from eda.workloads.mapping import ArraySpec, current_maps, map_layer, map_workload
from eda.workloads.workload import LayerRecord, TracePhase, Workload, export_neurosim

__all__ = ["Workload", "LayerRecord", "TracePhase", "export_neurosim", "ArraySpec", "map_layer", "map_workload",
           "current_maps"]
