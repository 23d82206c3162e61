"""Bounds of the ``acim.*`` step parameters: a value just outside the physical/spec range is refused, the
value at the bound is accepted, the bounds agree with what :class:`~eda.acim.spec.ACIMSpec` and the design
space accept, and a bad value in a flow YAML is a usage error (exit 2) naming the step and parameter."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from eda.acim.circuit_steps import AcimCharacterize, AcimVerify
from eda.acim.explore import DesignSpace
from eda.acim.explore_steps import AcimAreaCheck, AcimExplore
from eda.acim.spec import ACIMSpec
from eda.acim.steps import AcimGenerate
from eda.errors import SpecError
from eda.flow.step import Step
from tests.flow.helpers import run_cli

#: the parameters each step requires (a small feasible array), merged under every case
REQUIRED: dict[type[Step], dict[str, Any]] = {
    AcimGenerate: {},
    AcimCharacterize: {},
    AcimAreaCheck: {},
    AcimVerify: {"rows": 16, "local_array_size": 2, "adc_bits": 3},
    AcimExplore: {"rows": 16, "cols": 16},
}

#: (step, parameter, just outside, at the bound). The ranges come from the architecture: an array has at
#: least one row, column, cell per compute capacitor and column per ADC; the column DAC wiring has 8
#: bottom-plate lines (ADC bits 1..8); operands are 1..16 bits; unit capacitors 0.1..100 fF; a clock,
#: a time step or an area is positive; a seed is a non-negative integer; the corners are the SKY130 logic
#: corners; the cells are characterised for 0.5-2.0 V (1.8 V devices) and -55..150 °C.
SPEC_CASES: list[tuple[str, Any, Any]] = [
    ("local_array_size", 0, 1),
    ("cols_per_adc", 0, 1),
    ("adc_bits", 0, 1),
    ("adc_bits", 9, 8),
    ("unit_cap_fF", 0.099, 0.1),
    ("unit_cap_fF", 100.1, 100.0),
]
CASES: list[tuple[type[Step], str, Any, Any]] = [
    *[(AcimGenerate, name, bad, good) for name, bad, good in SPEC_CASES],
    *[(AcimVerify, name, bad, good) for name, bad, good in SPEC_CASES],
    (AcimGenerate, "rows", 0, 1),
    (AcimGenerate, "cols", 0, 1),
    (AcimGenerate, "input_bits", 0, 1),
    (AcimGenerate, "input_bits", 17, 16),
    (AcimGenerate, "weight_bits", 0, 1),
    (AcimGenerate, "weight_bits", 17, 16),
    (AcimGenerate, "clock_MHz", 0.0, 1e-6),
    (AcimGenerate, "stripe_every", 0, 1),
    (AcimGenerate, "spice_convention", "spice", "open_pdks"),
    (AcimVerify, "rows", 0, 1),
    (AcimVerify, "cols", 0, 1),
    (AcimVerify, "corner", "typical", "sf"),
    (AcimVerify, "corner", "TT", "tt"),
    (AcimVerify, "vectors", 0, 1),
    (AcimVerify, "vectors", 100_001, 100_000),
    (AcimVerify, "clock_MHz", 0.0, 1e-6),
    (AcimVerify, "seed", -1, 0),
    (AcimCharacterize, "corner", "slow", "fs"),
    (AcimCharacterize, "vdd", 0.5, 0.5001),
    (AcimCharacterize, "vdd", 2.001, 2.0),
    (AcimCharacterize, "temperature", -55.1, -55.0),
    (AcimCharacterize, "temperature", 150.1, 150.0),
    (AcimExplore, "rows", 0, 1),
    (AcimExplore, "cols", 0, 1),
    (AcimExplore, "max_area_mm2", 0.0, 1e-9),
    (AcimExplore, "population", 3, 4),
    (AcimExplore, "generations", 0, 1),
    (AcimExplore, "seed", -1, 0),
    (AcimExplore, "pareto_index", -1, 0),
    (AcimExplore, "batch_size", 0, 1),
    (AcimExplore, "local_array_size", [4, 0], [4, 1]),
    (AcimExplore, "local_array_size", [], [1]),
    (AcimExplore, "adc_bits", [0], [1]),
    (AcimExplore, "adc_bits", [3, 9], [3, 8]),
    (AcimExplore, "unit_cap_fF", [0.099], [0.1]),
    (AcimExplore, "unit_cap_fF", [100.1], [100.0]),
    (AcimExplore, "input_bits", [0], [1]),
    (AcimExplore, "input_bits", [17], [16]),
    (AcimExplore, "weight_bits", [0], [1]),
    (AcimExplore, "weight_bits", [17], [16]),
    (AcimExplore, "cols_per_adc", [0], [1]),
    (AcimExplore, "clock_MHz", [0.0], [1e-6]),
    (AcimAreaCheck, "tolerance", -0.001, 0.0),
]


def _params(step: type[Step], **values: Any) -> Any:
    return step.Params(**{**REQUIRED[step], **values})


@pytest.mark.parametrize(
    ("step", "name", "outside", "at_bound"), CASES, ids=[f"{s.name}.{n}={b!r}" for s, n, b, _ in CASES]
)
def test_value_outside_the_bound_is_refused_and_the_bound_accepted(
    step: type[Step], name: str, outside: Any, at_bound: Any
) -> None:
    with pytest.raises(ValidationError) as info:
        _params(step, **{name: outside})
    assert [e["loc"][0] for e in info.value.errors()] == [name]
    assert getattr(_params(step, **{name: at_bound}), name) == at_bound


#: a spec large enough that every field may sit at its bound: 2**8 DAC capacitors with L=1 and one
#: column per ADC, and 16 columns for a 16-bit weight
ROOMY = {"rows": 256, "cols": 16, "local_array_size": 1, "adc_bits": 3, "cols_per_adc": 1}
SPEC_BOUNDS = [
    ("adc_bits", 0, 1),
    ("adc_bits", 9, 8),
    ("input_bits", 0, 1),
    ("input_bits", 17, 16),
    ("weight_bits", 0, 1),
    ("weight_bits", 17, 16),
    ("unit_cap_fF", 0.099, 0.1),
    ("unit_cap_fF", 100.1, 100.0),
    ("rows", 0, 1),
    ("cols", 0, 1),
]


@pytest.mark.parametrize(("name", "outside", "at_bound"), SPEC_BOUNDS)
def test_generate_bounds_are_the_spec_bounds(name: str, outside: Any, at_bound: Any) -> None:
    """The step refuses exactly what ACIMSpec refuses on range grounds, and accepts what it accepts."""
    fixed = {
        "rows": {"rows": 1, "local_array_size": 1, "adc_bits": 1, "cols_per_adc": 2},
        "cols": {"cols": 1, "weight_bits": 1, "adc_bits": 1, "cols_per_adc": 1},
    }.get(name, {})
    good = {**ROOMY, **fixed, name: at_bound}
    ACIMSpec(**good)
    AcimGenerate.Params(**good)
    with pytest.raises(SpecError):
        ACIMSpec(**{**good, name: outside})
    with pytest.raises(ValidationError):
        AcimGenerate.Params(**{**good, name: outside})


def test_explore_bounds_keep_the_design_space_values_at_the_bounds() -> None:
    """Values the step accepts at its bounds are not dropped by the design space."""
    p = _params(
        AcimExplore,
        rows=256,
        cols=16,
        adc_bits=[1, 8],
        unit_cap_fF=[0.1, 100.0],
        input_bits=[1, 16],
        weight_bits=[1, 16],
        local_array_size=[1],
        cols_per_adc=[1],
    )
    space = DesignSpace(
        rows=p.rows,
        cols=p.cols,
        **{
            name: tuple(getattr(p, name))
            for name in (
                "adc_bits",
                "unit_cap_fF",
                "input_bits",
                "weight_bits",
                "local_array_size",
                "cols_per_adc",
            )
        },
    )
    choices = space.choices()
    assert choices["adc_bits"] == (1, 8)
    assert choices["unit_cap_fF"] == (0.1, 100.0)
    assert choices["input_bits"] == (1, 16) and choices["weight_bits"] == (1, 16)


@pytest.mark.parametrize(
    ("step_yaml", "override", "fragments"),
    [
        (
            "use: acim.generate\n    with: {rows: 16, cols: 8, local_array_size: 2, adc_bits: 9}",
            [],
            ["step 'bad' (acim.generate) parameter 'adc_bits'", "less than or equal to 8", "flow.yaml:5"],
        ),
        (
            "use: acim.verify\n    with: {rows: 16, local_array_size: 2, adc_bits: 3, corner: typical}",
            [],
            ["step 'bad' (acim.verify) parameter 'corner'", "'tt', 'ff', 'ss', 'fs' or 'sf'"],
        ),
        (
            "use: acim.explore\n    with: {rows: 16, cols: 16}",
            ["--set", "bad.unit_cap_fF=[2, 0.05]"],
            ["step 'bad' (acim.explore) parameter 'unit_cap_fF.1'", "greater than or equal to 0.1"],
        ),
    ],
)
def test_eda_run_with_an_out_of_range_parameter_exits_2(
    tmp_path, step_yaml: str, override: list[str], fragments: list[str]
) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(f"name: bounds\nsteps:\n  - id: bad\n    {step_yaml}\n")
    code, text = run_cli("run", str(flow), "--runs", str(tmp_path / "runs"), *override)
    assert code == 2, text
    assert all(fragment in text for fragment in fragments), text
    assert "Traceback" not in text
    assert not any((tmp_path / "runs").rglob("metrics.json"))  # refused before any step ran


def test_eda_steps_shows_each_bound() -> None:
    shown = {step: run_cli("steps", step) for step in ("acim.generate", "acim.characterize", "acim.explore")}
    assert all(code == 0 for code, _ in shown.values())
    assert "--adc_bits: int | None (1 <= x <= 8) = default None" in shown["acim.generate"][1]
    assert "--unit_cap_fF: float (0.1 <= x <= 100.0) = default 2.0" in shown["acim.generate"][1]
    assert "--vdd: float (0.5 < x <= 2.0) = default 1.8" in shown["acim.characterize"][1]
    assert "--corner: 'tt' | 'ff' | 'ss' | 'fs' | 'sf' = default 'tt'" in shown["acim.characterize"][1]
    assert "--adc_bits: list[int (1 <= x <= 8)] | None = default None" in shown["acim.explore"][1]
    assert "--clock_MHz: list[float (x > 0.0)] | None" in shown["acim.explore"][1]
