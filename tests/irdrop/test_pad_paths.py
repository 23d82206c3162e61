"""Series-reduced pad distances equal one Dijkstra per pad, on graphs built to break the reduction."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse import csgraph

from eda.irdrop import pad_paths
from eda.irdrop.pad_paths import pad_path_resistance


def _reference(graph: sp.csr_matrix, pads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dist = np.atleast_2d(csgraph.dijkstra(graph, directed=False, indices=pads))
    with np.errstate(divide="ignore"):
        inv = np.where(np.isfinite(dist), 1.0 / np.maximum(dist, 1e-12), 0.0).sum(axis=0)
        return dist.min(axis=0), np.where(inv > 0, 1.0 / np.maximum(inv, 1e-300), np.inf)


def _graph(edges: list[tuple[int, int, float]], n: int) -> sp.csr_matrix:
    a, b, w = (np.array(v) for v in zip(*edges, strict=True))
    g = sp.coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
    g.sum_duplicates()
    return g


def _rails(rng: np.random.Generator) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rails of tap chains hung from a random mesh, plus a floating loop, a stub and a chain whose
    two ends are one node."""
    edges = []
    mesh = 30
    for i in range(mesh):  # a random connected core
        edges.append((i, (i + 1) % mesh, rng.uniform(0.1, 1)))
        edges.append((i, int(rng.integers(mesh)), rng.uniform(0.1, 1)))
    n = mesh
    for _ in range(40):  # chains of 1-6 taps between two mesh nodes
        a, b = (int(v) for v in rng.integers(mesh, size=2))
        k = int(rng.integers(1, 7))
        chain = [a, *range(n, n + k), b]
        n += k
        edges += [(u, v, rng.uniform(0.5, 3)) for u, v in zip(chain, chain[1:], strict=False)]
    edges += [(n, n + 1, 1.0), (n + 1, n + 2, 1.0), (n + 2, n, 1.0)]  # a floating loop of degree-2 nodes
    edges += [(3, n + 3, 2.0), (n + 3, n + 4, 2.0)]  # a stub ending in a degree-1 node
    n += 5
    return _graph(edges, n), np.array([0, 7, 7, n - 2])  # a repeated pad, a pad inside the stub


@pytest.mark.parametrize("seed", range(5))
def test_equals_one_dijkstra_per_pad(seed, monkeypatch):
    graph, pads = _rails(np.random.default_rng(seed))
    monkeypatch.setattr(pad_paths, "_CHUNK_VALUES", 2 * graph.shape[0])  # several chunks of two pads
    for mine, ref in zip(pad_path_resistance(graph, pads), _reference(graph, pads), strict=True):
        assert np.array_equal(np.isfinite(mine), np.isfinite(ref))  # the floating loop stays inf
        fin = np.isfinite(ref)
        np.testing.assert_allclose(mine[fin], ref[fin], rtol=1e-12)


def test_parallel_edges_and_a_pad_on_a_chain():
    # 0 - 1 - 2 - 3 with a second (parallel) path 0 - 4 - 3 and the pad at the chain node 2
    graph = _graph([(0, 1, 1.0), (1, 2, 2.0), (2, 3, 1.0), (0, 4, 5.0), (4, 3, 5.0), (0, 1, 1.0)], 5)
    nearest, parallel = pad_path_resistance(graph, np.array([2]))
    ref_n, ref_p = _reference(graph, np.array([2]))
    np.testing.assert_allclose(nearest, ref_n)
    np.testing.assert_allclose(parallel, ref_p)
    assert nearest[0] == pytest.approx(4.0)  # the duplicate 0-1 resistors are in series in the graph: 2 + 2
