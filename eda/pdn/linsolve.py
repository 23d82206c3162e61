"""Sparse SPD linear solvers for PDN systems, chosen by size, each with a verified residual.

Backends:

* ``cholmod`` — supernodal Cholesky from scikit-sparse (used by ``direct`` when importable);
* ``splu`` — SciPy SuperLU with a symmetric minimum-degree ordering and no pivoting (SPD matrices);
* ``amg`` — conjugate gradients preconditioned by a pyamg smoothed-aggregation V-cycle;
* ``cg`` — Jacobi-preconditioned conjugate gradients (fast when pads are dense);
* ``spsolve`` — plain ``scipy.sparse.linalg.spsolve`` (the baseline the benchmark compares against).

All but ``spsolve`` run on the core left by exact low-degree elimination (:mod:`eda.pdn.eliminate`).
``auto`` picks ``direct`` when that core has at most :data:`AUTO_DIRECT_MAX` unknowns; above, it runs
``cg`` and switches to ``amg`` (warm-started) if CG needs more than :data:`AUTO_CG_MAXITER` iterations.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from eda.errors import EdaError, UserError
from eda.pdn.eliminate import Elimination

__all__ = ["Factor", "factorize", "solve_spd", "SolveInfo", "has_cholmod", "AUTO_DIRECT_MAX", "BACKENDS"]

AUTO_DIRECT_MAX = 60_000
BACKENDS = ("auto", "direct", "cholmod", "splu", "amg", "cg", "spsolve")
ELIMINATE_MIN = 2000
AUTO_CG_MAXITER = 1000
RESIDUAL_TOL = 1e-8


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """Limit BLAS to one thread: pyamg's small dense kernels slow down badly under oversubscription."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def has_cholmod() -> bool:
    """True when ``sksparse.cholmod`` is importable."""
    return importlib.util.find_spec("sksparse") is not None


@dataclass
class SolveInfo:
    """How a solve went: backend used, CG iterations (0 for direct), relative residual, seconds."""

    backend: str
    iterations: int
    residual: float
    setup_s: float
    solve_s: float


