"""The acim.generate step and `eda acim generate` CLI, alone and fed by a spec JSON, then DRC/LVS steps."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest


def _eda(*args: str) -> tuple[int, str]:
    from eda.cli import main

    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = main(list(args))
    return code, out.getvalue()


def test_cli_generate_and_infeasible_spec(tmp_path: Path) -> None:
    code, text = _eda(
        "acim",
        "generate",
        "--rows",
        "8",
        "--cols",
        "8",
        "--local-array-size",
        "2",
        "--adc-bits",
        "3",
        "--out",
        str(tmp_path),
    )
    assert code == 0, text
    assert (tmp_path / "acim_8x8_l2_b3.gds").is_file() and (tmp_path / "acim_8x8_l2_b3.spice").is_file()
    code, text = _eda(
        "acim",
        "generate",
        "--rows",
        "8",
        "--cols",
        "8",
        "--local-array-size",
        "3",
        "--adc-bits",
        "3",
        "--out",
        str(tmp_path),
    )
    assert code == 2 and "does not divide rows" in text


@pytest.mark.klayout
def test_flow_with_spec_input(tmp_path: Path) -> None:
    spec = tmp_path / "best.json"
    spec.write_text(
        json.dumps(
            {
                "spec": {"rows": 8, "cols": 8, "local_array_size": 2, "adc_bits": 3, "unit_cap_fF": 3.0},
                "objectives": {"snr_db": 30.0},
            }
        )
    )
    flow = tmp_path / "flow.yaml"
    flow.write_text(f"""name: gen-test
steps:
  - id: generate
    use: acim.generate
    with: {{render: false}}
    inputs: {{spec: {spec}}}
  - id: drc
    use: signoff.drc
    inputs: {{gds: generate.gds}}
  - id: lvs
    use: signoff.lvs
    inputs: {{gds: generate.gds, netlist: generate.netlist}}
""")
    code, text = _eda("run", str(flow), "--runs", str(tmp_path / "runs"), "--no-progress")
    assert code == 0, text
    run = next((tmp_path / "runs" / "gen-test").iterdir())
    metrics = json.loads((run / "01-generate" / "metrics.json").read_text())
    assert metrics["acim__layout__bitcells"] == 64
    assert metrics["acim__layout__area_um2"] == pytest.approx(
        sum(v for k, v in metrics.items() if k.startswith("acim__area__")), rel=1e-6
    )
    assert json.loads((run / "02-drc" / "metrics.json").read_text())["signoff__drc__violations"] == 0
    assert json.loads((run / "03-lvs" / "metrics.json").read_text())["signoff__lvs__match"] == 1


def test_stripe_period_option_regenerates_the_grid(tmp_path):
    """`stripe_every` closes the IR-drop loop: the regenerated macro carries other met4 stripes (8, the
    default, is also the densest period whose tap segment holds a standard-cell SAR block)."""
    import json

    from eda.flow.runner import run_flow
    from eda.flow.schema import load_flow

    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "name: dense\nsteps:\n  - id: gen\n    use: acim.generate\n"
        "    with: {rows: 16, cols: 32, local_array_size: 4, adc_bits: 3, render: false}\n"
    )
    dense = run_flow(load_flow(flow), runs_dir=tmp_path / "runs", progress=False)
    sparse = run_flow(load_flow(flow, ["gen.stripe_every=16"]), runs_dir=tmp_path / "runs", progress=False)
    stripes = []
    for result in (dense, sparse):
        record = result.record("gen")
        assert "png" not in record.outputs  # render off: the optional output is absent, not a crash
        area = json.loads((record.directory / record.outputs["area"]).read_text())
        stripes.append(len(area["stripe_columns"]))
    # a well-tap column (with its stripe) starts the array and follows every `stripe_every` columns
    assert stripes == [32 // 8 + 1, 32 // 16 + 1]
