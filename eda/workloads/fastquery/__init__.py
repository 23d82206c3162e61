"""FastQuery: private embedding-table lookup under homomorphic encryption.

* :mod:`~eda.workloads.fastquery.fastquery` — per-channel bits, the protocol's cost model, its workload;
* :mod:`~eda.workloads.fastquery.he` — the lookup with its outputs packed densely, on SEAL;
* :mod:`~eda.workloads.fastquery.baseline` — Cheetah's coefficient-encoded mat-vec (the baseline), on SEAL;
* :mod:`~eda.workloads.fastquery.steps` — the ``workload.fastquery`` flow step;
* :mod:`~eda.workloads.fastquery.cli` — ``eda workload fastquery``.
"""
