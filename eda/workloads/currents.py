"""Activity → supply current: per-tile current maps of a mapped workload over the macro floorplan and time.

The arrays of a :class:`~eda.workloads.mapping.WorkloadMapping` are placed on a near-square grid (array
``i`` at column ``i % nx``, row ``i // nx``; array size from the cell pitch in
:class:`~eda.workloads.mapping.ArraySpec`, plus the ADC/driver strip). While a layer runs, its arrays draw
``energy / (VDD · latency)``: 70 % over the cells its weights occupy, 30 % in the periphery strip. The
maps are time slices of equal length over the inference; the charge they draw times VDD equals the mapped
energy exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from eda.workloads.mapping import WorkloadMapping
    from eda.workloads.workload import Workload

__all__ = ["ArrayGrid", "CurrentTrace", "current_maps", "workload_timeline"]


@dataclass(frozen=True)
class ArrayGrid:
    """Arrays on a near-square grid: array ``i`` at column ``i % nx``, row ``i // nx`` (µm)."""

    nx: int
    ny: int
    array_width_um: float
    array_height_um: float

    @classmethod
    def for_mapping(cls, mapping: WorkloadMapping) -> ArrayGrid:
        spec = mapping.spec
        nx = max(1, math.ceil(math.sqrt(mapping.arrays)))
        ny = max(1, math.ceil(mapping.arrays / nx))
        return cls(
            nx, ny, spec.cols * spec.cell_width_um, spec.rows * spec.cell_height_um + spec.periphery_height_um
        )

    @property
    def width_um(self) -> float:
        return self.nx * self.array_width_um

    @property
    def height_um(self) -> float:
        return self.ny * self.array_height_um


@dataclass
class CurrentTrace:
    """Supply current per tile over time.

    Attributes:
        times_s: start time of each slice (s), shape (T,).
        currents_a: current drawn in each tile during each slice (A), shape (T, ny, nx) with row 0 at y = 0.
        tile_um: tile edge (µm).
        array_grid: where the arrays are.
        array_layers: layer name owning each array index (one label for a time-multiplexed macro).
    """

    times_s: np.ndarray
    currents_a: np.ndarray
    tile_um: float
    array_grid: ArrayGrid
    array_layers: list[str]

    @property
    def static_a(self) -> np.ndarray:
        """Time-averaged current per tile (A) for static IR-drop analysis."""
        return self.currents_a.mean(axis=0)


def current_maps(
    workload: Workload, mapping: WorkloadMapping, *, tile_um: float = 10.0, slices: int = 20
) -> CurrentTrace:
    """Per-tile supply current over the macro's array grid in ``slices`` equal time slices of the inference.

    A layer's arrays draw ``energy / (V · latency)`` while the layer runs, spread uniformly over the cells
    its weights occupy (cell utilisation × array area, rows first) with the ADC share in the periphery strip;
    a slice's current is the time-weighted mean over the layers active in it.
    """
    plan = ArrayGrid.for_mapping(mapping)
    spec = mapping.spec
    ntx = max(1, math.ceil(plan.width_um / tile_um))
    nty = max(1, math.ceil(plan.height_um / tile_um))
    total = max(mapping.latency_s, 1e-30)
    edges = np.linspace(0.0, total, slices + 1)
    maps = np.zeros((slices, nty, ntx))
    owner: list[str] = []
    shared = sum(item.arrays for item in mapping.layers) > mapping.arrays  # time-multiplexed macro
    if shared:
        owner = ["(time-multiplexed)"] * mapping.arrays
    footprint: dict[str, np.ndarray] = {}
    for item in mapping.layers:
        grid = np.zeros((nty, ntx))
        for j in range(item.arrays):
            index = j if shared else len(owner)
            if not shared:
                owner.append(item.name)
            x0 = (index % plan.nx) * plan.array_width_um
            y0 = (index // plan.nx) * plan.array_height_um
            used_h = spec.rows * spec.cell_height_um * min(1.0, max(item.cell_utilisation, 1.0 / spec.rows))
            _add_rect(grid, x0, y0 + spec.periphery_height_um, plan.array_width_um, used_h, 0.7, tile_um)
            _add_rect(grid, x0, y0, plan.array_width_um, spec.periphery_height_um, 0.3, tile_um)
        footprint[item.name] = grid / grid.sum() if grid.sum() > 0 else grid
    by_name = {item.name: item for item in mapping.layers}
    for name, start, end in workload_timeline(mapping):
        item = by_name[name]
        if end <= start:
            continue
        current = item.energy_j / (spec.vdd * (end - start))
        first = int(np.searchsorted(edges, start, side="right")) - 1
        last = int(np.searchsorted(edges, end, side="left"))
        for k in range(max(first, 0), min(last, slices)):
            overlap = min(end, edges[k + 1]) - max(start, edges[k])
            if overlap > 0:
                maps[k] += footprint[name] * current * overlap / (edges[k + 1] - edges[k])
    return CurrentTrace(
        times_s=edges[:-1], currents_a=maps, tile_um=tile_um, array_grid=plan, array_layers=owner
    )


def workload_timeline(mapping: WorkloadMapping) -> list[tuple[str, float, float]]:
    """(layer, start s, end s) of every layer run in the mapped trace."""
    return list(mapping.timeline)


def _add_rect(grid: np.ndarray, x0: float, y0: float, w: float, h: float, weight: float, tile: float) -> None:
    """Spread ``weight`` uniformly over the rectangle, splitting it across tiles by overlap area."""
    if w <= 0 or h <= 0:
        return
    nty, ntx = grid.shape
    tx0, tx1 = int(x0 // tile), min(ntx, math.ceil((x0 + w) / tile))
    ty0, ty1 = int(y0 // tile), min(nty, math.ceil((y0 + h) / tile))
    xs = np.arange(tx0, tx1) * tile
    ys = np.arange(ty0, ty1) * tile
    ox = np.clip(np.minimum(x0 + w, xs + tile) - np.maximum(x0, xs), 0.0, None)
    oy = np.clip(np.minimum(y0 + h, ys + tile) - np.maximum(y0, ys), 0.0, None)
    grid[ty0:ty1, tx0:tx1] += weight * np.outer(oy, ox) / (w * h)
