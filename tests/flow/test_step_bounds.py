"""Every numeric parameter of the built-in steps (every area) carries a
bound (``ge``/``gt``/``le``/``lt``, on the value or on each list item), and a process corner is one of
the corners, so a meaningless value in a flow YAML is refused before any step runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from eda.acim.devicemodels import CORNERS
from eda.flow import registry

BOUNDED_AREAS = ("acim.", "macro.", "pdn.", "signoff.", "irdrop.", "workload.", "report.")
#: parameters with no physical bound: a total-SNR floor is meaningful anywhere on the dB scale
UNBOUNDED = {"acim.explore.min_snr_db"}
BOUND_KEYS = {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}


def _steps() -> dict[str, Any]:
    return {
        name: cls
        for name, cls in sorted(registry.registered_steps().items())
        if cls.__module__.startswith("eda.") and name.startswith(BOUNDED_AREAS)
    }


def _numbers(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The numeric leaves of a JSON schema (through optional unions and list items)."""
    if schema.get("type") in ("integer", "number"):
        yield schema
    for option in schema.get("anyOf", []):
        yield from _numbers(option)
    if isinstance(schema.get("items"), dict):
        yield from _numbers(schema["items"])


def test_the_areas_have_steps() -> None:
    names = set(_steps())
    assert {
        "acim.generate",
        "acim.explore",
        "acim.verify",
        "macro.pdn",
        "pdn.generate",
        "pdn.solve",
        "signoff.drc",
        "signoff.check",
    } <= names


@pytest.mark.parametrize("step", list(_steps()))
def test_every_numeric_parameter_is_bounded(step: str) -> None:
    properties = registry.resolve(step).Params.model_json_schema().get("properties", {})
    unbounded = [
        name
        for name, schema in properties.items()
        if f"{step}.{name}" not in UNBOUNDED and any(not BOUND_KEYS & set(leaf) for leaf in _numbers(schema))
    ]
    assert not unbounded, f"{step}: numeric parameters without a bound: {unbounded}"


@pytest.mark.parametrize(
    "step", [name for name, cls in _steps().items() if "corner" in cls.Params.model_fields]
)
def test_a_corner_parameter_is_one_of_the_corners(step: str) -> None:
    schema = registry.resolve(step).Params.model_json_schema()["properties"]["corner"]
    assert tuple(schema.get("enum", ())) == CORNERS
