"""One thread for the workload front-ends' computations: torch and the BLAS/OpenMP pools numpy and scipy use.

Their tensors are small, so one thread is the fastest on a shared CPU, and it makes every float reduction
independent of how many threads the process was given: a flow step gives bit-identical results in the
local executor, a Dask worker (whose environment limits BLAS to one thread) and a resumed run. Activity
measured by quantising activations to bits, or a k-means assignment, would otherwise change with the
last bits of a reduction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["single_thread"]


@contextmanager
def single_thread() -> Iterator[None]:
    """Run the block with one torch thread and one thread in every BLAS/OpenMP pool
    (:func:`threadpoolctl.threadpool_limits`); the previous settings are restored afterwards."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)
