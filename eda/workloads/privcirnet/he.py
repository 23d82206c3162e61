"""Homomorphic-encryption latency of block-circulant FC and convolution layers, checked against TenSEAL.

Protocol modelled (and run for real with TenSEAL's CKKS scheme by :func:`run_fc_protocol`): the client
holds the layer input ``x``. For block size ``b`` it cuts ``x`` into ``nb_in = ceil(d_in / b)`` blocks and
takes each block's real FFT; the product of a circulant block and a block is then an element-wise product
of spectra, ``Y_p[f] = sum_q conj(C_pq[f]) X_q[f]`` (see :mod:`eda.workloads.privcirnet.privcirnet`). A block's
spectrum has exactly ``b`` real degrees of freedom (DC, Nyquist for even ``b``, and real/imaginary parts
of the other bins), so one CKKS ciphertext per input block holds that block's spectrum replicated over the
``nb_out`` output blocks (``nb_out * b`` slots, about ``d_out``). Complex bins need the cross term
``Im(C) * Im(X)``: for ``b >= 4`` the client also sends the spectrum with real and imaginary parts swapped.
The server multiplies every ciphertext by a plaintext of filter spectra and adds them up - no rotations
at all - and returns one ciphertext of output spectra; the client decrypts and applies the inverse FFT.
With ``b = 1`` this protocol would spend one ciphertext per input feature; the dense baseline is instead
the packing PrivCirNet's baseline (Bolt, after Gazelle) uses for an FC layer: the Halevi-Shoup *diagonal
method*, one input ciphertext (the vector replicated over the slots), ``d_in`` plaintext diagonals, each
multiplied into a rotation of the input and summed, one output ciphertext. TenSEAL implements exactly
that (``CKKSVector.matmul``, ``diagonal_ct_vector_matmul``); :func:`run_dense_diagonal` runs it and
:func:`dense_op_counts` counts it (``d_in - 1`` rotations, ``d_in`` multiplications).

Operation counts for an FC layer ``d_in -> d_out`` with ``S`` slots per ciphertext:

* ``m = 1`` if ``b <= 2`` else ``2`` (ciphertexts per input block), ``chunks = ceil(nb_out * b / S)``;
* encryptions = ciphertext-plaintext multiplications = ``m * nb_in * chunks``;
* additions = ``(m * nb_in - 1) * chunks``; decryptions = ``chunks``;
* bytes = (encryptions + decryptions) * ciphertext size.

A convolution ``C_in -> C_out``, ``k x k`` kernel, ``H_out x W_out`` outputs, circulant along the channel
dimensions per kernel tap, is the same with ``nb_in -> nb_in * k^2`` (one shifted input per tap, prepared
by the client) and ``nb_out * b -> nb_out * b * H_out * W_out`` slots.

Latency = ``n_enc t_enc + n_rot t_rot + n_mul t_mul + n_add t_add + n_dec t_dec + bytes / bandwidth``. The per-operation
times in :class:`HeCosts` are measured with :func:`calibrate` (defaults: a calibration on the
development machine, TenSEAL 0.3.18, N = 8192). The model counts the work of this rotation-free
protocol; it reproduces the trend of PrivCirNet's claim (HE cost falls roughly as 1/b), not the absolute
latency of the Bolt/Cheetah kernels used in the paper.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from eda.workloads.privcirnet.privcirnet import BLOCK_SIZES

__all__ = [
    "HeCosts",
    "HeOpCounts",
    "fc_op_counts",
    "dense_op_counts",
    "conv_op_counts",
    "latency",
    "fc_latency_table",
    "conv_latency_table",
    "make_context",
    "calibrate",
    "run_fc_protocol",
    "run_conv_protocol",
    "run_dense_diagonal",
    "run_mlp_protocols",
]


@dataclass(frozen=True)
class HeCosts:
    """Per-operation costs of CKKS (seconds, bytes) and the network bandwidth (bytes per second).

    Defaults: measured by :func:`calibrate` on the development machine (TenSEAL 0.3.18, N = 8192,
    coefficient moduli [60, 40, 60] bits, 4096 slots); bandwidth 3 Gbit/s (a LAN setting as in Bolt).
    """

    slots: int = 4096
    t_encrypt_s: float = 3.0e-3
    t_mul_plain_s: float = 1.0e-3
    t_add_s: float = 2.3e-5
    t_decrypt_s: float = 3.4e-4
    t_rotate_s: float = 5.1e-3
    ciphertext_bytes: int = 235_161
    bandwidth_bytes_per_s: float = 3e9 / 8


@dataclass(frozen=True)
class HeOpCounts:
    """HE operation counts of one layer under the protocol in the module docstring."""

    encryptions: int
    mul_plain: int
    additions: int
    decryptions: int
    rotations: int = 0

    @property
    def ciphertexts_sent(self) -> int:
        """Ciphertexts over the network (client -> server inputs plus server -> client outputs)."""
        return self.encryptions + self.decryptions


def _counts(nb_in_terms: int, out_slots: int, b: int, slots: int) -> HeOpCounts:
    per_block = 1 if b <= 2 else 2
    chunks = math.ceil(out_slots / slots)
    terms = per_block * nb_in_terms
    return HeOpCounts(terms * chunks, terms * chunks, (terms - 1) * chunks, chunks)


def fc_op_counts(d_in: int, d_out: int, b: int, slots: int = 4096) -> HeOpCounts:
    """Operation counts of an FC layer ``d_in -> d_out`` with block size ``b``."""
    nb_in, nb_out = math.ceil(d_in / b), math.ceil(d_out / b)
    return _counts(nb_in, nb_out * b, b, slots)


def dense_op_counts(d_in: int, d_out: int, slots: int = 4096) -> HeOpCounts:
    """Operation counts of the dense baseline (Halevi-Shoup diagonal method, one ciphertext each way).

    ``d_out`` must fit in the slots (one output ciphertext); ``d_in`` diagonals, ``d_in - 1`` rotations.
    """
    if max(d_in, d_out) > slots:
        raise ValueError(f"a {d_in}x{d_out} layer does not fit one ciphertext of {slots} slots")
    return HeOpCounts(encryptions=1, mul_plain=d_in, additions=d_in - 1, decryptions=1, rotations=d_in - 1)


def conv_op_counts(
    in_channels: int, out_channels: int, kernel: int, out_hw: tuple[int, int], b: int, slots: int = 4096
) -> HeOpCounts:
    """Operation counts of a ``kernel x kernel`` convolution, block-circulant over channels."""
    nb_in, nb_out = math.ceil(in_channels / b), math.ceil(out_channels / b)
    return _counts(nb_in * kernel * kernel, nb_out * b * out_hw[0] * out_hw[1], b, slots)


def latency(counts: HeOpCounts, costs: HeCosts, *, network: bool = True) -> float:
    """Modelled latency in seconds (compute, plus transfer when ``network``)."""
    compute = (
        counts.encryptions * costs.t_encrypt_s
        + counts.mul_plain * costs.t_mul_plain_s
        + counts.additions * costs.t_add_s
        + counts.decryptions * costs.t_decrypt_s
        + counts.rotations * costs.t_rotate_s
    )
    transfer = counts.ciphertexts_sent * costs.ciphertext_bytes / costs.bandwidth_bytes_per_s
    return compute + (transfer if network else 0.0)


def fc_latency_table(
    d_in: int, d_out: int, costs: HeCosts, block_sizes: tuple[int, ...] = BLOCK_SIZES, network: bool = True
) -> dict[int, float]:
    """Block size -> modelled latency (s) of an FC layer; ``b = 1`` is the dense diagonal-method baseline."""
    return {
        b: latency(
            dense_op_counts(d_in, d_out, costs.slots)
            if b == 1
            else fc_op_counts(d_in, d_out, b, costs.slots),
            costs,
            network=network,
        )
        for b in block_sizes
    }


def conv_latency_table(
    in_channels: int,
    out_channels: int,
    kernel: int,
    out_hw: tuple[int, int],
    costs: HeCosts,
    block_sizes: tuple[int, ...] = BLOCK_SIZES,
) -> dict[int, float]:
    """Block size -> modelled latency (s) of a convolution."""
    return {
        b: latency(conv_op_counts(in_channels, out_channels, kernel, out_hw, b, costs.slots), costs)
        for b in block_sizes
    }


def make_context(poly_modulus_degree: int = 8192, galois_keys: bool = False, threads: int = 1):
    """A TenSEAL CKKS context (scale 2^40, moduli [60, 40, 60]) with the secret key kept (client side).

    ``galois_keys``: also the rotation keys the dense diagonal baseline needs; ``threads``: TenSEAL's
    worker threads (1: the protocols are compared on one core each).
    """
    import tenseal as ts

    ctx = ts.context(
        ts.SCHEME_TYPE.CKKS,
        poly_modulus_degree=poly_modulus_degree,
        coeff_mod_bit_sizes=[60, 40, 60],
        n_threads=threads,
    )
    ctx.global_scale = 2**40
    if galois_keys:
        ctx.generate_galois_keys()
    return ctx


def _spectrum_vectors(x_blocks: np.ndarray, b: int, nb_out: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Packed real spectra of input blocks ``(pixels, b)``, replicated over ``nb_out`` output blocks.

    Slot order (pixel, output block, spectral slot); returns (direct, swapped) - swapped is ``None`` for
    ``b <= 2`` (all bins real).
    """
    spec = np.fft.rfft(x_blocks, axis=-1)
    real, imag = spec.real, spec.imag
    n_cplx = b - b // 2 - 1
    direct = np.concatenate(
        [real, imag[:, 1 : 1 + n_cplx]], axis=1
    )  # b numbers: Re of bins, Im of complex bins
    tile = lambda v: np.repeat(v[:, None, :], nb_out, axis=1).reshape(-1)  # noqa: E731
    if b <= 2:
        return tile(direct), None
    swapped = np.concatenate([imag, real[:, 1 : 1 + n_cplx]], axis=1)
    return tile(direct), tile(swapped)


