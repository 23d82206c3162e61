"""Where AdapMoE's latency constants come from: measured on this machine, or stated device figures.

The simulator (:class:`eda.workloads.adapmoe.adapmoe.LatencyModel`) needs three times per token: the non-expert
part of a layer (attention projections and router), one expert's compute, and one expert's load over the
link that brings offloaded experts in.

* :func:`measure_latency` measures them here: the layer's and the expert's matrix-vector products for one
  token in torch (median of repeats), and the load as a cold read of the expert's bytes from local storage
  (written once, dropped from the page cache with ``posix_fadvise(DONTNEED)`` before every read) - the
  edge setting of experts offloaded to flash.
* :func:`latency_from_device` derives them from a device's stated figures: decoding one token is memory
  bound, so a layer or an expert takes its weight bytes / memory bandwidth, and a load takes the expert's
  bytes / link bandwidth. :data:`RTX4090_PCIE4_MIXTRAL` states the figures of Mixtral-8x7B (fp16) on an
  RTX 4090 with experts offloaded to host memory over PCIe 4.0 x16.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from eda.workloads.adapmoe.adapmoe import LatencyModel

__all__ = ["DeviceFigures", "RTX4090_PCIE4_MIXTRAL", "latency_from_device", "measure_latency"]


@dataclass(frozen=True)
class DeviceFigures:
    """Stated figures: bandwidths (bytes/s) and the weight bytes one token streams per layer / per expert."""

    name: str
    memory_bytes_per_s: float
    link_bytes_per_s: float
    expert_bytes: float
    layer_bytes: float


#: RTX 4090: 1008 GB/s GDDR6X (NVIDIA datasheet); PCIe 4.0 x16: 16 GT/s x 16 lanes x 128/130 = 31.5 GB/s;
#: Mixtral-8x7B in fp16: an expert is 3 matrices of 4096 x 14336 (352 MB), a layer's attention (q, o: 4096 x
#: 4096; k, v: 4096 x 1024) and router (4096 x 8) are 84 MB.
RTX4090_PCIE4_MIXTRAL = DeviceFigures(
    name="Mixtral-8x7B fp16, RTX 4090 (1008 GB/s), experts over PCIe 4.0 x16 (31.5 GB/s)",
    memory_bytes_per_s=1008e9,
    link_bytes_per_s=31.5e9,
    expert_bytes=3 * 4096 * 14336 * 2,
    layer_bytes=(2 * 4096 * 4096 + 2 * 4096 * 1024 + 4096 * 8) * 2,
)


def latency_from_device(device: DeviceFigures) -> LatencyModel:
    """Memory-bound decoding times from stated figures (seconds)."""
    return LatencyModel(
        t_layer_s=device.layer_bytes / device.memory_bytes_per_s,
        t_expert_s=device.expert_bytes / device.memory_bytes_per_s,
        t_load_s=device.expert_bytes / device.link_bytes_per_s,
    )


def _matvec_seconds(shapes: list[tuple[int, int]], repeats: int) -> float:
    """Median time of one token through matrices of ``shapes`` (torch, float32, this process's threads)."""
    import torch

    gen = torch.Generator().manual_seed(0)
    mats = [torch.randn(k, n, generator=gen) for k, n in shapes]
    x = [torch.randn(1, k, generator=gen) for k, _ in shapes]
    spans = []
    with torch.no_grad():
        for _ in range(repeats):
            start = time.perf_counter()
            for v, m in zip(x, mats, strict=True):
                v @ m
            spans.append(time.perf_counter() - start)
    return float(np.median(spans))


def _cold_read_seconds(nbytes: int, repeats: int, directory: str | None) -> float:
    """Median time to read ``nbytes`` from local storage with the file dropped from the page cache."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        path = os.path.join(tmp, "expert.bin")
        with open(path, "wb") as handle:
            handle.write(os.urandom(nbytes))
            handle.flush()
            os.fsync(handle.fileno())
        spans = []
        for _ in range(repeats):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                start = time.perf_counter()
                got = os.pread(fd, nbytes, 0)
                spans.append(time.perf_counter() - start)
            finally:
                os.close(fd)
            assert len(got) == nbytes
    return float(np.median(spans))


def measure_latency(
    expert_shapes: list[tuple[int, int]],
    layer_shapes: list[tuple[int, int]],
    bytes_per_weight: int = 4,
    repeats: int = 20,
    directory: str | None = None,
) -> LatencyModel:
    """Times measured on this machine for experts of ``expert_shapes`` matrices and a layer whose non-expert
    part has ``layer_shapes`` matrices; loads read ``bytes_per_weight`` per expert weight from storage."""
    expert_bytes = bytes_per_weight * sum(k * n for k, n in expert_shapes)
    return LatencyModel(
        t_layer_s=_matvec_seconds(layer_shapes, repeats),
        t_expert_s=_matvec_seconds(expert_shapes, repeats),
        t_load_s=_cold_read_seconds(expert_bytes, max(3, repeats // 4), directory),
    )
