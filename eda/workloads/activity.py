"""Per-layer input activity of a real network on real input, measured from its activations.

An ACIM macro applies a layer's inputs bit-serially: each input is quantised to ``activation_bits`` and
one bit-plane is applied per cycle. What the supply sees depends on those bits:

* **input bit density** — the fraction of applied input bits that are 1 (a read word line is asserted and
  a compute capacitor may charge only where the bit is 1);
* **toggle rate** — the fraction of input bits that differ between consecutive bit-planes of the same
  input (what a driver that holds its level between cycles would switch).

:func:`bit_activity` measures both on a tensor (unsigned inputs: magnitude planes; signed inputs: two's
complement planes, the sign plane included), with the quantisation scale taken from the tensor itself
(per-tensor max, as a calibrated quantiser would). :func:`minilm_activity` runs the real
all-MiniLM-L6-v2 encoder (optionally with a compressed word table) on sentences and measures the input of
every linear layer and the queries of every attention, counting real tokens only (padding excluded);
:func:`apply_activity` writes the measurements into a :class:`~eda.workloads.workload.Workload`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eda.errors import SpecError

__all__ = ["bit_activity", "minilm_activity", "compressed_table", "apply_activity"]


def bit_activity(x: np.ndarray, bits: int, signed: bool | None = None) -> tuple[float, float]:
    """(input bit density, toggle rate between consecutive bit-planes) of ``x`` quantised to ``bits``.

    ``signed=None`` decides from the data (any negative value: two's complement over ``bits`` planes;
    otherwise unsigned). The scale maps the largest magnitude to the largest code.
    """
    values = np.asarray(x, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise SpecError("no values to measure activity on")
    if bits < 1:
        raise SpecError(f"activation bits must be >= 1, got {bits}")
    signed = bool((values < 0).any()) if signed is None else signed
    peak = float(np.abs(values).max()) or 1.0
    if signed:
        top = 2 ** (bits - 1) - 1
        codes = np.clip(np.round(values / peak * top), -top - 1, top).astype(np.int64) & ((1 << bits) - 1)
    else:
        top = 2**bits - 1
        codes = np.clip(np.round(values / peak * top), 0, top).astype(np.int64)
    planes = np.stack([(codes >> b) & 1 for b in range(bits)])
    density = float(planes.mean())
    toggle = float(np.abs(np.diff(planes, axis=0)).mean()) if bits > 1 else density
    return density, toggle


def compressed_table(path: Any) -> np.ndarray:
    """The word table of an MCUBERT ``embedding.npz`` (codes @ projection per cluster), float32 (V, D)."""
    data = np.load(path)
    assignment = data["assignment"]
    ranks = data["ranks"]
    dim = data["projection0"].shape[1]
    table = np.zeros((len(assignment), dim), dtype=np.float32)
    for c in range(len(ranks)):
        rows = assignment == c
        if ranks[c] and rows.any():
            table[rows] = data[f"codes{c}"] @ data[f"projection{c}"]
    return table


def minilm_activity(
    sentences: list[str] | tuple[str, ...],
    activation_bits: int = 8,
    word_table: np.ndarray | None = None,
    embedding_file: Any = None,
    max_length: int = 128,
) -> dict[str, dict[str, Any]]:
    """Measured activity of every MiniLM layer on ``sentences``: ``{layer: {input_density, toggle_rate,
    signed, tokens, peak}}`` with the workload's layer names (``layer{i}.q/k/v/o/ffn1/ffn2``,
    ``layer{i}.attn``) and, with an MCUBERT ``embedding_file``, its ``embed.c{c}.proj`` layers (input: the
    codes of the tokens in cluster ``c``).
    """
    import torch

    from eda.workloads.minilm import batch_ids, encode, torch_weights

    if not sentences:
        raise SpecError("activity needs at least one sentence of input text")
    w = torch_weights()
    if embedding_file is not None:
        word_table = compressed_table(embedding_file)
    table = w["embeddings.word_embeddings.weight"] if word_table is None else torch.as_tensor(word_table)
    ids, mask = batch_ids(list(sentences), max_length)
    real = mask.bool().numpy()
    captured: dict[str, list[np.ndarray]] = {}

    def record(name: str, x: Any) -> None:
        captured.setdefault(name, []).append(x.detach().numpy()[real])

    with torch.no_grad():
        encode(table[ids], mask, w, record=record)
    if embedding_file is not None:
        data = np.load(embedding_file)
        tokens = ids.numpy()[real]
        local = np.zeros(len(data["assignment"]), dtype=np.int64)
        for c in range(len(data["ranks"])):
            rows = np.flatnonzero(data["assignment"] == c)
            local[rows] = np.arange(len(rows))
        for c in range(len(data["ranks"])):
            mine = tokens[data["assignment"][tokens] == c]
            if len(mine) and data["ranks"][c]:
                captured[f"embed.c{c}.proj"] = [data[f"codes{c}"][local[mine]]]
    out = {}
    for name, parts in captured.items():
        values = np.concatenate(parts)
        density, toggle = bit_activity(values, activation_bits)
        out[name] = {
            "input_density": density,
            "toggle_rate": toggle,
            "signed": bool((values < 0).any()),
            "tokens": int(values.shape[0]),
            "peak": float(np.abs(values).max()),
        }
    return out


def apply_activity(workload: Any, activity: dict[str, dict[str, Any]]) -> list[str]:
    """Write measured ``input_density``/``toggle_rate`` into the workload's layers of the same name.

    One-hot gathers (embedding lookups) need no measurement: their input selects one of ``vocab`` rows, a
    density of ``1/vocab`` in a single plane (no toggles). Returns the names of the other layers left without
    a measurement. :class:`SpecError` when no layer matches.
    """
    missing = []
    for layer in workload.layers:
        item = activity.get(layer.name)
        if item is None and layer.structure == "one_hot":
            layer.input_density, layer.toggle_rate = 1.0 / max(1, layer.shape.get("vocab", 1)), 0.0
            continue
        if item is None:
            missing.append(layer.name)
            continue
        layer.input_density = round(float(item["input_density"]), 6)
        layer.toggle_rate = round(float(item["toggle_rate"]), 6)
    if len(missing) == len(workload.layers):
        raise SpecError(
            f"no layer of workload '{workload.name}' was measured",
            hint=f"measured layers: {sorted(activity)[:6]} ...",
        )
    return missing
