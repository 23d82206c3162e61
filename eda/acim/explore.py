"""Multi-objective design-space exploration of the QR ACIM macro with pymoo's NSGA-II.

The space (:class:`DesignSpace`) is mixed discrete: for a given H×W, every variable is an index into a
list of allowed values (local array size, ADC bits, unit capacitance, input/weight bits, columns per ADC,
clock). Objectives, all minimised by pymoo and all on log scales so the hypervolume weighs decades
evenly: −SNR_T (dB), −log10(throughput TOPS), −log10(TOPS/W), log10(area mm²). Constraints
(``G <= 0``): the SAR DAC rule 2^B <= (H/L)·G, the clock limit of the SAR logic, and the user's minimum
SNR and maximum area.

Evaluations are vectorised (:func:`eda.acim.models.evaluate` over a whole population) and fanned out in
batches through an executor (:mod:`eda.flow.executors`: ``serial``, ``local`` or ``dask``); each distinct
design point is evaluated once (memoised), and that count is what ``n_evaluations`` reports.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from eda.acim.adcbits import lossless_adc_bits_array
from eda.acim.models import MAX_ADC_BITS, SPEC_FIELDS, DesignPoints, evaluate
from eda.acim.models.area import library_tech
from eda.acim.models.tech import ModelTech
from eda.acim.spec import MAX_OPERAND_BITS, MAX_UNIT_CAP_FF, MIN_UNIT_CAP_FF, check_array_dimensions
from eda.errors import SpecError
from eda.limits import check_limit

__all__ = [
    "DesignSpace",
    "ExploreResult",
    "VARIABLES",
    "evaluate_indices",
    "objectives",
    "hypervolume",
    "pareto_mask",
    "explore",
    "exhaustive",
    "pick",
    "spec_of",
    "check_constraints",
    "DEFAULT_MIN_SNR_DB",
]

#: the explored variables, in column order of the index matrix X
VARIABLES: tuple[str, ...] = (
    "local_array_size",
    "adc_bits",
    "unit_cap_fF",
    "input_bits",
    "weight_bits",
    "cols_per_adc",
    "clock_MHz",
)
#: objective names (pymoo minimises the signed/logged values in this order)
OBJECTIVES: tuple[str, ...] = ("snr_total_db", "throughput_tops", "tops_per_w", "area_mm2")


@dataclass(frozen=True)
class DesignSpace:
    """Allowed values of each variable for an H×W macro (values that cannot divide H or W are dropped)."""

    rows: int
    cols: int
    local_array_size: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    adc_bits: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
    unit_cap_fF: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
    input_bits: tuple[int, ...] = (1, 2, 4, 8)
    weight_bits: tuple[int, ...] = (1, 2, 4, 8)
    cols_per_adc: tuple[int, ...] = (1, 2, 4, 8)
    clock_MHz: tuple[float, ...] = (100.0, 200.0, 300.0, 400.0, 500.0)
    #: workload-derived ADC ceiling: (rows summed per conversion, lossless ADC bits) pairs, e.g. from
    #: HEQuant's accumulator-bit analysis; a point may not use more ADC bits than its partial sums need
    adc_bits_lossless: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.rows < 1 or self.cols < 1:
            raise SpecError(f"array size {self.rows}x{self.cols} must be positive")
        check_array_dimensions(self.rows, self.cols)
        for name in VARIABLES:
            if not self.choices()[name]:
                raise SpecError(
                    f"no allowed value of {name} fits a {self.rows}x{self.cols} array",
                    hint=f"given {getattr(self, name)}; L must divide rows, weight_bits and "
                    "cols_per_adc must divide cols",
                )

    def choices(self) -> dict[str, tuple[Any, ...]]:
        """Allowed values per variable after the divisibility filters."""
        out = {name: tuple(sorted(set(getattr(self, name)))) for name in VARIABLES}
        out["local_array_size"] = tuple(v for v in out["local_array_size"] if self.rows % v == 0)
        out["adc_bits"] = tuple(v for v in out["adc_bits"] if 1 <= v <= MAX_ADC_BITS)
        out["weight_bits"] = tuple(
            v for v in out["weight_bits"] if self.cols % v == 0 and v <= MAX_OPERAND_BITS
        )
        out["input_bits"] = tuple(v for v in out["input_bits"] if 1 <= v <= MAX_OPERAND_BITS)
        out["cols_per_adc"] = tuple(v for v in out["cols_per_adc"] if self.cols % v == 0 and v & (v - 1) == 0)
        out["unit_cap_fF"] = tuple(v for v in out["unit_cap_fF"] if MIN_UNIT_CAP_FF <= v <= MAX_UNIT_CAP_FF)
        return out

    @property
    def upper(self) -> np.ndarray:
        """Largest index per variable."""
        return np.array([len(c) - 1 for c in self.choices().values()], dtype=np.int64)

    @property
    def size(self) -> int:
        """Number of index combinations (before the DAC constraint)."""
        return int(np.prod(self.upper + 1))

    def values(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Variable values for an index matrix X (points × variables)."""
        X = np.asarray(X, dtype=np.int64).reshape(-1, len(VARIABLES))
        return {
            name: np.asarray(choice, dtype=float)[X[:, j]]
            for j, (name, choice) in enumerate(self.choices().items())
        }

    def feasible(self, X: np.ndarray) -> np.ndarray:
        """Mask of points that satisfy the DAC rule 2^B <= (H/L)·cols_per_adc (and the lossless ADC ceiling)."""
        v = self.values(X)
        rows_per_conversion = (self.rows / v["local_array_size"]) * v["cols_per_adc"]
        ok = 2.0 ** v["adc_bits"] <= rows_per_conversion
        if self.adc_bits_lossless:
            ok &= v["adc_bits"] <= self.lossless_bits(rows_per_conversion)
        return ok

    def lossless_bits(self, rows_per_conversion: np.ndarray) -> np.ndarray:
        """ADC bits a partial sum over that many rows needs (:func:`eda.acim.adcbits.lossless_adc_bits`)."""
        return lossless_adc_bits_array(dict(self.adc_bits_lossless), rows_per_conversion)

    def points(self, X: np.ndarray) -> DesignPoints:
        """Design points of (feasible) index rows."""
        return DesignPoints.from_arrays(rows=self.rows, cols=self.cols, **self.values(X))

    def all_indices(self) -> np.ndarray:
        """Every index combination (points × variables)."""
        grids = np.meshgrid(*[np.arange(u + 1) for u in self.upper], indexing="ij")
        return np.stack([g.ravel() for g in grids], axis=1)

    def to_dict(self) -> dict[str, Any]:
        """Fields as JSON values."""
        return {
            f.name: (
                [list(x) if isinstance(x, tuple) else x for x in getattr(self, f.name)]
                if isinstance(getattr(self, f.name), tuple)
                else getattr(self, f.name)
            )
            for f in fields(self)
        }


