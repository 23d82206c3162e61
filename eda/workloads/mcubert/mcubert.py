"""MCUBERT: clustered low-rank embeddings and memory-aware scheduling for BERT on microcontrollers.

(ICCAD 2024, arXiv 2410.17957; reconstructed from the paper's description.)

* **Clustered low-rank embedding** — vocabulary rows are split into clusters; cluster ``c`` keeps a
  truncated SVD ``E_c ≈ U_c · P_c`` (``V_c × r_c`` per-token codes times an ``r_c × D`` projection), so it
  stores ``r_c·(V_c + D)`` numbers instead of ``V_c·D``. Two-stage search under a parameter budget:
  stage 1 picks the clustering (k-means on the rows, ``K`` clusters) with the lowest reconstruction error
  at a uniform rank; stage 2 picks each cluster's rank by an exact integer program over the SVD spectra
  (error of rank ``r`` = Σ_{i>r} σ_i², :func:`eda.workloads.quant.choose_per_layer`).
* **MCU budget** — the int8 model must fit the microcontroller's flash next to the program
  (:data:`MCU_DEVICES`, datasheet figures): :func:`embedding_budget` is what is left for the word
  embedding once the rest of the model and a code reserve are placed; the search fills that budget, so
  the reduction reached follows from the device, not from a target.
* **Scheduling** — an encoder layer run with the query sequence tiled into ``T``-row tiles, one head at a
  time, and the output written in place over the input, so neither the ``heads × S × S`` scores nor the
  ``S × FFN`` intermediate ever exist: :func:`tiled_encoder_layer` (numerically equal to
  :func:`encoder_layer`), with a buffer accountant whose measured peak equals :func:`peak_memory`;
  :func:`plan_schedule` picks the largest tile under an SRAM budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eda.errors import SpecError
from eda.workloads.quant import choose_per_layer
from eda.workloads.workload import LayerRecord, Workload
from eda.workloads.zoo import bert_param_count, bert_workload

__all__ = [
    "BERT_SHAPES",
    "proxy_table",
    "MCU",
    "MCU_DEVICES",
    "embedding_budget",
    "ClusteredEmbedding",
    "cluster_rows",
    "frequency_bands",
    "compress_embedding",
    "two_stage_search",
    "mcubert_param_count",
    "BufferAccountant",
    "encoder_layer",
    "tiled_encoder_layer",
    "peak_memory",
    "plan_schedule",
    "max_sequence_length",
    "mcubert_workload",
]


@dataclass(frozen=True)
class MCU:
    """A microcontroller board: program flash and SRAM (bytes), from its datasheet."""

    name: str
    flash_bytes: int
    sram_bytes: int


#: boards of the STM32 family MCUBERT-class work targets (ST datasheets); ``stm32f746g-disco`` adds the
#: board's 16 MiB quad-SPI flash (memory-mapped) to the chip's 1 MiB
MCU_DEVICES: dict[str, MCU] = {
    "stm32f746": MCU("STM32F746 (NUCLEO-F746ZG): 1 MiB flash, 320 KiB SRAM", 1 << 20, 320 << 10),
    "stm32f767": MCU("STM32F767 (NUCLEO-F767ZI): 2 MiB flash, 512 KiB SRAM", 2 << 20, 512 << 10),
    "stm32h743": MCU("STM32H743 (NUCLEO-H743ZI): 2 MiB flash, 1 MiB SRAM", 2 << 20, 1 << 20),
    "stm32f746g-disco": MCU(
        "STM32F746G-DISCO: 1 MiB flash + 16 MiB QSPI flash, 320 KiB SRAM", 17 << 20, 320 << 10
    ),
}


def embedding_budget(
    layers: int,
    hidden: int,
    ffn: int,
    device: MCU,
    reserve_bytes: int = 64 << 10,
    bytes_per_param: int = 1,
    vocab: int = 30522,
) -> int:
    """Parameters the word embedding may keep so the whole model fits ``device``'s flash.

    Flash minus ``reserve_bytes`` of program (inference runtime and application) holds the model at
    ``bytes_per_param`` (int8: 1); everything but the word table (position/type embeddings, encoder,
    pooler) is kept as is. :class:`SpecError` when even that does not fit.
    """
    rest = bert_param_count(layers, hidden, ffn, vocab) - vocab * hidden
    available = (device.flash_bytes - reserve_bytes) // bytes_per_param - rest
    if available <= 0:
        raise SpecError(
            f"the model without its word embedding ({rest * bytes_per_param / 2**20:.2f} MiB) does not fit "
            f"{device.name} with {reserve_bytes >> 10} KiB of program",
            hint="a device with more flash, fewer bytes per parameter, or a smaller encoder",
        )
    return int(available)


@dataclass
class ClusteredEmbedding:
    """Per-cluster truncated SVD of an embedding table.

    Attributes:
        assignment: cluster id of every vocabulary row, shape (V,).
        ranks: rank kept per cluster.
        codes: per cluster, the ``V_c × r_c`` token codes (U·Σ).
        projections: per cluster, the ``r_c × D`` projection.
        dim: embedding width D.
    """

    assignment: np.ndarray
    ranks: list[int]
    codes: list[np.ndarray]
    projections: list[np.ndarray]
    dim: int

    @property
    def parameters(self) -> int:
        """Stored numbers: Σ r_c (V_c + D)."""
        return int(sum(c.size + p.size for c, p in zip(self.codes, self.projections, strict=True)))

    def reconstruct(self) -> np.ndarray:
        """The approximated table (V, D)."""
        out = np.zeros((len(self.assignment), self.dim), dtype=np.float32)
        for c, (code, proj) in enumerate(zip(self.codes, self.projections, strict=True)):
            out[self.assignment == c] = code @ proj
        return out


def cluster_rows(table: np.ndarray, clusters: int, seed: int = 0) -> np.ndarray:
    """k-means cluster id of each row (``clusters`` = 1 puts every row in one cluster)."""
    if clusters <= 1:
        return np.zeros(len(table), dtype=np.int64)
    from sklearn.cluster import MiniBatchKMeans

    km = MiniBatchKMeans(n_clusters=clusters, random_state=seed, batch_size=4096, n_init=1, max_iter=20)
    return km.fit_predict(table).astype(np.int64)


def _spectra(
    table: np.ndarray, assignment: np.ndarray, weights: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per cluster (rows, singular values, right singular vectors) of ``diag(√weights)·rows``.

    Computed from the D × D Gram matrix (fast for V ≫ D). With row weights the best rank-r subspace is the
    top eigenvectors of ``rowsᵀ·diag(w)·rows`` and every row is still best approximated by its projection.
    """
    out = []
    for c in range(int(assignment.max()) + 1):
        mask = assignment == c
        rows = table[mask].astype(np.float64)
        w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=np.float64)[mask]
        eigval, eigvec = np.linalg.eigh(rows.T @ (rows * w[:, None]))
        order = np.argsort(eigval)[::-1][: min(rows.shape)]
        out.append((rows, np.sqrt(np.clip(eigval[order], 0.0, None)), eigvec[:, order].T))
    return out


