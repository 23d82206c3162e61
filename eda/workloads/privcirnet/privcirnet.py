"""PrivCirNet core: block-circulant projection, FFT products and layer-wise block-size assignment.

PrivCirNet (NeurIPS 2024, arXiv 2405.14569) replaces weight matrices by *block-circulant* matrices: the
``d_out x d_in`` matrix is cut into ``b x b`` blocks and every block is circulant, fully described by its
first row ``c`` (``C[i, k] = c[(k - i) mod b]``). A circulant block times a vector is a circular
correlation, so it costs one FFT product and needs ``b``x fewer stored weights; under homomorphic
encryption it turns matrix-vector products into 1-D convolutions (see :mod:`eda.workloads.privcirnet.he`).

Conventions used throughout:

* ``coeffs`` has shape ``(blocks_out, blocks_in, b)``: ``coeffs[p, q]`` is the first row of block
  ``(p, q)``; dimensions that are not multiples of ``b`` are zero-padded.
* The Frobenius-optimal projection of a block onto circulant matrices averages its wrapped diagonals:
  ``c_j = mean_i W[i, (i + j) mod b]``; a Fisher-weighted mean is the second-order-aware variant.
* The second-order sensitivity of a layer to block size ``b`` is ``Omega(b) = 1/2 * sum F * (W - P_b W)^2``
  (diagonal Fisher ``F`` as the Hessian proxy).
* Block sizes are chosen per layer by an integer program: minimise ``sum Omega_l(b_l)`` subject to
  ``sum latency_l(b_l) <= budget`` (one-hot choice per layer; solved with PuLP/CBC).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from eda.errors import SpecError

__all__ = [
    "BLOCK_SIZES",
    "circulant",
    "project_block_circulant",
    "block_circulant_dense",
    "block_circulant_matvec_fft",
    "projection_error",
    "circulant_sensitivity",
    "assign_block_sizes",
    "mlp_workload",
]

#: block sizes PrivCirNet searches over (1 = dense)
BLOCK_SIZES: tuple[int, ...] = (1, 2, 4, 8, 16)


def circulant(first_row: np.ndarray) -> np.ndarray:
    """The ``b x b`` circulant matrix with ``C[i, k] = first_row[(k - i) mod b]``."""
    c = np.asarray(first_row)
    b = c.shape[-1]
    idx = (np.arange(b)[None, :] - np.arange(b)[:, None]) % b
    return c[..., idx]


def _pad_to_blocks(weight: np.ndarray, b: int) -> np.ndarray:
    d_out, d_in = weight.shape
    padded = np.zeros((math.ceil(d_out / b) * b, math.ceil(d_in / b) * b), dtype=np.float64)
    padded[:d_out, :d_in] = weight
    return padded


def project_block_circulant(weight: np.ndarray, b: int, fisher: np.ndarray | None = None) -> np.ndarray:
    """Project ``weight`` (``d_out x d_in``) onto block-circulant matrices with block size ``b``.

    Returns ``coeffs`` of shape ``(ceil(d_out/b), ceil(d_in/b), b)``. Without ``fisher`` this is the
    Frobenius-optimal projection (mean of each block's wrapped diagonals); with a non-negative ``fisher``
    of the same shape as ``weight`` it is the Fisher-weighted mean (minimises ``sum F (W - C)^2``).
    """
    if b < 1:
        raise SpecError(f"block size must be >= 1, got {b}", hint=f"use one of {BLOCK_SIZES}")
    w = _pad_to_blocks(np.asarray(weight, dtype=np.float64), b)
    nb_out, nb_in = w.shape[0] // b, w.shape[1] // b
    blocks = w.reshape(nb_out, b, nb_in, b).transpose(0, 2, 1, 3)  # (p, q, i, k)
    rows = np.arange(b)[:, None]
    cols = (np.arange(b)[:, None] + np.arange(b)[None, :]) % b  # cols[i, j] = (i + j) mod b
    diagonals = blocks[:, :, rows, cols]  # (p, q, i, j) = W[i, (i+j) mod b]
    if fisher is None:
        return diagonals.mean(axis=2)
    f = _pad_to_blocks(np.asarray(fisher, dtype=np.float64), b)
    f_blocks = f.reshape(nb_out, b, nb_in, b).transpose(0, 2, 1, 3)[:, :, rows, cols]
    weight_sum = f_blocks.sum(axis=2)
    weighted = (f_blocks * diagonals).sum(axis=2)
    plain = diagonals.mean(axis=2)
    return np.where(weight_sum > 0, weighted / np.where(weight_sum > 0, weight_sum, 1.0), plain)


def block_circulant_dense(coeffs: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    """The dense matrix of a block-circulant ``coeffs`` tensor, cropped to ``shape`` when given."""
    nb_out, nb_in, b = coeffs.shape
    blocks = circulant(coeffs)  # (p, q, i, k)
    dense = blocks.transpose(0, 2, 1, 3).reshape(nb_out * b, nb_in * b)
    if shape is not None:
        dense = dense[: shape[0], : shape[1]]
    return dense


def block_circulant_matvec_fft(coeffs: np.ndarray, x: np.ndarray, d_out: int | None = None) -> np.ndarray:
    """``y = W x`` for block-circulant ``W`` via FFTs; ``x`` has shape ``(..., d_in)``.

    Each block is a circular correlation: ``y_p = sum_q IFFT(conj(FFT(c_pq)) * FFT(x_q))``. Inputs shorter
    than the padded width are zero-padded, the output is cropped to ``d_out`` (default: padded height).
    """
    nb_out, nb_in, b = coeffs.shape
    x = np.asarray(x, dtype=np.float64)
    pad = nb_in * b - x.shape[-1]
    if pad < 0:
        raise SpecError(f"input length {x.shape[-1]} exceeds the matrix width {nb_in * b}")
    x = np.concatenate([x, np.zeros((*x.shape[:-1], pad))], axis=-1) if pad else x
    x_hat = np.fft.rfft(x.reshape(*x.shape[:-1], nb_in, b), axis=-1)  # (..., q, f)
    c_hat = np.conj(np.fft.rfft(coeffs, axis=-1))  # (p, q, f)
    y_hat = np.einsum("pqf,...qf->...pf", c_hat, x_hat)
    y = np.fft.irfft(y_hat, n=b, axis=-1).reshape(*x.shape[:-1], nb_out * b)
    return y[..., :d_out] if d_out is not None else y


def projection_error(weight: np.ndarray, b: int) -> float:
    """Relative Frobenius error ``||W - P_b W|| / ||W||`` of the block-circulant projection."""
    w = np.asarray(weight, dtype=np.float64)
    approx = block_circulant_dense(project_block_circulant(w, b), w.shape)
    return float(np.linalg.norm(w - approx) / np.linalg.norm(w))


def circulant_sensitivity(weight: np.ndarray, fisher: np.ndarray, b: int) -> float:
    """Second-order loss increase ``1/2 sum F (W - P_b W)^2`` of projecting to block size ``b``."""
    w = np.asarray(weight, dtype=np.float64)
    approx = block_circulant_dense(project_block_circulant(w, b, fisher), w.shape)
    return float(0.5 * np.sum(np.asarray(fisher) * (w - approx) ** 2))


def assign_block_sizes(
    sensitivity: Sequence[Mapping[int, float]],
    latency: Sequence[Mapping[int, float]],
    budget: float,
) -> list[int]:
    """Choose one block size per layer minimising total sensitivity under a latency budget.

    Args:
        sensitivity: per layer, block size -> second-order loss increase (dimensionless).
        latency: per layer, block size -> modelled latency (any consistent unit, e.g. seconds).
        budget: maximum total latency (same unit).

    Returns:
        the block size of every layer (the exact optimum of the integer program, via CBC).
    """
    import pulp

    if len(sensitivity) != len(latency):
        raise SpecError("sensitivity and latency tables must cover the same layers")
    fastest = sum(min(lat.values()) for lat in latency)
    if fastest > budget * (1 + 1e-12):
        raise SpecError(
            f"latency budget {budget:.4g} is below the fastest assignment {fastest:.4g}",
            hint="raise the budget or allow larger block sizes",
        )
    # CBC works with absolute tolerances: rescale both tables to O(1) numbers (the optimum is unchanged)
    sens_scale = max((abs(v) for table in sensitivity for v in table.values()), default=1.0) or 1.0
    lat_scale = max(abs(budget), 1e-300)
    sensitivity = [{b: v / sens_scale for b, v in table.items()} for table in sensitivity]
    latency = [{b: v / lat_scale for b, v in table.items()} for table in latency]
    budget = 1.0
    problem = pulp.LpProblem("privcirnet_block_sizes", pulp.LpMinimize)
    choice = {
        (layer, b): pulp.LpVariable(f"x_{layer}_{b}", cat="Binary")
        for layer, table in enumerate(sensitivity)
        for b in table
        if b in latency[layer]
    }
    problem += pulp.lpSum(sensitivity[layer][b] * var for (layer, b), var in choice.items())
    problem += pulp.lpSum(latency[layer][b] * var for (layer, b), var in choice.items()) <= budget
    for layer in range(len(sensitivity)):
        problem += pulp.lpSum(var for (lay, _), var in choice.items() if lay == layer) == 1
    status = problem.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[status] != "Optimal":
        raise SpecError(f"block-size integer program is {pulp.LpStatus[status]}")
    return [
        next(b for (lay, b), var in choice.items() if lay == layer and var.value() > 0.5)
        for layer in range(len(sensitivity))
    ]


def mlp_workload(
    widths: Sequence[int],
    block_sizes: Sequence[int],
    *,
    name: str = "privcirnet-mlp",
    batch: int = 1,
    weight_bits: int = 8,
    activation_bits: int = 8,
    meta: Mapping[str, object] | None = None,
):
    """A :class:`~eda.workloads.workload.Workload` of an MLP whose i-th FC layer has block size ``b_i``.

    Layers with ``b > 1`` are ``block_circulant`` (the ACIM mapping stores ``1/b`` of the weights and
    applies ``b`` rotated inputs); ``b = 1`` layers are dense.
    """
    from eda.workloads.workload import LayerRecord, Workload

    if len(block_sizes) != len(widths) - 1:
        raise SpecError(
            f"{len(widths) - 1} layers need {len(widths) - 1} block sizes, got {len(block_sizes)}"
        )
    layers = []
    for i, b in enumerate(block_sizes):
        structure = {"structure": "block_circulant", "block_size": int(b)} if b > 1 else {}
        layers.append(
            LayerRecord.gemm(
                f"fc{i}",
                batch,
                int(widths[i]),
                int(widths[i + 1]),
                weight_bits=weight_bits,
                activation_bits=activation_bits,
                **structure,
            )
        )
    return Workload(name=name, layers=layers, meta={"method": "privcirnet", **dict(meta or {})})
