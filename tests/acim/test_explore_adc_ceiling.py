"""A workload's lossless ADC requirement (HEQuant) bounds the explored ADC resolution."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eda.acim.explore import DesignSpace, explore
from eda.acim.explore_steps import build_space, read_adc_requirement
from eda.errors import DataError

#: a low-precision workload whose partial sums need fewer bits than the DAC rule allows
REQUIREMENT = {4: 2, 8: 2, 16: 3, 32: 3, 64: 4, 128: 4, 256: 5}


def test_ceiling_follows_rows_per_conversion():
    space = build_space(32, 32, {}, REQUIREMENT)
    X = space.all_indices()
    ok = space.feasible(X)
    v = space.values(X[ok])
    rows = 32 / v["local_array_size"] * v["cols_per_adc"]
    assert np.all(v["adc_bits"] <= space.lossless_bits(rows))
    assert np.all(2 ** v["adc_bits"] <= rows)  # the DAC rule still holds
    free = DesignSpace(32, 32)
    assert ok.sum() < free.feasible(X).sum()  # the ceiling removes wasteful points
    # a row count between table entries takes the next entry up: 12 rows -> the 16-row requirement;
    # beyond the table, 1000 rows are ceil(1000/256) = 4 chunks of < 2^5: sum <= 124 -> 7 bits
    assert space.lossless_bits(np.array([12.0, 4.0, 1000.0])).tolist() == [3.0, 2.0, 7.0]


def test_exploration_respects_the_ceiling():
    space = build_space(32, 32, {"clock_MHz": [200.0], "unit_cap_fF": [1.0, 2.0]}, REQUIREMENT)
    result = explore(space, population=24, generations=6, seed=3)
    chosen = space.values(result.X[result.feasible])
    rows = 32 / chosen["local_array_size"] * chosen["cols_per_adc"]
    assert len(chosen["adc_bits"]) and np.all(chosen["adc_bits"] <= space.lossless_bits(rows))


def test_requirement_file_errors_are_user_errors(tmp_path):
    good = tmp_path / "hequant.json"
    good.write_text(json.dumps({"adc_bits_required": {"4": 3, "64": 7}}))
    assert read_adc_requirement(good) == {4: 3, 64: 7}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"bits": {}}))
    with pytest.raises(DataError, match="hequant"):
        read_adc_requirement(bad)
