"""``eda workload hequant``: per-layer bits, accumulator widths, packing and lossless ADC bits (``workload.hequant``)."""

from __future__ import annotations

from eda.workloads.method_commands import step_command_app

__all__ = ["app"]

app = step_command_app(
    "hequant",
    "HEQuant: per-layer bits under a communication budget, accumulator widths, packing, lossless ADC bits.",
)
