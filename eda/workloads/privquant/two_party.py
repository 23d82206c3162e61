"""A quantised linear layer computed by two parties in two processes: additive secret sharing over
``Z_{2^ℓ}`` and OT-based multiplication, with every byte on the wire counted.

This is the protocol family PrivQuant (ICCAD 2024) optimises (CrypTFlow2 / SiRNN style, semi-honest):

* **Sharing** — a value ``x`` is held as ``x = x_s + x_c (mod 2^ℓ)``, server share ``x_s``, client share
  ``x_c``. The client shares its input by sending ``x - x_c`` (``d1·d2·ℓ`` bits).
* **Product with the server's weights** — ``Y = X Wᵀ = X_s Wᵀ + X_c Wᵀ``; the server computes the first
  term alone. For the second, every bit ``b`` of every weight ``W_ij`` (``n``-bit two's complement) is the
  server's choice bit in one *correlated OT* whose correlation is the client's column ``±2^b·X_c[:, j]``
  (the ``d1`` input vectors batched into one message of ``d1·ℓ`` bits; ``-`` for the sign bit): the server
  receives ``r + w_b·Δ``, the client keeps ``-r``, and the sums over ``j`` and ``b`` are additive shares of
  ``X_c Wᵀ``. ``m = d2·d3·n`` OTs.
* **OT extension** (IKNP, Ishai-Kilian-Nissim-Petrank 2003, in the correlated form of Asharov et al. 2013):
  λ = 128 base OTs give the server ``m`` OTs for ``λ`` bits each (its ``u`` matrix) plus the client's
  ``d1·ℓ``-bit correction per OT. Base OTs: Chou-Orlandi "simplest OT" in the 2048-bit MODP group of
  RFC 3526 (group 14, 256-bit exponents); one group element from the client's side, one per base OT back.

Communication of the product, exactly what :func:`linear_comm_bits` states:
``d2·d3·n·(λ + d1·ℓ)`` bits, plus ``(λ + 1)`` group elements of base-OT set-up once per session
(:func:`base_ot_bytes`), with ``ℓ = a + n + ⌈log2 d2⌉`` (``a``-bit unsigned activations): the sum never
wraps, so the reconstructed result is the exact integer product.

:func:`run_two_party_linear` runs it: the caller's process is the server (weights), a spawned process
the client (input); a counting channel records the bytes each way per phase. Hashes and PRGs are SHAKE-128
(:mod:`hashlib`); randomness from :mod:`secrets`. A reproduction for measurement, not a hardened library
(no malicious security, no constant-time arithmetic).
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing as mp
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eda.errors import SpecError

__all__ = [
    "LAMBDA_BITS",
    "GROUP_BYTES",
    "ring_bits",
    "linear_comm_bits",
    "base_ot_bytes",
    "CountingChannel",
    "base_ot_send",
    "base_ot_receive",
    "cot_receive",
    "cot_send",
    "server_linear",
    "client_linear",
    "TwoPartyResult",
    "run_two_party_linear",
]

#: computational security parameter: base OTs and the receiver's bits per extended OT
LAMBDA_BITS = 128
#: RFC 3526 group 14: 2048-bit safe prime, generator 2
_P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF",
    16,
)
_G = 2
#: bytes of one group element on the wire
GROUP_BYTES = 256
_EXPONENT_BITS = 256
_KEY_BYTES = LAMBDA_BITS // 8


def ring_bits(activation_bits: int, weight_bits: int, reduction: int) -> int:
    """ℓ: bits of the sharing ring that hold ``reduction`` products of unsigned ``activation_bits`` inputs and
    signed ``weight_bits`` weights without wrapping: ``a + n + ⌈log2 d2⌉``."""
    return activation_bits + weight_bits + math.ceil(math.log2(max(reduction, 1)))


def linear_comm_bits(d1: int, d2: int, d3: int, activation_bits: int, weight_bits: int) -> int:
    """Bits on the wire of the OT-based product ``(d1 × d2)·(d2 × d3)`` (set-up excluded): ``d2·d3·n·(λ + d1·ℓ)``."""
    ell = ring_bits(activation_bits, weight_bits, d2)
    return d2 * d3 * weight_bits * (LAMBDA_BITS + d1 * ell)


def base_ot_bytes(count: int = LAMBDA_BITS) -> int:
    """Bytes of ``count`` Chou-Orlandi base OTs: one group element from their sender, one per OT back."""
    return (count + 1) * GROUP_BYTES


# ------------------------------------------------------------------------------------------ channel
@dataclass
class CountingChannel:
    """A duplex :mod:`multiprocessing` connection that counts the payload bytes and messages it sends."""

    conn: Any
    sent_bytes: int = 0
    messages: int = 0
    log: dict[str, int] = field(default_factory=dict)
    phase: str = "setup"

    def send(self, payload: bytes) -> None:
        self.conn.send_bytes(payload)
        self.sent_bytes += len(payload)
        self.messages += 1
        self.log[self.phase] = self.log.get(self.phase, 0) + len(payload)

    def recv(self) -> bytes:
        return self.conn.recv_bytes()


# --------------------------------------------------------------------------------- primitives
def _prg_bits(key: bytes, bits: int) -> np.ndarray:
    """``bits`` pseudo-random bits (uint8 0/1) expanded from ``key`` with SHAKE-128."""
    raw = np.frombuffer(hashlib.shake_128(b"prg" + key).digest(math.ceil(bits / 8)), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:bits]


def _hash_rows(rows: np.ndarray, count: int, ell: int) -> np.ndarray:
    """Correlation-robust hash ``H(j, row_j)`` of every 16-byte row to ``count`` elements of ``Z_{2^ℓ}``."""
    mask = np.uint64((1 << ell) - 1) if ell < 64 else np.uint64(0xFFFFFFFFFFFFFFFF)
    out = np.empty((len(rows), count), dtype=np.uint64)
    size = 8 * count
    for j, row in enumerate(rows):
        digest = hashlib.shake_128(j.to_bytes(8, "little") + row.tobytes()).digest(size)
        out[j] = np.frombuffer(digest, dtype=np.uint64)
    return out & mask


def _pack(values: np.ndarray, ell: int) -> bytes:
    """Elements of ``Z_{2^ℓ}`` as ℓ packed bit-planes: exactly ``ℓ·⌈N/8⌉`` bytes for ``N`` elements."""
    flat = np.ascontiguousarray(values, dtype=np.uint64).reshape(-1)
    return b"".join(
        np.packbits(((flat >> np.uint64(b)) & np.uint64(1)).astype(np.uint8), bitorder="little").tobytes()
        for b in range(ell)
    )


def _unpack(payload: bytes, count: int, ell: int) -> np.ndarray:
    """Inverse of :func:`_pack`: ``count`` elements (uint64)."""
    planes = np.frombuffer(payload, dtype=np.uint8).reshape(ell, -1)
    out = np.zeros(count, dtype=np.uint64)
    for b in range(ell):
        out |= np.unpackbits(planes[b], bitorder="little")[:count].astype(np.uint64) << np.uint64(b)
    return out


def _random_ring(shape: tuple[int, ...], ell: int) -> np.ndarray:
    """Uniform elements of ``Z_{2^ℓ}`` from the operating system's CSPRNG."""
    size = int(np.prod(shape))
    return np.frombuffer(secrets.token_bytes(8 * size), dtype=np.uint64).reshape(shape) & _mask(ell)


