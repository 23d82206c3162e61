"""PDN structure seen by the IR-drop predictor: nodes with coordinates, resistors, pads and stripes.

:class:`PdnStructure` is a light, array-only view of a static PDN netlist (coordinates in µm, resistances
in Ω, pad voltages in V, sink currents in A) built from the :mod:`eda.pdn` netlist reader or from plain
arrays (hand-built PDNs in tests). It derives the *structural* features the learned predictor may use
at inference — never a solve of the conductance system:

* shortest-path resistance from every node to the pads (Dijkstra over resistor values, Ω), a cheap
  upper bound of the effective resistance;
* stripe positions per layer and orientation (a stripe is a run of same-layer resistors along one axis);
* via sites (resistors between two layers at the same x, y).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from eda.errors import NetlistError

__all__ = ["PdnStructure", "load_structure", "tile_of", "transform_points"]


@dataclass
class PdnStructure:
    """Array view of a static PDN.

    Attributes:
        xy: node coordinates ``[n, 2]`` in µm (x, y).
        layer: metal layer index per node ``[n]`` (1 = lowest metal).
        res_a, res_b: resistor terminals (node indices) ``[m]``.
        res_ohm: resistances ``[m]`` in Ω (> 0).
        pad_nodes: node indices held at a fixed voltage by a source.
        pad_volt: supply voltage per pad in V.
        sink_nodes, sink_amp: current sinks (cell currents) on nodes, in A.
        cache: per-design work keyed by what it was computed for (feature maps, the tiles' nearest nodes,
            the PDNGraph's edges): built once per design and grid, reused by every load on it.
    """

    xy: np.ndarray
    layer: np.ndarray
    res_a: np.ndarray
    res_b: np.ndarray
    res_ohm: np.ndarray
    pad_nodes: np.ndarray
    pad_volt: np.ndarray
    sink_nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sink_amp: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cache: dict[tuple, object] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, object]:
        """Pickle (to worker processes) without the factored systems of the cache: SciPy's LU factors do
        not pickle, and a worker rebuilds them on first use (:func:`eda.irdrop.rail.chain_estimate`)."""
        state = self.__dict__.copy()
        state["cache"] = {k: v for k, v in self.cache.items() if k[:1] != ("chain_factors",)}
        return state

    def __post_init__(self) -> None:
        self.xy = np.asarray(self.xy, dtype=np.float64).reshape(-1, 2)
        self.layer = np.asarray(self.layer, dtype=np.int64)
        self.res_a = np.asarray(self.res_a, dtype=np.int64)
        self.res_b = np.asarray(self.res_b, dtype=np.int64)
        self.res_ohm = np.asarray(self.res_ohm, dtype=np.float64)
        self.pad_nodes = np.asarray(self.pad_nodes, dtype=np.int64)
        self.pad_volt = np.asarray(self.pad_volt, dtype=np.float64)
        self.sink_nodes = np.asarray(self.sink_nodes, dtype=np.int64)
        self.sink_amp = np.asarray(self.sink_amp, dtype=np.float64)
        if np.any(self.res_ohm <= 0):
            bad = int(np.nonzero(self.res_ohm <= 0)[0][0])
            raise NetlistError(
                f"resistor {bad} has non-positive resistance {self.res_ohm[bad]} Ω",
                hint="every PDN resistor must be > 0 Ω",
            )
        if self.pad_nodes.size == 0:
            raise NetlistError("the PDN has no pad (voltage source)", hint="add V elements on the top layer")

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return int(self.xy.shape[0])

    @property
    def supply_v(self) -> float:
        """Nominal supply voltage (largest pad voltage), V."""
        return float(np.max(self.pad_volt))

    def resistance_graph(self) -> sp.csr_matrix:
        """Symmetric sparse matrix of resistor values (Ω) used as path lengths (resistors repeated between
        one node pair are summed, as the trained features were made; a true parallel pair would be smaller)."""
        n = self.num_nodes
        a = np.r_[self.res_a, self.res_b]
        b = np.r_[self.res_b, self.res_a]
        r = np.r_[self.res_ohm, self.res_ohm]
        graph = sp.coo_matrix((r, (a, b)), shape=(n, n)).tocsr()
        graph.sum_duplicates()
        return graph

    def pad_resistance(self) -> tuple[np.ndarray, np.ndarray]:
        """Shortest-path resistance to the pads, Ω.

        Returns ``(nearest, parallel)``: the smallest path resistance to any pad, and the parallel
        combination ``1 / Σ_p 1/R_p`` of the shortest paths to each pad (a cheap stand-in for the
        effective resistance when several pads feed a node). Nodes with no path get ``inf``.
        """
        from eda.irdrop.pad_paths import pad_path_resistance

        # the rail chains contracted, the pads in chunks: one Dijkstra per pad on the core graph
        return pad_path_resistance(self.resistance_graph(), self.pad_nodes)

    def resistor_axes(self) -> np.ndarray:
        """Per resistor: 0 = along x (horizontal), 1 = along y (vertical), 2 = via (same x, y)."""
        d = np.abs(self.xy[self.res_b] - self.xy[self.res_a])
        axis = np.where(d[:, 0] >= d[:, 1], 0, 1)
        return np.where((d[:, 0] < 1e-9) & (d[:, 1] < 1e-9), 2, axis)

    def stripes(self, orientation: str, layers: list[int] | str = "first") -> np.ndarray:
        """Sorted unique stripe positions in µm.

        ``orientation='vertical'``: stripes running along y, their x positions; ``'horizontal'``: stripes
        running along x, their y positions. ``layers``: a list of layer indices, ``"all"`` (every layer
        above the lowest, which carries the standard-cell rails rather than PDN stripes) or ``"first"``
        (default: the lowest such layer that has stripes of this orientation — the one feeding the cell
        rails through vias). Empty when no layer above the lowest has stripes of this orientation.
        """
        if orientation not in ("vertical", "horizontal"):
            raise ValueError(f"orientation must be 'vertical' or 'horizontal', got {orientation!r}")
        want = 1 if orientation == "vertical" else 0
        axis = self.resistor_axes()
        la = self.layer[self.res_a]
        sel = (axis == want) & (la == self.layer[self.res_b])
        lowest = int(self.layer.min())
        upper = sorted(set(np.unique(la[sel]).tolist()) - {lowest})
        if isinstance(layers, str):
            if layers not in ("first", "all"):
                raise ValueError(f"layers must be a list, 'first' or 'all', got {layers!r}")
            chosen = upper[:1] if layers == "first" else upper
        else:
            chosen = list(layers)
        sel &= np.isin(la, chosen)
        coord = self.xy[self.res_a[sel], 0 if want == 1 else 1]
        return np.unique(np.round(coord, 6))

    def via_sites(self, lower: int | None = None) -> np.ndarray:
        """(x, y) in µm of vias whose lower layer is ``lower`` (default: the lowest layer) ``[k, 2]``."""
        axis = self.resistor_axes()
        la, lb = self.layer[self.res_a], self.layer[self.res_b]
        low = int(self.layer.min()) if lower is None else lower
        sel = (axis == 2) & (np.minimum(la, lb) == low) & (la != lb)
        return self.xy[self.res_a[sel]]

    def transformed(self, k: int, flip: bool, size_um: tuple[float, float]) -> PdnStructure:
        """The same PDN under the map transform used for augmentation (see :func:`transform_points`); the
        identity returns this PDN itself (with its per-design caches)."""
        if k % 4 == 0 and not flip:
            return self
        xy = transform_points(self.xy, k, flip, size_um)
        return PdnStructure(
            xy,
            self.layer,
            self.res_a,
            self.res_b,
            self.res_ohm,
            self.pad_nodes,
            self.pad_volt,
            self.sink_nodes,
            self.sink_amp,
        )


def tile_of(xy: np.ndarray, shape: tuple[int, int], tile_um: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(ix, iy)`` of the ``tile_um`` tiles of a ``shape`` grid holding the points ``xy`` (µm)
    ``[k, 2]``; points on or past the far edge land in the last tile."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return (
        np.clip(np.floor(xy[:, 0] / tile_um).astype(int), 0, shape[0] - 1),
        np.clip(np.floor(xy[:, 1] / tile_um).astype(int), 0, shape[1] - 1),
    )


def transform_points(xy: np.ndarray, k: int, flip: bool, size_um: tuple[float, float]) -> np.ndarray:
    """Apply the map transform ``np.rot90(np.flipud(m) if flip else m, k)`` to point coordinates.

    ``xy`` are (x, y) in µm with maps indexed ``[x, y]`` of extent ``size_um = (X, Y)`` (tile centres at
    ``i + 0.5``). ``flip`` mirrors x; each quarter turn maps ``(x, y) -> (Y - y, x)`` with the extents
    swapped, matching ``np.rot90`` on an ``[x, y]`` array.
    """
    pts = np.array(xy, dtype=np.float64, copy=True).reshape(-1, 2)
    sx, sy = float(size_um[0]), float(size_um[1])
    if flip:
        pts[:, 0] = sx - pts[:, 0]
    for _ in range(k % 4):
        pts = np.stack([sy - pts[:, 1], pts[:, 0]], axis=1)
        sx, sy = sy, sx
    return pts


def load_structure(netlist: str | Path) -> PdnStructure:
    """Read a PDN SPICE netlist (gzip ok) with the :mod:`eda.pdn` reader into a :class:`PdnStructure`."""
    from eda.irdrop.netlist_adapter import structure_from_netlist

    return structure_from_netlist(Path(netlist))
