"""PrivCirNet: block-circulant weights for private (homomorphically encrypted) inference.

* :mod:`~eda.workloads.privcirnet.privcirnet` — block-circulant projection, FFT products, block-size
  assignment;
* :mod:`~eda.workloads.privcirnet.he` — HE latency of block-circulant layers, checked against TenSEAL;
* :mod:`~eda.workloads.privcirnet.train` — the digits MLP: training, Fisher sensitivity, fine-tuning;
* :mod:`~eda.workloads.privcirnet.steps` — the ``workload.privcirnet`` flow step;
* :mod:`~eda.workloads.privcirnet.cli` — ``eda workload privcirnet``.
"""
