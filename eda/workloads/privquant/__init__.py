"""PrivQuant: communication-aware mixed precision for secure two-party inference.

* :mod:`~eda.workloads.privquant.privquant` — Fisher sensitivity, the communication model, bit allocation;
* :mod:`~eda.workloads.privquant.two_party` — a quantised linear layer computed by two parties, bytes counted;
* :mod:`~eda.workloads.privquant.steps` — the ``workload.privquant`` flow step;
* :mod:`~eda.workloads.privquant.cli` — ``eda workload privquant``.
"""
