"""Modified nodal analysis pieces shared by the static and transient solvers.

The PDN is solved for the IR **drop** ``d = vdd - v`` rather than the voltage: pads hold ``d = vdd -
v_pad`` (0 for pads at the supply), the right-hand side is the cell current drawn, and the solution is
small and well scaled, so relative residuals are meaningful. Pads are eliminated, leaving the symmetric
positive definite conductance matrix ``G_uu`` of the free nodes. Inductor ends are merged at DC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from eda.pdn.checks import short_groups
from eda.pdn.netlist import PdnNetlist

__all__ = ["ReducedSystem", "reduce_system", "stamp", "current_injection"]


def stamp(n: int, a: np.ndarray, b: np.ndarray, g: np.ndarray) -> sp.csr_matrix:
    """Symmetric two-terminal stamps of conductances ``g`` between ``a`` and ``b`` (-1 = ground)."""
    ma, mb = a >= 0, b >= 0
    both = ma & mb
    rows = np.concatenate([a[ma], b[mb], a[both], b[both]])
    cols = np.concatenate([a[ma], b[mb], b[both], a[both]])
    vals = np.concatenate([g[ma], g[mb], -g[both], -g[both]])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


def current_injection(n: int, a: np.ndarray, b: np.ndarray, amps: np.ndarray) -> np.ndarray:
    """Net current drawn out of every node by sources ``a -> b`` of ``amps`` (A; positive = sink)."""
    drawn = np.zeros(n)
    ma, mb = a >= 0, b >= 0
    if np.any(ma):
        drawn += np.bincount(a[ma], weights=amps[ma], minlength=n)
    if np.any(mb):
        drawn -= np.bincount(b[mb], weights=amps[mb], minlength=n)
    return drawn


@dataclass
class ReducedSystem:
    """``G_uu d_u = rhs`` for the free nodes.

    Attributes:
        rep: DC representative of every node (inductor ends merged).
        free: indices of the free representative nodes (order of the unknowns).
        fixed: indices of the pad nodes.
        d_fixed: the pads' drops (V).
        G: full conductance matrix over all nodes (S).
        G_uu: reduced SPD matrix (S).
        G_uf: coupling of free to fixed nodes (S).
        vdd: reference supply (V).
    """

    rep: np.ndarray
    free: np.ndarray
    fixed: np.ndarray
    d_fixed: np.ndarray
    G: sp.csr_matrix
    G_uu: sp.csr_matrix
    G_uf: sp.csr_matrix
    vdd: float

    def rhs(self, drawn: np.ndarray) -> np.ndarray:
        """Right-hand side for per-node drawn currents (A, indexed by original node)."""
        n = len(self.rep)
        merged = np.bincount(self.rep, weights=drawn, minlength=n)
        # d = vdd - v  =>  G d = vdd * G 1 - J  with J = -drawn (injection)
        g1 = np.asarray(self.G.sum(axis=1)).ravel()
        b = self.vdd * g1 + merged
        out = b[self.free]
        if len(self.fixed) and self.G_uf.nnz:
            out = out - self.G_uf @ self.d_fixed
        return out

    def expand(self, d_free: np.ndarray) -> np.ndarray:
        """Per-node drop (V) from the free-node solution."""
        d = np.zeros(len(self.rep))
        d[self.free] = d_free
        d[self.fixed] = self.d_fixed
        return d[self.rep]


def reduce_system(net: PdnNetlist, *, extra_diag: np.ndarray | None = None) -> ReducedSystem:
    """Assemble and reduce the conductance system of ``net`` (run :func:`check_netlist` first).

    ``extra_diag`` (S per node, optional) adds node-to-ground conductances, e.g. ``C/h`` in transient
    companion models; it is stamped on the DC representative.
    """
    n = net.n_nodes
    rep = short_groups(net)
    a = np.where(net.r_a >= 0, rep[np.maximum(net.r_a, 0)], -1)
    b = np.where(net.r_b >= 0, rep[np.maximum(net.r_b, 0)], -1)
    G = stamp(n, a, b, 1.0 / net.r_ohm)
    if extra_diag is not None:
        G = G + sp.diags(np.bincount(rep, weights=extra_diag, minlength=n))
    vdd = net.supply_v
    fixed = np.unique(rep[net.v_pos])
    d_fixed = np.empty(len(fixed))
    d_fixed[np.searchsorted(fixed, rep[net.v_pos])] = vdd - net.v_volt
    is_rep = rep == np.arange(n)
    mask = is_rep.copy()
    mask[fixed] = False
    free = np.flatnonzero(mask)
    G = G.tocsr()
    G_uu = G[free][:, free].tocsr()
    G_uf = G[free][:, fixed].tocsr()
    return ReducedSystem(rep=rep, free=free, fixed=fixed, d_fixed=d_fixed, G=G, G_uu=G_uu, G_uf=G_uf, vdd=vdd)