def objectives(metrics: dict[str, np.ndarray]) -> np.ndarray:
    """The minimisation matrix F (points × 4) from model metrics."""
    return np.stack(
        [
            -metrics["snr_total_db"],
            -np.log10(metrics["throughput_tops"]),
            -np.log10(metrics["tops_per_w"]),
            np.log10(metrics["area_um2"] * 1e-6),
        ],
        axis=1,
    )


def evaluate_indices(task: tuple[DesignSpace, np.ndarray, ModelTech, Any]) -> dict[str, np.ndarray]:
    """Evaluate one batch of index rows (a top-level, picklable executor task).

    Returns the model metrics of every row (NaN where the DAC rule fails or the layout cannot be drawn)
    plus ``dac_ok``.
    """
    from eda.acim.models.area import drawable

    space, X, tech, library = task
    ok = space.feasible(X)
    if ok.any():  # and the generator can draw it (capacitor over the local array, DAC lines per column)
        ok[ok] = drawable(space.points(X[ok]), library)
    out: dict[str, np.ndarray] = {"dac_ok": ok}
    if ok.any():
        metrics = evaluate(space.points(X[ok]), tech, library=library)
        for key, value in metrics.items():
            full = np.full(len(X), np.nan)
            full[ok] = np.asarray(value, dtype=float)
            out[key] = full
    return out


