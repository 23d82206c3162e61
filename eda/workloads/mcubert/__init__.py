"""MCUBERT: clustered low-rank embeddings and memory-aware scheduling for BERT on microcontrollers.

* :mod:`~eda.workloads.mcubert.mcubert` — the MCU budgets, the clustered low-rank embedding and its search,
  the tiled schedule, the BERT shapes and their proxy tables;
* :mod:`~eda.workloads.mcubert.distill` — distillation of the compressed embedding through the real encoder;
* :mod:`~eda.workloads.mcubert.steps` — the ``workload.mcubert`` flow step;
* :mod:`~eda.workloads.mcubert.cli` — ``eda workload mcubert``.
"""