def _mask(ell: int) -> np.uint64:
    return np.uint64((1 << ell) - 1) if ell < 64 else np.uint64(0xFFFFFFFFFFFFFFFF)


def _key(index: int, element: int) -> bytes:
    return hashlib.shake_128(
        b"base" + index.to_bytes(4, "little") + element.to_bytes(GROUP_BYTES, "big")
    ).digest(_KEY_BYTES)


# ----------------------------------------------------------------------------------- base OT
def base_ot_send(chan: CountingChannel, count: int) -> list[tuple[bytes, bytes]]:
    """Chou-Orlandi random OT, sender side: ``count`` key pairs ``(k0, k1)`` (16 bytes each)."""
    a = secrets.randbits(_EXPONENT_BITS)
    big_a = pow(_G, a, _P)
    chan.send(big_a.to_bytes(GROUP_BYTES, "big"))
    payload = chan.recv()
    inv_a_to_a = pow(pow(big_a, -1, _P), a, _P)
    pairs = []
    for i in range(count):
        b_elem = int.from_bytes(payload[i * GROUP_BYTES : (i + 1) * GROUP_BYTES], "big")
        shared0 = pow(b_elem, a, _P)
        pairs.append((_key(i, shared0), _key(i, shared0 * inv_a_to_a % _P)))
    return pairs