def pareto_mask(F: np.ndarray) -> np.ndarray:
    """Mask of the non-dominated rows of F (minimisation)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    mask = np.zeros(len(F), dtype=bool)
    if len(F):
        mask[NonDominatedSorting().do(F, only_non_dominated_front=True)] = True
    return mask


def hypervolume(F: np.ndarray, ideal: np.ndarray, nadir: np.ndarray) -> float:
    """Hypervolume of F normalised to [0, 1] by (ideal, nadir), reference point 1.1 on every axis."""
    from pymoo.indicators.hv import HV

    span = np.where(nadir - ideal > 0, nadir - ideal, 1.0)
    normalised = (F - ideal) / span
    # a point with a non-finite objective has no measurable volume (and hangs the HV kernel)
    normalised = normalised[np.all(np.isfinite(normalised), axis=1)]
    if len(normalised) == 0 or not (np.all(np.isfinite(ideal)) and np.all(np.isfinite(nadir))):
        return 0.0
    return float(HV(ref_point=np.full(F.shape[1], 1.1))(normalised))


@dataclass
class ExploreResult:
    """Everything an exploration produced.

    Attributes:
        space: the design space; X: every distinct evaluated index row; metrics: their model metrics;
        feasible: rows meeting every constraint; pareto: mask of the feasible non-dominated rows;
        history: per generation ``{"generation", "n_evaluations", "front"}``: the feasible Pareto front of
            every point evaluated so far (indices into X), so its hypervolume never decreases;
        n_evaluations: distinct design points evaluated; seconds: wall time.
    """

    space: DesignSpace
    X: np.ndarray
    metrics: dict[str, np.ndarray]
    feasible: np.ndarray
    pareto: np.ndarray
    history: list[dict[str, Any]] = field(default_factory=list)
    n_evaluations: int = 0
    seconds: float = 0.0
    constraints: dict[str, float | None] = field(default_factory=dict)

    @property
    def F(self) -> np.ndarray:
        """Objective matrix of all evaluated rows."""
        return objectives(self.metrics)

    def hypervolume_history(self, ideal: np.ndarray, nadir: np.ndarray) -> list[float]:
        """Hypervolume of each generation's feasible front in the given normalisation."""
        F = self.F
        return [hypervolume(F[h["front"]], ideal, nadir) for h in self.history]

    def pareto_rows(self) -> list[dict[str, Any]]:
        """Pareto points as dicts (spec fields, clock and metrics), best TOPS/W first."""
        idx = np.flatnonzero(self.pareto)
        idx = idx[np.argsort(-self.metrics["tops_per_w"][idx], kind="stable")]
        values = self.space.values(self.X[idx])
        rows = []
        for k, i in enumerate(idx):
            row: dict[str, Any] = {"pareto_index": k, "rows": self.space.rows, "cols": self.space.cols}
            for name in VARIABLES:
                v = values[name][k]
                row[name] = float(v) if name in ("unit_cap_fF", "clock_MHz") else int(v)
            for key in (
                "snr_total_db",
                "snr_analog_db",
                "sqnr_db",
                "throughput_tops",
                "tops_per_w",
                "energy_per_op_fJ",
                "area_um2",
                "f2_per_bit",
                "tops_per_mm2",
                "cycle_time_ns",
            ):
                row[key] = float(self.metrics[key][i])
            rows.append(row)
        return rows


