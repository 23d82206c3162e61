"""Resource limits, all in one place: beyond them an input is refused with exit code 2, not a hang.

A careless ``--rows 1000000`` or a YAML alias bomb would otherwise run until the machine runs out of
memory. Every limit has a default sized for a 16 GB workstation and an environment variable that raises
(or lowers) it, e.g. ``EDA_LIMIT_PDN_NODES=50000000 eda pdn solve big.sp``. The error names the limit,
the value that exceeded it and the variable to set.

========================  ===========  ====================================================================
limit                     default      what it bounds
========================  ===========  ====================================================================
``yaml_bytes``            16 MiB       size of one YAML file (flow, limits, recipe)
``yaml_nodes``            1,000,000    YAML nodes after expanding aliases (``*ref``): stops "billion laughs"
``acim_dimension``        8,192        rows or columns of one ACIM macro
``acim_bitcells``         1,048,576    bitcells (rows × cols) of one generated ACIM macro layout
``acim_population``       10,000       NSGA-II population size of ``acim explore``
``acim_generations``      10,000       NSGA-II generations of ``acim explore``
``pdn_nodes``             20,000,000   nodes of one PDN (generated or read)
``transient_steps``       1,000,000    time steps of one transient analysis (stop / step)
``render_pixels``         64,000,000   pixels of one layout render (``signoff render``, ``acim.generate``)
========================  ===========  ====================================================================
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from eda.errors import LimitError, UserError

__all__ = ["ResourceLimit", "LIMITS", "limit", "check_limit"]


@dataclass(frozen=True)
class ResourceLimit:
    """One limit: a default, the unit counted and what it protects.

    Attributes:
        name: the limit's key in :data:`LIMITS` (``pdn_nodes``).
        default: the value used when the environment variable is not set.
        unit: what is counted (``nodes``, ``bytes``, ``steps``).
        description: what the limit bounds, for messages and docs.
    """

    name: str
    default: int
    unit: str
    description: str

    @property
    def env(self) -> str:
        """The environment variable that overrides the default (``EDA_LIMIT_PDN_NODES``)."""
        return f"EDA_LIMIT_{self.name.upper()}"


LIMITS: dict[str, ResourceLimit] = {
    item.name: item
    for item in (
        ResourceLimit("yaml_bytes", 16 * 1024 * 1024, "bytes", "size of one YAML file"),
        ResourceLimit("yaml_nodes", 1_000_000, "nodes", "YAML nodes after expanding aliases"),
        ResourceLimit("acim_dimension", 8192, "rows or columns", "rows or columns of an ACIM macro"),
        ResourceLimit("acim_bitcells", 1_048_576, "bitcells", "bitcells of a generated ACIM macro layout"),
        ResourceLimit("acim_population", 10_000, "design points", "NSGA-II population size"),
        ResourceLimit("acim_generations", 10_000, "generations", "NSGA-II generations"),
        ResourceLimit("pdn_nodes", 20_000_000, "nodes", "nodes of one PDN"),
        ResourceLimit("transient_steps", 1_000_000, "time steps", "time steps of one transient analysis"),
        ResourceLimit("render_pixels", 64_000_000, "pixels", "pixels of one layout render (PNG)"),
    )
}


def limit(name: str) -> int:
    """The value of limit ``name``: its environment variable when set, else the default.

    Raises :class:`~eda.errors.UserError` when the variable is not a positive number.
    """
    item = LIMITS[name]
    text = os.environ.get(item.env, "").strip()
    if not text:
        return item.default
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 1:
        raise UserError(
            f"{item.env}={text!r} is not a positive number",
            where="environment",
            hint=f"set it to a count of {item.unit} (default {item.default:,}) or unset it",
        )
    return int(value)


def check_limit(
    name: str, value: float, *, what: str, where: str | None = None, counted_to: bool = False
) -> None:
    """Raise :class:`~eda.errors.LimitError` when ``value`` exceeds limit ``name``.

    Args:
        name: a key of :data:`LIMITS`.
        value: the requested amount, in the limit's unit.
        what: the thing being counted, for the message (``"the generated PDN"``).
        where: file:line or option the value came from.
        counted_to: ``value`` is where counting stopped, past the limit (the true amount is larger).
    """
    bound = limit(name)
    if not value > bound and not math.isnan(value):
        return
    item = LIMITS[name]
    shown = f"{value:,.0f}" if math.isfinite(value) else str(value)
    if counted_to:
        shown, suggestion = f"more than {bound:,}", f"{10 * bound}"
    else:
        suggestion = (
            f"{int(value) + 1}" if value < 1e15 else (f"{value:.3g}" if math.isfinite(value) else "<larger>")
        )
    raise LimitError(
        f"{what} needs {shown} {item.unit}, above the limit of {bound:,} ({item.description})",
        where=where,
        hint=f"reduce the size, or, if this machine has the memory and time, raise the limit: "
        f"{item.env}={suggestion}",
    )
