"""``eda workload mcubert``: the word embedding fitted into a microcontroller's flash (``workload.mcubert``)."""

from __future__ import annotations

from eda.workloads.method_commands import step_command_app

__all__ = ["app"]

app = step_command_app(
    "mcubert",
    "MCUBERT: the word embedding fitted into a microcontroller's flash, distilled, and the tiled schedule.",
)
