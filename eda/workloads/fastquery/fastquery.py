"""FastQuery: private embedding-table lookup under homomorphic encryption (DAC 2024, arXiv 2405.16241).

Reconstructed protocol and cost model (BFV with batching, :class:`eda.workloads.hequant.hequant.BFVParams`):

* the client encrypts its one-hot token vector over the vocabulary ``V`` in slots:
  ``⌈V / N⌉`` query ciphertexts;
* the server holds the table quantised per channel (channel ``d`` with ``b_d`` bits, signed) and packs
  ``p`` channels of a row into one plaintext slot as signed lanes; it multiplies every query ciphertext by
  its block of packed rows and adds the blocks (only the queried slot is non-zero, so blocks never
  collide): ``⌈D / p⌉`` response ciphertexts per channel group of equal lane width;
* **one-hot awareness**: the product of a one-hot vector accumulates nothing, so a lane needs exactly the
  entry's ``b_d`` bits — a general matrix-vector protocol must reserve ``b + ⌈log2 V⌉`` accumulator
  bits per lane (and a non-quantised table 16-bit fixed point), which packs fewer channels per slot.

:func:`query_comm` gives ciphertext counts and bytes; :func:`run_query` runs the protocol on real TenSEAL
ciphertexts (serialised sizes measured). :func:`allocate_channel_bits` is the communication-aware
per-channel bit choice: an exact integer program minimising the measured reconstruction error of every
channel under a budget of response ciphertexts (each channel priced at ``1/lanes per slot`` of one) or
of average bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from eda.errors import SpecError
from eda.workloads.hequant.hequant import BFVParams, packing_factor, signed_lanes
from eda.workloads.quant import choose_per_layer
from eda.workloads.workload import LayerRecord, Workload

__all__ = [
    "quantize_channels",
    "channel_errors",
    "allocate_channel_bits",
    "lane_groups",
    "query_comm",
    "run_query",
    "QueryComm",
    "fastquery_workload",
]


def quantize_channels(table: np.ndarray, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel (column) quantisation with ``bits[d]`` bits: (integers, scales)."""
    bits = np.asarray(bits, dtype=np.int64)
    if bits.shape != (table.shape[1],) or (bits < 2).any():
        raise SpecError("need one bit width >= 2 per channel")
    levels = 2 ** (bits - 1) - 1
    scale = np.abs(table).max(axis=0) / levels
    scale = np.where(scale > 0, scale, 1.0)
    q = np.clip(np.round(table / scale), -levels, levels).astype(np.int64)
    return q, scale


def channel_errors(table: np.ndarray, options: tuple[int, ...]) -> np.ndarray:
    """Squared reconstruction error of each channel at each bit option, shape (D, len(options))."""
    out = np.zeros((table.shape[1], len(options)))
    for j, b in enumerate(options):
        q, scale = quantize_channels(table, np.full(table.shape[1], b))
        out[:, j] = ((q * scale - table) ** 2).sum(axis=0)
    return out


def allocate_channel_bits(
    table: np.ndarray,
    average_bits: float | None = None,
    options: tuple[int, ...] = (2, 3, 4, 5, 6, 8),
    group: int = 8,
    *,
    response_ciphertexts: int | None = None,
    params: BFVParams | None = None,
) -> np.ndarray:
    """Per-channel bits minimising the total squared reconstruction error (exact integer program).

    Budget, one of: ``average_bits`` (mean bits per channel), or — communication-aware —
    ``response_ciphertexts``: the channels of width ``b`` fill ``⌈n_b / p(b)⌉`` response ciphertexts with
    ``p(b) = ⌊(log2 t − 1)/b⌋`` lanes per slot, so widths are priced by what they cost on the wire (an
    integer variable per width carries the rounding up exactly). Channels are decided in groups of
    ``group`` (sorted by error profile) to keep the program small; a group shares one width.
    """
    if (average_bits is None) == (response_ciphertexts is None):
        raise SpecError("give exactly one budget: average_bits or response_ciphertexts")
    params = params or BFVParams()
    errors = channel_errors(table, options)
    order = np.argsort(errors[:, 0])
    groups = [order[i : i + group] for i in range(0, len(order), group)]
    err_table = [[float(errors[g, j].sum()) for j in range(len(options))] for g in groups]
    if response_ciphertexts is None:
        cost_table = [[float(b * len(g)) for b in options] for g in groups]
        choice = choose_per_layer(err_table, cost_table, float(average_bits) * table.shape[1])  # type: ignore[arg-type]
    else:
        choice = _choose_by_ciphertexts(
            err_table,
            [len(g) for g in groups],
            [packing_factor(b, params.plain_bits) for b in options],
            response_ciphertexts,
        )
    bits = np.zeros(table.shape[1], dtype=np.int64)
    for g, c in zip(groups, choice, strict=True):
        bits[g] = options[c]
    return bits