class _Evaluator:
    """Memoised, batched evaluation of index rows through an executor."""

    def __init__(
        self, space: DesignSpace, tech: ModelTech, library: Any, executor: Any, batch_size: int
    ) -> None:
        self.space, self.tech, self.library = space, tech, library
        self.executor, self.batch_size = executor, max(1, batch_size)
        self.index: dict[tuple[int, ...], int] = {}
        self.rows: list[np.ndarray] = []
        self.chunks: list[dict[str, np.ndarray]] = []

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """Indices (into the memo) of the rows of X, evaluating the new ones."""
        X = np.asarray(np.rint(X), dtype=np.int64)
        keys = [tuple(r) for r in X]
        new = list(dict.fromkeys(k for k in keys if k not in self.index))
        if new:
            Xn = np.array(new, dtype=np.int64)
            parts = [Xn[i : i + self.batch_size] for i in range(0, len(Xn), self.batch_size)]
            tasks = [(self.space, part, self.tech, self.library) for part in parts]
            results = self.executor.map(evaluate_indices, tasks, name="acim-evaluate")
            for part, result in zip(parts, results, strict=True):
                self.chunks.append(_pad_metrics(result, len(part)))
                self.rows.append(part)
            for k in new:
                self.index[k] = len(self.index)
        return np.array([self.index[k] for k in keys], dtype=np.int64)

    def table(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """All evaluated rows and their metrics."""
        if not self.rows:
            return np.zeros((0, len(VARIABLES)), dtype=np.int64), {}
        keys = sorted({k for c in self.chunks for k in c})
        metrics = {
            k: np.concatenate(
                [c.get(k, np.full(len(r), np.nan)) for c, r in zip(self.chunks, self.rows, strict=True)]
            )
            for k in keys
        }
        return np.concatenate(self.rows), metrics


def _pad_metrics(result: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=float) for k, v in result.items()} if result else {"dac_ok": np.zeros(n)}


def _constraint_matrix(
    metrics: dict[str, np.ndarray], min_snr_db: float | None, max_area_mm2: float | None
) -> np.ndarray:
    """G (points × 4), feasible where all <= 0; NaN metrics (DAC rule broken) count as violated."""
    dac = np.where(metrics["dac_ok"] > 0, 0.0, 1.0)
    snr = metrics.get("snr_total_db", np.full(len(dac), np.nan))
    area = metrics.get("area_um2", np.full(len(dac), np.nan)) * 1e-6
    # a comparator that does not decide at VREF: violated by its missing common-mode headroom (V, plus a
    # floor), so the search is led towards VREF levels it can resolve
    headroom = metrics.get("comparator_headroom_V", np.full(len(dac), np.nan))
    clock = np.where(
        metrics.get("clock_ok", np.zeros(len(dac))) > 0,
        0.0,
        np.maximum(-np.nan_to_num(headroom, nan=-1.0), 0.0) + 1e-3,
    )
    g_snr = (min_snr_db - snr) if min_snr_db is not None else np.zeros(len(dac))
    g_area = (area / max_area_mm2 - 1.0) if max_area_mm2 is not None else np.zeros(len(dac))
    G = np.stack([dac, clock, g_snr, g_area], axis=1)
    return np.where(np.isnan(G), 1e3, G)


def _penalised_objectives(metrics: dict[str, np.ndarray]) -> np.ndarray:
    if "snr_total_db" not in metrics:
        return np.full((len(metrics["dac_ok"]), len(OBJECTIVES)), 1e3)
    F = objectives(metrics)
    return np.where(np.isfinite(F), F, 1e3)


