"""Shortest-path resistance from every node to every pad, without one full Dijkstra per pad.

Most PDN nodes are rail taps between two neighbours: chains of degree-2 nodes between via sites. A
shortest path that enters such a chain leaves it at the other end, so the chains can be contracted
(series reduction, exact for shortest paths):

* every chain becomes one edge between its two end nodes, its length the chain's total resistance;
* the per-pad Dijkstra runs on that *core* graph (via sites, upper layers, pads: ~10-20 % of the nodes);
* a chain node's distance to a pad is ``min(d(end A) + r_A, d(end B) + r_B)``, with ``r_A`` from one
  multi-source Dijkstra over the chain edges (the nearer end) and ``r_B = length - r_A``.

The pads are processed in chunks, so memory stays ``O(nodes × chunk)`` instead of ``O(nodes × pads)``
(one call of ``scipy``'s Dijkstra over all pads of a 0.5 M-node grid with 200 pads would hold a
0.8 GB distance matrix of float64).
Written here because scipy's ``csgraph`` has no series reduction; the Dijkstras are scipy's.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

__all__ = ["pad_path_resistance"]

#: node distances held at a time (floats): sets how many pads one chunk takes
_CHUNK_VALUES = 4_000_000


def _min_edges(a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """Symmetric graph with the smallest weight of every node pair in ``(a, b, w)`` (self-loops dropped)."""
    keep = a != b
    lo, hi, w = np.minimum(a, b)[keep], np.maximum(a, b)[keep], w[keep]
    key = lo * n + hi
    order = np.lexsort((w, key))
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    sel = order[first]
    return sp.csr_matrix(
        (np.r_[w[sel], w[sel]], (np.r_[lo[sel], hi[sel]], np.r_[hi[sel], lo[sel]])), shape=(n, n)
    )


def pad_path_resistance(graph: sp.csr_matrix, pads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(nearest, parallel)`` per node of the symmetric resistance graph ``graph`` (Ω as path lengths).

    ``nearest`` is the smallest shortest-path resistance to any of ``pads``; ``parallel`` is
    ``1 / Σ_p 1 / R_p`` over the shortest path to each pad (every entry of ``pads`` counts, repeats too).
    Nodes with no path get ``inf``. Equal to one ``csgraph.dijkstra`` per pad, to rounding.
    """
    g = sp.csr_matrix(graph)
    n = g.shape[0]
    pads = np.asarray(pads, dtype=np.int64)
    coo = g.tocoo()
    rows, cols, w = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64)
    off = rows != cols
    rows, cols, w = rows[off], cols[off], w[off]
    deg = np.bincount(rows, minlength=n)
    interior = deg == 2
    interior[pads] = False
    core = ~interior
    inner = interior[rows] & interior[cols]
    _, comp = csgraph.connected_components(
        sp.csr_matrix((w[inner], (rows[inner], cols[inner])), shape=(n, n)), directed=False
    )
    bnd = interior[rows] & core[cols]  # chain end -> its core neighbour (each once: the graph is symmetric)
    b_comp, b_core = comp[rows[bnd]], cols[bnd]
    n_comp = int(comp.max()) + 1
    length = np.bincount(comp[rows[inner]], weights=w[inner], minlength=n_comp) / 2 + np.bincount(
        b_comp, weights=w[bnd], minlength=n_comp
    )
    path = np.bincount(b_comp, minlength=n_comp) == 2  # a chain with two ends (a closed loop has none)
    by_comp = np.argsort(b_comp, kind="stable")
    ends = np.full((n_comp, 2), -1)
    two = path[b_comp[by_comp]]
    ends[b_comp[by_comp][two][::2]] = b_core[by_comp][two].reshape(-1, 2)
    # the nearer end of every chain node and the resistance to it, over the chain edges only
    chain = interior[rows] | interior[cols]
    chain_graph = sp.csr_matrix((w[chain], (rows[chain], cols[chain])), shape=(n, n))
    core_nodes = np.flatnonzero(core)
    d_near, _, near = csgraph.dijkstra(
        chain_graph, directed=False, indices=core_nodes, min_only=True, return_predecessors=True
    )
    nodes = np.flatnonzero(interior & path[comp] & (near >= 0))
    c = comp[nodes]
    far = np.where(near[nodes] == ends[c, 0], ends[c, 1], ends[c, 0])
    r_near, r_far = d_near[nodes], length[c] - d_near[nodes]
    # the core graph: core-core resistors plus one edge per chain with two distinct ends
    local = np.full(n, -1)
    local[core_nodes] = np.arange(core_nodes.size)
    cc = core[rows] & core[cols]
    super_ = path & (ends[:, 0] != ends[:, 1])
    reduced = _min_edges(
        local[np.r_[rows[cc], ends[super_, 0]]],
        local[np.r_[cols[cc], ends[super_, 1]]],
        np.r_[w[cc], length[super_]],
        core_nodes.size,
    )
    near_l, far_l = local[near[nodes]], local[far]
    nearest = np.full(n, np.inf)
    inv = np.zeros(n)
    step = max(1, _CHUNK_VALUES // max(n, 1))
    for start in range(0, pads.size, step):
        d_core = np.atleast_2d(
            csgraph.dijkstra(reduced, directed=False, indices=local[pads[start : start + step]])
        )
        dist = np.full((d_core.shape[0], n), np.inf)
        dist[:, core_nodes] = d_core
        dist[:, nodes] = np.minimum(d_core[:, near_l] + r_near, d_core[:, far_l] + r_far)
        nearest = np.minimum(nearest, dist.min(axis=0))
        with np.errstate(divide="ignore"):
            inv += np.where(np.isfinite(dist), 1.0 / np.maximum(dist, 1e-12), 0.0).sum(axis=0)
    with np.errstate(divide="ignore"):
        parallel = np.where(inv > 0, 1.0 / np.maximum(inv, 1e-300), np.inf)
    return nearest, parallel
