"""The workload representation: a network as layer records plus a time trace of what is active when.

A :class:`Workload` is what every co-design method (MCUBERT, PrivQuant, HEQuant, FastQuery, ...) hands to
the hardware side. Each :class:`LayerRecord` states one operation of one inference:

* ``op`` — ``gemm`` (``m`` input vectors of length ``k`` times a ``k × n`` weight matrix),
  ``conv`` (2-D convolution, ``in_channels, out_channels, kernel_h, kernel_w, in_h, in_w, stride, padding,
  groups``), ``embedding`` (gather of ``lookups`` rows of a ``vocab × dim`` table: a one-hot input times the
  table) or ``attention`` (``heads`` × the two activation-by-activation products Q·Kᵀ and P·V over
  ``seq_len`` tokens of ``head_dim``);
* bit widths — ``weight_bits``, ``activation_bits`` (input bits applied bit-serially on an ACIM macro) and
  ``accumulator_bits`` (partial-sum width; ``None`` = not analysed, the worst case is used);
* weight structure — ``dense``, ``block_circulant`` (``block_size`` b: b× fewer stored weights),
  ``low_rank`` (``rank`` r: ``k × r`` then ``r × n``), ``one_hot`` (input is one-hot: no accumulation);
  ``expert_id`` marks a mixture-of-experts expert's layer;
* activity — ``input_density`` (fraction of input bit-plane bits that are 1) and ``toggle_rate`` (fraction
  of input bits that change between consecutive bit-serial cycles), which set the switching current;
* ``count`` — how many times the layer runs per inference with the same weights (e.g. per decoded token).

The time trace is a list of :class:`TracePhase`: phases run one after another, each runs its layers in
order ``repeat`` times (e.g. one phase per generated token with the experts that token routed to). With no
trace, every layer runs once in order.

Every layer reduces to plain matrix products (:meth:`LayerRecord.gemm_ops`), which is what the ACIM mapping
(:mod:`eda.workloads.mapping`) tiles onto arrays. Files: YAML or JSON (:meth:`Workload.save`,
:meth:`Workload.load`), and the DNN+NeuroSim ``NetWork.csv`` layer format (:func:`export_neurosim`).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from eda.errors import DataError, SpecError

__all__ = [
    "OP_KINDS",
    "STRUCTURES",
    "SHAPE_KEYS",
    "GemmOp",
    "LayerRecord",
    "TracePhase",
    "Workload",
    "export_neurosim",
    "neurosim_rows",
]

#: operation kinds a layer can be
OP_KINDS: tuple[str, ...] = ("gemm", "conv", "embedding", "attention")
#: weight structures
STRUCTURES: tuple[str, ...] = ("dense", "block_circulant", "low_rank", "one_hot")
#: required shape keys per operation (conv: ``stride``, ``padding``, ``groups``, ``pool`` are optional)
SHAPE_KEYS: dict[str, tuple[str, ...]] = {
    "gemm": ("m", "k", "n"),
    "conv": ("in_channels", "out_channels", "kernel_h", "kernel_w", "in_h", "in_w"),
    "embedding": ("vocab", "dim", "lookups"),
    "attention": ("seq_len", "heads", "head_dim"),
}
_CONV_OPTIONAL = {"stride": 1, "padding": 0, "groups": 1, "pool": 0}


@dataclass(frozen=True)
class GemmOp:
    """One matrix product ``(m × k) · (k × n)``, run ``repeats`` times.

    Attributes:
        m: input vectors (tokens, output pixels, lookups).
        k: reduction length (rows of the weight matrix on an array).
        n: output features (columns of the weight matrix, before bit slicing).
        repeats: distinct weight matrices of the same shape (conv groups, attention heads).
        static_weights: False when the "weights" are activations (attention), which an ACIM macro must
            rewrite every inference.
        one_hot: the input is one-hot (exactly one active row per input vector).
        part: which part of the layer (``main``, ``low_rank_u``, ``low_rank_v``, ``qk``, ``pv``).
    """

    m: int
    k: int
    n: int
    repeats: int = 1
    static_weights: bool = True
    one_hot: bool = False
    part: str = "main"

    @property
    def macs(self) -> int:
        """Multiply-accumulates (one-hot inputs count one per output element)."""
        depth = 1 if self.one_hot else self.k
        return self.m * depth * self.n * self.repeats


@dataclass
class LayerRecord:
    """One operation of a network (see the module docstring for the meaning of each field)."""

    name: str
    op: str
    shape: dict[str, int]
    weight_bits: int = 8
    activation_bits: int = 8
    accumulator_bits: int | None = None
    structure: str = "dense"
    block_size: int | None = None
    rank: int | None = None
    expert_id: int | None = None
    input_density: float = 0.5
    toggle_rate: float = 0.5
    count: int = 1
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    # ----------------------------------------------------------------- checks
    def validate(self) -> None:
        """Raise :class:`SpecError` naming the layer when a field is inconsistent."""
        where = f"layer '{self.name}'"
        if self.op not in OP_KINDS:
            raise SpecError(
                f"unknown operation '{self.op}'", where=where, hint=f"use one of {', '.join(OP_KINDS)}"
            )
        if self.structure not in STRUCTURES:
            raise SpecError(
                f"unknown weight structure '{self.structure}'",
                where=where,
                hint=f"use one of {', '.join(STRUCTURES)}",
            )
        required = SHAPE_KEYS[self.op]
        missing = [key for key in required if key not in self.shape]
        allowed = set(required) | (set(_CONV_OPTIONAL) if self.op == "conv" else set())
        extra = sorted(set(self.shape) - allowed)
        if missing or extra:
            raise SpecError(
                f"shape of a '{self.op}' layer: missing {missing or 'nothing'}, unknown {extra or 'nothing'}",
                where=where,
                hint=f"a '{self.op}' shape has keys {sorted(allowed)}",
            )
        for key, value in self.shape.items():
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or (value < 0 or (value == 0 and key not in ("padding", "pool")))
            ):
                raise SpecError(f"shape['{key}'] must be a positive integer, got {value!r}", where=where)
        for key in ("weight_bits", "activation_bits", "count"):
            if int(getattr(self, key)) < 1:
                raise SpecError(f"{key} must be >= 1", where=where)
        if self.accumulator_bits is not None and self.accumulator_bits < 1:
            raise SpecError("accumulator_bits must be >= 1 (or null)", where=where)
        for key in ("input_density", "toggle_rate"):
            value = float(getattr(self, key))
            if not 0.0 <= value <= 1.0:
                raise SpecError(f"{key} must lie in [0, 1], got {value}", where=where)
        if self.structure == "block_circulant":
            b = self.block_size or 0
            if b < 1 or self.op not in ("gemm", "conv"):
                raise SpecError("block_circulant needs block_size >= 1 on a gemm or conv layer", where=where)
        if self.structure == "low_rank" and (self.rank or 0) < 1:
            raise SpecError("low_rank needs rank >= 1", where=where)
        if self.op == "attention" and self.structure != "dense":
            raise SpecError("attention has no stored weights; its structure must be 'dense'", where=where)
        if self.op == "conv":
            groups = self.shape.get("groups", 1)
            if self.shape["in_channels"] % groups or self.shape["out_channels"] % groups:
                raise SpecError(f"groups={groups} must divide in_channels and out_channels", where=where)

    # ----------------------------------------------------------- constructors
    @classmethod
    def gemm(cls, name: str, m: int, k: int, n: int, **kw: Any) -> LayerRecord:
        """A fully connected layer: ``m`` inputs of length ``k`` times a ``k × n`` matrix."""
        return cls(name=name, op="gemm", shape={"m": m, "k": k, "n": n}, **kw)

    @classmethod
    def conv(
        cls,
        name: str,
        in_channels: int,
        out_channels: int,
        kernel: int | tuple[int, int],
        in_hw: int | tuple[int, int],
        stride: int = 1,
        padding: int = 0,
        groups: int = 1,
        **kw: Any,
    ) -> LayerRecord:
        """A 2-D convolution on an ``in_hw`` input (square ints allowed)."""
        kh, kwid = (kernel, kernel) if isinstance(kernel, int) else kernel
        ih, iw = (in_hw, in_hw) if isinstance(in_hw, int) else in_hw
        shape = {
            "in_channels": in_channels,
            "out_channels": out_channels,
            "kernel_h": kh,
            "kernel_w": kwid,
            "in_h": ih,
            "in_w": iw,
            "stride": stride,
            "padding": padding,
            "groups": groups,
        }
        return cls(name=name, op="conv", shape=shape, **kw)

    @classmethod
    def embedding(cls, name: str, vocab: int, dim: int, lookups: int, **kw: Any) -> LayerRecord:
        """A table gather: ``lookups`` one-hot rows of a ``vocab × dim`` table (activation bits 1)."""
        kw.setdefault("structure", "one_hot")
        kw.setdefault("activation_bits", 1)
        return cls(name=name, op="embedding", shape={"vocab": vocab, "dim": dim, "lookups": lookups}, **kw)

    @classmethod
    def attention(cls, name: str, seq_len: int, heads: int, head_dim: int, **kw: Any) -> LayerRecord:
        """Scaled dot-product attention core (Q·Kᵀ and P·V per head; projections are separate gemms)."""
        return cls(
            name=name, op="attention", shape={"seq_len": seq_len, "heads": heads, "head_dim": head_dim}, **kw
        )

    # ------------------------------------------------------------- properties
    @property
    def conv_out_hw(self) -> tuple[int, int]:
        """Output height and width of a conv layer."""
        s = self.shape
        stride, pad = s.get("stride", 1), s.get("padding", 0)
        out_h = (s["in_h"] + 2 * pad - s["kernel_h"]) // stride + 1
        out_w = (s["in_w"] + 2 * pad - s["kernel_w"]) // stride + 1
        return out_h, out_w

    def gemm_ops(self) -> list[GemmOp]:
        """The layer as plain matrix products (what an ACIM macro computes).

        ``count`` (runs per inference with the same weights) multiplies ``m``; ``repeats`` counts distinct
        weight matrices (conv groups, attention heads).
        """
        s, c = self.shape, self.count
        one_hot = self.structure == "one_hot"
        if self.op == "attention":
            seq, heads, hd = s["seq_len"], s["heads"], s["head_dim"]
            return [
                GemmOp(seq * c, hd, seq, heads, False, False, "qk"),
                GemmOp(seq * c, seq, hd, heads, False, False, "pv"),
            ]
        if self.op == "gemm":
            m, k, n, groups = s["m"], s["k"], s["n"], 1
        elif self.op == "conv":
            out_h, out_w = self.conv_out_hw
            groups = s.get("groups", 1)
            m, k, n = (
                out_h * out_w,
                s["in_channels"] // groups * s["kernel_h"] * s["kernel_w"],
                s["out_channels"] // groups,
            )
        else:
            m, k, n, groups = s["lookups"], s["vocab"], s["dim"], 1
            one_hot = True
        m *= c
        if self.structure == "low_rank":
            r = int(self.rank or 1)
            return [
                GemmOp(m, k, r, groups, True, one_hot, "low_rank_u"),
                GemmOp(m, r, n, groups, True, False, "low_rank_v"),
            ]
        return [GemmOp(m, k, n, groups, True, one_hot)]

    @property
    def macs(self) -> int:
        """Multiply-accumulates per inference (dense-equivalent for block-circulant layers)."""
        return sum(op.macs for op in self.gemm_ops())

    @property
    def weight_count(self) -> int:
        """Stored weights (block-circulant stores 1/b of the dense matrix; attention stores none)."""
        total = sum(op.k * op.n * op.repeats for op in self.gemm_ops() if op.static_weights)
        if self.structure == "block_circulant":
            total = math.ceil(total / int(self.block_size or 1))
        return total

    @property
    def weight_bits_total(self) -> int:
        """Stored weight bits."""
        return self.weight_count * self.weight_bits

    # ----------------------------------------------------------- round trip
    def to_dict(self) -> dict[str, Any]:
        """Plain dict (``None`` fields and empty ``meta`` left out)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "meta" and not value):
                continue
            out[f.name] = dict(value) if isinstance(value, dict) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str | None = None) -> LayerRecord:
        """Inverse of :meth:`to_dict`; unknown keys raise :class:`SpecError`."""
        known = {f.name for f in fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise SpecError(f"unknown layer keys {extra}", where=where, hint=f"allowed: {sorted(known)}")
        if "name" not in data or "op" not in data or "shape" not in data:
            raise SpecError("a layer needs 'name', 'op' and 'shape'", where=where)
        kwargs = dict(data)
        kwargs["shape"] = {str(k): v for k, v in dict(data["shape"]).items()}
        kwargs["meta"] = dict(data.get("meta") or {})
        return cls(**kwargs)


@dataclass
class TracePhase:
    """A span of time in which ``layers`` run in order, ``repeat`` times (e.g. one decoded token)."""

    name: str
    layers: list[str]
    repeat: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Plain dict."""
        return {"name": self.name, "layers": list(self.layers), "repeat": self.repeat}


@dataclass
class Workload:
    """A network as layer records, a time trace and free-form provenance ``meta`` (method, metrics)."""

    name: str
    layers: list[LayerRecord]
    trace: list[TracePhase] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Unique layer names and a trace that names only existing layers."""
        seen: set[str] = set()
        for layer in self.layers:
            if layer.name in seen:
                raise SpecError(f"duplicate layer name '{layer.name}'", where=f"workload '{self.name}'")
            seen.add(layer.name)
        for phase in self.trace:
            unknown = [name for name in phase.layers if name not in seen]
            if unknown:
                raise SpecError(
                    f"trace phase '{phase.name}' names unknown layers {unknown[:5]}",
                    where=f"workload '{self.name}'",
                    hint="trace layers must be names in 'layers'",
                )
            if phase.repeat < 1:
                raise SpecError(
                    f"trace phase '{phase.name}' needs repeat >= 1", where=f"workload '{self.name}'"
                )

    def layer(self, name: str) -> LayerRecord:
        """The layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise SpecError(f"no layer '{name}' in workload '{self.name}'")

    def phases(self) -> list[TracePhase]:
        """The trace, or one phase running every layer once in order when none is given."""
        if self.trace:
            return list(self.trace)
        return [TracePhase("inference", [layer.name for layer in self.layers], 1)]

    @property
    def total_macs(self) -> int:
        """MACs of one pass of the trace (layers run as often as the trace says)."""
        runs = self.layer_runs()
        return sum(layer.macs * runs[layer.name] for layer in self.layers)

    @property
    def total_weights(self) -> int:
        """Stored weights over all layers."""
        return sum(layer.weight_count for layer in self.layers)

    def layer_runs(self) -> dict[str, int]:
        """How many times each layer runs in one pass of the trace."""
        runs = {layer.name: 0 for layer in self.layers}
        for phase in self.phases():
            for name in phase.layers:
                runs[name] += phase.repeat
        return runs

    # ----------------------------------------------------------- round trip
    def to_dict(self) -> dict[str, Any]:
        """Plain dict suitable for YAML/JSON."""
        out: dict[str, Any] = {"name": self.name, "layers": [layer.to_dict() for layer in self.layers]}
        if self.trace:
            out["trace"] = [phase.to_dict() for phase in self.trace]
        if self.meta:
            out["meta"] = _plain(self.meta)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "workload") -> Workload:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(data, dict) or "layers" not in data:
            raise DataError("a workload file needs a mapping with 'name' and 'layers'", where=source)
        extra = sorted(set(data) - {"name", "layers", "trace", "meta"})
        if extra:
            raise DataError(
                f"unknown workload keys {extra}", where=source, hint="allowed: name, layers, trace, meta"
            )
        layers = [
            LayerRecord.from_dict(item, where=f"{source}: layers[{i}]")
            for i, item in enumerate(data["layers"])
        ]
        trace = [
            TracePhase(str(p["name"]), [str(x) for x in p["layers"]], int(p.get("repeat", 1)))
            for p in data.get("trace") or []
        ]
        return cls(
            name=str(data.get("name", "workload")),
            layers=layers,
            trace=trace,
            meta=dict(data.get("meta") or {}),
        )

    def save(self, path: str | Path) -> Path:
        """Write YAML (``.yaml``/``.yml``) or JSON (``.json``)."""
        path = Path(path)
        data = self.to_dict()
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(data, indent=1) + "\n")
        elif path.suffix.lower() in (".yaml", ".yml"):
            path.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120))
        else:
            raise DataError(
                f"unknown workload file type '{path.suffix}'", where=str(path), hint="use .yaml or .json"
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> Workload:
        """Read a workload written by :meth:`save` (or by hand)."""
        from eda.flow.yamlio import decode_text, parse_yaml

        path = Path(path)
        if not path.is_file():
            raise DataError(
                "workload file not found" + (" (it is a directory)" if path.is_dir() else ""), where=str(path)
            )
        text = decode_text(path.read_bytes(), str(path), kind="workload")  # UTF-8 and not binary
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"cannot parse workload file: {exc.msg}", where=f"{path}:{exc.lineno}:{exc.colno}"
                ) from None
        else:  # the flow files' safe loader: line numbers, alias-bomb and size limits
            data = parse_yaml(text, str(path)).data
        return cls.from_dict(data, source=str(path))


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples inside ``meta`` to plain YAML/JSON values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def neurosim_rows(workload: Workload, *, include_dynamic: bool = False) -> list[list[int]]:
    """Layers in DNN+NeuroSim's ``NetWork.csv`` order: one row per weight matrix.

    Columns: IFM rows, IFM columns, IFM channels, kernel rows, kernel columns, OFM channels (kernels),
    max-pooling after (0/1), stride. A conv layer maps directly (groups fold into the channel count:
    ``in_channels/groups`` input channels, which keeps weight and MAC counts right); a gemm with ``m``
    inputs becomes an ``m × 1`` feature map with a 1×1 kernel; an embedding a ``lookups × 1`` map over
    ``vocab`` channels; low-rank layers give two rows; block-circulant layers are written dense-equivalent
    (NeuroSim has no structured weights). Attention products have no stored weights and are left out
    unless ``include_dynamic`` (then one row per product, heads folded into the OFM count).
    """
    rows: list[list[int]] = []
    for layer in workload.layers:
        s = layer.shape
        if layer.op == "conv" and layer.structure != "low_rank":
            groups = s.get("groups", 1)
            rows.append(
                [
                    s["in_h"],
                    s["in_w"],
                    s["in_channels"] // groups,
                    s["kernel_h"],
                    s["kernel_w"],
                    s["out_channels"],
                    int(s.get("pool", 0)),
                    s.get("stride", 1),
                ]
            )
            continue
        for op in layer.gemm_ops():
            if not op.static_weights and not include_dynamic:
                continue
            rows.append([op.m, 1, op.k, 1, 1, op.n * op.repeats, 0, 1])
    return rows


def export_neurosim(workload: Workload, path: str | Path, *, include_dynamic: bool = False) -> Path:
    """Write :func:`neurosim_rows` as a header-less ``NetWork.csv``."""
    path = Path(path)
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(neurosim_rows(workload, include_dynamic=include_dynamic))
    return path
