"""FastQuery's lookup with its outputs packed densely into one response, on SEAL (``tenseal.sealapi``).

:func:`eda.workloads.fastquery.fastquery.run_query` returns one ciphertext per group of ``p`` channels, each useful in
a single slot (the queried row's). The product of a one-hot query and a table block is zero everywhere but
that slot, so the server can fold the groups into one ciphertext without collisions: Horner-style,
``acc <- rotate(acc, 1) + r_g`` for ``g = G-1 .. 0`` puts group ``g`` in slot ``s - g`` (``G - 1`` row
rotations by one step, one Galois key). This is the one-hot-aware dense packing of FastQuery in a batched
(slot) encoding:

* client: the one-hot index over ``V`` in ``⌈V/N⌉`` batched BFV ciphertexts, encrypted with the secret key
  and a seed (half-size ciphertexts, as the Cheetah baseline's queries are), plus one Galois key sent once
  per session;
* server, offline: the table quantised per channel, ``p = ⌊(log2 t - 1)/b⌋`` signed ``b``-bit lanes per
  slot, one plaintext per channel group and vocabulary block; online: plaintext products summed over the
  blocks, groups folded by rotations, a random mask added (the server's additive share), the result
  switched down ``drop_levels`` moduli (fewer bytes; the noise budget left is checked on decryption);
* client: decrypts one ciphertext, reads slots ``s, s-1, ..., s-G+1`` of its row, removes the mask share
  and unpacks the lanes.

:func:`run_dense_query` measures the serialised bytes each way, the Galois key, and client/server time
(offline table encoding separate from the online part).
"""

from __future__ import annotations

import math
import os
import secrets
import tempfile
import time
from typing import Any

import numpy as np

from eda.errors import SpecError
from eda.workloads.fastquery.fastquery import lane_groups
from eda.workloads.hequant.hequant import BFVParams, batching_prime, packing_factor, signed_lanes

__all__ = ["run_dense_query"]


def _save(obj: Any, directory: str, name: str) -> tuple[int, str]:
    path = os.path.join(directory, name)
    obj.save(path)
    return os.path.getsize(path), path


def _groups(bits: np.ndarray, plain_bits: int) -> list[tuple[int, np.ndarray]]:
    """(lane width, channel indices) of every response group: ``p`` channels of equal width per slot."""
    out = []
    for width, _ in lane_groups(bits, plain_bits):
        channels = np.flatnonzero(np.asarray(bits) == width)
        p = packing_factor(width, plain_bits)
        out += [(width, channels[i : i + p]) for i in range(0, len(channels), p)]
    return out


