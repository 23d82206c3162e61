"""Lossless ADC resolution: full-scale bound of a product sum and a workload table read at any row count."""

from __future__ import annotations

import numpy as np
import pytest

from eda.acim.adcbits import lossless_adc_bits, lossless_adc_bits_array, product_sum_bits
from eda.acim.explore import DesignSpace
from eda.errors import DataError

#: a workload's lossless bits per rows summed (sparser weights than full scale)
TABLE = {4: 2, 16: 3, 256: 5}


def test_product_sum_bits_by_hand():
    assert product_sum_bits(0) == 0
    assert product_sum_bits(1) == 1  # 0..1
    assert product_sum_bits(7) == 3  # 0..7 fits 3 bits
    assert product_sum_bits(8) == 4  # 0..8 needs a fourth bit
    assert product_sum_bits(3, 2, 1) == 4  # 3 * 3 * 1 = 9 -> 4 bits
    assert product_sum_bits(16, 4, 4) == 12  # 16 * 15 * 15 = 3600: 2048 <= 3600 < 4096
    with pytest.raises(DataError, match="products"):
        product_sum_bits(4, 0, 1)


def test_table_rows_on_and_between_entries():
    assert lossless_adc_bits(TABLE, 4) == 2
    assert lossless_adc_bits(TABLE, 12) == 3  # next tabulated count up: 16 rows
    assert lossless_adc_bits(TABLE, 1) == 1  # 4-row entry is 2 bits, but one product is 0..1: 1 bit
    assert lossless_adc_bits({2: 2}, 3) == 2  # chunk bound 2 * 3 = 6 (3 bits) capped by 0..3 full scale


def test_beyond_the_table_extrapolates_by_chunks():
    # 257 rows: two chunks of <= 256 rows, each < 2^5: sum <= 2 * 31 = 62 -> 6 bits
    assert lossless_adc_bits(TABLE, 257) == 6
    assert lossless_adc_bits(TABLE, 512) == 6
    # 1000 rows: ceil(1000 / 256) = 4 chunks, 4 * 31 = 124 -> 7 bits (full scale would be 10)
    assert lossless_adc_bits(TABLE, 1000) == 7


def test_vectorised_form_and_explorer_use_the_same_rule():
    rows = np.array([1.0, 4.0, 12.0, 257.0, 1000.0])
    expected = [1.0, 2.0, 3.0, 6.0, 7.0]
    assert lossless_adc_bits_array(TABLE, rows).tolist() == expected
    space = DesignSpace(32, 32, adc_bits_lossless=tuple(TABLE.items()))
    assert space.lossless_bits(rows).tolist() == expected


def test_bad_tables_and_row_counts_are_user_errors():
    with pytest.raises(DataError, match="empty"):
        lossless_adc_bits({}, 4)
    with pytest.raises(DataError, match="invalid"):
        lossless_adc_bits({0: 3}, 4)
    with pytest.raises(DataError, match="rows per conversion"):
        lossless_adc_bits(TABLE, 0)
    with pytest.raises(DataError, match="whole"):
        lossless_adc_bits_array(TABLE, np.array([2.5]))
