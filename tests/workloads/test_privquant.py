"""PrivQuant: communication formula, Fisher sensitivity and the budgeted mixed precision on digits."""

from __future__ import annotations

import math

import pytest

from eda.workloads import privquant as pq
from eda.workloads import zoo

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def trained():
    return zoo.train_digits_cnn(seed=0)


def test_comm_formula_by_hand():
    acc = 4 + 2 + math.ceil(math.log2(10))
    expected = 3 * 10 * 2 * (128 + acc) + 3 * 5 * (128 + 14) * acc + 3 * 5 * (128 + acc)
    assert pq.layer_comm_bits(3, 10, 5, 4, 2) == expected
    assert pq.layer_comm_bits(3, 10, 5, 8, 8) > pq.layer_comm_bits(3, 10, 5, 4, 4)


def test_sensitivity_falls_with_bits(trained):
    model, data = trained
    sens = pq.fisher_sensitivity(model, data.x_train[:32], data.y_train[:32], ((2, 2), (4, 4), (8, 8)))
    for row in sens.values():
        assert row[0] > row[1] > row[2] >= 0
        assert row[1] / row[2] == pytest.approx(((2**8 - 1) / (2**4 - 1)) ** 2, rel=0.9)   # ~ step^2 scaling


def test_privquant_meets_budget_and_keeps_accuracy(trained):
    model, data = trained
    result = pq.privquant(model, data, budget_fraction=0.6)
    assert result.comm_bits <= 0.6 * result.comm_bits_uniform8 + 1e-6
    assert result.comm_reduction >= 1 / 0.6 - 1e-9
    assert result.accuracy_float > 0.9
    assert result.accuracy >= result.accuracy_uniform8 - 0.03            # measured on held-out digits
    assert result.workload is not None
    assert {layer.name: (layer.weight_bits, layer.activation_bits) for layer in result.workload.layers} == result.bits
