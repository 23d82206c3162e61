"""``eda workload privquant``: mixed precision under a two-party communication budget (``workload.privquant``)."""

from __future__ import annotations

from eda.workloads.method_commands import step_command_app

__all__ = ["app"]

app = step_command_app(
    "privquant",
    "PrivQuant: sensitivity-driven mixed precision under the two-party protocol's communication budget.",
)
