"""Exact elimination of low-degree nodes (Schur complements over independent sets).

Most PDN nodes are bottom-layer rail taps with two neighbours (a resistor chain between via sites).
Eliminating an *independent* set ``S`` of such nodes is exact Gaussian elimination with a diagonal
pivot block::

    A_RR' = A_RR - A_RS D_S^-1 A_SR,     b_R' = b_R - A_RS D_S^-1 b_S,     x_S = D_S^-1 (b_S - A_SR x_R)

A node of degree <= 2 creates at most one new edge while removing two, so the matrix stays sparse and
SPD. Rounds repeat (a chain halves per round) until few candidates remain; the remaining *core* is
handed to the direct solver. Right-hand sides are reduced and solutions expanded with sparse
mat-vecs, so a transient run pays the elimination once and a few mat-vecs per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["Elimination"]


@dataclass
class _Round:
    S: np.ndarray
    R: np.ndarray
    A_SR: sp.csr_matrix
    A_RS: sp.csr_matrix
    d_inv: np.ndarray


class Elimination:
    """Eliminate nodes with at most ``max_degree`` neighbours from SPD ``A`` (exactly).

    Attributes:
        core: the reduced SPD matrix (CSR).
        n: original size.
    """

    def __init__(self, A: sp.spmatrix, *, max_degree: int = 2, min_fraction: float = 0.02,
                 max_rounds: int = 40) -> None:
        cur = sp.csr_matrix(A)
        cur.sum_duplicates()
        self.n = cur.shape[0]
        self.rounds: list[_Round] = []
        for _ in range(max_rounds):
            m = cur.shape[0]
            if m < 64:
                break
            cur.eliminate_zeros()
            counts = np.diff(cur.indptr)
            rows = np.repeat(np.arange(m), counts)
            offdiag = rows != cur.indices
            deg = np.bincount(rows[offdiag], minlength=m)
            cand = deg <= max_degree
            if cand.sum() < min_fraction * m:
                break
            # deterministic pseudo-random priorities; a candidate is selected when it beats every
            # candidate neighbour, so the selected set is independent
            prio = ((np.arange(m, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(4294967291)).astype(float)
            prio += 1.0
            nb = np.where(offdiag & cand[cur.indices], prio[cur.indices], 0.0)
            nbmax = _row_max(cur.indptr, nb, m)
            sel = cand & (prio > nbmax)
            S = np.flatnonzero(sel)
            R = np.flatnonzero(~sel)
            if len(S) == 0:
                break
            d_inv = 1.0 / cur.diagonal()[S]
            A_SR = cur[S][:, R].tocsr()
            A_RS = A_SR.T.tocsr()
            A_RR = cur[R][:, R]
            cur = (A_RR - A_RS @ sp.diags(d_inv) @ A_SR).tocsr()
            self.rounds.append(_Round(S, R, A_SR, A_RS, d_inv))
        self.core = cur

    @property
    def core_size(self) -> int:
        return self.core.shape[0]

    def reduce_rhs(self, b: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """``(b_core, saved)``: the right-hand side of the core system and what :meth:`expand` needs."""
        saved = []
        for r in self.rounds:
            bS = b[r.S]
            saved.append(bS)
            b = b[r.R] - r.A_RS @ (r.d_inv * bS)
        return b, saved

    def restrict(self, x: np.ndarray) -> np.ndarray:
        """The core entries of a full-size vector (e.g. a previous solution used as a warm start)."""
        for r in self.rounds:
            x = x[r.R]
        return x

    def expand(self, x_core: np.ndarray, saved: list[np.ndarray]) -> np.ndarray:
        """Full solution from the core solution (back-substitution through the rounds)."""
        x = x_core
        for r, bS in zip(reversed(self.rounds), reversed(saved), strict=True):
            full = np.empty(len(r.S) + len(r.R))
            full[r.R] = x
            full[r.S] = r.d_inv * (bS - r.A_SR @ x)
            x = full
        return x


def _row_max(indptr: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Row-wise maximum of CSR ``values`` (0 for empty rows)."""
    out = np.zeros(m)
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    if len(values):
        out[nonempty] = np.maximum.reduceat(values, indptr[nonempty])
    return out
