"""The flow YAML schema and its resolution into runnable steps, with errors that cite file:line.

A flow file::

    name: quickstart                 # [A-Za-z0-9_-]+, names the runs/<flow>/ directory
    description: one line
    executor: local                  # local | serial | dask | dask:tcp://host:port
    plugins: [my_package.my_steps]   # optional modules that register extra steps
    steps:
      - id: grid                     # unique step id
        use: pdn.generate            # registered step name (`eda steps`)
        with: {nodes: 20000}         # parameters (validated by the step's model)
      - id: solve
        use: pdn.solve
        inputs: {netlist: grid.netlist}   # <step id>.<output>, or a file path

Everything is checked before anything runs: unknown keys (with the valid ones and a close match),
wrong types, unknown steps, missing/unknown inputs, references to missing steps or outputs, cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eda.errors import FlowError, UserError
from eda.flow.executors import parse_executor
from eda.flow.registry import close_match, did_you_mean, load_plugins, resolve
from eda.flow.step import Step, StepParams
from eda.flow.yamlio import YamlDocument, load_yaml, parse_scalar

__all__ = ["StepSpec", "FlowSpec", "StepRef", "ResolvedStep", "Flow", "load_flow", "parse_override"]

_ID = r"^[A-Za-z_][A-Za-z0-9_-]*$"


class StepSpec(BaseModel):
    """One entry of ``steps:``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: str = Field(pattern=_ID)
    use: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    inputs: dict[str, str] = Field(default_factory=dict)
    description: str = ""


class FlowSpec(BaseModel):
    """The top level of a flow file."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=_ID)
    description: str = ""
    executor: str = "local"
    plugins: list[str] = Field(default_factory=list)
    steps: list[StepSpec] = Field(min_length=1)


@dataclass(frozen=True)
class StepRef:
    """An input: an upstream step's output, or an external file."""

    step: str | None = None
    output: str | None = None
    path: Path | None = None

    def __str__(self) -> str:
        return f"{self.step}.{self.output}" if self.step else str(self.path)


@dataclass
class ResolvedStep:
    """A step ready to run: its class, validated params and resolved inputs."""

    index: int
    id: str
    cls: type[Step]
    params: StepParams
    inputs: dict[str, StepRef]
    description: str = ""

    @property
    def dirname(self) -> str:
        return f"{self.index + 1:02d}-{self.id}"


@dataclass
class Flow:
    """A validated flow: steps in execution order plus the dependency graph."""

    name: str
    description: str
    executor: str
    path: Path
    steps: list[ResolvedStep]
    graph: nx.DiGraph = field(repr=False)

    def step(self, step_id: str) -> ResolvedStep:
        for step in self.steps:
            if step.id == step_id:
                return step
        ids = [s.id for s in self.steps]
        raise FlowError(
            f"no step '{step_id}' in flow '{self.name}'",
            hint=did_you_mean(step_id, ids, f"steps: {', '.join(ids)}"),
        )


def _describe_error(
    doc: YamlDocument, loc: tuple[Any, ...], err: dict[str, Any], model: type[BaseModel]
) -> FlowError:
    """Turn one pydantic error into a FlowError citing file:line, the key and the valid choices."""
    where = doc.where(loc)
    key = loc[-1] if loc else "?"
    if err["type"] == "extra_forbidden":
        valid = sorted(f.alias or n for n, f in model.model_fields.items())
        hint = did_you_mean(str(key), valid, f"valid keys: {', '.join(valid) or 'none'}")
        return FlowError(f"unknown key '{key}'", where=where, hint=hint)
    if err["type"] == "missing":
        return FlowError(f"missing required key '{key}'", where=where)
    return FlowError(f"'{'.'.join(map(str, loc))}': {err['msg']} (got {err.get('input')!r})", where=where)


def _model_for_loc(loc: tuple[Any, ...]) -> type[BaseModel]:
    return StepSpec if len(loc) >= 3 and loc[0] == "steps" else FlowSpec


def parse_override(text: str) -> tuple[str, str, Any]:
    """``STEP.KEY=VALUE`` -> (step, key, parsed value)."""
    target, sep, value = text.partition("=")
    step_id, dot, key = target.partition(".")
    if not sep or not dot or not step_id or not key:
        raise FlowError(f"bad --set '{text}'", hint="write --set STEP.KEY=VALUE, e.g. --set grid.seed=3")
    return step_id.strip(), key.strip(), parse_scalar(value)


def _validate_params(doc: YamlDocument, index: int, spec: StepSpec, cls: type[Step]) -> StepParams:
    try:
        return cls.Params(**spec.with_)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ("steps", index, "with", *err["loc"])
        if err["type"] == "extra_forbidden":
            key = err["loc"][-1]
            valid = sorted(cls.Params.model_fields)
            hint = did_you_mean(
                str(key),
                valid,
                f"parameters of {cls.name}: {', '.join(valid) or 'none'} (see `eda steps {cls.name}`)",
            )
            raise FlowError(
                f"unknown parameter '{key}' for step '{spec.id}' ({cls.name})",
                where=doc.where(loc),
                hint=hint,
            ) from None
        if not err["loc"]:  # a check across parameters (a model validator)
            msg = str(err["msg"]).removeprefix("Value error, ")
            raise FlowError(f"step '{spec.id}' ({cls.name}): {msg}", where=doc.where(loc)) from None
        path = ".".join(map(str, err["loc"]))
        raise FlowError(
            f"step '{spec.id}' ({cls.name}) parameter '{path}': {err['msg']} (got {err.get('input')!r})",
            where=doc.where(loc),
        ) from None


