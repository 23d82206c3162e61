"""Lossless ADC resolution: the bits a conversion needs so that no partial sum is clipped or rounded.

One conversion of the ACIM macro sums ``(rows / L) * cols_per_adc`` products (:mod:`eda.acim.spec`): with
bit-serial inputs and bit-sliced weights each product is a 1-bit input times a 1-bit weight, so the sum is
an integer in ``0..N``. In general a sum of ``N`` products of unsigned ``a``-bit inputs and ``w``-bit
weights lies in ``0..N·(2^a − 1)·(2^w − 1)`` and needs ``⌈log2(N·(2^a − 1)·(2^w − 1) + 1)⌉`` bits
(:func:`product_sum_bits`). That is the full-scale bound, reached by all-ones operands.

A workload knows its weights and can need fewer bits: HEQuant's accumulator analysis
(:func:`eda.workloads.hequant.hequant.adc_bits_required`, tabulated by
:func:`eda.workloads.hequant.hequant.adc_bits_table`) gives a table ``{rows per conversion: bits}``.
:func:`lossless_adc_bits` reads such a table for any row count:

* between or below the tabulated counts: the entry of the next tabulated count up (a conversion over
  fewer rows sums no more ones), never more than the full-scale bound of that row count;
* beyond the largest tabulated count ``N_max`` (entry ``b_max``): the sum of ``N`` rows splits into
  ``k = ⌈N / N_max⌉`` chunks of at most ``N_max`` rows, each below ``2^b_max``, so it is at most
  ``k·(2^b_max − 1)`` and needs ``⌈log2(k·(2^b_max − 1) + 1)⌉`` bits (again capped by the full-scale
  bound). This extrapolation is an upper bound, so a design that meets it is lossless.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from eda.errors import DataError

__all__ = ["product_sum_bits", "lossless_adc_bits", "lossless_adc_bits_array"]


def product_sum_bits(products: int, input_bits: int = 1, weight_bits: int = 1) -> int:
    """Bits that hold every sum of ``products`` products of unsigned ``input_bits`` × ``weight_bits`` operands.

    ``⌈log2(products·(2^input_bits − 1)·(2^weight_bits − 1) + 1)⌉``; 0 for no products. The defaults are
    one conversion of a bit-serial, bit-sliced ACIM column (1-bit inputs times 1-bit weight slices).
    """
    if products < 0 or input_bits < 1 or weight_bits < 1:
        raise DataError(
            f"a sum of {products} products of {input_bits}-bit inputs and {weight_bits}-bit weights "
            "is undefined",
            hint="products >= 0, input_bits >= 1, weight_bits >= 1",
        )
    peak = int(products) * (2 ** int(input_bits) - 1) * (2 ** int(weight_bits) - 1)
    return peak.bit_length()  # == ceil(log2(peak + 1)) for an integer peak >= 0


def _checked(table: Mapping[int, int]) -> list[tuple[int, int]]:
    entries = sorted((int(rows), int(bits)) for rows, bits in table.items())
    if not entries:
        raise DataError(
            "the lossless ADC table is empty",
            hint="give {rows per conversion: bits}, e.g. HEQuant's adc_bits_required",
        )
    bad = [(rows, bits) for rows, bits in entries if rows < 1 or bits < 0]
    if bad:
        raise DataError(
            f"lossless ADC table entries {bad} are invalid",
            hint="rows per conversion must be >= 1 and bits >= 0",
        )
    return entries


def lossless_adc_bits(table: Mapping[int, int], rows_per_conversion: int) -> int:
    """Lossless ADC bits for ``rows_per_conversion`` rows summed in one conversion, from a workload's table.

    ``table`` maps rows per conversion to the lossless bits the workload's weights need (1-bit input ×
    1-bit weight products). Row counts off the table follow the rules in the module docstring: the next
    tabulated count up, or beyond the table the chunked bound ``⌈log2(⌈N/N_max⌉·(2^b_max − 1) + 1)⌉``;
    never more than :func:`product_sum_bits` of that row count.
    """
    rows_per_conversion = int(rows_per_conversion)
    if rows_per_conversion < 1:
        raise DataError(f"rows per conversion must be >= 1, got {rows_per_conversion}")
    entries = _checked(table)
    full_scale = product_sum_bits(rows_per_conversion)
    for rows, bits in entries:
        if rows >= rows_per_conversion:
            return min(bits, full_scale)
    rows_max, bits_max = entries[-1]
    chunks = -(-rows_per_conversion // rows_max)
    return min(product_sum_bits(chunks * (2**bits_max - 1)), full_scale)


def lossless_adc_bits_array(table: Mapping[int, int], rows_per_conversion: np.ndarray) -> np.ndarray:
    """:func:`lossless_adc_bits` element-wise over an array of (integral) row counts (float result)."""
    counts = np.asarray(rows_per_conversion, dtype=float)
    if not np.all(counts == np.round(counts)):
        raise DataError(
            "rows per conversion must be whole numbers", hint="(rows / L) * cols_per_adc is an integer"
        )
    unique, inverse = np.unique(counts.astype(np.int64), return_inverse=True)
    bits = np.array([lossless_adc_bits(table, int(n)) for n in unique], dtype=float)
    return bits[inverse].reshape(counts.shape)