def _make_problem(
    space: DesignSpace, evaluator: _Evaluator, min_snr_db: float | None, max_area_mm2: float | None
) -> Any:
    from pymoo.core.problem import Problem

    class _AcimProblem(Problem):
        def __init__(self) -> None:
            super().__init__(
                n_var=len(VARIABLES), n_obj=len(OBJECTIVES), n_ieq_constr=4, xl=0, xu=space.upper, vtype=int
            )
            self.last_index = np.zeros(0, dtype=np.int64)

        def _evaluate(self, X: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            idx = evaluator(X)
            _, metrics = evaluator.table()
            sub = {k: v[idx] for k, v in metrics.items()}
            out["F"] = _penalised_objectives(sub)
            out["G"] = _constraint_matrix(sub, min_snr_db, max_area_mm2)
            self.last_index = idx

    return _AcimProblem()


def _finish(
    space: DesignSpace,
    evaluator: _Evaluator,
    history: list[dict[str, Any]],
    seconds: float,
    min_snr_db: float | None,
    max_area_mm2: float | None,
) -> ExploreResult:
    X, metrics = evaluator.table()
    G = _constraint_matrix(metrics, min_snr_db, max_area_mm2)
    feasible = np.all(G <= 0, axis=1)
    pareto = np.zeros(len(X), dtype=bool)
    if feasible.any():
        pareto[
            np.flatnonzero(feasible)[pareto_mask(objectives({k: v[feasible] for k, v in metrics.items()}))]
        ] = True
    return ExploreResult(
        space=space,
        X=X,
        metrics=metrics,
        feasible=feasible,
        pareto=pareto,
        history=history,
        n_evaluations=len(X),
        seconds=seconds,
        constraints={"min_snr_db": min_snr_db, "max_area_mm2": max_area_mm2},
    )


def explore(
    space: DesignSpace,
    *,
    population: int = 100,
    generations: int = 100,
    seed: int = 1,
    min_snr_db: float | None = None,
    max_area_mm2: float | None = None,
    tech: ModelTech | None = None,
    library: Any = None,
    executor: Any = None,
    batch_size: int = 256,
    progress: Any = None,
) -> ExploreResult:
    """Run NSGA-II over ``space``; returns all evaluated points, the feasible Pareto set and the history.

    Args:
        population: NSGA-II population (and offspring) size.
        generations: number of generations (the initial population counts as generation 1).
        seed: random seed (results are deterministic for a given seed).
        min_snr_db, max_area_mm2: optional user constraints.
        executor: an :mod:`eda.flow.executors` executor (default: in-process serial).
        batch_size: design points per executor task.
        progress: optional callable wrapping the generation iterator (e.g. ``ctx.progress``).
    """
    import time

    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling

    from eda.flow.executors import SerialExecutor

    if population < 4 or generations < 1:
        raise SpecError(
            f"population={population} and generations={generations} are too small",
            hint="use population >= 4 and generations >= 1",
        )
    check_limit("acim_population", population, what=f"an NSGA-II population of {population}")
    check_limit("acim_generations", generations, what=f"an exploration of {generations} generations")
    check_constraints(min_snr_db, max_area_mm2)
    start = time.perf_counter()
    evaluator = _Evaluator(
        space, tech or library_tech(library), library, executor or SerialExecutor(), batch_size
    )
    problem = _make_problem(space, evaluator, min_snr_db, max_area_mm2)
    algorithm = NSGA2(
        pop_size=population,
        sampling=IntegerRandomSampling(),
        crossover=SBX(prob=0.9, eta=3.0, vtype=float, repair=RoundingRepair()),
        mutation=PM(prob=1.0, eta=3.0, vtype=float, repair=RoundingRepair()),
        eliminate_duplicates=True,
    )
    algorithm.setup(problem, termination=("n_gen", generations), seed=seed, verbose=False)
    history: list[dict[str, Any]] = []
    gens = range(generations)
    for _ in progress(gens) if progress else gens:
        if not algorithm.has_next():
            break
        algorithm.next()
        _, metrics = evaluator.table()
        feasible = np.all(_constraint_matrix(metrics, min_snr_db, max_area_mm2) <= 0, axis=1)
        archive = np.flatnonzero(feasible)
        front = (
            archive[pareto_mask(objectives({k: v[feasible] for k, v in metrics.items()}))]
            if archive.size
            else archive
        )
        history.append(
            {"generation": algorithm.n_gen - 1, "n_evaluations": len(evaluator.index), "front": front}
        )
    return _finish(space, evaluator, history, time.perf_counter() - start, min_snr_db, max_area_mm2)


#: SNR floor (dB) of :func:`pick` when no minimum is given: below 0 dB the noise exceeds the signal
DEFAULT_MIN_SNR_DB = 0.0


def check_constraints(min_snr_db: float | None, max_area_mm2: float | None) -> None:
    """Raise :class:`SpecError` for constraints that would silently change meaning: a non-finite SNR
    target (dB), or an area bound (mm²) that is not a positive finite number (``-1`` used to drop the
    constraint instead of making every design infeasible)."""
    if min_snr_db is not None and not math.isfinite(min_snr_db):
        raise SpecError(
            f"minimum SNR {min_snr_db} dB is not a finite number",
            where="--min-snr / min_snr_db",
            hint="give the SNR target in dB, e.g. --min-snr 20",
        )
    if max_area_mm2 is not None and not (math.isfinite(max_area_mm2) and max_area_mm2 > 0):
        raise SpecError(
            f"maximum area {max_area_mm2} mm² must be a positive number",
            where="--max-area / max_area_mm2",
            hint="give the area bound in mm², e.g. --max-area 0.5, or leave it out for no bound",
        )


def exhaustive(
    space: DesignSpace,
    *,
    min_snr_db: float | None = None,
    max_area_mm2: float | None = None,
    tech: ModelTech | None = None,
    library: Any = None,
    executor: Any = None,
    batch_size: int = 4096,
) -> ExploreResult:
    """Evaluate every point of ``space`` (for small spaces: the reference Pareto front)."""
    import time

    from eda.flow.executors import SerialExecutor

    check_constraints(min_snr_db, max_area_mm2)
    start = time.perf_counter()
    evaluator = _Evaluator(
        space, tech or library_tech(library), library, executor or SerialExecutor(), batch_size
    )
    X = space.all_indices()
    evaluator(X[space.feasible(X)])
    result = _finish(space, evaluator, [], time.perf_counter() - start, min_snr_db, max_area_mm2)
    result.history = [
        {"generation": 0, "n_evaluations": result.n_evaluations, "front": np.flatnonzero(result.pareto)}
    ]
    return result


def pick(
    result: ExploreResult, *, min_snr_db: float | None = None, pareto_index: int | None = None
) -> dict[str, Any]:
    """Choose one Pareto point: ``pareto_index`` (rank in best-TOPS/W order), else the best TOPS/W with
    SNR_T >= ``min_snr_db`` (raises :class:`SpecError` when no Pareto point qualifies).

    Without ``min_snr_db`` the floor is :data:`DEFAULT_MIN_SNR_DB` (0 dB: a design whose signal is below
    its noise is no "best"), and a warning says which SNR the pick has and how to set a target.
    """
    rows = result.pareto_rows()
    if not rows:
        raise SpecError(
            "the exploration found no feasible design point",
            hint="relax --min-snr / max area or widen the design space",
        )
    if pareto_index is not None:
        if not 0 <= pareto_index < len(rows):
            raise SpecError(f"pareto_index {pareto_index} is outside 0..{len(rows) - 1}")
        return rows[pareto_index]
    floor = DEFAULT_MIN_SNR_DB if min_snr_db is None else min_snr_db
    ok = [r for r in rows if r["snr_total_db"] >= floor]
    if not ok:
        best = max(r["snr_total_db"] for r in rows)
        raise SpecError(
            f"no Pareto point reaches SNR >= {floor} dB (best {best:.1f} dB)"
            + (" (no --min-snr given: the floor is 0 dB)" if min_snr_db is None else ""),
            hint="lower the SNR target or allow more ADC bits / larger capacitors",
        )
    chosen = max(ok, key=lambda r: (r["tops_per_w"], r["snr_total_db"]))
    if min_snr_db is None:
        dropped = len(rows) - len(ok)
        logging.getLogger("eda.acim").warning(
            f"no minimum SNR given: picked the best-TOPS/W Pareto point with SNR >= {DEFAULT_MIN_SNR_DB:g} dB "
            f"({chosen['snr_total_db']:.1f} dB; {dropped} Pareto point(s) below 0 dB skipped); set --min-snr / "
            "min_snr_db to the accuracy your network needs"
        )
    return chosen


def spec_of(row: dict[str, Any]) -> dict[str, Any]:
    """The ACIMSpec fields of a Pareto row (what ``acim.generate`` consumes)."""
    return {key: (float(row[key]) if key == "unit_cap_fF" else int(row[key])) for key in SPEC_FIELDS}