def _resolve_inputs(
    doc: YamlDocument,
    index: int,
    spec: StepSpec,
    cls: type[Step],
    specs: dict[str, tuple[int, StepSpec, type[Step]]],
    flow_dir: Path,
) -> dict[str, StepRef]:
    inputs: dict[str, StepRef] = {}
    for name, ref in spec.inputs.items():
        where = doc.where(("steps", index, "inputs", name))
        if name not in cls.inputs:
            raise FlowError(
                f"step '{spec.id}' ({cls.name}) has no input '{name}'",
                where=where,
                hint=did_you_mean(
                    name, list(cls.inputs), f"inputs of {cls.name}: {', '.join(cls.inputs) or 'none'}"
                ),
            )
        head, dot, tail = ref.partition(".")
        if dot and head in specs:
            upstream = specs[head][2]
            if tail not in upstream.outputs:
                raise FlowError(
                    f"step '{head}' ({upstream.name}) has no output '{tail}'",
                    where=where,
                    hint=did_you_mean(
                        tail,
                        list(upstream.outputs),
                        f"outputs of {upstream.name}: {', '.join(upstream.outputs) or 'none'}",
                    ),
                )
            inputs[name] = StepRef(step=head, output=tail)
            continue
        path = (flow_dir / ref).expanduser()
        if path.exists():
            inputs[name] = StepRef(path=path.resolve())
            continue
        guess = close_match(head, list(specs)) if dot else None
        hint = (
            f"did you mean '{guess}.{tail}'? " if guess else ""
        ) + f"an input is <step id>.<output> (steps: {', '.join(specs)}) or an existing file path"
        raise FlowError(
            f"input '{name}' of step '{spec.id}' refers to '{ref}', which is neither a step "
            f"output nor a file",
            where=where,
            hint=hint,
        )
    missing = [n for n in cls.inputs if n not in inputs and n not in cls.optional_inputs]
    if missing:
        raise FlowError(
            f"step '{spec.id}' ({cls.name}) needs input(s) {', '.join(missing)}",
            where=doc.where(("steps", index)),
            hint=f"add `inputs: {{{missing[0]}: <step>.<output>}}`",
        )
    return inputs


def load_flow(path: Path | str, overrides: list[str] | tuple[str, ...] = ()) -> Flow:
    """Read, validate and resolve a flow file (plus ``--set`` overrides); nothing runs."""
    path = Path(path)
    if path.is_dir():
        raise FlowError(
            f"'{path}' is a directory, not a flow file",
            hint="give the flow's .yaml file (`eda flows` lists the shipped ones)",
        )
    if not path.is_file():
        raise FlowError(f"flow file '{path}' not found", hint="see `eda flows` for the shipped flows")
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise FlowError("a flow file must be a mapping with 'name' and 'steps'", where=doc.where(()))
    try:
        spec = FlowSpec.model_validate(doc.data)
    except ValidationError as exc:
        err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        raise _describe_error(doc, tuple(err["loc"]), err, _model_for_loc(tuple(err["loc"]))) from None
    try:
        parse_executor(spec.executor)
    except UserError as exc:
        raise FlowError(exc.message, where=doc.where(("executor",)), hint=exc.hint) from None
    load_plugins(spec.plugins)
    specs: dict[str, tuple[int, StepSpec, type[Step]]] = {}
    for index, step in enumerate(spec.steps):
        if step.id in specs:
            raise FlowError(f"duplicate step id '{step.id}'", where=doc.where(("steps", index, "id")))
        cls = resolve(step.use, where=doc.where(("steps", index, "use")))
        specs[step.id] = (index, step, cls)
    for text in overrides:
        step_id, key, value = parse_override(text)
        if step_id not in specs:
            raise FlowError(
                f"--set {text}: no step '{step_id}'",
                hint=did_you_mean(step_id, list(specs), f"steps: {', '.join(specs)}"),
            )
        specs[step_id][1].with_[key] = value
    flow_dir = path.resolve().parent
    graph = nx.DiGraph()
    resolved: list[ResolvedStep] = []
    for step_id, (index, step, cls) in specs.items():
        params = _validate_params(doc, index, step, cls)
        inputs = _resolve_inputs(doc, index, step, cls, specs, flow_dir)
        graph.add_node(step_id, index=index)
        for ref in inputs.values():
            if ref.step:
                graph.add_edge(ref.step, step_id)
        resolved.append(ResolvedStep(index, step_id, cls, params, inputs, step.description))
    try:
        cycle = nx.find_cycle(graph)
        chain = " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
        raise FlowError(
            f"dependency cycle: {chain}",
            where=str(path),
            hint="a step cannot consume (directly or indirectly) its own output",
        )
    except nx.NetworkXNoCycle:
        pass
    order = list(nx.lexicographical_topological_sort(graph, key=lambda n: specs[n][0]))
    by_id = {s.id: s for s in resolved}
    return Flow(spec.name, spec.description, spec.executor, path.resolve(), [by_id[i] for i in order], graph)
