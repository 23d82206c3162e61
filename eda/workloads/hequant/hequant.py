"""HEQuant: low-precision-aware homomorphic-encryption linear layers (arXiv 2401.15970, reconstructed).

* **Accumulator bits** — for integer weights ``w`` of one output and unsigned ``a``-bit activations the
  partial sum lies in ``[-(2^a-1)·N, (2^a-1)·P]`` (``P`` = Σ positive weights, ``N`` = Σ |negative
  weights|), so ``a + ⌈log2 max(P, N)⌉`` bits hold its magnitude (:func:`accumulator_bits`; the exact
  minimum is ``⌈log2((2^a-1)·max(P,N) + 1)⌉``, :func:`exact_accumulator_bits`, never more than one bit
  less). The conventional bound ``a + (w-1) + ⌈log2 k⌉`` (:func:`worst_case_accumulator_bits`) ignores
  the actual weights. For an ACIM column the same formula with 1-bit input planes and 1-bit weight slices
  gives the lossless ADC resolution (:func:`adc_bits_required`).
* **Quantisation-aware packing/tiling** — a BFV plaintext slot of ``t`` bits holds
  ``⌊(log2 t - 1) / lane⌋`` signed lanes of ``lane = accumulator bits + 1`` bits (intra-coefficient
  packing): lanes add and scale independently as long as no lane overflows, which the accumulator bound
  guarantees. :func:`gemm_ciphertexts` counts the ciphertexts of a layer ``(m × k)·(k × n)`` with the
  ``m`` rows packed into slots and lanes: ``k·⌈m/(N·p)⌉`` client→server, ``n·⌈m/(N·p)⌉`` back.
  :func:`run_packed_gemm` executes exactly that on real TenSEAL BFV ciphertexts and measures the serialised
  bytes; :func:`run_network_he` runs every layer of a quantised model that way on its real integer
  activations (im2col for convolutions), so a network's communication is measured, not modelled.
* **Bit allocation** — :func:`allocate_bits` measures, on a real trained model, the loss increase of each
  (weight, activation) option per layer and solves the integer program minimising it under a
  communication budget (:func:`eda.workloads.quant.choose_per_layer`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eda.errors import SpecError
from eda.workloads.quant import choose_per_layer, quantize_weights, quantized_model, weight_layers
from eda.workloads.workload import Workload

__all__ = [
    "accumulator_bits",
    "exact_accumulator_bits",
    "partial_sum_bounds",
    "worst_case_accumulator_bits",
    "adc_bits_required",
    "adc_bits_table",
    "ROWS_PER_CONVERSION",
    "BFVParams",
    "packing_factor",
    "signed_lanes",
    "gemm_ciphertexts",
    "gemm_comm_bytes",
    "batching_prime",
    "serialization_overhead",
    "run_packed_gemm",
    "HEQuantResult",
    "allocate_bits",
    "integer_layer_operands",
    "run_network_he",
]


def _as_matrix(w_int: np.ndarray) -> np.ndarray:
    w = np.asarray(w_int)
    if not np.issubdtype(w.dtype, np.integer):
        raise SpecError(
            "accumulator analysis needs integer weights", hint="quantise first (quantize_weights)"
        )
    return w.reshape(w.shape[0], -1).astype(np.int64)


def partial_sum_bounds(w_int: np.ndarray, activation_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output channel, the (min, max) partial sum over all unsigned ``activation_bits`` inputs."""
    w = _as_matrix(w_int)
    top = 2**activation_bits - 1
    return -top * np.where(w < 0, -w, 0).sum(axis=1), top * np.where(w > 0, w, 0).sum(axis=1)