def _choose_by_ciphertexts(
    errors: list[list[float]], sizes: list[int], lanes: list[int], budget: int
) -> list[int]:
    """min Σ errors[g][b]·x_gb  s.t. Σ_b x_gb = 1, Σ_g sizes[g]·x_gb ≤ lanes[b]·n_b, Σ_b n_b ≤ budget (MILP)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_groups, n_opts = len(errors), len(lanes)
    nx = n_groups * n_opts
    scale = max(max(row) for row in errors) or 1.0
    objective = np.concatenate([np.array(errors).ravel() / scale, np.zeros(n_opts)])
    one_each = np.zeros((n_groups, nx + n_opts))
    for g in range(n_groups):
        one_each[g, g * n_opts : (g + 1) * n_opts] = 1.0
    fill = np.zeros((n_opts, nx + n_opts))
    for b in range(n_opts):
        fill[b, b:nx:n_opts] = sizes
        fill[b, nx + b] = -lanes[b]
    total = np.concatenate([np.zeros(nx), np.ones(n_opts)])[None, :]
    upper = np.concatenate([np.ones(nx), np.full(n_opts, np.inf)])
    result = milp(
        objective,
        integrality=np.ones(nx + n_opts),
        bounds=Bounds(0, upper),
        constraints=[
            LinearConstraint(one_each, 1, 1),
            LinearConstraint(fill, -np.inf, 0),
            LinearConstraint(total, -np.inf, budget),
        ],
        options={"mip_rel_gap": 0.0},
    )
    if result.x is None:
        raise SpecError(
            f"no bit assignment fits {budget} response ciphertexts ({result.message})",
            hint="raise the budget or allow fewer bits",
        )
    x = np.round(result.x[:nx]).reshape(n_groups, n_opts)
    return [int(np.argmax(row)) for row in x]


def lane_groups(bits: np.ndarray, plain_bits: int) -> list[tuple[int, int]]:
    """(lane bits, channels) per distinct width; each group packs ``packing_factor`` lanes per slot."""
    widths, counts = np.unique(np.asarray(bits), return_counts=True)
    return [(int(w), int(c)) for w, c in zip(widths, counts, strict=True)]


@dataclass
class QueryComm:
    """Modelled ciphertexts and bytes of one private lookup."""

    query_ciphertexts: int
    response_ciphertexts: int
    bytes: int

    @property
    def ciphertexts(self) -> int:
        return self.query_ciphertexts + self.response_ciphertexts


def query_comm(
    vocab: int, lane_bits: np.ndarray | list[int], params: BFVParams | None = None, overhead: float = 1.0
) -> QueryComm:
    """Ciphertexts and bytes of one lookup with per-channel lane widths ``lane_bits`` (length D)."""
    params = params or BFVParams()
    query = math.ceil(vocab / params.poly_degree)
    response = sum(
        math.ceil(count / packing_factor(width, params.plain_bits))
        for width, count in lane_groups(np.asarray(lane_bits), params.plain_bits)
    )
    return QueryComm(
        query, response, int(round((query + response) * params.ciphertext_payload_bytes * overhead))
    )


def run_query(
    q_table: np.ndarray, bits: np.ndarray, index: int, params: BFVParams | None = None
) -> dict[str, Any]:
    """One private lookup of row ``index`` of the integer table on real TenSEAL BFV ciphertexts.

    Returns the decrypted row (must equal ``q_table[index]``), ciphertext counts and serialised bytes.
    """
    import tenseal as ts

    params = params or BFVParams()
    vocab, dim = q_table.shape
    n = params.poly_degree
    ctx = params.context()
    blocks = math.ceil(vocab / n)
    query, query_bytes = [], 0
    for blk in range(blocks):
        onehot = np.zeros(n, dtype=np.int64)
        if blk * n <= index < (blk + 1) * n:
            onehot[index - blk * n] = 1
        blob = ts.bfv_vector(ctx, onehot.tolist()).serialize()
        query_bytes += len(blob)
        query.append(ts.bfv_vector_from(ctx, blob))
    row = np.zeros(dim, dtype=np.int64)
    response_count, response_bytes = 0, 0
    for width, _ in lane_groups(bits, params.plain_bits):
        channels = np.flatnonzero(np.asarray(bits) == width)
        p = packing_factor(width, params.plain_bits)
        for start in range(0, len(channels), p):
            chans = channels[start : start + p]
            acc = None
            for blk in range(blocks):
                rows = q_table[blk * n : (blk + 1) * n, chans].astype(object)
                packed = np.zeros(n, dtype=object)
                packed[: len(rows)] = sum(rows[:, j] * (2 ** (width * j)) for j in range(len(chans)))
                term = query[blk] * [int(v) for v in packed]
                acc = term if acc is None else acc + term
            assert acc is not None
            blob = acc.serialize()
            response_count, response_bytes = response_count + 1, response_bytes + len(blob)
            slot = int(ts.bfv_vector_from(ctx, blob).decrypt()[index % n])
            row[chans] = signed_lanes(slot, width, len(chans))
    return {
        "row": row,
        "query_ciphertexts": blocks,
        "response_ciphertexts": response_count,
        "query_bytes": query_bytes,
        "response_bytes": response_bytes,
    }


def fastquery_workload(vocab: int, bits: np.ndarray, lookups: int = 128, name: str = "fastquery") -> Workload:
    """The lookup as a workload: one one-hot gather per distinct channel width (its bits as weight bits)."""
    records = [
        LayerRecord.embedding(f"table.b{width}", vocab, count, lookups, weight_bits=width)
        for width, count in lane_groups(bits, 60)
    ]
    return Workload(name, records, meta={"method": "fastquery", "average_bits": float(np.mean(bits))})
