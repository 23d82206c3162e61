"""FastQuery's baseline: a private embedding lookup as a general HE matrix-vector product in Cheetah's
coefficient encoding (Huang et al., "Cheetah", USENIX Security 2022), run on SEAL via ``tenseal.sealapi``.

FastQuery compares against HE frameworks that treat the lookup as ``y = Tᵀ x`` with an arbitrary vector
``x`` (the client's one-hot token) and the server's table ``T`` (``V × D``). Cheetah's mat-vec, as done
here:

* BFV without batching, polynomial degree ``N`` = 4096 (Cheetah's choice for linear layers), SEAL's
  default 109-bit modulus for that degree, plaintext modulus ``t = 2^ℓ`` (Cheetah works in ``Z_{2^ℓ}``;
  ℓ = 32 holds a 16-bit fixed-point table summed over ``V`` < 2^15 rows with a sign bit);
* the matrix ``Tᵀ`` (``D × V``) is cut into blocks of ``n_o`` outputs × ``n_i`` inputs with
  ``n_o·n_i <= N`` (:func:`cheetah_partition` picks the split with the fewest ciphertexts); the client encodes
  each input block as ``π(x) = Σ_j x_j X^j`` and encrypts it (symmetric key, seeded: half-size ciphertexts),
  ``⌈V / n_i⌉`` query ciphertexts;
* the server encodes each block as ``π(W) = Σ_r Σ_j W[r, j] X^(r·n_i + n_i - 1 - j)``, multiplies and sums
  over the input blocks: coefficient ``r·n_i + n_i - 1`` of the product is ``Σ_j W[r, j] x_j``; it adds a
  random polynomial (its additive share of the result, so no other coefficient reveals the table) and
  returns ``⌈D / n_o⌉`` response ciphertexts. (Cheetah can shrink responses further by extracting only the
  needed coefficients as LWE ciphertexts; that step is not implemented here, the responses are full
  RLWE ciphertexts.)

:func:`cheetah_lookup` runs it and measures the serialised bytes each way and the client/server time (the
server's table encoding is offline work, timed separately).
"""

from __future__ import annotations

import math
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from eda.errors import SpecError

__all__ = ["CheetahParams", "cheetah_partition", "cheetah_lookup"]


@dataclass(frozen=True)
class CheetahParams:
    """BFV parameters of the baseline: ``poly_degree`` N and plaintext modulus ``2^plain_bits``."""

    poly_degree: int = 4096
    plain_bits: int = 32