def accumulator_bits(w_int: np.ndarray, activation_bits: int, signed_inputs: bool = False) -> np.ndarray:
    """HEQuant's per-output accumulator width ``a + ⌈log2 max(Σ w⁺, Σ |w⁻|)⌉`` (magnitude bits).

    With ``signed_inputs`` (symmetric ``a``-bit inputs, magnitude at most ``2^(a-1) - 1``) every product
    can take the sign that adds up, so the bound is ``(a - 1) + ⌈log2 Σ |w|⌉``.
    """
    w = _as_matrix(w_int)
    if signed_inputs:
        biggest = np.abs(w).sum(axis=1)
        activation_bits -= 1
    else:
        biggest = np.maximum(np.where(w > 0, w, 0).sum(axis=1), np.where(w < 0, -w, 0).sum(axis=1))
    extra = np.array([math.ceil(math.log2(v)) if v > 1 else 0 for v in biggest.tolist()], dtype=np.int64)
    return activation_bits + extra


def exact_accumulator_bits(w_int: np.ndarray, activation_bits: int) -> np.ndarray:
    """The fewest magnitude bits that hold every reachable partial sum: ``⌈log2(max|sum| + 1)⌉``."""
    lo, hi = partial_sum_bounds(w_int, activation_bits)
    peak = np.maximum(-lo, hi)
    return np.array([max(1, math.ceil(math.log2(v + 1))) for v in peak.tolist()], dtype=np.int64)


def worst_case_accumulator_bits(k: int, weight_bits: int, activation_bits: int) -> int:
    """Weight-agnostic magnitude bound: ``a + (w - 1) + ⌈log2 k⌉`` for ``k`` products."""
    return activation_bits + weight_bits - 1 + math.ceil(math.log2(max(k, 1)))


def adc_bits_required(w_int: np.ndarray, rows_per_op: int, weight_bits: int) -> int:
    """Lossless ADC bits of a bit-serial, bit-sliced ACIM column holding these weights.

    Rows are split into chunks of ``rows_per_op`` (one analog sum); weight magnitudes are sliced into
    ``weight_bits - 1`` binary columns with positive and negative weights on separate columns; each column
    sums 1-bit inputs, so by the accumulator formula it needs ``1 + ⌈log2(ones in the column chunk)⌉`` bits.
    Returns the maximum over all columns and chunks (0 when every weight is zero).
    """
    w = _as_matrix(w_int)
    worst = 0
    mags = np.abs(w)
    for start in range(0, w.shape[1], rows_per_op):
        chunk, sign = mags[:, start : start + rows_per_op], w[:, start : start + rows_per_op] > 0
        for bit in range(max(weight_bits - 1, 1)):
            ones = (chunk >> bit) & 1
            peak = int(
                max((ones * sign).sum(axis=1).max(initial=0), (ones * ~sign).sum(axis=1).max(initial=0))
            )
            if peak:
                worst = max(worst, 1 + (math.ceil(math.log2(peak)) if peak > 1 else 0))
    return worst


#: rows summed per conversion (H/L·G) for which HEQuant reports the lossless ADC bits
ROWS_PER_CONVERSION: tuple[int, ...] = (4, 8, 16, 32, 64, 128, 256, 512, 1024)


def adc_bits_table(
    layers: Iterable[tuple[np.ndarray, int]], rows_per_conversion: tuple[int, ...] = ROWS_PER_CONVERSION
) -> dict[int, int]:
    """A network's lossless ADC bits per rows summed in one conversion: the most any of its layers needs.

    ``layers`` gives each layer's integer weights (first axis: outputs) and weight bits. Returns
    ``{rows per conversion: bits}`` (:func:`adc_bits_required` maximised over the layers; 0 without layers),
    the table :func:`eda.acim.adcbits.lossless_adc_bits` reads.
    """
    table = {rows: 0 for rows in rows_per_conversion}
    for w_int, weight_bits in layers:
        for rows in rows_per_conversion:
            table[rows] = max(table[rows], adc_bits_required(w_int, rows, weight_bits))
    return table


