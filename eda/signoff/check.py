"""Sign-off limits: a ``signoff.yaml`` of ``{value, compare}`` pairs checked against measured metrics.

A limits file::

    limits:
      worst_static_drop_mv:        {value: 25, compare: "<="}
      worst_dynamic_drop_pct_vdd:  {value: 10, compare: "<="}
      drc_violations:              {value: 0,  compare: "=="}
      lvs_match:                   {value: true, compare: "=="}
      max_strap_current_density_ma_per_um: {value: 1.5, compare: "<="}   # optional
      my_snr: {metric: acim__model__snr_db, value: 20, compare: ">="}     # any metric by name

Every limit is evaluated (the check does not stop at the first failure). A limit whose metric was not
measured is reported as ``missing`` and counts as a violation: a sign-off that silently skips a check
is not a sign-off. For the same reason a NaN or infinite measurement fails its limit with its own
message, whatever the comparison (``NaN <= 25`` and ``NaN != 0`` must not decide anything), and limit
values themselves must be finite numbers.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from eda.errors import UserError
from eda.flow.registry import did_you_mean
from eda.flow.yamlio import YamlDocument, load_yaml, parse_yaml

__all__ = [
    "Limit",
    "LimitsFile",
    "CheckResult",
    "KNOWN_LIMITS",
    "load_limits",
    "parse_limits",
    "evaluate_limits",
    "write_report",
    "lookup_metric",
    "read_metrics_file",
]

Compare = Literal["<", "<=", "==", "!=", ">=", ">"]
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}

#: limit name -> (metric name suffix looked up in the measured values, description with unit).
#: A measured key matches when it equals the suffix or ends with ``__<suffix>`` (metrics are named
#: ``stage__category__name``, so ``pdn__static__worst_drop_mv`` matches ``static__worst_drop_mv``).
KNOWN_LIMITS: dict[str, tuple[str, str]] = {
    "worst_static_drop_mv": ("static__worst_drop_mv", "worst static IR drop (mV)"),
    "worst_static_drop_pct_vdd": ("static__worst_drop_pct_vdd", "worst static IR drop (% of VDD)"),
    "worst_dynamic_drop_mv": ("dynamic__worst_drop_mv", "worst dynamic IR drop (mV)"),
    "worst_dynamic_drop_pct_vdd": ("dynamic__worst_drop_pct_vdd", "worst dynamic IR drop (% of VDD)"),
    "drc_violations": ("drc__violations", "DRC violation count"),
    "lvs_match": ("lvs__match", "layout matches schematic"),
    "max_strap_current_density_ma_per_um": (
        "pdn__max_strap_current_density_ma_per_um",
        "highest current density in a power strap (mA/µm)",
    ),
}


def lookup_metric(measured: Mapping[str, Any], key: str, step: str | None = None) -> list[tuple[str, Any]]:
    """Every measurement of ``key``: keys equal to it or ending in ``__<key>``.

    Measured keys may be qualified by the step that produced them (``static.pdn__static__worst_drop_mv``);
    ``step`` keeps only that step's measurements.
    """
    hits = []
    for name, value in measured.items():
        owner, dot, metric = name.rpartition(".")
        if not dot:
            owner, metric = "", name
        if step is not None and owner != step:
            continue
        if metric == key or metric.endswith("__" + key):
            hits.append((name, value))
    return hits


def _is_finite(value: Any) -> bool:
    return isinstance(value, bool) or math.isfinite(float(value))


def _worst(hits: list[tuple[str, Any]], limit: Limit) -> tuple[str, Any]:
    """The measurement that decides the limit: the largest for ``<``/``<=``, the smallest for ``>``/``>=``,
    the first failing one for ``==``/``!=`` (a sign-off must hold for every measurement). Call it with
    finite measurements only (a non-finite one fails on its own, see :func:`evaluate_limits`)."""
    if limit.compare in ("<", "<="):
        return max(hits, key=lambda kv: float(kv[1]))
    if limit.compare in (">", ">="):
        return min(hits, key=lambda kv: float(kv[1]))
    failing = [kv for kv in hits if not _holds(kv[1], limit)]
    return failing[0] if failing else hits[0]


def _holds(value: Any, limit: Limit) -> bool:
    measured = bool(value) if isinstance(limit.value, bool) else float(value)
    return bool(_OPS[limit.compare](measured, limit.value))


class Limit(BaseModel):
    """One limit: ``measured <compare> value`` must hold."""

    model_config = ConfigDict(extra="forbid")
    value: float | bool
    compare: Compare = "<="
    metric: str | None = Field(default=None, description="metric key; defaults to the limit's own name")
    step: str | None = Field(
        default=None, description="only this step's measurements (default: every step's)"
    )
    description: str = ""

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float | bool) -> float | bool:
        if not isinstance(value, bool) and not math.isfinite(value):
            raise ValueError(f"a limit must be a finite number, got {value}")
        return value


class LimitsFile(BaseModel):
    """The top level of ``signoff.yaml``."""

    model_config = ConfigDict(extra="forbid")
    limits: dict[str, Limit] = Field(min_length=1)


@dataclass
class CheckResult:
    """The outcome of one limit."""

    name: str
    metric: str
    description: str
    compare: str
    limit: float | bool
    measured: float | bool | None
    status: str  # "pass" | "fail" | "missing"
    #: why the limit failed when the comparison alone does not say (a non-finite measurement)
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def _validate(doc: YamlDocument) -> LimitsFile:
    try:
        limits = LimitsFile.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        loc = tuple(err["loc"])
        key = loc[-1] if loc else "limits"
        if err["type"] == "extra_forbidden":
            valid = ["limits"] if len(loc) == 1 else sorted(Limit.model_fields)
            raise UserError(
                f"unknown key '{key}' in sign-off limits",
                where=doc.where(loc),
                hint=did_you_mean(str(key), valid, f"valid keys: {', '.join(valid)}"),
            ) from None
        raise UserError(
            f"sign-off limit '{'.'.join(map(str, loc))}': {err['msg']} (got {err.get('input')!r})",
            where=doc.where(loc),
            hint="each limit is {value: NUMBER|true|false, compare: '<'|'<='|'=='|'!='|'>='|'>'}",
        ) from None
    for name, limit in limits.limits.items():
        if limit.metric is None and name not in KNOWN_LIMITS:
            raise UserError(
                f"unknown sign-off limit '{name}'",
                where=doc.where(("limits", name)),
                hint=did_you_mean(
                    name,
                    list(KNOWN_LIMITS),
                    f"known limits: {', '.join(KNOWN_LIMITS)}; or give `metric: <metric key>`",
                ),
            )
    return limits


def load_limits(path: Path | str) -> LimitsFile:
    """Read and validate a ``signoff.yaml``; errors name the file, line and key."""
    return _validate(load_yaml(path))


def parse_limits(data: Mapping[str, Any] | str, source: str = "<limits>") -> LimitsFile:
    """Validate limits given inline (a mapping, e.g. from a flow's ``with:``) or as YAML text."""
    if isinstance(data, str):
        return _validate(parse_yaml(data, source))
    return _validate(YamlDocument(dict(data), None, source))


def read_metrics_file(path: Path | str) -> dict[str, Any]:
    """A JSON object of measured values (a run's ``metrics.json`` or any ``{"name": value}`` file).

    Raises :class:`~eda.errors.DataError` naming the file (and line for a syntax error) when it is missing,
    not UTF-8 JSON, or not an object (a list or a number has no metric names to check).
    """
    from eda.errors import DataError
    from eda.flow.yamlio import decode_text

    path = Path(path)
    if path.is_dir():
        raise DataError(f"'{path}' is a directory, not a metrics JSON file", hint="give a run's metrics.json")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(
            f"cannot read metrics '{path}': {exc.strerror or exc}", hint="check the path"
        ) from None
    try:
        data = json.loads(decode_text(raw, str(path), kind="JSON"))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"not valid JSON: {exc.msg}",
            where=f"{path}:{exc.lineno}:{exc.colno}",
            hint="give a JSON object of metric names and values (a run's metrics.json)",
        ) from None
    except UserError as exc:
        raise DataError(exc.message, where=exc.where, hint=exc.hint) from None
    if not isinstance(data, dict):
        raise DataError(
            f"metrics must be a JSON object of names and values, got a {type(data).__name__}",
            where=str(path),
            hint='write {"pdn__static__worst_drop_mv": 12.3, ...} (a run\'s metrics.json works)',
        )
    return data


