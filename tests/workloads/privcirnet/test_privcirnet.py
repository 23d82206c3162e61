"""PrivCirNet: circulant algebra, projection statistics, block-size IP, HE protocol, training, mapping."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from eda.errors import SpecError
from eda.workloads.privcirnet.privcirnet import (
    BLOCK_SIZES,
    assign_block_sizes,
    block_circulant_dense,
    block_circulant_matvec_fft,
    circulant,
    circulant_sensitivity,
    mlp_workload,
    project_block_circulant,
    projection_error,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("b", [1, 2, 3, 4, 8, 16])
def test_fft_product_equals_dense_circulant_product(b: int) -> None:
    rng = np.random.default_rng(b)
    coeffs = rng.normal(size=(5, 7, b))
    dense = block_circulant_dense(coeffs)
    x = rng.normal(size=(4, 7 * b))
    np.testing.assert_allclose(block_circulant_matvec_fft(coeffs, x), x @ dense.T, atol=1e-11)


def test_circulant_definition_and_cropped_product() -> None:
    c = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(circulant(c), [[1, 2, 3], [3, 1, 2], [2, 3, 1]])
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(10, 13))  # not multiples of b = 4: zero padding
    coeffs = project_block_circulant(weight, 4)
    x = rng.normal(size=13)
    np.testing.assert_allclose(
        block_circulant_matvec_fft(coeffs, x, 10), block_circulant_dense(coeffs, (10, 13)) @ x, atol=1e-12
    )


@pytest.mark.parametrize("b", [2, 4, 8, 16])
def test_projection_error_of_random_matrix_is_sqrt_one_minus_one_over_b(b: int) -> None:
    rng = np.random.default_rng(1)
    errors = [projection_error(rng.normal(size=(64, 64)), b) for _ in range(20)]
    # E||W - PW||^2 = (1 - 1/b) ||W||^2 for i.i.d. entries; 64x64 matrices concentrate to ~1%
    assert np.mean(errors) == pytest.approx(np.sqrt(1 - 1 / b), rel=0.02)


def test_projection_is_idempotent_and_frobenius_optimal() -> None:
    rng = np.random.default_rng(2)
    weight = rng.normal(size=(16, 16))
    coeffs = project_block_circulant(weight, 4)
    np.testing.assert_allclose(project_block_circulant(block_circulant_dense(coeffs), 4), coeffs, atol=1e-12)
    best = np.linalg.norm(weight - block_circulant_dense(coeffs))
    for _ in range(20):
        other = coeffs + 0.05 * rng.normal(size=coeffs.shape)
        assert np.linalg.norm(weight - block_circulant_dense(other)) > best


def test_fisher_weighted_projection_lowers_weighted_error() -> None:
    rng = np.random.default_rng(3)
    weight, fisher = rng.normal(size=(16, 16)), rng.random((16, 16)) ** 4
    plain = block_circulant_dense(project_block_circulant(weight, 4))
    weighted_err = np.sum(fisher * (weight - plain) ** 2) / 2
    assert circulant_sensitivity(weight, fisher, 4) < weighted_err
    assert circulant_sensitivity(weight, fisher, 1) == pytest.approx(0.0, abs=1e-20)


def test_integer_program_matches_enumeration() -> None:
    rng = np.random.default_rng(4)
    for _ in range(6):
        layers = 3
        sens = [{b: float(rng.random() * np.log2(b) * 1e-6) for b in BLOCK_SIZES} for _ in range(layers)]
        lat = [{b: float(rng.uniform(0.5, 1.5) / b) for b in BLOCK_SIZES} for _ in range(layers)]
        budget = float(rng.uniform(0.6, 2.0))
        best = min(
            (sum(s[b] for s, b in zip(sens, combo, strict=True)), combo)
            for combo in itertools.product(BLOCK_SIZES, repeat=layers)
            if sum(t[b] for t, b in zip(lat, combo, strict=True)) <= budget
        )
        chosen = assign_block_sizes(sens, lat, budget)
        assert sum(t[b] for t, b in zip(lat, chosen, strict=True)) <= budget + 1e-9
        assert sum(s[b] for s, b in zip(sens, chosen, strict=True)) == pytest.approx(
            best[0], rel=1e-6, abs=1e-15
        )


def test_integer_program_infeasible_budget_is_a_user_error() -> None:
    with pytest.raises(SpecError, match="budget"):
        assign_block_sizes([{1: 0.0, 2: 1.0}], [{1: 2.0, 2: 1.0}], 0.5)


def test_he_protocol_matches_fft_product_and_op_count_model() -> None:
    from eda.workloads.privcirnet.he import fc_op_counts, make_context, run_fc_protocol

    rng = np.random.default_rng(5)
    ctx = make_context()
    weight, x = rng.normal(size=(16, 16)), rng.normal(size=16)
    for b in (1, 4, 8):
        coeffs = project_block_circulant(weight, b)
        y, seconds, counts = run_fc_protocol(coeffs, x, ctx)
        # CKKS with a 2^40 scale: absolute error ~1e-6 on O(1) values
        np.testing.assert_allclose(y, block_circulant_matvec_fft(coeffs, x), atol=1e-3)
        assert counts == fc_op_counts(16, 16, b)
        assert seconds > 0


def test_he_conv_protocol_matches_dense_convolution_and_op_counts() -> None:
    from eda.workloads.privcirnet.he import conv_op_counts, make_context, run_conv_protocol

    rng = np.random.default_rng(6)
    ctx = make_context()
    image = rng.normal(size=(4, 4, 4))
    for b in (1, 4):
        coeffs = rng.normal(size=(4 // b, 4 // b, 3, 3, b))
        dense = np.zeros((4, 4, 3, 3))
        for u in range(3):
            for v in range(3):
                dense[:, :, u, v] = block_circulant_dense(coeffs[:, :, u, v])
        expected = torch.nn.functional.conv2d(torch.tensor(image)[None], torch.tensor(dense), padding=1)[
            0
        ].numpy()
        y, _, counts = run_conv_protocol(coeffs, image, ctx)
        np.testing.assert_allclose(y, expected, atol=1e-3)
        assert counts == conv_op_counts(4, 4, 3, (4, 4), b)


def test_dense_baseline_is_the_diagonal_method_on_real_ciphertexts() -> None:
    """Halevi-Shoup: one ciphertext in, d_in diagonals (d_in - 1 rotations), one ciphertext out."""
    from eda.workloads.privcirnet.he import make_context, run_dense_diagonal

    rng = np.random.default_rng(7)
    ctx = make_context(galois_keys=True)
    weight, x = rng.normal(size=(24, 16)), rng.normal(size=16)
    y, seconds, counts, sent = run_dense_diagonal(weight, x, ctx)
    np.testing.assert_allclose(y, weight @ x, atol=1e-3)  # CKKS, scale 2^40, after one rescale
    assert (counts.encryptions, counts.rotations, counts.mul_plain, counts.decryptions) == (1, 15, 16, 1)
    # two ciphertexts on the wire: a fresh one (2 x 8192 x 160 bits before compression) and a rescaled one
    assert 2 * 8192 * 100 / 8 < sent < 2 * 2 * 8192 * 160 / 8
    assert seconds > 0


def test_he_op_counts_fall_with_block_size() -> None:
    from eda.workloads.privcirnet.he import conv_op_counts, fc_op_counts

    assert fc_op_counts(256, 256, 1).mul_plain == 256
    assert fc_op_counts(256, 256, 2).mul_plain == 128
    assert fc_op_counts(256, 256, 16).mul_plain == 2 * 256 // 16
    conv = conv_op_counts(32, 32, 3, (8, 8), 8)  # 4 in-blocks x 9 taps x 2 spectra, 32*64 slots in one ct
    assert (conv.encryptions, conv.decryptions) == (72, 1)


def test_block_circulant_layer_matches_dense_matrix() -> None:
    from eda.workloads.privcirnet.train import BlockCirculantLinear

    layer = BlockCirculantLinear(12, 10, 4)
    x = torch.randn(3, 12, dtype=torch.float32)
    dense = block_circulant_dense(layer.coeffs.detach().double().numpy(), (10, 12))
    expected = x.double().numpy() @ dense.T + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, atol=1e-5)


def test_digits_block_circulant_training_meets_budget_and_learns() -> None:
    from eda.workloads.privcirnet.train import run_digits

    result = run_digits(budget_fraction=0.5, widths=(64, 64, 10), epochs=15, finetune_epochs=20, seed=0)
    assert result.dense_accuracy > 0.9
    assert result.circulant_latency_s <= 0.5 * result.dense_latency_s + 1e-12
    assert all(b in BLOCK_SIZES for b in result.block_sizes)
    assert result.circulant_accuracy > 0.8  # 10 classes: chance is 0.1
    # fine-tuning recovers from the raw projection
    assert result.circulant_accuracy >= result.projected_accuracy


def test_block_circulant_workload_needs_fewer_arrays() -> None:
    from eda.workloads.mapping import ArraySpec, map_workload

    spec = ArraySpec(rows=64, cols=64, local_array_size=2, adc_bits=5)
    dense = map_workload(mlp_workload((256, 256), [1]), spec)
    circ = map_workload(mlp_workload((256, 256), [8]), spec)
    assert dense.arrays == 4 * 32  # 256 rows / 64, 256 outputs / (64 cols / 8 bits)
    assert circ.arrays == dense.arrays // 8
    assert circ.macs == dense.macs


def test_privcirnet_step_function_reports_acim_effect() -> None:
    from eda.workloads.privcirnet.steps import PrivCirNetParams, run_privcirnet

    work, report, metrics = run_privcirnet(
        PrivCirNetParams(widths=[64, 64, 10], epochs=5, finetune_epochs=3, budget_fraction=0.5)
    )
    assert [layer.block_size or 1 for layer in work.layers] == report["block_sizes"]
    assert report["baseline"].startswith("dense: diagonal method")
    assert metrics["workload__privcirnet__arrays_circulant"] <= metrics["workload__privcirnet__arrays_dense"]
    assert report["weights"]["circulant"] < report["weights"]["dense"]