def base_ot_receive(chan: CountingChannel, choices: np.ndarray) -> list[bytes]:
    """Chou-Orlandi random OT, receiver side: the key ``k_{c_i}`` of every pair."""
    big_a = int.from_bytes(chan.recv(), "big")
    out, elements = [], []
    for i, c in enumerate(choices.tolist()):
        b = secrets.randbits(_EXPONENT_BITS)
        elem = pow(_G, b, _P)
        elements.append((elem * big_a % _P if c else elem).to_bytes(GROUP_BYTES, "big"))
        out.append(_key(i, pow(big_a, b, _P)))
    chan.send(b"".join(elements))
    return out


# ------------------------------------------------------------------------ correlated OT (IKNP)
def cot_receive(chan: CountingChannel, choices: np.ndarray, count: int, ell: int) -> np.ndarray:
    """OT-extension receiver: for choice bits ``r`` (m,) returns ``x0_j + r_j·Δ_j`` (m, count) in ``Z_{2^ℓ}``."""
    m = len(choices)
    pairs = base_ot_send(chan, LAMBDA_BITS)
    r = np.asarray(choices, dtype=np.uint8)
    t = np.stack([_prg_bits(k0, m) for k0, _ in pairs])  # (λ, m)
    u = t ^ np.stack([_prg_bits(k1, m) for _, k1 in pairs]) ^ r[None, :]
    chan.send(np.packbits(u, axis=1, bitorder="little").tobytes())
    rows = np.packbits(t.T, axis=1, bitorder="little")  # (m, 16)
    correction = _unpack(chan.recv(), m * count, ell).reshape(m, count)
    out = _hash_rows(rows, count, ell) + r[:, None].astype(np.uint64) * correction
    return out & _mask(ell)