def cheetah_partition(inputs: int, outputs: int, poly_degree: int) -> tuple[int, int]:
    """``(n_i, n_o)`` with ``n_i·n_o <= N`` minimising ``⌈inputs/n_i⌉ + ⌈outputs/n_o⌉`` ciphertexts."""
    best: tuple[int, int, int] | None = None
    for n_o in range(1, min(outputs, poly_degree) + 1):
        n_i = min(inputs, poly_degree // n_o)
        total = math.ceil(inputs / n_i) + math.ceil(outputs / n_o)
        if best is None or total < best[0]:
            best = (total, n_i, n_o)
    assert best is not None
    return best[1], best[2]


def _plaintext(sa: Any, coeffs: np.ndarray, t: int) -> Any:
    """A SEAL plaintext polynomial from integer coefficients (reduced mod ``t``), via SEAL's hex form."""
    values = np.mod(coeffs.astype(object), t)
    terms = [f"{int(c):X}x^{i}" if i else f"{int(c):X}" for i, c in enumerate(values) if c]
    return sa.Plaintext(" + ".join(reversed(terms)) if terms else "0")


def _size(obj: Any, directory: str, name: str) -> tuple[int, str]:
    path = os.path.join(directory, name)
    obj.save(path)
    return os.path.getsize(path), path


def cheetah_lookup(table: np.ndarray, index: int, params: CheetahParams | None = None) -> dict[str, Any]:
    """One private lookup of row ``index`` of the signed integer ``table`` (V, D) as a Cheetah mat-vec.

    Returns the reconstructed row (client's decrypted coefficients plus the server's shares, mod ``t``,
    signed), ciphertext counts, serialised bytes each way, the partition and the seconds of the client, of
    the server's offline table encoding and of its online products.
    """
    import tenseal.sealapi as sa

    params = params or CheetahParams()
    table = np.asarray(table, dtype=np.int64)
    vocab, dim = table.shape
    n, t = params.poly_degree, 1 << params.plain_bits
    if np.abs(table).max(initial=0) * vocab >= t // 2:
        raise SpecError(
            f"a {params.plain_bits}-bit plaintext ring cannot hold this table's sums",
            hint="raise plain_bits or quantise the table",
        )
    n_i, n_o = cheetah_partition(vocab, dim, n)
    parms = sa.EncryptionParameters(sa.SCHEME_TYPE.BFV)
    parms.set_poly_modulus_degree(n)
    parms.set_coeff_modulus(sa.CoeffModulus.BFVDefault(n, sa.SEC_LEVEL_TYPE.TC128))
    parms.set_plain_modulus(sa.Modulus(t))
    context = sa.SEALContext(parms, True, sa.SEC_LEVEL_TYPE.TC128)
    keygen = sa.KeyGenerator(context)
    encryptor = sa.Encryptor(context, keygen.secret_key())
    decryptor = sa.Decryptor(context, keygen.secret_key())
    evaluator = sa.Evaluator(context)
    x = np.zeros(vocab, dtype=np.int64)
    x[index] = 1
    blocks_in, blocks_out = math.ceil(vocab / n_i), math.ceil(dim / n_o)
    rng = np.random.default_rng(int.from_bytes(secrets.token_bytes(8), "little"))
    rows, cols = np.arange(n_o)[:, None], np.arange(n_i)[None, :]
    start = time.perf_counter()  # server, offline: the encoded table blocks
    encoded = []
    for o in range(blocks_out):
        per_block = []
        for b in range(blocks_in):
            block = table[b * n_i : (b + 1) * n_i, o * n_o : (o + 1) * n_o].T  # (outputs r, inputs j)
            coeffs = np.zeros(n, dtype=np.int64)
            exponents = rows[: block.shape[0]] * n_i + n_i - 1 - cols[:, : block.shape[1]]
            coeffs[exponents.reshape(-1)] = block.reshape(-1)
            per_block.append(_plaintext(sa, coeffs, t))
        encoded.append(per_block)
    offline_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        query_bytes, query = 0, []
        for b in range(blocks_in):
            size, path = _size(
                encryptor.encrypt_symmetric(_plaintext(sa, x[b * n_i : (b + 1) * n_i], t)), tmp, f"q{b}"
            )
            query_bytes += size
            ct = sa.Ciphertext(context)
            ct.load(context, path)
            query.append(ct)
        client_s = time.perf_counter() - start
        start = time.perf_counter()
        responses, shares = [], []
        for o in range(blocks_out):
            acc = None
            for b in range(blocks_in):
                prod = sa.Ciphertext(context)
                evaluator.multiply_plain(query[b], encoded[o][b], prod)
                if acc is None:
                    acc = prod
                else:
                    evaluator.add_inplace(acc, prod)
            mask = rng.integers(0, t, size=n, dtype=np.int64)
            evaluator.add_plain_inplace(acc, _plaintext(sa, mask, t))
            shares.append(mask)
            responses.append(acc)
        online_s = time.perf_counter() - start
        start = time.perf_counter()
        row = np.zeros(dim, dtype=np.int64)
        response_bytes = 0
        for o, (acc, mask) in enumerate(zip(responses, shares, strict=True)):
            size, path = _size(acc, tmp, f"r{o}")
            response_bytes += size
            back = sa.Ciphertext(context)
            back.load(context, path)
            plain = sa.Plaintext()
            decryptor.decrypt(back, plain)
            width = min(n_o, dim - o * n_o)
            for r in range(width):
                position = r * n_i + n_i - 1
                value = (
                    (plain.data(position) if position < plain.coeff_count() else 0) - int(mask[position])
                ) % t
                row[o * n_o + r] = value - t if value >= t // 2 else value
        client_s += time.perf_counter() - start
    return {
        "row": row,
        "query_ciphertexts": blocks_in,
        "response_ciphertexts": blocks_out,
        "query_bytes": query_bytes,
        "response_bytes": response_bytes,
        "partition": (n_i, n_o),
        "client_s": client_s,
        "server_offline_s": offline_s,
        "server_online_s": online_s,
    }
