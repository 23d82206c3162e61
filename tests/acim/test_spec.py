"""ACIMSpec validation: feasible specs pass, infeasible ones say why and what would work."""

from __future__ import annotations

import json

import pytest

from eda.acim.spec import ACIMSpec, dac_capacitors, max_adc_bits
from eda.errors import SpecError


def test_feasible_spec_and_derived_values() -> None:
    spec = ACIMSpec(rows=64, cols=64, local_array_size=4, adc_bits=5)
    assert spec.local_arrays_per_column == 16
    assert spec.adcs == 16
    assert dac_capacitors(64, 4, 4) == 64
    assert max_adc_bits(64, 4, 4) == 6


def test_local_array_must_divide_rows() -> None:
    with pytest.raises(SpecError, match="does not divide rows") as info:
        ACIMSpec(rows=64, cols=64, local_array_size=3, adc_bits=3)
    assert "1, 2, 4, 8, 16, 32, 64" in (info.value.hint or "")


def test_dac_rule_names_a_fix() -> None:
    with pytest.raises(SpecError, match="needs 256 unit capacitors") as info:
        ACIMSpec(rows=64, cols=64, local_array_size=4, adc_bits=8, cols_per_adc=4)
    hint = info.value.hint or ""
    assert "adc_bits <= 6" in hint and "cols_per_adc=16" in hint
    # the suggested fix is itself feasible
    ACIMSpec(rows=64, cols=64, local_array_size=4, adc_bits=8, cols_per_adc=16)


@pytest.mark.parametrize(
    "field,value",
    [("cols_per_adc", 3), ("adc_bits", 9), ("rows", 0), ("unit_cap_fF", 0.0), ("weight_bits", 3)],
)
def test_bad_fields_rejected(field: str, value: float) -> None:
    data = {"rows": 64, "cols": 64, "local_array_size": 4, "adc_bits": 3, field: value}
    with pytest.raises(SpecError):
        ACIMSpec.from_dict(data)


def test_round_trip_and_unknown_keys(tmp_path) -> None:
    spec = ACIMSpec(rows=16, cols=16, local_array_size=2, adc_bits=3, unit_cap_fF=1.5)
    assert ACIMSpec.from_dict(spec.to_dict()) == spec
    path = tmp_path / "best.json"
    path.write_text(json.dumps({"spec": spec.to_dict(), "objectives": {"snr_db": 20}}))
    assert ACIMSpec.from_json(path) == spec
    with pytest.raises(SpecError, match="unknown ACIM spec field") as info:
        ACIMSpec.from_dict({**spec.to_dict(), "colums": 3})
    assert "local_array_size" in (info.value.hint or "")