@dataclass(frozen=True)
class BFVParams:
    """BFV parameters of the communication model (defaults: SEAL's 8192-degree 218-bit modulus, 60-bit t).

    Attributes:
        poly_degree: N, slots per ciphertext (batching).
        data_prime_bits: bits of the ciphertext-modulus primes a ciphertext carries.
        special_prime_bits: the key-switching prime (in the context, not in ciphertexts).
        plain_bits: bits of the plaintext modulus t (a prime ≡ 1 mod 2N).
    """

    poly_degree: int = 8192
    data_prime_bits: tuple[int, ...] = (43, 43, 44, 44)
    special_prime_bits: int = 44
    plain_bits: int = 60

    @property
    def ciphertext_payload_bytes(self) -> int:
        """Information content of one fresh ciphertext: 2 polynomials × N × Σ log2 q_i bits."""
        return 2 * self.poly_degree * sum(self.data_prime_bits) // 8

    def context(self) -> Any:
        """A TenSEAL BFV context of these parameters (plaintext modulus :func:`batching_prime`), secret key
        kept (the client's side)."""
        import tenseal as ts

        return ts.context(
            ts.SCHEME_TYPE.BFV,
            poly_modulus_degree=self.poly_degree,
            plain_modulus=batching_prime(self.plain_bits, self.poly_degree),
            coeff_mod_bit_sizes=[*self.data_prime_bits, self.special_prime_bits],
        )