class Factor:
    """A reusable solver for one SPD matrix: ``factor(b) -> x``.

    Every backend except ``spsolve`` first eliminates low-degree nodes exactly
    (:class:`~eda.pdn.eliminate.Elimination`; rail taps between vias) and solves the smaller core:
    ``cholmod``/``splu`` factor it once, ``amg`` builds a smoothed-aggregation hierarchy used as the
    preconditioner of conjugate gradients (relative residual ``tol``), ``cg`` is Jacobi-preconditioned CG.
    """

    def __init__(
        self, A: sp.spmatrix, backend: str = "auto", *, tol: float = 1e-10, eliminate: bool = True
    ) -> None:
        if backend not in BACKENDS:
            raise UserError(
                f"unknown solver backend '{backend}'", hint=f"choose one of {', '.join(BACKENDS)}"
            )
        t0 = time.perf_counter()
        self.A = sp.csr_matrix(A)
        self.n = A.shape[0]
        self.tol = tol
        self.iterations = 0
        self.elim: Elimination | None = None
        core = self.A
        if backend != "spsolve" and eliminate and self.n > ELIMINATE_MIN:
            self.elim = Elimination(self.A, max_degree=3)
            core = self.elim.core
        self._amg_fallback = False
        if backend == "auto":
            # large cores: Jacobi-CG (fastest with dense bump pads), switching to AMG-PCG from the
            # current iterate when it has not converged in AUTO_CG_MAXITER iterations (sparse pads)
            backend = "direct" if core.shape[0] <= AUTO_DIRECT_MAX else "cg"
            self._amg_fallback = backend == "cg"
        if backend == "direct":
            backend = "cholmod" if has_cholmod() else "splu"
        self.backend = backend
        self.core_size = core.shape[0]
        self._solve: Callable[[np.ndarray], np.ndarray]
        if core.shape[0] == 0:
            self._solve = lambda b: np.zeros(0)
        elif backend == "cholmod":
            from sksparse.cholmod import CholmodError, cholesky

            try:  # nested dissection: ~40% less fill than AMD on multi-layer grids
                self._solve = cholesky(sp.csc_matrix(core), ordering_method="metis")
            except CholmodError:  # CHOLMOD built without METIS
                self._solve = cholesky(sp.csc_matrix(core))
        elif backend == "splu":
            lu = spla.splu(
                sp.csc_matrix(core),
                permc_spec="MMD_AT_PLUS_A",
                diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )
            self._solve = lu.solve
        elif backend == "spsolve":
            A_csc = sp.csc_matrix(core)
            self._solve = lambda b: spla.spsolve(A_csc, b)
        elif backend == "amg":
            self._core = core
            self._M = _amg_preconditioner(core)
            self._solve = self._pcg
        else:  # cg
            self._core = core
            d_inv = 1.0 / core.diagonal()
            self._M = spla.LinearOperator(core.shape, matvec=lambda v: d_inv * v, dtype=np.float64)
            self._solve = self._pcg
        self._x0: np.ndarray | None = None
        self.setup_s = time.perf_counter() - t0

    def _pcg(self, b: np.ndarray) -> np.ndarray:
        count = [0]

        def cb(_: np.ndarray) -> None:
            count[0] += 1

        maxiter = AUTO_CG_MAXITER if self._amg_fallback else 20000
        with _one_blas_thread():
            x, info = spla.cg(
                self._core, b, x0=self._x0, rtol=self.tol, atol=0.0, M=self._M, maxiter=maxiter, callback=cb
            )
            if info > 0 and self._amg_fallback:
                self._M = _amg_preconditioner(self._core)
                self._amg_fallback = False
                self.backend = "cg+amg"
                x, info = spla.cg(
                    self._core, b, x0=x, rtol=self.tol, atol=0.0, M=self._M, maxiter=20000, callback=cb
                )
        self.iterations = count[0]
        return x

    def __call__(self, b: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        """Solve ``A x = b``; ``x0`` (full size) warm-starts the iterative backends."""
        if self.elim is None:
            self._x0 = x0
            return np.asarray(self._solve(b)).ravel()
        bc, saved = self.elim.reduce_rhs(b)
        self._x0 = None if x0 is None or self.backend not in ("amg", "cg") else self.elim.restrict(x0)
        xc = np.asarray(self._solve(bc)).ravel()
        return self.elim.expand(xc, saved)

    def residual(self, x: np.ndarray, b: np.ndarray) -> float:
        """Relative residual ``||A x - b|| / ||b||`` (absolute when ``b`` is zero)."""
        nb = float(np.linalg.norm(b))
        r = float(np.linalg.norm(self.A @ x - b))
        return r / nb if nb > 0 else r


def _amg_preconditioner(core: sp.csr_matrix) -> spla.LinearOperator:
    """Smoothed-aggregation V-cycle (pyamg) as a CG preconditioner, with CSR levels."""
    import pyamg

    with _one_blas_thread():
        ml = pyamg.smoothed_aggregation_solver(
            sp.csr_matrix(core), symmetry="hermitian", max_coarse=500, coarse_solver="splu"
        )
    for level in ml.levels:  # pyamg's BSR relaxation kernels are ~3x slower than CSR ones
        level.A = sp.csr_matrix(level.A)
    return ml.aspreconditioner(cycle="V")


def factorize(A: sp.spmatrix, backend: str = "auto", *, tol: float = 1e-10) -> Factor:
    """Set up a solver for SPD ``A`` once (factorisation or AMG hierarchy)."""
    return Factor(A, backend, tol=tol)


def solve_spd(
    A: sp.spmatrix, b: np.ndarray, backend: str = "auto", *, tol: float = 1e-10, check: float = RESIDUAL_TOL
) -> tuple[np.ndarray, SolveInfo]:
    """Solve SPD ``A x = b`` and verify ``||A x - b|| / ||b|| <= check``; raises :class:`EdaError` if not."""
    f = factorize(A, backend, tol=tol)
    t0 = time.perf_counter()
    x = f(b)
    solve_s = time.perf_counter() - t0
    res = f.residual(x, b)
    if not np.isfinite(res) or res > check:
        raise EdaError(f"{f.backend} solve did not converge: relative residual {res:.2e} > {check:.0e}")
    return x, SolveInfo(f.backend, f.iterations, res, f.setup_s, solve_s)