def cot_send(chan: CountingChannel, deltas: np.ndarray, ell: int) -> np.ndarray:
    """OT-extension sender with correlations ``Δ`` (m, count): returns its share ``-x0`` (m, count)."""
    m, count = deltas.shape
    s = np.frombuffer(secrets.token_bytes(LAMBDA_BITS // 8), dtype=np.uint8)
    s_bits = np.unpackbits(s, bitorder="little")
    keys = base_ot_receive(chan, s_bits)
    u = np.unpackbits(
        np.frombuffer(chan.recv(), dtype=np.uint8).reshape(LAMBDA_BITS, -1), axis=1, bitorder="little"
    )[:, :m]
    q = np.stack([_prg_bits(k, m) for k in keys]) ^ (s_bits[:, None] * u)  # (λ, m) = t ⊕ s·r
    rows = np.packbits(q.T, axis=1, bitorder="little")  # q_j
    x0 = _hash_rows(rows, count, ell)
    x1 = _hash_rows(rows ^ s[None, :], count, ell)
    chan.send(_pack((x0 + deltas.astype(np.uint64) - x1) & _mask(ell), ell))
    return (np.uint64(0) - x0) & _mask(ell)


# ------------------------------------------------------------------------------ linear layer
def _weight_bits(weight: np.ndarray, n: int) -> np.ndarray:
    """Two's-complement bits (d3, d2, n) of signed ``n``-bit integers."""
    w = np.asarray(weight, dtype=np.int64)
    lo, hi = -(1 << (n - 1)), (1 << (n - 1)) - 1
    if w.min(initial=0) < lo or w.max(initial=0) > hi:
        raise SpecError(f"weights outside the signed {n}-bit range [{lo}, {hi}]")
    unsigned = w & ((1 << n) - 1)
    return ((unsigned[..., None] >> np.arange(n)) & 1).astype(np.uint8)


def server_linear(
    chan: CountingChannel, weight: np.ndarray, weight_bits: int, x_share: np.ndarray, ell: int
) -> np.ndarray:
    """Server side of ``Y = X Wᵀ``: its weights (d3, d2), its share of ``X`` (d1, d2); returns its share of ``Y``."""
    d3, d2 = weight.shape
    d1 = x_share.shape[0]
    received = cot_receive(chan, _weight_bits(weight, weight_bits).reshape(-1), d1, ell)
    cross = received.reshape(d3, d2 * weight_bits, d1).sum(axis=1, dtype=np.uint64).T
    local = x_share.astype(np.uint64) @ (np.asarray(weight, dtype=np.int64).astype(np.uint64).T)
    return (local + cross) & _mask(ell)


def client_linear(
    chan: CountingChannel, x_share: np.ndarray, outputs: int, weight_bits: int, ell: int
) -> np.ndarray:
    """Client side of ``Y = X Wᵀ`` with its share of ``X`` (d1, d2); returns its share of ``Y`` (d1, d3)."""
    d1, d2 = x_share.shape
    scale = np.array([(1 << b) for b in range(weight_bits)], dtype=np.uint64)
    scale[-1] = np.uint64((1 << 64) - (1 << (weight_bits - 1)))  # the sign bit weighs -2^(n-1)
    per_input = (x_share.T.astype(np.uint64)[:, None, :] * scale[None, :, None]) & _mask(ell)  # (d2, n, d1)
    deltas = np.broadcast_to(per_input, (outputs, d2, weight_bits, d1)).reshape(-1, d1)
    mine = cot_send(chan, deltas, ell)
    return (mine.reshape(outputs, d2 * weight_bits, d1).sum(axis=1, dtype=np.uint64).T) & _mask(ell)


def _client_process(conn: Any, x: np.ndarray, outputs: int, weight_bits: int, ell: int) -> None:
    """The client's whole session: share the input, run the product, receive the server's output share."""
    chan = CountingChannel(conn)
    x_c = _random_ring(x.shape, ell)
    chan.phase = "input_sharing"
    chan.send(_pack((x.astype(np.uint64) - x_c) & _mask(ell), ell))
    chan.phase = "product"
    y_c = client_linear(chan, x_c, outputs, weight_bits, ell)
    y_s = _unpack(chan.recv(), y_c.size, ell).reshape(y_c.shape)
    conn.send({"y": (y_c + y_s) & _mask(ell), "log": chan.log, "messages": chan.messages})
    conn.close()


@dataclass
class TwoPartyResult:
    """Outcome of :func:`run_two_party_linear` (bytes are payload bytes on the wire)."""

    y: np.ndarray
    ring_bits: int
    bytes_by_phase: dict[str, int]
    messages: int
    seconds: float

    @property
    def product_bytes(self) -> int:
        """Bytes of the multiplication protocol (base OTs + OT extension), both directions."""
        return self.bytes_by_phase.get("product", 0)


def run_two_party_linear(
    x: np.ndarray, weight: np.ndarray, activation_bits: int, weight_bits: int, timeout_s: float = 600.0
) -> TwoPartyResult:
    """``Y = X Wᵀ`` on unsigned ``activation_bits`` inputs ``X`` (d1, d2) and signed ``weight_bits`` weights
    (d3, d2), the server (this process) and the client (a spawned process) talking over a pipe.

    Returns the reconstructed product (signed integers), the ring and the bytes of each phase: the input
    sharing (client → server), the product (both ways: base OTs, the ``u`` matrix, the corrections) and the
    final reveal of the server's share (server → client).
    """
    x = np.asarray(x, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.int64)
    if x.ndim != 2 or weight.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise SpecError(f"shapes {x.shape} and {weight.shape} do not form X·Wᵀ")
    if x.min(initial=0) < 0 or x.max(initial=0) >= 1 << activation_bits:
        raise SpecError(f"inputs outside the unsigned {activation_bits}-bit range")
    ell = ring_bits(activation_bits, weight_bits, x.shape[1])
    if ell > 64:
        raise SpecError(
            f"a {ell}-bit ring does not fit 64-bit words", hint="fewer bits or a shorter reduction"
        )
    ctx = mp.get_context("spawn")
    server_end, client_end = ctx.Pipe(duplex=True)
    start = time.perf_counter()
    client = ctx.Process(
        target=_client_process, args=(client_end, x, weight.shape[0], weight_bits, ell), daemon=True
    )
    client.start()
    client_end.close()
    chan = CountingChannel(server_end)
    try:
        x_s = _unpack(chan.recv(), x.size, ell).reshape(x.shape)
        chan.phase = "product"
        y_s = server_linear(chan, weight, weight_bits, x_s, ell)
        chan.phase = "reveal"
        chan.send(_pack(y_s, ell))
        if not server_end.poll(timeout_s):
            raise SpecError("the client process did not answer", hint="raise timeout_s")
        reply = server_end.recv()
    finally:
        client.join(timeout=10)
        if client.is_alive():
            client.terminate()
    seconds = time.perf_counter() - start
    log = dict(reply["log"])
    for phase, count in chan.log.items():
        log[phase] = log.get(phase, 0) + count
    y = reply["y"].astype(np.uint64)
    if ell < 64:  # two's complement in ℓ bits -> signed 64-bit
        y = (y ^ np.uint64(1 << (ell - 1))) - np.uint64(1 << (ell - 1))
    y = y.view(np.int64)
    return TwoPartyResult(
        y=y, ring_bits=ell, bytes_by_phase=log, messages=chan.messages + reply["messages"], seconds=seconds
    )
