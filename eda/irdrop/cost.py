"""Sizes of the linear systems the PDNNet features solve, beside the PDN's node count.

The netlist-derived channels (:mod:`eda.irdrop.rail`, :mod:`eda.irdrop.coarse_grid`) solve small
systems, never the PDN's conductance matrix. Each solve reports itself through :func:`record_system`;
:func:`feature_systems` computes the features of one PDN while recording and returns every system
with its unknowns and the unknowns of its largest independent block (a block-diagonal system, one
chain per rail, is solved block by block). Outside :func:`recording` the reports cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from eda.irdrop.structure import PdnStructure

__all__ = ["SystemSize", "recording", "record_system", "feature_systems", "sizes_table"]


@dataclass(frozen=True)
class SystemSize:
    """One linear system solved by the features.

    Attributes:
        name: what is solved (the layer or stage).
        unknowns: rows of the system (all its blocks together).
        largest_block: unknowns of its largest independent (coupled) block.
        blocks: number of independent blocks.
    """

    name: str
    unknowns: int
    largest_block: int
    blocks: int


_RECORD: ContextVar[list[SystemSize] | None] = ContextVar("eda_irdrop_feature_systems", default=None)


@contextmanager
def recording() -> Iterator[list[SystemSize]]:
    """Collect the :class:`SystemSize` of every system solved inside the ``with`` block."""
    systems: list[SystemSize] = []
    token = _RECORD.set(systems)
    try:
        yield systems
    finally:
        _RECORD.reset(token)


def record_system(
    name: str, matrix: sp.spmatrix | None = None, *, unknowns: int | None = None, block: int | None = None
) -> None:
    """Report a solve: a sparse ``matrix`` (its blocks are its connected components), or a dense system of
    ``unknowns`` rows made of independent blocks of ``block`` rows (default: one block). A no-op unless
    :func:`recording`."""
    systems = _RECORD.get()
    if systems is None:
        return
    if matrix is not None:
        count, labels = csgraph.connected_components(sp.csr_matrix(matrix), directed=False)
        sizes = np.bincount(labels, minlength=1)
        systems.append(SystemSize(name, int(matrix.shape[0]), int(sizes.max(initial=0)), int(count)))
        return
    n = int(unknowns or 0)
    b = n if block is None else int(block)
    systems.append(SystemSize(name, n, b, n // b if b else 0))


def feature_systems(
    pdn: PdnStructure, shape: tuple[int, int], current: np.ndarray | None = None
) -> list[SystemSize]:
    """Every system the netlist-derived channels solve for ``pdn`` on the ``(X, Y)`` µm grid (sinks from the
    netlist, or from ``current``, A per tile, as :func:`eda.irdrop.features.rail_maps` takes them)."""
    from eda.irdrop.features import rail_maps

    with recording() as systems:
        rail_maps(pdn, shape, current, coarse=True)
    return list(systems)


def sizes_table(cases: list[tuple[str, int, list[SystemSize]]]) -> str:
    """A Markdown table: per case (name, PDN nodes, systems) every system's unknowns, largest block and
    their ratio to the PDN's node count."""
    lines = [
        "| case | PDN nodes | system | unknowns | blocks | largest block | unknowns / nodes |"
        " largest block / nodes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, nodes, systems in cases:
        for s in systems:
            lines.append(
                f"| {name} | {nodes} | {s.name} | {s.unknowns} | {s.blocks} | {s.largest_block} | "
                f"{s.unknowns / nodes:.3f} | {s.largest_block / nodes:.4f} |"
            )
    return "\n".join(lines)