def _filter_vectors(first_rows: np.ndarray, b: int, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """Plaintext multipliers for one input block: ``first_rows`` ``(nb_out, b)``; (direct, swapped)."""
    spec = np.conj(np.fft.rfft(first_rows, axis=-1))  # (p, f) = a + i beta
    a, beta = spec.real, spec.imag
    n_cplx = b - b // 2 - 1
    # direct slots: [Re(Y) bins | Im(Y) complex bins] = a*xr | a*xi ; swapped: -beta*xi | beta*xr
    direct = np.concatenate([a, a[:, 1 : 1 + n_cplx]], axis=1)
    swapped = np.concatenate([-beta, beta[:, 1 : 1 + n_cplx]], axis=1)
    return np.tile(direct.reshape(-1), pixels), np.tile(swapped.reshape(-1), pixels)


def _run_terms(
    terms: list[tuple[np.ndarray, np.ndarray]], nb_out: int, b: int, ctx, wire: list[int] | None = None
) -> tuple[np.ndarray, float, HeOpCounts]:
    """Encrypt every term's packed spectra, multiply by its filter, add, decrypt, inverse FFT.

    ``terms``: ``(x_blocks (pixels, b), first_rows (nb_out, b))`` per input block (and kernel tap).
    With ``wire`` (a list), every ciphertext crossing between client and server is serialised and read
    back inside the timed part and its size appended. Returns ``(y (pixels, nb_out * b), seconds, counts)``.
    """
    import tenseal as ts

    pixels = terms[0][0].shape[0]
    counts = {"enc": 0, "mul": 0, "add": 0}
    prepared = []
    for x_blocks, first_rows in terms:
        direct, swapped = _spectrum_vectors(x_blocks, b, nb_out)
        f_direct, f_swapped = _filter_vectors(first_rows, b, pixels)
        prepared += [(direct, f_direct)] + ([(swapped, f_swapped)] if swapped is not None else [])
    start = time.perf_counter()
    acc = None
    for vec, filt in prepared:
        enc = ts.ckks_vector(ctx, vec.tolist())
        if wire is not None:
            blob = enc.serialize()
            wire.append(len(blob))
            enc = ts.ckks_vector_from(ctx, blob)
        prod = enc * filt.tolist()
        counts["enc"] += 1
        counts["mul"] += 1
        if acc is None:
            acc = prod
        else:
            acc += prod
            counts["add"] += 1
    if wire is not None:
        blob = acc.serialize()
        wire.append(len(blob))
        acc = ts.ckks_vector_from(ctx, blob)
    out = np.array(acc.decrypt())
    seconds = time.perf_counter() - start
    n_cplx = b - b // 2 - 1
    spec = out.reshape(pixels, nb_out, b)
    re, im = spec[..., : b // 2 + 1], np.zeros((pixels, nb_out, b // 2 + 1))
    im[..., 1 : 1 + n_cplx] = spec[..., b // 2 + 1 :]
    y = np.fft.irfft(re + 1j * im, n=b, axis=-1).reshape(pixels, nb_out * b)
    return y, seconds, HeOpCounts(counts["enc"], counts["mul"], counts["add"], 1)


def run_fc_protocol(
    coeffs: np.ndarray, x: np.ndarray, ctx=None, wire: list[int] | None = None
) -> tuple[np.ndarray, float, HeOpCounts]:
    """Run the block-circulant FC protocol with real CKKS ciphertexts.

    Args:
        coeffs: ``(nb_out, nb_in, b)`` block-circulant weights; ``nb_out * b`` must fit in one ciphertext.
        x: input vector of length ``<= nb_in * b``.
        ctx: a TenSEAL CKKS context (default :func:`make_context`).
        wire: if a list, the serialised size of every ciphertext sent is appended (and the time includes
            serialisation, as the dense baseline's does).

    Returns:
        ``(y, seconds, counts)``: the decrypted output (length ``nb_out * b``), the wall time of the
        encrypted part (encrypt, multiply/add, decrypt; client FFTs excluded) and the operations done.
    """
    ctx = ctx or make_context()
    nb_out, nb_in, b = coeffs.shape
    x = np.concatenate([np.asarray(x, float), np.zeros(nb_in * b - len(x))])
    terms = [(x[q * b : (q + 1) * b][None, :], coeffs[:, q, :]) for q in range(nb_in)]
    y, seconds, counts = _run_terms(terms, nb_out, b, ctx, wire)
    return y[0], seconds, counts


def run_conv_protocol(coeffs: np.ndarray, x: np.ndarray, ctx=None) -> tuple[np.ndarray, float, HeOpCounts]:
    """Run a stride-1, 'same'-padded ``k x k`` convolution, block-circulant over channels, under CKKS.

    Args:
        coeffs: ``(nb_out, nb_in, k, k, b)``: for every kernel tap, block-circulant first rows.
        x: input ``(C_in, H, W)`` with ``C_in <= nb_in * b``; ``nb_out * b * H * W`` must fit in one
            ciphertext.

    Returns:
        ``(y (nb_out * b, H, W), seconds, counts)``; the client prepares one shifted input per tap.
    """
    ctx = ctx or make_context()
    nb_out, nb_in, k, _, b = coeffs.shape
    c_in, h, w = x.shape
    pad = k // 2
    xp = np.zeros((nb_in * b, h + 2 * pad, w + 2 * pad))
    xp[:c_in, pad : pad + h, pad : pad + w] = x
    terms = []
    for q in range(nb_in):
        for u in range(k):
            for v in range(k):
                shifted = xp[q * b : (q + 1) * b, u : u + h, v : v + w].reshape(b, h * w).T  # (pixels, b)
                terms.append((shifted, coeffs[:, q, u, v, :]))
    y, seconds, counts = _run_terms(terms, nb_out, b, ctx)
    return y.T.reshape(nb_out * b, h, w), seconds, counts


def calibrate(poly_modulus_degree: int = 8192, repeats: int = 20, length: int = 256) -> HeCosts:
    """Measure TenSEAL's per-operation times (median of ``repeats``) and ciphertext size."""
    import tenseal as ts

    ctx = make_context(poly_modulus_degree)
    rng = np.random.default_rng(0)
    vec, plain = rng.normal(size=length).tolist(), rng.normal(size=length).tolist()
    timings: dict[str, list[float]] = {"enc": [], "mul": [], "add": [], "dec": []}
    ct = ts.ckks_vector(ctx, vec)
    for _ in range(repeats):
        t0 = time.perf_counter()
        ct = ts.ckks_vector(ctx, vec)
        t1 = time.perf_counter()
        prod = ct * plain
        t2 = time.perf_counter()
        prod += prod
        t3 = time.perf_counter()
        prod.decrypt()
        t4 = time.perf_counter()
        for key, value in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            timings[key].append(value)
    med = {k: float(np.median(v)) for k, v in timings.items()}
    # one rotation: a diagonal-method product of a 32 x 32 matrix minus its multiplications and additions
    rot_ctx = make_context(poly_modulus_degree, galois_keys=True)
    matrix = rng.normal(size=(32, 32))
    enc = ts.ckks_vector(rot_ctx, vec[:32])
    spans = []
    for _ in range(max(3, repeats // 5)):
        t0 = time.perf_counter()
        enc.matmul(matrix.tolist())
        spans.append(time.perf_counter() - t0)
    t_rot = max(0.0, (float(np.median(spans)) - 32 * med["mul"] - 31 * med["add"]) / 31)
    return HeCosts(
        slots=poly_modulus_degree // 2,
        t_encrypt_s=med["enc"],
        t_mul_plain_s=med["mul"],
        t_add_s=med["add"],
        t_decrypt_s=med["dec"],
        t_rotate_s=t_rot,
        ciphertext_bytes=len(ct.serialize()),
    )


def run_dense_diagonal(
    weight: np.ndarray, x: np.ndarray, ctx=None
) -> tuple[np.ndarray, float, HeOpCounts, int]:
    """The dense baseline: ``y = W x`` by the diagonal method on real CKKS ciphertexts (TenSEAL ``matmul``).

    ``ctx`` needs Galois keys (:func:`make_context` with ``galois_keys=True``). Returns ``(y, seconds,
    counts, bytes)``: the decrypted output, the wall time of encrypt + product + decrypt, the operations
    (:func:`dense_op_counts`) and the serialised bytes of the input and output ciphertexts.
    """
    import tenseal as ts

    ctx = ctx or make_context(galois_keys=True)
    weight = np.asarray(weight, dtype=float)
    d_out, d_in = weight.shape
    start = time.perf_counter()
    enc = ts.ckks_vector(ctx, np.asarray(x, dtype=float).tolist())
    sent = enc.serialize()
    out = ts.ckks_vector_from(ctx, sent).matmul(weight.T.tolist())
    back = out.serialize()
    y = np.array(ts.ckks_vector_from(ctx, back).decrypt())
    seconds = time.perf_counter() - start
    return y, seconds, dense_op_counts(d_in, d_out, _slots(ctx)), len(sent) + len(back)


def run_mlp_protocols(
    weights: list[np.ndarray], block_sizes: list[int], x: np.ndarray, ctx=None
) -> list[dict[str, float]]:
    """Every FC layer of an MLP run on real ciphertexts: ``b = 1`` by the dense diagonal method, ``b > 1`` by
    the block-circulant protocol on the Frobenius projection of the layer's weight; ReLU in the clear
    between layers (a secure protocol would run it by OT; not part of the HE cost compared here).

    Returns per layer ``{"b", "seconds", "bytes", "max_error"}`` (error against the plaintext product of the
    same, projected, weight). ``ctx`` needs Galois keys when any ``b = 1``.
    """
    from eda.workloads.privcirnet.privcirnet import block_circulant_dense, project_block_circulant

    ctx = ctx or make_context(galois_keys=1 in block_sizes)
    out = []
    h = np.asarray(x, dtype=float)
    for i, (weight, b) in enumerate(zip(weights, block_sizes, strict=True)):
        if b == 1:
            y, seconds, _, sent = run_dense_diagonal(weight, h, ctx)
            exact = weight @ h
        else:
            coeffs = project_block_circulant(weight, b)
            wire: list[int] = []
            y, seconds, _ = run_fc_protocol(coeffs, h, ctx, wire)
            y, sent = y[: weight.shape[0]], sum(wire)
            exact = block_circulant_dense(coeffs, weight.shape) @ h
        out.append({"b": b, "seconds": seconds, "bytes": sent, "max_error": float(np.abs(y - exact).max())})
        h = np.maximum(exact, 0.0) if i < len(weights) - 1 else exact
    return out


def _slots(ctx) -> int:
    """CKKS slots of a TenSEAL context (half the polynomial degree)."""
    return int(ctx.seal_context().data.key_context_data().parms().poly_modulus_degree()) // 2
