"""Mapping a :class:`~eda.workloads.workload.Workload` onto H × W analog compute-in-memory arrays.

Placement rules (charge-redistribution SRAM macro, EasyACIM style):

* a weight of ``weight_bits`` bits spans ``weight_bits`` columns (one bit per 8T cell, combined digitally
  after the ADC);
* the ``G = cols_per_adc`` columns of one ADC group charge-share into one conversion (as in
  :mod:`eda.acim.models`), so they hold *consecutive reduction rows* of the same weight bit: an array is a
  ``(H·G) × (W/G)`` logical matrix, holding ``floor(W / (G·weight_bits))`` weights per logical row;
* the ``k`` reduction dimension runs down the logical rows: ``row_tiles = ceil(k / (H·G))``; the ``n``
  outputs across ``col_tiles = ceil(n / floor(W / (G·weight_bits)))`` arrays; row-tile partial sums add
  digitally;
* small independent matrices (conv groups, attention heads) are packed block-diagonally,
  ``min(floor(H·G / k), floor(W / (G·n·weight_bits)))`` per array;
* block-circulant layers (block ``b``) store only the ``n/b`` generating columns and apply ``b`` rotated
  copies of the input: ``b``× fewer arrays, ``b``× more operations per array;
* inputs are applied bit-serially, one bit-plane per array operation; the ``L`` cells of a local array
  share one compute capacitor, so an operation sums ``H·G / L`` logical rows and covering a full array
  needs ``L`` operations per bit-plane (fewer when fewer rows are used);
* one-hot inputs (embedding gathers) activate one row: one operation per lookup, no bit-serial planes;
* attention products have activation "weights" that must be written each inference: one array row per
  write cycle;
* ``replication`` copies of a layer's arrays process different input vectors in parallel.

Per layer this gives arrays, array operations, cycles, latency, energy and two utilisations: cell
utilisation (weight bits stored / cells allocated) and compute utilisation (useful MACs / MAC slots of
the operations issued). Energy and operation time per array operation come from an :class:`OpCostModel`:
:class:`AnalyticOpCost` here (documented physical constants), or the ACIM exploration models of
``eda.acim`` when present (:func:`acim_op_cost`).

:func:`current_maps` (in :mod:`eda.workloads.currents`, re-exported here) turns the mapped activity over
time into per-tile supply-current maps over the macro floorplan for static and dynamic IR-drop analysis.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from eda.errors import SpecError
from eda.workloads.workload import GemmOp, LayerRecord, Workload

__all__ = [
    "ArraySpec",
    "OpCostModel",
    "AnalyticOpCost",
    "AcimModelCost",
    "acim_op_cost",
    "LayerMapping",
    "map_on_point",
    "WorkloadMapping",
    "map_gemm",
    "map_layer",
    "map_workload",
    "time_multiplex",
    "ArrayGrid",
    "CurrentTrace",
    "current_maps",
]


@dataclass(frozen=True)
class ArraySpec:
    """One ACIM array and its periphery, as the mapping sees it.

    Attributes:
        rows: H, cells per column (weight-matrix rows per array).
        cols: W, cells per row (weight bits per array row).
        local_array_size: L, cells sharing one compute capacitor.
        adc_bits: ADC resolution (bits).
        cols_per_adc: columns time-multiplexed onto one ADC.
        clock_hz: macro clock (Hz).
        vdd: supply voltage (V).
        unit_cap_f: compute capacitor per local array (F).
        cell_width_um, cell_height_um: 8T bitcell pitch (µm).
        periphery_height_um: ADC/driver strip below the array (µm).
        bitline_cap_per_cell_f: write-bitline capacitance each cell adds (F); a row write swings one
            bitline of every column through ``rows`` cells.
        num_arrays: arrays available on the macro (``None`` = as many as the workload needs).
    """

    rows: int = 256
    cols: int = 256
    local_array_size: int = 8
    adc_bits: int = 6
    cols_per_adc: int = 4
    clock_hz: float = 200e6
    vdd: float = 0.9
    unit_cap_f: float = 2e-15
    cell_width_um: float = 0.9
    cell_height_um: float = 0.5
    periphery_height_um: float = 30.0
    bitline_cap_per_cell_f: float = 0.15e-15
    num_arrays: int | None = None

    @property
    def row_write_energy_j(self) -> float:
        """Energy of writing one array row: W bitlines of ``rows`` cells swung to VDD (C·V²)."""
        return self.cols * self.rows * self.bitline_cap_per_cell_f * self.vdd**2

    def __post_init__(self) -> None:
        if self.rows < 1 or self.cols < 1:
            raise SpecError(f"array size must be positive, got {self.rows}x{self.cols}")
        if self.local_array_size < 1 or self.rows % self.local_array_size:
            raise SpecError(
                f"local_array_size {self.local_array_size} must divide rows {self.rows}",
                hint="pick L among the divisors of H",
            )
        if self.adc_bits < 1 or self.cols_per_adc < 1 or self.cols % self.cols_per_adc:
            raise SpecError("adc_bits >= 1 and cols_per_adc >= 1 dividing cols are required")

    @property
    def logical_rows(self) -> int:
        """Reduction rows an array holds: H × cols_per_adc."""
        return self.rows * self.cols_per_adc

    @property
    def logical_cols(self) -> int:
        """Weight-bit columns an array holds after folding ADC groups: W / cols_per_adc."""
        return self.cols // self.cols_per_adc

    @property
    def rows_per_op(self) -> int:
        """Logical rows summed by one conversion: (H / L) × cols_per_adc."""
        return self.rows // self.local_array_size * self.cols_per_adc

    @classmethod
    def from_any(cls, spec: Any) -> ArraySpec:
        """Build from an ``ArraySpec``, a dict, or an object with matching attribute names (e.g. an ACIMSpec).

        Recognised aliases: ``height``/``H`` for rows, ``width``/``W`` for cols, ``L`` for
        ``local_array_size``, ``b_adc``/``adc_resolution`` for ``adc_bits``.
        """
        if isinstance(spec, cls):
            return spec
        data = (
            dict(spec)
            if isinstance(spec, dict)
            else {k: getattr(spec, k) for k in dir(spec) if not k.startswith("_")}
        )
        aliases = {
            "height": "rows",
            "H": "rows",
            "width": "cols",
            "W": "cols",
            "L": "local_array_size",
            "b_adc": "adc_bits",
            "adc_resolution": "adc_bits",
        }
        if "unit_cap_fF" in data:
            data["unit_cap_f"] = float(data.pop("unit_cap_fF")) * 1e-15
        if "clock_MHz" in data:
            data["clock_hz"] = float(data.pop("clock_MHz")) * 1e6
        names = {f for f in cls.__dataclass_fields__}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            target = aliases.get(key, key)
            if target in names and not callable(value) and target not in kwargs:
                kwargs[target] = value
        return cls(**kwargs)


class OpCostModel(Protocol):
    """Energy and time of one array operation (one bit-plane over the active rows of every column)."""

    def op_energy_j(self, spec: ArraySpec, active_fraction: float) -> float:
        """Energy (J) of one operation with input bit density ``active_fraction`` (fraction of input bits = 1)."""
        ...

    def op_time_s(self, spec: ArraySpec) -> float:
        """Duration (s) of one operation including the column conversions."""
        ...


@dataclass(frozen=True)
class AnalyticOpCost:
    """First-order charge-redistribution costs with stated constants.

    * compute: each of the ``H/L × W`` capacitors switched with probability ``active_fraction`` draws
      ``C·V²``; every column's capacitors are then shared and reset (another ``C·V²`` per capacitor);
    * ADC: Walden figure of merit ``E = FOM · 2^B`` per conversion, one per ADC group of ``cols_per_adc``
      columns (``FOM`` = 5 fJ/step, typical of recent low-power SAR ADCs in the Murmann survey), plus a
      digital shift-add per conversion;
    * time: one cycle to charge, one to share, then ``B`` SAR cycles (all ADCs in parallel).
    """

    walden_fom_j: float = 5e-15
    digital_energy_per_column_j: float = 20e-15

    def op_energy_j(self, spec: ArraySpec, active_fraction: float) -> float:
        caps = spec.rows // spec.local_array_size * spec.cols
        cv2 = spec.unit_cap_f * spec.vdd**2
        compute = caps * cv2 * (active_fraction + 1.0)
        conversions = spec.logical_cols
        adc = conversions * self.walden_fom_j * 2**spec.adc_bits
        return compute + adc + conversions * self.digital_energy_per_column_j

    def op_time_s(self, spec: ArraySpec) -> float:
        return (2 + spec.adc_bits) / spec.clock_hz


@dataclass
class AcimModelCost:
    """Per-operation energy and time from the ACIM exploration's models (:func:`eda.acim.models.evaluate`).

    The models report energy per multi-bit operation for random data and the compute-cycle time; one
    array operation (one input bit-plane through all W columns) is ``2·(H/L)·W / (B_x·B_w)`` such
    operations. The capacitor and word-line shares scale with the layer's input bit density (the models
    assume ½). ``input_bits``/``weight_bits`` only set the digital shift-add width of the evaluated point.
    """

    input_bits: int = 4
    weight_bits: int = 4
    tech: Any = None
    _cache: dict[ArraySpec, tuple[float, float, float]] = field(default_factory=dict, repr=False)

    def metrics(self, spec: ArraySpec) -> tuple[float, float, float]:
        """(activity-independent J, activity-scaled J at density ½, cycle time s) of one array operation."""
        if spec not in self._cache:
            from eda.acim.models import DesignPoints, evaluate

            points = DesignPoints.from_arrays(
                rows=spec.rows,
                cols=spec.cols,
                local_array_size=spec.local_array_size,
                adc_bits=spec.adc_bits,
                input_bits=self.input_bits,
                weight_bits=self.weight_bits,
                unit_cap_fF=spec.unit_cap_f * 1e15,
                cols_per_adc=spec.cols_per_adc,
                clock_MHz=spec.clock_hz / 1e6,
            )
            m = evaluate(points, self.tech)
            ops = 2 * (spec.rows // spec.local_array_size) * spec.cols / (self.input_bits * self.weight_bits)
            active = float(m["energy_caps_fJ_per_op"][0] + m["energy_wordline_fJ_per_op"][0])
            fixed = float(m["energy_per_op_fJ"][0]) - active
            self._cache[spec] = (
                fixed * ops * 1e-15,
                active * ops * 1e-15,
                float(m["cycle_time_ns"][0]) * 1e-9,
            )
        return self._cache[spec]

    def op_energy_j(self, spec: ArraySpec, active_fraction: float) -> float:
        fixed, active, _ = self.metrics(spec)
        return fixed + active * active_fraction / 0.5

    def op_time_s(self, spec: ArraySpec) -> float:
        return self.metrics(spec)[2]


def acim_op_cost() -> OpCostModel | None:
    """The ACIM exploration's cost model (:class:`AcimModelCost`) when ``eda.acim.models`` exists, else None."""
    try:
        import eda.acim.models  # noqa: F401
    except ImportError:
        return None
    return AcimModelCost()