def compress_embedding(
    table: np.ndarray, assignment: np.ndarray, ranks: list[int], row_weights: np.ndarray | None = None
) -> ClusteredEmbedding:
    """Truncated (row-weighted) SVD per cluster with the given ranks."""
    codes, projections = [], []
    for (rows, s, vt), r in zip(_spectra(table, assignment, row_weights), ranks, strict=True):
        r = min(r, len(s))
        codes.append((rows @ vt[:r].T).astype(np.float32))
        projections.append(vt[:r].astype(np.float32))
    return ClusteredEmbedding(assignment, [c.shape[1] for c in codes], codes, projections, table.shape[1])


def _rank_tables(
    spectra: list[tuple[np.ndarray, np.ndarray, np.ndarray]], dim: int, step: int
) -> tuple[list[list[int]], list[list[float]], list[list[float]]]:
    ranks, errors, costs = [], [], []
    for u, s, _ in spectra:
        energy = np.concatenate([[0.0], np.cumsum(s**2)])
        options = sorted({0, *range(step, len(s) + 1, step), len(s)})
        ranks.append(options)
        errors.append([float(energy[-1] - energy[r]) for r in options])
        costs.append([float(r * (u.shape[0] + dim)) for r in options])
    return ranks, errors, costs


def frequency_bands(weights: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    """Cluster ids by frequency rank: the ``edges[0]`` most frequent rows, the next up to ``edges[1]``, ..."""
    order = np.argsort(-np.asarray(weights), kind="stable")
    assignment = np.full(len(weights), len(edges), dtype=np.int64)
    start = 0
    for c, stop in enumerate(edges):
        assignment[order[start:stop]] = c
        start = stop
    return assignment


def two_stage_search(
    table: np.ndarray,
    budget_params: int,
    cluster_options: tuple[int, ...] = (1, 4),
    rank_step: int = 4,
    seed: int = 0,
    row_weights: np.ndarray | None = None,
    band_options: tuple[tuple[int, ...], ...] = (),
) -> tuple[ClusteredEmbedding, list[dict[str, Any]]]:
    """Stage 1: the token clustering; stage 2: exact per-cluster ranks under ``budget_params``.

    Candidates are k-means clusterings (``cluster_options``) and, with ``row_weights`` (token
    frequencies), frequency bands (``band_options``, see :func:`frequency_bands`). For every candidate the
    stage-2 integer program gives the least (frequency-weighted) squared error reachable within the
    budget; the best candidate wins. Returns the compressed table and one log entry per candidate.
    """
    weights = None if row_weights is None else np.asarray(row_weights, dtype=np.float64)
    total = float(((table.astype(np.float64) ** 2) * (1.0 if weights is None else weights[:, None])).sum())
    dim = table.shape[1]
    candidates = [(f"kmeans-{k}", cluster_rows(table, k, seed)) for k in cluster_options]
    if weights is not None:
        candidates += [
            (f"bands-{'-'.join(map(str, edges))}", frequency_bands(weights, edges)) for edges in band_options
        ]
    log: list[dict[str, Any]] = []
    best: tuple[float, np.ndarray, list[int]] | None = None
    for label, assignment in candidates:
        ranks, errors, costs = _rank_tables(_spectra(table, assignment, weights), dim, rank_step)
        choice = choose_per_layer(errors, costs, float(budget_params))
        err = sum(errors[i][c] for i, c in enumerate(choice))
        chosen = [ranks[i][c] for i, c in enumerate(choice)]
        log.append(
            {
                "candidate": label,
                "clusters": int(assignment.max()) + 1,
                "ranks": chosen,
                "relative_error": math.sqrt(err / total),
            }
        )
        if best is None or err < best[0]:
            best = (err, assignment, chosen)
    assert best is not None
    return compress_embedding(table, best[1], best[2], weights), log


def mcubert_param_count(layers: int, hidden: int, ffn: int, embedding_params: int) -> int:
    """BERT parameters with the word-embedding table replaced by ``embedding_params`` numbers."""
    return bert_param_count(layers, hidden, ffn) - 30522 * hidden + embedding_params


# ----------------------------------------------------------------------------------- scheduling
@dataclass
class BufferAccountant:
    """Tracks live activation buffers (elements) and the peak."""

    live: dict[str, int] = field(default_factory=dict)
    peak: int = 0

    def alloc(self, name: str, numel: int) -> None:
        self.live[name] = int(numel)
        self.peak = max(self.peak, sum(self.live.values()))

    def free(self, *names: str) -> None:
        for name in names:
            self.live.pop(name, None)


def _add_norm(residual: Any, h: Any, p: dict[str, Any], prefix: str, eps: float) -> Any:
    """BERT's output sublayer ``prefix`` (``attention.output`` or ``output``): layer norm of ``residual``
    plus the dense projection of ``h``."""
    import torch

    x = residual + h @ p[f"{prefix}.dense.weight"].T + p[f"{prefix}.dense.bias"]
    return torch.nn.functional.layer_norm(
        x, x.shape[-1:], p[f"{prefix}.LayerNorm.weight"], p[f"{prefix}.LayerNorm.bias"], eps
    )


def encoder_layer(
    x: Any, p: dict[str, Any], heads: int, eps: float = 1e-12, acct: BufferAccountant | None = None
) -> Any:
    """Reference BERT encoder layer on one sequence ``x`` (S, h); ``p`` uses Hugging Face names without prefix."""
    import torch

    acct = acct or BufferAccountant()
    s, h = x.shape
    d = h // heads
    acct.alloc("x", s * h)
    q, k, v = (
        x @ p[f"attention.self.{n}.weight"].T + p[f"attention.self.{n}.bias"]
        for n in ("query", "key", "value")
    )
    acct.alloc("qkv", 3 * s * h)
    scores = torch.softmax(
        (q.view(s, heads, d).transpose(0, 1) @ k.view(s, heads, d).permute(1, 2, 0)) / d**0.5, -1
    )
    acct.alloc("scores", heads * s * s)
    ctx = (scores @ v.view(s, heads, d).transpose(0, 1)).transpose(0, 1).reshape(s, h)
    acct.alloc("ctx", s * h)
    acct.free("scores", "qkv")
    a = _add_norm(x, ctx, p, "attention.output", eps)
    acct.alloc("a", s * h)
    acct.free("ctx", "x")
    inter = torch.nn.functional.gelu(a @ p["intermediate.dense.weight"].T + p["intermediate.dense.bias"])
    acct.alloc("inter", inter.numel())
    out = _add_norm(a, inter, p, "output", eps)
    acct.alloc("out", s * h)
    acct.free("inter", "a")
    return out


def tiled_encoder_layer(
    x: Any, p: dict[str, Any], heads: int, tile: int, eps: float = 1e-12, acct: BufferAccountant | None = None
) -> Any:
    """The same layer with queries tiled by ``tile`` rows, one head at a time, output written over ``x``."""
    import torch

    acct = acct or BufferAccountant()
    s, h = x.shape
    d = h // heads
    x = x.clone()
    acct.alloc("x", s * h)
    k = x @ p["attention.self.key.weight"].T + p["attention.self.key.bias"]
    v = x @ p["attention.self.value.weight"].T + p["attention.self.value.bias"]
    acct.alloc("kv", 2 * s * h)
    for start in range(0, s, tile):
        rows = slice(start, min(start + tile, s))
        t = rows.stop - rows.start
        q = x[rows] @ p["attention.self.query.weight"].T + p["attention.self.query.bias"]
        acct.alloc("q", t * h)
        ctx = torch.empty(t, h, dtype=x.dtype)
        acct.alloc("ctx", t * h)
        for head in range(heads):
            cols = slice(head * d, (head + 1) * d)
            score = torch.softmax(q[:, cols] @ k[:, cols].T / d**0.5, -1)
            acct.alloc("score", t * s)
            ctx[:, cols] = score @ v[:, cols]
            acct.free("score")
        acct.free("q")
        a = _add_norm(x[rows], ctx, p, "attention.output", eps)
        acct.alloc("a", t * h)
        acct.free("ctx")
        inter = torch.nn.functional.gelu(a @ p["intermediate.dense.weight"].T + p["intermediate.dense.bias"])
        acct.alloc("inter", inter.numel())
        x[rows] = _add_norm(a, inter, p, "output", eps)
        acct.free("inter", "a")
    acct.free("kv")
    return x


def peak_memory(seq_len: int, hidden: int, ffn: int, heads: int, tile: int | None = None) -> int:
    """Peak live activation elements of one encoder layer (exactly what :class:`BufferAccountant` measures).

    Untiled: ``max(5·S·h + heads·S², 2·S·h + S·ffn)`` — input, Q/K/V, all scores and the context; or the
    block output, the FFN intermediate and the layer output. Tiled (``T = min(tile, S)``):
    ``3·S·h + max(2·T·h + T·S, T·h + T·ffn)`` — input/output (in place), K and V, plus one tile's query,
    context and one head's scores, or one tile's block output and FFN intermediate. Multiply by the bytes
    per element (1 for int8 activations) for bytes.
    """
    s, h = seq_len, hidden
    if tile is None:
        return max(5 * s * h + heads * s * s, 2 * s * h + s * ffn)
    t = min(tile, s)
    return 3 * s * h + max(2 * t * h + t * s, t * h + t * ffn)


def plan_schedule(
    seq_len: int,
    hidden: int,
    ffn: int,
    heads: int,
    budget_bytes: int,
    bytes_per_element: int = 1,
    tiles: tuple[int, ...] = (512, 256, 128, 64, 32, 16, 8, 4, 2, 1),
) -> dict[str, Any]:
    """The largest query tile whose peak fits ``budget_bytes`` (fewest weight re-reads), or untiled if it fits.

    Returns ``{"tile": T or None, "peak_bytes", "fits", "weight_passes"}`` where ``weight_passes`` = number of
    tiles (each re-streams the layer's Q/O/FFN weights from flash).
    """
    untiled = peak_memory(seq_len, hidden, ffn, heads) * bytes_per_element
    if untiled <= budget_bytes:
        return {"tile": None, "peak_bytes": untiled, "fits": True, "weight_passes": 1}
    for t in tiles:
        if t > seq_len:
            continue
        peak = peak_memory(seq_len, hidden, ffn, heads, t) * bytes_per_element
        if peak <= budget_bytes:
            return {"tile": t, "peak_bytes": peak, "fits": True, "weight_passes": math.ceil(seq_len / t)}
    smallest = peak_memory(seq_len, hidden, ffn, heads, 1) * bytes_per_element
    return {"tile": 1, "peak_bytes": smallest, "fits": False, "weight_passes": seq_len}


def max_sequence_length(
    hidden: int,
    ffn: int,
    heads: int,
    budget_bytes: int,
    tiled: bool,
    bytes_per_element: int = 1,
    step: int = 16,
) -> int:
    """Longest sequence (multiple of ``step``) whose peak fits the budget, with or without tiling."""
    best = 0
    s = step
    while s <= 8192:
        peak = (
            min(peak_memory(s, hidden, ffn, heads, t) for t in (1, 2, 4, 8, 16, 32))
            if tiled
            else peak_memory(s, hidden, ffn, heads)
        )
        if peak * bytes_per_element > budget_bytes:
            break
        best, s = s, s + step
    return best


def mcubert_workload(
    name: str,
    layers: int,
    hidden: int,
    ffn: int,
    heads: int,
    emb: ClusteredEmbedding,
    seq_len: int = 128,
    token_counts: np.ndarray | None = None,
) -> Workload:
    """A BERT workload whose word embedding is the clustered low-rank one: per cluster a gather of
    ``r_c``-wide codes and an ``r_c × D`` projection, lookups split by ``token_counts`` (uniform if None)."""
    if hidden != emb.dim:
        raise SpecError(f"embedding width {emb.dim} differs from hidden {hidden}")
    base = bert_workload(name, layers, hidden, ffn, heads, seq_len)
    sizes = np.bincount(emb.assignment, minlength=len(emb.ranks)).astype(float)
    share = (
        sizes
        if token_counts is None
        else np.bincount(emb.assignment, weights=token_counts, minlength=len(emb.ranks)) + 1e-9
    )
    lookups = np.floor(share / share.sum() * seq_len).astype(int)
    for i in np.argsort(-(share / share.sum() * seq_len - lookups))[: seq_len - lookups.sum()]:
        lookups[i] += 1
    records: list[LayerRecord] = []
    for c, r in enumerate(emb.ranks):
        if r == 0 or sizes[c] == 0:
            continue
        records.append(LayerRecord.embedding(f"embed.c{c}.codes", int(sizes[c]), r, max(1, int(lookups[c]))))
        records.append(LayerRecord.gemm(f"embed.c{c}.proj", max(1, int(lookups[c])), r, hidden))
    meta = dict(base.meta)
    meta.update(
        {
            "method": "mcubert",
            "embedding_parameters": emb.parameters,
            "parameters": mcubert_param_count(layers, hidden, ffn, emb.parameters),
        }
    )
    return Workload(name, records + base.layers[1:], meta=meta)


#: (layers, hidden, FFN, heads) of the BERT sizes MCUBERT reports on
BERT_SHAPES: dict[str, tuple[int, int, int, int]] = {
    "bert-tiny": (2, 128, 512, 2),
    "bert-mini": (4, 256, 1024, 4),
}


def proxy_table(table: np.ndarray, width: int) -> np.ndarray:
    """A ``width``-dimensional word-embedding table from a wider real one: its top principal components.

    BERT-tiny/mini weights are not available offline; projecting the real MiniLM table (same 30522-token
    WordPiece vocabulary) onto its leading ``width`` components keeps the real token statistics at the
    smaller model's width, which is what the clustered low-rank compression acts on.
    """
    centred = table - table.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return (table @ vt[:width].T).astype(np.float32)
