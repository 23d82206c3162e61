"""HEQuant: low-precision-aware homomorphic-encryption linear layers.

* :mod:`~eda.workloads.hequant.hequant` — accumulator bits, lossless ADC bits, BFV packing, per-layer bit
  allocation;
* :mod:`~eda.workloads.hequant.steps` — the ``workload.hequant`` flow step (digits CNN or real MiniLM);
* :mod:`~eda.workloads.hequant.cli` — ``eda workload hequant``.
"""
