"""HEQuant: accumulator bits vs brute force, ADC bits, BFV packing on real TenSEAL ciphertexts, allocation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from eda.workloads.hequant import hequant as hq

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _brute_force_peak(w_row: np.ndarray, bits: int) -> int:
    """Largest |partial sum| over every unsigned ``bits``-bit input vector (enumerated)."""
    peak = 0
    for x in itertools.product(range(2**bits), repeat=len(w_row)):
        peak = max(peak, abs(int(np.dot(x, w_row))))
    return peak


@pytest.mark.parametrize("seed", range(6))
def test_accumulator_bits_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    bits = int(rng.integers(1, 4))
    w = rng.integers(-9, 10, size=(5, 5))
    formula = hq.accumulator_bits(w, bits)
    exact = hq.exact_accumulator_bits(w, bits)
    for j in range(len(w)):
        peak = _brute_force_peak(w[j], bits)
        needed = max(1, math.ceil(math.log2(peak + 1)))  # magnitude bits holding every reachable sum
        assert exact[j] == needed
        assert needed <= formula[j] <= needed + 1  # the formula is safe and at most 1 bit loose
        assert formula[j] <= hq.worst_case_accumulator_bits(5, 5, bits)  # 9 < 2^(5-1): 5-bit weights


def test_partial_sum_bounds_are_reached():
    w = np.array([[3, -2, 0, 5], [-1, -1, -1, 0]])
    lo, hi = hq.partial_sum_bounds(w, 2)
    assert lo.tolist() == [-6, -9] and hi.tolist() == [24, 0]
    assert hq.accumulator_bits(w, 2).tolist() == [2 + 3, 2 + 2]
    with pytest.raises(Exception, match="integer"):
        hq.accumulator_bits(w.astype(float), 2)


def test_adc_bits_brute_force():
    rng = np.random.default_rng(3)
    w = rng.integers(-7, 8, size=(4, 40))
    rows = 16
    worst = 0
    for start in range(0, 40, rows):
        for bit in range(3):
            ones = (np.abs(w[:, start : start + rows]) >> bit) & 1
            pos = (ones * (w[:, start : start + rows] > 0)).sum(axis=1).max()
            neg = (ones * (w[:, start : start + rows] < 0)).sum(axis=1).max()
            peak = max(pos, neg)  # 1-bit inputs: the column sum reaches `ones`
            worst = max(worst, math.ceil(math.log2(peak + 1)))
    got = hq.adc_bits_required(w, rows, 4)
    assert worst <= got <= worst + 1 and got <= 1 + math.ceil(math.log2(rows))


def test_adc_bits_table_is_the_worst_layer_per_rows_summed():
    # all-ones 1-bit-magnitude weights: a column chunk of r rows sums r ones -> 1 + ceil(log2 r) bits
    wide = np.ones((3, 100), dtype=np.int64)  # 100 inputs: chunks reach r rows up to 100
    narrow = -np.ones((2, 6), dtype=np.int64)  # 6 inputs: never more than 6 ones per chunk
    table = hq.adc_bits_table([(narrow, 2), (wide, 2)], rows_per_conversion=(4, 8, 64, 256))
    assert list(table) == [4, 8, 64, 256]
    assert table == {4: 3, 8: 4, 64: 7, 256: 1 + math.ceil(math.log2(100))}
    assert hq.adc_bits_table([(narrow, 2)], rows_per_conversion=(64,)) == {64: 1 + math.ceil(math.log2(6))}
    assert hq.adc_bits_table([]) == {rows: 0 for rows in hq.ROWS_PER_CONVERSION}
    conv = np.ones((4, 2, 3, 3), dtype=np.int64)  # a conv kernel: outputs x (channels * kernel) = 4 x 18
    assert hq.adc_bits_table([(conv, 2)], rows_per_conversion=(32,)) == {32: 1 + math.ceil(math.log2(18))}


def test_packing_model_counts():
    params = hq.BFVParams()
    assert hq.packing_factor(12, 60) == 4 and hq.packing_factor(60, 60) == 1
    assert hq.gemm_ciphertexts(3 * 8192, 10, 4, 19, params) == (10, 4)  # 3 lanes: one group
    assert hq.gemm_ciphertexts(3 * 8192, 10, 4, 19, params, packed=False) == (30, 12)
    assert params.ciphertext_payload_bytes == 2 * 8192 * 174 // 8
    t = hq.batching_prime(30, 4096)
    assert t < 2**30 and t % 8192 == 1 and all(t % p for p in range(2, 2000))


def test_packed_gemm_on_real_bfv_matches_model():
    rng = np.random.default_rng(0)
    params = hq.BFVParams(poly_degree=4096, data_prime_bits=(36, 36), special_prime_bits=37, plain_bits=30)
    w = rng.integers(-3, 4, size=(3, 4))
    x = rng.integers(0, 16, size=(3 * 4096, 4))
    lane = int(hq.accumulator_bits(w, 4).max()) + 1  # + sign bit
    assert hq.packing_factor(lane, 30) == 3
    packed = hq.run_packed_gemm(x, w, lane, params)
    assert np.array_equal(packed["y"], x @ w.T)  # no lane overflowed under real encryption
    assert (packed["ciphertexts_sent"], packed["ciphertexts_received"]) == hq.gemm_ciphertexts(
        len(x), 4, 3, lane, params
    )
    plain = hq.run_packed_gemm(x[:4096], w, lane, params, packed=False)
    assert np.array_equal(plain["y"], x[:4096] @ w.T)
    # bytes: model payload x the serialisation overhead measured on one fresh ciphertext, within 2 %
    overhead = hq.serialization_overhead(params, samples=1)
    assert 1.0 < overhead < 1.4
    model = hq.gemm_comm_bytes(len(x), 4, 3, lane, params, overhead=overhead)
    measured = packed["bytes_sent"] + packed["bytes_received"]
    assert measured == pytest.approx(model, rel=0.02)
    assert hq.gemm_comm_bytes(len(x), 4, 3, lane, params, packed=False) == 3 * hq.gemm_comm_bytes(
        len(x), 4, 3, lane, params
    )


def test_allocate_bits_on_trained_digits():
    from eda.workloads import zoo

    model, data = zoo.train_digits_cnn(seed=0)
    result = hq.allocate_bits(model, data, budget_fraction=0.5)
    assert set(result.bits) == {"0", "2", "5", "7"}
    cheapest = sum(min(r["comm_bytes"] for r in result.table if r["layer"] == n) for n in result.bits)
    assert cheapest <= result.comm_bytes <= cheapest + 0.5 * (result.comm_bytes_uniform8 - cheapest) + 1
    for name, acc in result.accumulator_bits.items():
        assert acc <= result.worst_case_bits[name]
    assert result.accuracy_float > 0.9 and result.accuracy > result.accuracy_float - 0.05
    assert result.workload is not None and all(layer.accumulator_bits for layer in result.workload.layers)