def packing_factor(lane_bits: int, plain_bits: int) -> int:
    """Signed lanes of ``lane_bits`` that fit in one slot of a ``plain_bits`` plaintext modulus."""
    if lane_bits < 1:
        raise SpecError("lane bits must be >= 1")
    return max(1, (plain_bits - 1) // lane_bits)


def signed_lanes(value: int, lane_bits: int, count: int) -> list[int]:
    """The ``count`` signed ``lane_bits``-bit lanes packed in the (centred) slot ``value``, lane 0 (the least
    significant) first: the base-2^lane_bits digits in [-2^(lane_bits-1), 2^(lane_bits-1))."""
    base = 2**lane_bits
    lanes = []
    for _ in range(count):
        digit = value % base
        if digit >= base // 2:
            digit -= base
        lanes.append(digit)
        value = (value - digit) // base
    return lanes


def gemm_ciphertexts(
    m: int, k: int, n: int, lane_bits: int, params: BFVParams, packed: bool = True
) -> tuple[int, int]:
    """(client→server, server→client) ciphertexts of ``(m × k)·(k × n)`` with rows packed in slots (+lanes)."""
    p = packing_factor(lane_bits, params.plain_bits) if packed else 1
    groups = math.ceil(m / (params.poly_degree * p))
    return k * groups, n * groups


def gemm_comm_bytes(
    m: int, k: int, n: int, lane_bits: int, params: BFVParams, packed: bool = True, overhead: float = 1.0
) -> int:
    """Modelled bytes both ways: ciphertexts × payload bytes × serialisation ``overhead``."""
    sent, received = gemm_ciphertexts(m, k, n, lane_bits, params, packed)
    return int(round((sent + received) * params.ciphertext_payload_bytes * overhead))


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def batching_prime(bits: int, poly_degree: int) -> int:
    """The largest prime ``t < 2^bits`` with ``t ≡ 1 (mod 2N)`` (needed for BFV batching)."""
    step = 2 * poly_degree
    t = ((2**bits - 1) // step) * step + 1
    while t > step and not _is_prime(t):
        t -= step
    return t


def serialization_overhead(params: BFVParams | None = None, samples: int = 2, seed: int = 0) -> float:
    """Serialised bytes of a real TenSEAL ciphertext / :attr:`BFVParams.ciphertext_payload_bytes`.

    SEAL stores each residue in a 64-bit word and compresses with zstd, so a ciphertext serialises to a
    little more than its information content; measured on ``samples`` fresh ciphertexts of random slots.
    """
    import tenseal as ts

    params = params or BFVParams()
    ctx = params.context()
    rng = np.random.default_rng(seed)
    sizes = [
        len(ts.bfv_vector(ctx, rng.integers(0, 2**20, params.poly_degree).tolist()).serialize())
        for _ in range(samples)
    ]
    return float(np.mean(sizes)) / params.ciphertext_payload_bytes


def run_packed_gemm(
    x_int: np.ndarray, w_int: np.ndarray, lane_bits: int, params: BFVParams | None = None, packed: bool = True
) -> dict[str, Any]:
    """Compute ``y = x · wᵀ`` under real BFV encryption (TenSEAL), rows of ``x`` packed in slots and lanes.

    The client encrypts each input column (all ``m`` rows, ``p`` per slot); the server multiplies by the
    plaintext weights and adds; the client decrypts and unpacks the ``n`` output columns. Returns the
    result, the ciphertext counts and the serialised bytes each way.
    """
    import tenseal as ts

    params = params or BFVParams()
    x, w = np.asarray(x_int, dtype=np.int64), _as_matrix(w_int)
    m, k = x.shape
    n = w.shape[0]
    p = packing_factor(lane_bits, params.plain_bits) if packed else 1
    slots = params.poly_degree
    ctx = params.context()
    rows_per_group = slots * p
    groups = math.ceil(m / rows_per_group)
    y = np.zeros((m, n), dtype=np.int64)
    sent = received = 0
    sent_bytes = received_bytes = 0
    base = 2**lane_bits
    for g in range(groups):
        block = x[g * rows_per_group : (g + 1) * rows_per_group]
        cts = []
        for i in range(k):
            column = np.zeros(slots * p, dtype=np.int64)
            column[: len(block)] = block[:, i]
            lanes = column.reshape(p, slots)
            packed_values = sum(int(base) ** j * lanes[j].astype(object) for j in range(p))
            ct = ts.bfv_vector(ctx, [int(v) for v in packed_values])
            blob = ct.serialize()
            sent, sent_bytes = sent + 1, sent_bytes + len(blob)
            cts.append(ts.bfv_vector_from(ctx, blob))
        for j in range(n):
            acc = None
            for i in range(k):
                if w[j, i]:
                    term = cts[i] * int(w[j, i])
                    acc = term if acc is None else acc + term
            if acc is None:
                acc = cts[0] * 0
            blob = acc.serialize()
            received, received_bytes = received + 1, received_bytes + len(blob)
            values = ts.bfv_vector_from(ctx, blob).decrypt()
            unpacked = _unpack(np.array(values, dtype=object), p, lane_bits)
            y[g * rows_per_group : g * rows_per_group + len(block), j] = unpacked[: len(block)]
    return {
        "y": y,
        "ciphertexts_sent": sent,
        "ciphertexts_received": received,
        "bytes_sent": sent_bytes,
        "bytes_received": received_bytes,
        "packing": p,
    }


def _unpack(values: np.ndarray, p: int, lane_bits: int) -> np.ndarray:
    """Signed base-2^lane digits of each (centred) slot value, lane 0 first, laid out lane-major."""
    out = np.zeros((p, len(values)), dtype=np.int64)
    for i, v in enumerate(values):
        out[:, i] = signed_lanes(int(v), lane_bits, p)
    return out.reshape(-1)


@dataclass
class HEQuantResult:
    """Outcome of :func:`allocate_bits` on a real model."""

    bits: dict[str, tuple[int, int]]
    accumulator_bits: dict[str, int]
    worst_case_bits: dict[str, int]
    comm_bytes: float
    comm_bytes_uniform8: float
    comm_bytes_unpacked8: float
    accuracy: float
    accuracy_float: float
    accuracy_uniform8: float
    workload: Workload | None = None
    table: list[dict[str, Any]] = field(default_factory=list)


def _layer_gemm(module: Any, x_shape: tuple[int, ...]) -> tuple[int, int, int]:
    import torch.nn as nn

    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        h = (x_shape[-2] + 2 * module.padding[0] - kh) // module.stride[0] + 1
        w = (x_shape[-1] + 2 * module.padding[1] - kw) // module.stride[1] + 1
        return h * w, module.in_channels * kh * kw, module.out_channels
    return 1, module.in_features, module.out_features


def allocate_bits(
    model: Any,
    data: Any,
    options: tuple[tuple[int, int], ...] = ((4, 4), (6, 6), (8, 8)),
    budget_fraction: float = 0.5,
    params: BFVParams | None = None,
    batch: int = 4096,
) -> HEQuantResult:
    """Per-layer (weight, activation) bits minimising measured loss increase under a communication budget.

    ``data`` is a :class:`~eda.workloads.zoo.DigitsData`; the budget lies ``budget_fraction`` of the way
    from the cheapest assignment to uniform 8/8 (both with packing), so it is always feasible. Communication per layer uses the accumulator bits of the
    real quantised weights (+1 sign bit per lane) for ``batch`` images.
    """
    import torch

    from eda.workloads.quant import observe_layers
    from eda.workloads.zoo import evaluate, torch_workload

    params = params or BFVParams()
    calib = data.x_train[:256]
    layers = weight_layers(model)
    shapes: dict[str, tuple[int, ...]] = {}
    observe_layers(
        model, calib[:1], lambda name, mod, inputs, output: shapes.__setitem__(name, tuple(inputs[0].shape))
    )
    with torch.no_grad():
        base_loss = float(torch.nn.functional.cross_entropy(model(calib), data.y_train[:256]))
    errors, costs, table = [], [], []
    acc_cache: dict[tuple[str, int], tuple[int, int]] = {}
    for name, module in layers:
        m, k, n = _layer_gemm(module, shapes[name])
        err_row, cost_row = [], []
        for wb, ab in options:
            q_model = quantized_model(model, {name: (wb, ab)}, calib)
            with torch.no_grad():
                loss = float(torch.nn.functional.cross_entropy(q_model(calib), data.y_train[:256]))
            q, _ = quantize_weights(module.weight.detach().numpy(), wb)
            acc = int(accumulator_bits(q, ab).max())
            acc_cache[(name, wb * 100 + ab)] = (acc, worst_case_accumulator_bits(k, wb, ab))
            comm = gemm_comm_bytes(m * batch, k, n, acc + 1, params)
            err_row.append(max(loss - base_loss, 0.0))
            cost_row.append(float(comm))
            table.append(
                {
                    "layer": name,
                    "weight_bits": wb,
                    "activation_bits": ab,
                    "accumulator_bits": acc,
                    "worst_case_bits": worst_case_accumulator_bits(k, wb, ab),
                    "loss_increase": loss - base_loss,
                    "comm_bytes": comm,
                }
            )
        errors.append(err_row)
        costs.append(cost_row)
    eight = options.index((8, 8)) if (8, 8) in options else len(options) - 1
    uniform8 = sum(row[eight] for row in costs)
    cheapest = sum(min(row) for row in costs)
    choice = choose_per_layer(errors, costs, cheapest + budget_fraction * (uniform8 - cheapest))
    bits = {name: options[c] for (name, _), c in zip(layers, choice, strict=True)}
    unpacked8 = 0.0
    for name, module in layers:
        m, k, n = _layer_gemm(module, shapes[name])
        unpacked8 += gemm_comm_bytes(
            m * batch, k, n, worst_case_accumulator_bits(k, 8, 8) + 1, params, packed=False
        )
    q_final = quantized_model(model, bits, calib)
    q_uniform = quantized_model(model, {name: options[eight] for name, _ in layers}, calib)
    workload = torch_workload(q_final, data.x_test, "hequant-digits", bits=bits)
    acc_bits = {name: acc_cache[(name, bits[name][0] * 100 + bits[name][1])][0] for name, _ in layers}
    for layer in workload.layers:
        layer.accumulator_bits = acc_bits[layer.name]
    return HEQuantResult(
        bits=bits,
        accumulator_bits=acc_bits,
        worst_case_bits={
            name: acc_cache[(name, bits[name][0] * 100 + bits[name][1])][1] for name, _ in layers
        },
        comm_bytes=sum(costs[i][c] for i, c in enumerate(choice)),
        comm_bytes_uniform8=uniform8,
        comm_bytes_unpacked8=unpacked8,
        accuracy=evaluate(q_final, data.x_test, data.y_test),
        accuracy_float=evaluate(model, data.x_test, data.y_test),
        accuracy_uniform8=evaluate(q_uniform, data.x_test, data.y_test),
        workload=workload,
        table=table,
    )


def integer_layer_operands(
    model: Any, bits: dict[str, tuple[int, int]], calibration: Any, x: Any
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per layer of the quantised model, the integer GEMM it runs on ``x``: ``(inputs (m, k), weights (n, k))``.

    Weights are the symmetric per-channel integers of :func:`quantize_weights`; inputs the unsigned
    activation integers the fake-quantised model (:func:`eda.workloads.quant.quantized_model`, scales from
    ``calibration``) feeds the layer, unfolded to im2col rows for convolutions (``m`` = images × output
    pixels).
    """
    import torch

    from eda.workloads.quant import calibrate_input_ranges, observe_layers

    ranges = calibrate_input_ranges(model, calibration)
    q_model = quantized_model(model, bits, calibration)
    captured: dict[str, np.ndarray] = {}

    def grab(name: str, mod: Any, inputs: Any, output: Any) -> None:
        t = inputs[0].detach()
        x_max, signed = ranges[name]
        if signed:
            raise SpecError(
                f"layer '{name}' has signed inputs", hint="HE packing here assumes unsigned activations"
            )
        levels = 2 ** bits[name][1] - 1
        values = torch.round(t / max(x_max, 1e-12) * levels)
        if isinstance(mod, torch.nn.Conv2d):
            cols = torch.nn.functional.unfold(values, mod.kernel_size, padding=mod.padding, stride=mod.stride)
            values = cols.transpose(1, 2).reshape(-1, cols.shape[1])
        captured[name] = values.numpy().astype(np.int64)

    observe_layers(q_model, x, grab, [(n, m) for n, m in weight_layers(q_model) if n in bits])
    out = {}
    for name, module in weight_layers(model):
        if name in bits:
            q, _ = quantize_weights(module.weight.detach().numpy(), bits[name][0])
            out[name] = (captured[name], q.reshape(q.shape[0], -1))
    return out


def run_network_he(
    model: Any,
    bits: dict[str, tuple[int, int]],
    calibration: Any,
    x: Any,
    params: BFVParams | None = None,
    packed: bool = True,
    lane_bits: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Every layer's integer GEMM on real TenSEAL BFV ciphertexts; per layer the measured bytes and exactness.

    Lanes are ``accumulator_bits + 1`` of the layer's real weights (``lane_bits`` overrides, e.g. the
    weight-agnostic bound of an unpacked baseline); ``packed=False`` puts one value per slot.
    """
    params = params or BFVParams()
    rows = []
    for name, (x_int, w_int) in integer_layer_operands(model, bits, calibration, x).items():
        lane = (lane_bits or {}).get(name, int(accumulator_bits(w_int, bits[name][1]).max()) + 1)
        run = run_packed_gemm(x_int, w_int, lane, params, packed=packed)
        rows.append(
            {
                "layer": name,
                "m": int(x_int.shape[0]),
                "k": int(x_int.shape[1]),
                "n": int(w_int.shape[0]),
                "lane_bits": lane,
                "lanes_per_slot": run["packing"],
                "ciphertexts": run["ciphertexts_sent"] + run["ciphertexts_received"],
                "bytes": run["bytes_sent"] + run["bytes_received"],
                "exact": bool(np.array_equal(run["y"], x_int @ w_int.T)),
            }
        )
    return rows
