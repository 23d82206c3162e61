"""Shared quantisation and the per-layer choice integer program (checked by enumeration)."""

from __future__ import annotations

import numpy as np
import pytest

from eda.errors import SpecError
from eda.workloads.quant import (
    choose_by_enumeration,
    choose_per_layer,
    quantize_activations,
    quantize_weights,
)


@pytest.mark.parametrize("seed", range(8))
def test_integer_program_is_optimal_on_small_instances(seed):
    rng = np.random.default_rng(seed)
    layers, options = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    errors = rng.random((layers, options)).tolist()
    costs = rng.integers(1, 20, size=(layers, options)).astype(float).tolist()
    budget = float(sum(min(r) for r in costs) + rng.integers(0, 15))
    ilp = choose_per_layer(errors, costs, budget)
    brute = choose_by_enumeration(errors, costs, budget)
    assert brute is not None
    total = lambda choice, table: sum(table[i][c] for i, c in enumerate(choice))  # noqa: E731
    assert total(ilp, costs) <= budget + 1e-9
    assert total(ilp, errors) == pytest.approx(total(brute, errors), abs=1e-9)


def test_infeasible_budget_is_a_user_error():
    with pytest.raises(SpecError, match="below the cheapest"):
        choose_per_layer([[1.0, 2.0]], [[5.0, 6.0]], 4.0)
    assert choose_by_enumeration([[1.0, 2.0]], [[5.0, 6.0]], 4.0) is None


def test_quantisers():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3, 3, 3))
    q, scale = quantize_weights(w, 4)
    assert q.min() >= -7 and q.max() <= 7 and q.dtype == np.int64
    assert np.abs(q * scale[:, None, None, None] - w).max() <= scale.max() / 2 + 1e-12
    x = np.array([0.0, 0.5, 1.0, 2.0])
    assert quantize_activations(x, 2, 1.0).tolist() == [0, 2, 3, 3]
    assert quantize_activations(-x, 3, 1.0, signed=True).tolist() == [0, -2, -3, -3]