def evaluate_limits(limits: LimitsFile, measured: Mapping[str, Any]) -> list[CheckResult]:
    """Check every limit against ``measured`` (metric key, optionally ``step.metric``, -> value).

    Every limit is evaluated (no stop at the first failure) against every measurement of its metric.
    """
    results: list[CheckResult] = []
    for name, limit in limits.limits.items():
        metric, default_description = KNOWN_LIMITS.get(name, (name, name))
        metric = limit.metric or metric
        description = limit.description or default_description
        hits = [
            (k, v)
            for k, v in lookup_metric(measured, metric, limit.step)
            if isinstance(v, bool | int | float)
        ]
        value, note = None, ""
        bad = [(k, v) for k, v in hits if not _is_finite(v)]
        if bad:
            metric, value = bad[0]
            status = "fail"
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            note = (
                f"measured {value} in '{metric}'{more}: a non-finite measurement cannot pass a sign-off; "
                "find the step that produced it (its step.log) and the input that made it non-finite"
            )
        elif hits:
            metric, value = _worst(hits, limit)
            status = "pass" if _holds(value, limit) else "fail"
        else:
            status = "missing"
        results.append(
            CheckResult(name, metric, description, limit.compare, limit.value, value, status, note)
        )
    return results


def write_report(results: list[CheckResult], directory: Path) -> tuple[Path, Path]:
    """Write ``signoff.json`` and a human-readable ``signoff.md``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    failures = [r for r in results if not r.passed]
    json_path = directory / "signoff.json"
    checks = [asdict(r) for r in results]
    for check in checks:  # strict JSON has no NaN/Infinity: write a non-finite measurement as its text
        if isinstance(check["measured"], float) and not math.isfinite(check["measured"]):
            check["measured"] = str(check["measured"])
    json_path.write_text(
        json.dumps(
            {"passed": not failures, "violations": len(failures), "checks": checks}, indent=2, default=str
        )
        + "\n"
    )
    lines = [
        "# Sign-off",
        "",
        f"**{'PASS' if not failures else f'FAIL — {len(failures)} violation(s)'}**",
        "",
        "| check | measured | limit | status |",
        "|---|---:|---:|---|",
    ]
    for r in results:
        measured = (
            "—"
            if r.measured is None
            else (f"{r.measured:.4g}" if isinstance(r.measured, float) else str(r.measured))
        )
        status = f"{r.status.upper()}: {r.note}" if r.note else r.status.upper()
        lines.append(f"| {r.description} (`{r.metric}`) | {measured} | {r.compare} {r.limit} | {status} |")
    md_path = directory / "signoff.md"
    md_path.write_text("\n".join(lines) + "\n")
    return json_path, md_path
