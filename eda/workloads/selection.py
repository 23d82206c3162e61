"""Choosing the ACIM design point for a workload from an explored Pareto set.

A point of ``acim.explore``'s Pareto set qualifies when its ADC resolution meets the workload's lossless
requirement (``meta.adc_bits_required``: HEQuant's lossless ADC bits per rows summed in one conversion,
H·G/L, read by :func:`eda.acim.adcbits.lossless_adc_bits`) to within ``max_adc_deficit_bits``. Among the
qualifying points the one with the least energy per inference wins; when none qualifies, the point with
the smallest excess deficit (then least energy) is taken and its deficit reported. Without that table
every point qualifies. The energy per inference of every point is the mapping's
(:func:`eda.workloads.mapping.map_on_point`), the figure ``workload.map`` reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from eda.acim.adcbits import lossless_adc_bits
from eda.errors import DataError
from eda.workloads.mapping import map_on_point
from eda.workloads.workload import Workload

__all__ = ["PARETO_COLUMNS", "Selection", "pareto_point", "select_point"]

#: design columns a Pareto row must carry to be mapped and checked
PARETO_COLUMNS: frozenset[str] = frozenset(
    {"rows", "cols", "local_array_size", "adc_bits", "cols_per_adc", "snr_total_db"}
)


@dataclass(frozen=True)
class Selection:
    """The chosen point and how it compares with the workload's needs.

    Attributes:
        point: the chosen design point (numeric columns of its Pareto row).
        energy_uj: its energy per inference of the workload (µJ).
        adc_bits_required: lossless ADC bits for its rows per conversion (None without a table).
        deficit_bits: ADC bits it lacks against that requirement (0 when lossless).
        candidates: points considered (after the SNR floor).
        qualifying: points within the allowed ADC deficit.
    """

    point: dict[str, int | float]
    energy_uj: float
    adc_bits_required: int | None
    deficit_bits: int
    candidates: int
    qualifying: int


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def pareto_point(row: dict[str, str]) -> dict[str, int | float]:
    """The numeric columns of a Pareto CSV row: ``unit_cap_fF``, ``clock_MHz`` and decimals as floats,
    the rest as integers; non-numeric columns are dropped."""
    return {
        k: (float(v) if k in ("unit_cap_fF", "clock_MHz") or "." in v else int(v))
        for k, v in row.items()
        if _is_number(v)
    }


def select_point(
    work: Workload,
    rows: list[dict[str, str]],
    max_adc_deficit_bits: int = 0,
    min_snr_db: float | None = None,
    cost_model: Literal["acim", "analytic"] = "acim",
) -> Selection:
    """The Pareto row (CSV strings, :data:`PARETO_COLUMNS` present) with the least energy per inference of
    ``work`` among those whose ADC is lossless to within ``max_adc_deficit_bits`` and whose
    ``snr_total_db`` is at least ``min_snr_db`` (dB).

    Raises :class:`~eda.errors.DataError` when no row reaches ``min_snr_db``.
    """
    table = {int(k): int(v) for k, v in (work.meta.get("adc_bits_required") or {}).items()}
    scored = []
    for row in rows:
        if min_snr_db is not None and float(row["snr_total_db"]) < min_snr_db:
            continue
        point = pareto_point(row)
        summed = point["rows"] * point["cols_per_adc"] // point["local_array_size"]
        need = lossless_adc_bits(table, summed) if table else None
        deficit = max(0, need - point["adc_bits"]) if need is not None else 0
        energy = map_on_point(work, point, cost_model=cost_model).energy_j * 1e6
        scored.append((max(0, deficit - max_adc_deficit_bits), energy, deficit, need, point))
    if not scored:
        raise DataError(f"no Pareto point reaches SNR >= {min_snr_db} dB", hint="lower min_snr_db")
    _, energy, deficit, need, point = min(scored, key=lambda s: (s[0], s[1]))
    return Selection(
        point=point,
        energy_uj=energy,
        adc_bits_required=need,
        deficit_bits=deficit,
        candidates=len(scored),
        qualifying=sum(1 for s in scored if s[0] == 0),
    )
