"""ProPD: token-tree parallel decoding with early pruning and dynamic tree sizing.

* :mod:`~eda.workloads.propd.propd` — the decoders (plain, fixed tree, dynamic tree, early pruning);
* :mod:`~eda.workloads.propd.model` — the character language model and Medusa-style heads trained here;
* :mod:`~eda.workloads.propd.steps` — the ``workload.propd`` flow step;
* :mod:`~eda.workloads.propd.cli` — ``eda workload propd``.
"""
