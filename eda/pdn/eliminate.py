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

    def __init__(
        self, A: sp.spmatrix, *, max_degree: int = 2, min_fraction: float = 0.02, max_rounds: int = 40
    ) -> None:
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
            prio = ((np.arange(m, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(4294967291)).astype(
                float
            )
            prio += 1.0
            nb = np.where(offdiag & cand[cur.indices], prio[cur.indices], 0.0)
            nbmax = _row_max(cur.indptr, nb, m)
            sel = cand & (prio > nbmax)
            S = np.flatnonzero(sel)
            R = np.flatnonzero(~sel)
            if len(S) == 0:
                break
            cur, A_SR, d_inv = _eliminate_round(cur, rows, sel, S, R)
            A_RS = A_SR.T.tocsr()
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


def _eliminate_round(
    A: sp.csr_matrix,
    rows: np.ndarray,
    sel: np.ndarray,
    S: np.ndarray,
    R: np.ndarray,
) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """One Schur step over the independent set ``S``, assembled directly from COO triplets.

    Returns the new ``A_RR - A_RS D^-1 A_SR``, ``A_SR`` (rows in ``S`` order, columns renumbered to ``R``)
    and ``D^-1``. Every eliminated node ``s`` with neighbours ``a, b`` adds ``-A[a,s] A[s,b] / A[s,s]``.
    """
    m = A.shape[0]
    cols, vals = A.indices, A.data
    newidx = np.cumsum(~sel) - 1
    srow, scol = sel[rows], sel[cols]
    rr = ~srow & ~scol
    sr = srow & ~scol
    diag = A.diagonal()
    d_inv = 1.0 / diag[S]
    rank = np.full(m, -1, np.int64)
    rank[S] = np.arange(len(S))
    e_s = rank[rows[sr]]  # CSR order: grouped by row, rows ascending like S
    e_r = newidx[cols[sr]]
    e_v = vals[sr]
    cnt = np.bincount(e_s, minlength=len(S))
    ptr = np.concatenate([[0], np.cumsum(cnt)])
    A_SR = sp.csr_matrix((e_v, e_r, ptr), shape=(len(S), len(R)))
    reps = cnt[e_s]
    total = int(reps.sum())
    e_idx = np.repeat(np.arange(len(e_s)), reps)
    pstart = np.concatenate([[0], np.cumsum(reps)[:-1]])
    f_idx = np.repeat(ptr[e_s], reps) + (np.arange(total) - np.repeat(pstart, reps))
    fill_v = -e_v[e_idx] * e_v[f_idx] * d_inv[e_s[e_idx]]
    new_rows = np.concatenate([newidx[rows[rr]], e_r[e_idx]])
    new_cols = np.concatenate([newidx[cols[rr]], e_r[f_idx]])
    new_vals = np.concatenate([vals[rr], fill_v])
    new = sp.csr_matrix((new_vals, (new_rows, new_cols)), shape=(len(R), len(R)))
    new.sum_duplicates()
    return new, A_SR, d_inv


def _row_max(indptr: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Row-wise maximum of CSR ``values`` (0 for empty rows)."""
    out = np.zeros(m)
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    if len(values):
        out[nonempty] = np.maximum.reduceat(values, indptr[nonempty])
    return out
