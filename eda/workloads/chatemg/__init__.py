"""ChatEMG: an autoregressive transformer over EMG that augments a few-shot intent classifier.

* :mod:`~eda.workloads.chatemg.chatemg` — the EMG transformer, the augmentation experiment, its workload;
* :mod:`~eda.workloads.chatemg.generator` — the physiological generator of forearm EMG;
* :mod:`~eda.workloads.chatemg.steps` — the ``workload.chatemg`` flow step;
* :mod:`~eda.workloads.chatemg.cli` — ``eda workload chatemg``.
"""