def run_dense_query(
    q_table: np.ndarray, bits: np.ndarray, index: int, params: BFVParams | None = None, drop_levels: int = 2
) -> dict[str, Any]:
    """One private lookup of row ``index`` of the per-channel quantised integer table, response folded into
    one ciphertext. Returns the row (must equal ``q_table[index]``), ciphertext counts, bytes (query,
    response, Galois key), seconds (client, server offline, server online) and the noise budget left."""
    import tenseal.sealapi as sa

    params = params or BFVParams()
    q_table = np.asarray(q_table, dtype=np.int64)
    vocab, dim = q_table.shape
    n = params.poly_degree
    t = batching_prime(params.plain_bits, n)
    groups = _groups(bits, params.plain_bits)
    if len(groups) > n // 2:
        raise SpecError(f"{len(groups)} channel groups do not fit one row of {n // 2} slots")
    parms = sa.EncryptionParameters(sa.SCHEME_TYPE.BFV)
    parms.set_poly_modulus_degree(n)
    parms.set_coeff_modulus(sa.CoeffModulus.Create(n, [*params.data_prime_bits, params.special_prime_bits]))
    parms.set_plain_modulus(sa.Modulus(t))
    context = sa.SEALContext(parms, True, sa.SEC_LEVEL_TYPE.TC128)
    keygen = sa.KeyGenerator(context)
    encoder = sa.BatchEncoder(context)
    encryptor = sa.Encryptor(context, keygen.secret_key())
    decryptor = sa.Decryptor(context, keygen.secret_key())
    evaluator = sa.Evaluator(context)
    blocks = math.ceil(vocab / n)
    row_len = n // 2

    def plaintext(values: np.ndarray) -> Any:
        pt = sa.Plaintext()
        encoder.encode([int(v) for v in np.mod(values.astype(object), t)], pt)
        return pt

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()  # server, offline: the packed table
        packed = []
        for width, channels in groups:
            per_block = []
            for blk in range(blocks):
                rows = q_table[blk * n : (blk + 1) * n, channels].astype(object)
                slots = np.zeros(n, dtype=object)
                slots[: len(rows)] = sum(rows[:, j] * (2 ** (width * j)) for j in range(len(channels)))
                per_block.append(plaintext(slots))
            packed.append(per_block)
        offline_s = time.perf_counter() - start

        start = time.perf_counter()  # client: query and Galois key
        key_bytes, key_path = _save(keygen.create_galois_keys([3]), tmp, "galois")
        query, query_bytes = [], 0
        for blk in range(blocks):
            onehot = np.zeros(n, dtype=np.int64)
            if blk * n <= index < (blk + 1) * n:
                onehot[index - blk * n] = 1
            size, path = _save(encryptor.encrypt_symmetric(plaintext(onehot)), tmp, f"q{blk}")
            query_bytes += size
            ct = sa.Ciphertext(context)
            ct.load(context, path)
            query.append(ct)
        client_s = time.perf_counter() - start

        start = time.perf_counter()  # server, online
        galois = sa.GaloisKeys()
        galois.load(context, key_path)
        acc = None
        for per_block in reversed(packed):
            result = None
            for ct, pt in zip(query, per_block, strict=True):
                prod = sa.Ciphertext(context)
                evaluator.multiply_plain(ct, pt, prod)
                if result is None:
                    result = prod
                else:
                    evaluator.add_inplace(result, prod)
            if acc is not None:
                evaluator.rotate_rows_inplace(acc, 1, galois)
                evaluator.add_inplace(result, acc)
            acc = result
        assert acc is not None
        mask = np.array([secrets.randbelow(t) for _ in range(n)], dtype=object)
        evaluator.add_plain_inplace(acc, plaintext(mask))
        for _ in range(drop_levels):
            evaluator.mod_switch_to_next_inplace(acc)
        response_bytes, path = _save(acc, tmp, "response")
        online_s = time.perf_counter() - start

        start = time.perf_counter()  # client: decrypt and unpack
        back = sa.Ciphertext(context)
        back.load(context, path)
        budget = decryptor.invariant_noise_budget(back)
        plain = sa.Plaintext()
        decryptor.decrypt(back, plain)
        slots = encoder.decode_uint64(plain)
        local = index % n
        base = (local // row_len) * row_len
        row = np.zeros(dim, dtype=np.int64)
        for g, (width, channels) in enumerate(groups):
            slot = base + (local - base - g) % row_len
            value = (int(slots[slot]) - int(mask[slot])) % t  # the client's share plus the server's
            value = value - t if value > t // 2 else value
            row[channels] = signed_lanes(value, width, len(channels))
        client_s += time.perf_counter() - start
    if budget <= 0:
        raise SpecError(
            f"the response ran out of noise budget after dropping {drop_levels} moduli",
            hint="drop fewer levels",
        )
    return {
        "row": row,
        "query_ciphertexts": blocks,
        "response_ciphertexts": 1,
        "query_bytes": query_bytes,
        "response_bytes": response_bytes,
        "galois_key_bytes": key_bytes,
        "groups": len(groups),
        "rotations": len(groups) - 1,
        "noise_budget_bits": budget,
        "client_s": client_s,
        "server_offline_s": offline_s,
        "server_online_s": online_s,
    }
