"""``eda workload fastquery``: per-channel bits of the MiniLM table and a private lookup (``workload.fastquery``)."""

from __future__ import annotations

from eda.workloads.method_commands import step_command_app

__all__ = ["app"]

app = step_command_app(
    "fastquery",
    "FastQuery: per-channel bits of the MiniLM embedding table and one private lookup against Cheetah's.",
)
