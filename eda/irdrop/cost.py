"""The sizes of the systems the feature pipeline solves, recorded while it runs.

The predictor must not solve the PDN: every system its features solve has to be much smaller than the
netlist. The solvers of :mod:`eda.irdrop.rail`, :mod:`eda.irdrop.coarse_grid` and
:mod:`eda.irdrop.pad_paths` report each system they solve to :func:`record_system`; inside
``with feature_systems() as log:`` the reports land in ``log`` (outside such a block they cost nothing).
:func:`largest_system` is the size to compare with the PDN's node count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["SolvedSystem", "feature_systems", "largest_system", "recording", "record_system", "summary"]


@dataclass(frozen=True)
class SolvedSystem:
    """One solve of the features.

    Attributes:
        name: what it is (``"chains m1"``, ``"coarse grid"``, ``"sheet modes"``, ...).
        unknowns: unknowns of the matrix handed to the solver.
        largest_block: unknowns of its largest independent block (a block-diagonal matrix of independent
            rail chains is many small systems; a coupled system is one block, ``== unknowns``).
        blocks: how many independent blocks (systems of this size solved at once, e.g. one per cosine mode).
        kind: ``"sparse LU"``, ``"dense"``, ``"dense batch"`` or ``"shortest paths"`` (a graph search, no
            linear solve).
    """

    name: str
    unknowns: int
    largest_block: int
    blocks: int = 1
    kind: str = "sparse LU"


_LOG: ContextVar[list[SolvedSystem] | None] = ContextVar("eda_irdrop_feature_systems", default=None)


def recording() -> bool:
    """Whether a :func:`feature_systems` block is collecting (solvers skip the bookkeeping otherwise)."""
    return _LOG.get() is not None


def record_system(system: SolvedSystem) -> None:
    """Report one solved system to the enclosing :func:`feature_systems` block, if any."""
    log = _LOG.get()
    if log is not None:
        log.append(system)


@contextmanager
def feature_systems() -> Iterator[list[SolvedSystem]]:
    """Collect every :class:`SolvedSystem` the code inside the block reports."""
    log: list[SolvedSystem] = []
    token = _LOG.set(log)
    try:
        yield log
    finally:
        _LOG.reset(token)


def largest_system(log: list[SolvedSystem]) -> int:
    """Unknowns of the largest coupled linear system in ``log`` (shortest-path searches excluded)."""
    return max((s.largest_block for s in log if s.kind != "shortest paths"), default=0)


def summary(log: list[SolvedSystem], pdn_nodes: int) -> str:
    """One line: the PDN's node count and each system's size, the largest as a fraction of the PDN."""
    parts = []
    for s in log:
        if s.kind == "shortest paths":
            parts.append(f"{s.name} {s.unknowns:,} nodes x {s.blocks} sources ({s.kind})")
        elif s.blocks > 1:
            parts.append(f"{s.name} {s.blocks:,} x {s.largest_block:,} unknowns ({s.kind})")
        else:
            parts.append(f"{s.name} {s.unknowns:,} unknowns ({s.kind})")
    big = largest_system(log)
    return (f"PDN {pdn_nodes:,} nodes; largest coupled system the features solve {big:,} unknowns "
            f"({big / max(pdn_nodes, 1):.1%} of the PDN): " + "; ".join(parts))
