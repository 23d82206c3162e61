"""One torch thread for the workload front-ends' small networks.

Their tensors are small, so one thread is the fastest on a shared CPU, and it makes every float reduction
independent of how many threads the process was given: a flow step gives bit-identical results in the
local executor, a Dask worker and a resumed run (activity measured by quantising activations to bits
would otherwise flip a few bits at the quantisation thresholds).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["single_torch_thread"]


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(1)``; the previous setting is restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
