"""AdapMoE: serving a top-2 mixture-of-experts model whose experts do not all fit in device memory.

* :mod:`~eda.workloads.adapmoe.adapmoe` — the trace-driven expert-cache simulator (LRU, adaptive gating,
  prefetching, DP cache sizing) and its technique ladder;
* :mod:`~eda.workloads.adapmoe.traces` — the parametric routing-trace generator and the workload export;
* :mod:`~eda.workloads.adapmoe.model` — a small top-2 MoE language model trained here, its routing traces;
* :mod:`~eda.workloads.adapmoe.smollm2` — routing traces of SmolLM2-135M with its FFNs split into experts;
* :mod:`~eda.workloads.adapmoe.timing` — the latency constants (measured here or stated device figures);
* :mod:`~eda.workloads.adapmoe.steps` — the ``workload.adapmoe`` flow step;
* :mod:`~eda.workloads.adapmoe.cli` — ``eda workload adapmoe``.
"""
