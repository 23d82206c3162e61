"""Static (DC) IR-drop analysis: ``G d = i`` with pads eliminated.

``solve_static(net)`` checks the netlist, assembles the reduced SPD system, solves it with the chosen
backend (verified residual) and returns a :class:`StaticResult` with per-node voltages and drops (V),
worst and average drop and per-layer statistics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from eda.errors import EdaError, NetlistError
from eda.pdn.checks import check_netlist, check_solution
from eda.pdn.linsolve import SolveInfo, solve_spd
from eda.pdn.netlist import PdnNetlist
from eda.pdn.system import current_injection, reduce_system

__all__ = ["StaticResult", "solve_static"]


@dataclass
class StaticResult:
    """Per-node static solution.

    Attributes:
        voltage: node voltage (V).
        drop: IR drop ``vdd - voltage`` (V), positive where the supply sags.
        vdd: the reference supply (largest pad voltage, V).
        info: solver backend, iterations, relative residual and timings.
        layer: node layer (-1 unknown), copied from the netlist for statistics.
    """

    voltage: np.ndarray
    drop: np.ndarray
    vdd: float
    info: SolveInfo
    layer: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def worst_node(self) -> int:
        return int(np.argmax(self.drop))

    @property
    def worst_drop(self) -> float:
        """Largest IR drop over all nodes (V)."""
        return float(np.max(self.drop)) if len(self.drop) else 0.0

    @property
    def avg_drop(self) -> float:
        """Mean IR drop over all nodes (V)."""
        return float(np.mean(self.drop)) if len(self.drop) else 0.0

    def layer_stats(self) -> dict[int, dict[str, float]]:
        """``{layer: {nodes, worst_drop_v, avg_drop_v}}`` for every layer present (-1 = unknown)."""
        out: dict[int, dict[str, float]] = {}
        for lay in np.unique(self.layer).tolist():
            d = self.drop[self.layer == lay]
            out[int(lay)] = {
                "nodes": int(len(d)),
                "worst_drop_v": float(d.max()),
                "avg_drop_v": float(d.mean()),
            }
        return out


#: resistances spanning more than this ratio leave double precision too few digits for the solve
_RESISTANCE_SPAN = 1e10


def _conditioning_error(net: PdnNetlist, exc: EdaError) -> NetlistError | None:
    """A :class:`NetlistError` explaining a failed solve by the netlist's resistance span, when it is
    the likely cause (near-shorts beside ordinary wires); ``None`` otherwise (then it is a bug)."""
    if isinstance(exc, NetlistError) or len(net.r_ohm) == 0:
        return None
    low, high = float(net.r_ohm.min()), float(net.r_ohm.max())
    if low <= 0 or high / low <= _RESISTANCE_SPAN:
        return None
    k = int(np.argmin(net.r_ohm))
    return NetlistError(
        f"{exc.message}: the resistances span {low:g} to {high:g} Ω, more than double precision can solve",
        where=net.where("r", k),
        hint="merge the nodes of near-short resistors (below 1 µΩ) instead of keeping them as "
        "resistors, and remove near-open ones",
    )


def solve_static(
    net: PdnNetlist, *, backend: str = "auto", tol: float = 1e-10, check: bool = True
) -> StaticResult:
    """Static IR drop of ``net`` (DC currents ``i_amp``; inductors shorted, capacitors open).

    Args:
        backend: ``auto``, ``direct``, ``cholmod``, ``splu``, ``amg`` or ``spsolve`` (see :mod:`eda.pdn.linsolve`).
        tol: CG tolerance for ``amg`` (relative residual).
        check: run :func:`~eda.pdn.checks.check_netlist` first (floating islands, bad values) and
            :func:`~eda.pdn.checks.check_solution` after (no node below ground or above the supply).
    """
    t0 = time.perf_counter()
    if check:
        check_netlist(net)
    t1 = time.perf_counter()
    sys_ = reduce_system(net)
    drawn = current_injection(net.n_nodes, net.i_a, net.i_b, net.i_amp)
    b = sys_.rhs(drawn)
    t2 = time.perf_counter()
    try:
        d_free, info = solve_spd(sys_.G_uu, b, backend, tol=tol)
    except EdaError as exc:
        raise _conditioning_error(net, exc) or exc from None
    drop = sys_.expand(d_free)
    if check:
        check_solution(net, sys_.vdd - drop, sys_.vdd)
    t3 = time.perf_counter()
    return StaticResult(
        voltage=sys_.vdd - drop,
        drop=drop,
        vdd=sys_.vdd,
        info=info,
        layer=net.layer.copy(),
        timings={"check_s": t1 - t0, "assemble_s": t2 - t1, "solve_s": t3 - t2},
    )
