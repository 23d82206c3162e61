"""PrivQuant: the two-party linear layer run in two processes (exact result, bytes on the wire against the
communication formula), the Fisher sensitivity's step-size law and the budgeted mixed precision."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from eda.errors import SpecError
from eda.workloads import zoo
from eda.workloads.privquant import privquant as pq
from eda.workloads.privquant.two_party import (
    LAMBDA_BITS,
    base_ot_bytes,
    linear_comm_bits,
    run_two_party_linear,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def trained():
    return zoo.train_digits_cnn(seed=0)


def test_two_party_layer_is_exact_and_its_bytes_are_the_formula():
    rng = np.random.default_rng(1)
    d1, d2, d3, a, n = 3, 21, 5, 5, 3  # m = 315 OTs: not a whole number of bytes
    x = rng.integers(0, 2**a, (d1, d2))
    w = rng.integers(-(2 ** (n - 1)), 2 ** (n - 1), (d3, d2))
    w[0, :3] = [-(2 ** (n - 1)), 2 ** (n - 1) - 1, 0]  # both ends of the signed range
    result = run_two_party_linear(x, w, a, n)
    np.testing.assert_array_equal(result.y, x @ w.T)  # exact integer product after reconstruction
    assert result.ring_bits == a + n + 5
    # the formula counts bits; the protocol rounds each of the λ rows of its u matrix and each of the ℓ
    # bit-planes of the corrections up to whole bytes, so they may differ by less than λ + ℓ bytes
    expected = linear_comm_bits(d1, d2, d3, a, n) / 8 + base_ot_bytes()
    assert abs(result.product_bytes - expected) < LAMBDA_BITS + result.ring_bits
    assert result.product_bytes == pytest.approx(expected, rel=0.10)  # the acceptance bound
    # input sharing and the reveal carry one ℓ-bit element per value
    assert result.bytes_by_phase["input_sharing"] == result.ring_bits * -(-(d1 * d2) // 8)
    assert result.bytes_by_phase["reveal"] == result.ring_bits * -(-(d1 * d3) // 8)


def test_two_party_layer_on_a_trained_layer(trained):
    """The digits CNN's last layer, quantised to 4-bit weights and 4-bit activations, computed jointly."""
    import torch

    from eda.workloads.quant import quantize_weights

    model, data = trained
    fc = model[7]
    w_int, _ = quantize_weights(fc.weight.detach().numpy(), 4)
    with torch.no_grad():
        hidden = model[:7](data.x_test[:8]).numpy()  # the ReLU output feeding the layer
    x_int = np.round(hidden / hidden.max() * 15).astype(np.int64)
    result = run_two_party_linear(x_int, w_int, 4, 4)
    np.testing.assert_array_equal(result.y, x_int @ w_int.T)
    logits = result.y * (hidden.max() / 15)  # the integer product predicts the same digits
    with torch.no_grad():
        reference = model(data.x_test[:8]).numpy()
    assert (logits.argmax(1) == reference.argmax(1)).mean() >= 0.75


def test_out_of_range_inputs_are_refused():
    with pytest.raises(SpecError):
        run_two_party_linear(np.array([[16]]), np.array([[1]]), 4, 4)
    with pytest.raises(SpecError):
        run_two_party_linear(np.array([[1]]), np.array([[8]]), 4, 4)


def test_sensitivity_follows_the_quantisation_step(trained):
    """½ Σ F Δ²/12: going from 8 to 4 bits multiplies the activation step by 255/15 and the weight step by
    127/7, so the sensitivity grows by a factor between (255/15)² = 289 and (127/7)² = 329.2."""
    model, data = trained
    sens = pq.fisher_sensitivity(model, data.x_train[:32], data.y_train[:32], ((2, 2), (4, 4), (8, 8)))
    for row in sens.values():
        assert row[0] > row[1] > row[2] > 0
        assert (255 / 15) ** 2 * (1 - 1e-9) <= row[1] / row[2] <= (127 / 7) ** 2 * (1 + 1e-9)


def test_bit_choice_is_the_best_assignment_within_budget(trained):
    """The integer program's choice equals exhaustive search over every per-layer assignment."""
    model, data = trained
    options = ((3, 3), (4, 4), (6, 6), (8, 8))
    result = pq.privquant(model, data, budget_fraction=0.6, options=options)
    names = list(result.bits)
    sens = {row["layer"]: {} for row in result.table}
    cost = {row["layer"]: {} for row in result.table}
    for row in result.table:
        sens[row["layer"]][row["option"]] = row["sensitivity"]
        cost[row["layer"]][row["option"]] = row["comm_bits"]
    budget = 0.6 * result.comm_bits_uniform8
    feasible = [
        combo
        for combo in itertools.product(options, repeat=len(names))
        if sum(cost[n][o] for n, o in zip(names, combo, strict=True)) <= budget
    ]
    best = min(feasible, key=lambda combo: sum(sens[n][o] for n, o in zip(names, combo, strict=True)))
    chosen = sum(sens[n][result.bits[n]] for n in names)
    assert chosen == pytest.approx(sum(sens[n][o] for n, o in zip(names, best, strict=True)), rel=1e-9)
    assert result.comm_bits <= budget
    assert result.accuracy_float > 0.9
    assert result.accuracy >= result.accuracy_uniform8 - 0.03  # measured on held-out digits
    assert result.workload is not None
    assert {
        layer.name: (layer.weight_bits, layer.activation_bits) for layer in result.workload.layers
    } == result.bits