@dataclass
class LayerMapping:
    """How one layer sits on the arrays and what one inference of it costs (see the module docstring)."""

    name: str
    arrays: int
    row_tiles: int
    col_tiles: int
    groups_per_array: int
    replication: int
    array_ops: int
    cycles: int
    write_cycles: int
    latency_s: float
    energy_j: float
    macs: int
    cell_utilisation: float
    compute_utilisation: float
    active_fraction: float
    parts: list[dict[str, Any]] = field(default_factory=list)
    rounds: int = 1
    weight_write_cycles: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict."""
        return asdict(self)


@dataclass
class WorkloadMapping:
    """All layers mapped, with the per-inference totals and the timeline of the trace."""

    workload: str
    spec: ArraySpec
    layers: list[LayerMapping]
    timeline: list[tuple[str, float, float]]
    arrays: int
    latency_s: float
    energy_j: float
    macs: int

    def layer(self, name: str) -> LayerMapping:
        """The mapping of layer ``name``."""
        for item in self.layers:
            if item.name == name:
                return item
        raise SpecError(f"layer '{name}' is not in the mapping of '{self.workload}'")

    @property
    def tops_per_w(self) -> float:
        """Effective 1-MAC = 2-op throughput per watt over the inference."""
        return 2 * self.macs / self.energy_j / 1e12 if self.energy_j > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        """Totals for metrics/JSON."""
        return {
            "workload": self.workload,
            "arrays": self.arrays,
            "latency_s": self.latency_s,
            "energy_j": self.energy_j,
            "macs": self.macs,
            "tops_per_w": self.tops_per_w,
            "spec": asdict(self.spec),
        }


def _gemm_tiles(op: GemmOp, spec: ArraySpec, weight_bits: int) -> tuple[int, int, int, int]:
    """(row_tiles, col_tiles, groups_per_array, arrays) for one weight copy set of ``op``."""
    weights_per_row = spec.logical_cols // weight_bits
    if weights_per_row < 1:
        raise SpecError(
            f"a {weight_bits}-bit weight does not fit in {spec.logical_cols} logical columns",
            hint="use a wider array, fewer columns per ADC or fewer weight bits",
        )
    row_tiles = math.ceil(op.k / spec.logical_rows)
    col_tiles = math.ceil(op.n / weights_per_row)
    groups_per_array = 1
    if op.repeats > 1 and row_tiles == 1 and col_tiles == 1:
        groups_per_array = max(1, min(spec.logical_rows // op.k, weights_per_row // op.n))
    arrays = row_tiles * col_tiles * math.ceil(op.repeats / groups_per_array)
    return row_tiles, col_tiles, groups_per_array, arrays


def map_gemm(
    op: GemmOp,
    spec: ArraySpec,
    *,
    weight_bits: int,
    activation_bits: int,
    block_size: int = 1,
    replication: int = 1,
) -> dict[str, int | float]:
    """Counts for one matrix product: arrays, array operations, cycles (operation slots), utilisations.

    ``block_size`` > 1 (block-circulant): only the ``n / b`` generating columns are stored; each is applied
    to ``b`` rotated copies of the input, so arrays shrink ``b``× and operations per array grow ``b``×.
    """
    stored = replace(op, n=math.ceil(op.n / block_size)) if block_size > 1 else op
    row_tiles, col_tiles, groups_per_array, arrays = _gemm_tiles(stored, spec, weight_bits)
    rows_used = min(op.k, spec.logical_rows) if not op.one_hot else 1
    local_ops = 1 if op.one_hot else min(spec.local_array_size, math.ceil(rows_used / spec.rows_per_op))
    planes = 1 if op.one_hot else activation_bits
    tiles_active = (col_tiles if op.one_hot else row_tiles * col_tiles) * math.ceil(
        op.repeats / groups_per_array
    )
    ops_per_vector = planes * local_ops * tiles_active * block_size
    array_ops = op.m * ops_per_vector
    per_array_ops = planes * local_ops * block_size
    cycles = math.ceil(op.m / replication) * per_array_ops
    physical_rows = math.ceil(min(op.k, spec.logical_rows) / spec.cols_per_adc)
    write_cycles = 0 if op.static_weights else physical_rows * math.ceil(op.repeats / groups_per_array)
    cells = arrays * spec.rows * spec.cols
    stored_bits = stored.k * stored.n * stored.repeats * weight_bits
    slots = array_ops * spec.rows_per_op * (spec.logical_cols // weight_bits)
    useful = op.macs
    return {
        "row_tiles": row_tiles,
        "col_tiles": col_tiles,
        "groups_per_array": groups_per_array,
        "arrays": arrays * replication,
        "array_ops": array_ops,
        "cycles": cycles,
        "write_cycles": write_cycles,
        "cell_utilisation": stored_bits / (cells * replication) if cells else 0.0,
        "compute_utilisation": min(1.0, useful / slots) if slots else 0.0,
        "macs": useful,
    }


def map_layer(
    layer: LayerRecord, spec: ArraySpec, *, cost: OpCostModel | None = None, replication: int = 1
) -> LayerMapping:
    """Tile every matrix product of ``layer`` onto ``spec`` arrays; energy and latency from ``cost``."""
    cost = cost or AnalyticOpCost()
    if replication < 1:
        raise SpecError("replication must be >= 1", where=f"layer '{layer.name}'")
    block = int(layer.block_size or 1) if layer.structure == "block_circulant" else 1
    active = (
        layer.input_density if layer.structure != "one_hot" else 1.0 / max(1, layer.shape.get("vocab", 1))
    )
    op_energy = cost.op_energy_j(spec, active)
    op_time = cost.op_time_s(spec)
    totals = {"arrays": 0, "array_ops": 0, "cycles": 0, "write_cycles": 0, "macs": 0}
    parts: list[dict[str, Any]] = []
    cells_weighted = 0.0
    slots_weighted = 0.0
    for op in layer.gemm_ops():
        counts = map_gemm(
            op,
            spec,
            weight_bits=layer.weight_bits,
            activation_bits=layer.activation_bits,
            block_size=block if op.static_weights else 1,
            replication=replication,
        )
        parts.append({"part": op.part, **counts})
        for key in totals:
            totals[key] += int(counts[key])
        cells_weighted += float(counts["cell_utilisation"]) * int(counts["arrays"])
        slots_weighted += float(counts["compute_utilisation"]) * int(counts["array_ops"])
    first = parts[0]
    write_energy = totals["write_cycles"] * spec.row_write_energy_j
    return LayerMapping(
        name=layer.name,
        arrays=totals["arrays"],
        row_tiles=int(first["row_tiles"]),
        col_tiles=int(first["col_tiles"]),
        groups_per_array=int(first["groups_per_array"]),
        replication=replication,
        array_ops=totals["array_ops"],
        cycles=totals["cycles"] + totals["write_cycles"],
        write_cycles=totals["write_cycles"],
        latency_s=totals["cycles"] * op_time + totals["write_cycles"] / spec.clock_hz,
        energy_j=totals["array_ops"] * op_energy + write_energy,
        macs=totals["macs"],
        cell_utilisation=cells_weighted / totals["arrays"] if totals["arrays"] else 0.0,
        compute_utilisation=slots_weighted / totals["array_ops"] if totals["array_ops"] else 0.0,
        active_fraction=active,
        parts=parts,
    )


def time_multiplex(item: LayerMapping, spec: ArraySpec) -> LayerMapping:
    """The layer on a macro of only ``spec.num_arrays`` arrays, its tiles processed in rounds.

    Each run of the layer writes every tile's weights (``rows`` write cycles per round, all arrays of a round
    written in parallel, ``rows`` × :attr:`ArraySpec.row_write_energy_j` per tile) and then computes:
    ``rounds = ⌈arrays / num_arrays⌉``, latency ``rounds × (compute latency + rows / clock)``.
    """
    if spec.num_arrays is None:
        return item
    rounds = math.ceil(item.arrays / spec.num_arrays)
    writes = rounds * spec.rows
    return replace(
        item,
        arrays=min(item.arrays, spec.num_arrays),
        rounds=rounds,
        weight_write_cycles=writes,
        cycles=rounds * item.cycles + writes,
        latency_s=rounds * item.latency_s + writes / spec.clock_hz,
        energy_j=item.energy_j + item.arrays * spec.rows * spec.row_write_energy_j,
    )


def map_on_point(
    workload: Workload, point: dict[str, Any], *, cost_model: str = "acim", num_arrays: int | None = None
) -> WorkloadMapping:
    """Map ``workload`` onto the ACIM design ``point`` (a Pareto row or ``best_point.json``: rows, cols,
    local_array_size, adc_bits, cols_per_adc, clock_MHz, unit_cap_fF, input_bits, weight_bits).

    The one workload-cost model of the toolkit: ``workload.select`` ranks Pareto points by its energy and
    ``workload.map`` reports it for the chosen point. ``cost_model``: ``acim`` (the exploration's models,
    :class:`AcimModelCost`) or ``analytic`` (:class:`AnalyticOpCost`); weights are reloaded when the
    workload needs more than ``num_arrays`` arrays.
    """
    fields = {k: v for k, v in point.items() if k != "num_arrays"}
    if num_arrays is not None:
        fields["num_arrays"] = num_arrays
    spec = ArraySpec.from_any(fields)
    cost: OpCostModel = (
        AcimModelCost(int(point.get("input_bits", 4)), int(point.get("weight_bits", 4)))
        if cost_model == "acim"
        else AnalyticOpCost()
    )
    return map_workload(workload, spec, cost=cost, reload_weights=True)


def map_workload(
    workload: Workload,
    spec: ArraySpec | Any | None = None,
    *,
    cost: OpCostModel | None = None,
    replication: int | dict[str, int] = 1,
    reload_weights: bool = False,
) -> WorkloadMapping:
    """Map every layer, then lay the trace out in time (layers run one after another).

    Every layer gets its own arrays (weights stay resident). When ``spec.num_arrays`` is set and the
    workload needs more: with ``reload_weights`` the macro is time-multiplexed (:func:`time_multiplex`,
    weights rewritten every run), otherwise :class:`SpecError` says how many are missing.
    """
    spec = ArraySpec.from_any(spec) if spec is not None else ArraySpec()
    cost = cost or acim_op_cost() or AnalyticOpCost()
    layers = []
    for layer in workload.layers:
        rep = replication.get(layer.name, 1) if isinstance(replication, dict) else replication
        layers.append(map_layer(layer, spec, cost=cost, replication=rep))
    arrays = sum(item.arrays for item in layers)
    if spec.num_arrays is not None and arrays > spec.num_arrays:
        if not reload_weights:
            raise SpecError(
                f"workload '{workload.name}' needs {arrays} arrays, the macro has {spec.num_arrays}",
                hint="raise num_arrays, use larger arrays, compress the weights, or reload weights "
                "(time-multiplex the macro)",
            )
        layers = [time_multiplex(item, spec) for item in layers]
        arrays = spec.num_arrays
    by_name = {item.name: item for item in layers}
    timeline: list[tuple[str, float, float]] = []
    now = 0.0
    energy = 0.0
    macs = 0
    for phase in workload.phases():
        for _ in range(phase.repeat):
            for name in phase.layers:
                item = by_name[name]
                timeline.append((name, now, now + item.latency_s))
                now += item.latency_s
                energy += item.energy_j
                macs += item.macs
    return WorkloadMapping(
        workload=workload.name,
        spec=spec,
        layers=layers,
        timeline=timeline,
        arrays=arrays,
        latency_s=now,
        energy_j=energy,
        macs=macs,
    )


from eda.workloads.currents import ArrayGrid, CurrentTrace, current_maps  # noqa: E402  (re-export)
