"""A corpus of malformed inputs (issue 19): each gives its exit code and a message saying what went wrong.

Every case runs ``eda`` in-process on files written into ``tmp_path`` and checks the exit code (1 for a
sign-off FAIL, 2 for bad input or usage, 0 where a suspicious input must only warn), a fragment of the
message, and that no traceback is printed. ``ITEM`` numbers follow the numbered list of issue 19;
:func:`test_every_issue_item_is_covered` keeps the corpus from losing a category.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from tests.flow.helpers import run_cli

GOOD = (
    "R1 n1_m1_0_0 n1_m1_4000_0 1\nR2 n1_m1_4000_0 n1_m4_4000_0 1\nR3 n1_m1_0_0 n1_m1_0_4000 2\n"
    "R4 n1_m1_0_4000 n1_m1_4000_4000 1\nR5 n1_m1_4000_4000 n1_m1_4000_0 1\n"
    "V1 n1_m4_4000_0 0 1.1\nI1 n1_m1_0_0 0 0.001\nI2 n1_m1_0_4000 0 0.002\n"
)

FLOW_HEAD = "name: bad\nplugins: [eda_test_steps]\nexecutor: serial\nsteps:\n"


@dataclass
class Case:
    """One malformed input: ``make(tmp)`` writes files and returns the ``eda`` arguments."""

    id: str
    item: int
    make: Callable[[Path], list[str]]
    code: int
    fragments: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    check: Callable[[Path, str], None] | None = None


def _write(tmp: Path, name: str, text: str | bytes) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _solve(text: str | bytes, *extra: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        return ["pdn", "solve", str(_write(tmp, "n.sp", text)), "--out", str(tmp / "o"), "--no-plots", *extra]

    return make


def _flow(steps: str, *extra: str, name: str = "flow.yaml") -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = _write(tmp, name, FLOW_HEAD + steps)
        return ["run", str(path), "--runs", str(tmp / "runs"), "--no-progress", *extra]

    return make


def _check(metrics: dict | list | str, limits: str | bytes) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        text = metrics if isinstance(metrics, str) else json.dumps(metrics)
        return [
            "signoff",
            "check",
            str(_write(tmp, "m.json", text)),
            "--limits",
            str(_write(tmp, "l.yaml", limits)),
            "--out",
            str(tmp / "so"),
        ]

    return make


def _map_text(values: np.ndarray) -> str:
    return "\n".join(",".join(f"{v:.3e}" for v in row) for row in values) + "\n"


def _predict(current: str | bytes) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        ones = _map_text(np.ones((5, 5)))
        return [
            "irdrop",
            "predict",
            "--netlist",
            str(_write(tmp, "n.sp", GOOD)),
            "--current",
            str(_write(tmp, "current.csv", current)),
            "--eff-dist",
            str(_write(tmp, "eff.csv", ones)),
            "--pdn-density",
            str(_write(tmp, "den.csv", ones)),
            "--out",
            str(tmp / "pred.csv"),
        ]

    return make


def _render(data: bytes | None, name: str = "x.gds") -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = tmp / name
        if data is None:
            path.mkdir()
        else:
            _write(tmp, name, data)
        return ["signoff", "render", str(path), "--out", str(tmp / "x.png")]

    return make


def _signoff(command: str, data: bytes) -> Callable[[Path], list[str]]:
    """``eda signoff drc|lvs`` (the project's own deck) on a bad GDS."""

    def make(tmp: Path) -> list[str]:
        _write(tmp, "x.gds", data)
        extra = [str(_write(tmp, "x.spice", b".subckt x\n.ends x\n"))] if command == "lvs" else []
        return ["signoff", command, str(tmp / "x.gds"), *extra, "--deck", "own", "--out", str(tmp / "out")]

    return make


def _gds_bytes() -> bytes:
    from eda.shipped import default_library_dir

    return (default_library_dir() / "bitcell8t.gds").read_bytes()


def _argv(*args: str) -> Callable[[Path], list[str]]:
    return lambda tmp: [a.replace("{tmp}", str(tmp)) for a in args]


def _nothing_outside(tmp: Path, out: str) -> None:
    assert not (tmp.parent / "escape").exists() and not (tmp / "escape").exists()
    assert not (tmp / "runs" / "latest").exists()


def _failed_step_kept(tmp: Path, out: str) -> None:
    failed = list((tmp / "runs").glob("bad/*/01-full.failed"))
    assert failed and (failed[0] / "step.log").is_file(), out
    assert not list((tmp / "runs").glob("bad/*/.01-full.tmp"))
    assert "Logging error" not in out


def _best_snr_positive(tmp: Path, out: str) -> None:
    best = json.loads((tmp / "ex" / "best_point.json").read_text())
    assert best["snr_total_db"] >= 0.0


SIGNOFF_DROP = "limits:\n  worst_static_drop_mv: {value: 25, compare: '<='}\n"
SIGNOFF_DRC = "limits:\n  drc_violations: {value: 0, compare: '=='}\n"
SIGNOFF_NE = "limits:\n  errs: {metric: demo__errors, value: 0, compare: '!='}\n"

CASES: list[Case] = [
    # 1. a sign-off that passes on NaN
    Case(
        "nan-drop-fails",
        1,
        _check({"pdn__static__worst_drop_mv": float("nan")}, SIGNOFF_DROP),
        1,
        ("FAIL", "non-finite measurement cannot pass"),
    ),
    Case(
        "nan-among-several-fails",
        1,
        _check(
            {"a": {"pdn__static__worst_drop_mv": 3.0}, "b": {"pdn__static__worst_drop_mv": float("nan")}},
            SIGNOFF_DROP,
        ),
        1,
        ("non-finite measurement",),
    ),
    Case(
        "inf-drop-fails",
        1,
        _check('{"pdn__static__worst_drop_mv": Infinity}', SIGNOFF_DROP),
        1,
        ("measured inf",),
    ),
    Case(
        "nan-drc-count-fails",
        1,
        _check({"signoff__drc__violations": float("nan")}, SIGNOFF_DRC),
        1,
        ("non-finite",),
    ),
    Case("nan-not-equal-fails", 1, _check({"demo__errors": float("nan")}, SIGNOFF_NE), 1, ("non-finite",)),
    Case(
        "nan-limit-value",
        1,
        _check({"pdn__static__worst_drop_mv": 1.0}, "limits:\n  worst_static_drop_mv: {value: .nan}\n"),
        2,
        ("l.yaml:2", "finite number"),
    ),
    Case(
        "nan-metric-in-flow",
        1,
        _flow(
            "  - id: solve\n    use: demo.measure\n    with: {text: nan}\n"
            "  - id: signoff\n    use: signoff.check\n    with:\n      limits:\n"
            "        worst_static_drop_mv: {value: 25, metric: demo__static__worst_drop_mv}\n"
        ),
        1,
        ("non-finite metric", "sign-off FAILED"),
    ),
    # 2. NaN/inf tiles in maps
    Case(
        "nan-tile-current-map",
        2,
        _predict(_map_text(np.where(np.eye(5) > 0, np.nan, 1e-6))),
        2,
        ("current.csv:1", "non-finite value nan"),
    ),
    Case(
        "negative-current-map",
        2,
        _predict(_map_text(-np.ones((5, 5)) * 1e-6)),
        2,
        ("current.csv:1", "negative value"),
    ),
    Case("inf-tile-like-map", 2, _solve(GOOD, "--like", "{like}"), 2, ("like.csv:2", "non-finite value inf")),
    # 4. YAML bombs and sizes
    Case(
        "yaml-bomb-in-with",
        4,
        _flow(
            "  - id: a\n    use: demo.source\n    with:\n      label: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"      l{i}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
            )
        ),
        2,
        ("aliases expanded", "EDA_LIMIT_YAML_NODES"),
    ),
    Case(
        "yaml-too-big",
        4,
        _flow("  - id: a\n    use: demo.source\n" + "#" * 400 + "\n"),
        2,
        ("EDA_LIMIT_YAML_BYTES",),
        env={"EDA_LIMIT_YAML_BYTES": "300"},
    ),
    Case(
        "bad-limit-variable",
        4,
        _flow("  - id: a\n    use: demo.source\n"),
        2,
        ("EDA_LIMIT_YAML_BYTES='lots'", "positive number"),
        env={"EDA_LIMIT_YAML_BYTES": "lots"},
    ),
    # 5. upper bounds
    Case(
        "acim-rows-million",
        5,
        _argv(
            "acim",
            "generate",
            "--rows",
            "1000000",
            "--cols",
            "4",
            "--local-array-size",
            "4",
            "--adc-bits",
            "4",
            "--out",
            "{tmp}/g",
        ),
        2,
        ("EDA_LIMIT_ACIM_DIMENSION",),
    ),
    Case(
        "acim-layout-too-big",
        5,
        _argv(
            "acim",
            "generate",
            "--rows",
            "4096",
            "--cols",
            "4096",
            "--local-array-size",
            "4",
            "--adc-bits",
            "4",
            "--out",
            "{tmp}/g",
        ),
        2,
        ("16,777,216 bitcells", "EDA_LIMIT_ACIM_BITCELLS"),
    ),
    Case(
        "explore-population-million",
        5,
        _argv(
            "acim", "explore", "--rows", "32", "--cols", "32", "--population", "1000000", "--out", "{tmp}/ex"
        ),
        2,
        ("EDA_LIMIT_ACIM_POPULATION",),
    ),
    Case(
        "explore-generations",
        5,
        _argv(
            "acim",
            "explore",
            "--rows",
            "32",
            "--cols",
            "32",
            "--generations",
            "99999999",
            "--out",
            "{tmp}/ex",
        ),
        2,
        ("EDA_LIMIT_ACIM_GENERATIONS",),
    ),
    Case(
        "pdn-nodes-1e12",
        5,
        _flow(
            "  - id: grid\n    use: pdn.generate\n    with: {nodes: 2000}\n",
            "--set",
            "grid.nodes=1000000000000",
        ),
        2,
        ("EDA_LIMIT_PDN_NODES",),
    ),
    Case(
        "pdn-generate-cli-nodes",
        5,
        _argv("pdn", "generate", "--nodes", "100000000", "--out", "{tmp}/g.sp"),
        2,
        ("EDA_LIMIT_PDN_NODES",),
    ),
    Case(
        "transient-1e15-steps",
        5,
        _solve(GOOD, "--transient", "1,1e-15"),
        2,
        ("--transient", "EDA_LIMIT_TRANSIENT_STEPS"),
    ),
    Case(
        "render-too-many-pixels",
        5,
        _argv("signoff", "render", "{tmp}/x.gds", "--width", "100000", "--height", "100000"),
        2,
        ("EDA_LIMIT_RENDER_PIXELS",),
    ),
    # 6. PDN source values
    Case("voltage-nan", 6, _solve(GOOD.replace("0 1.1", "0 nan")), 2, ("n.sp:6", "voltage nan")),
    Case("current-nan", 6, _solve(GOOD.replace("0 0.001", "0 nan")), 2, ("n.sp:7", "current nan")),
    Case("current-inf", 6, _solve(GOOD.replace("0 0.001", "0 1e999")), 2, ("n.sp:7", "current inf")),
    Case("current-1e308", 6, _solve(GOOD.replace("0 0.001", "0 1e308")), 2, ("n.sp:7", "1e+308")),
    Case("voltage-1e308", 6, _solve(GOOD.replace("0 1.1", "0 1e308")), 2, ("n.sp:6", "1e+308")),
    Case(
        "resistor-1e308",
        6,
        _solve(GOOD.replace("n1_m1_4000_4000 1\n", "n1_m1_4000_4000 1e308\n", 1)),
        2,
        ("n.sp:4", "open circuit"),
    ),
    Case(
        "series-resistor-below-ground",
        6,
        _solve(
            "R1 a_m1_0_0 b_m1_2000_0 1\nR2 b_m1_2000_0 c_m1_4000_0 1e11\nV1 a_m1_0_0 0 1.1\nI1 c_m1_4000_0 0 1m\n"
        ),
        2,
        ("below ground", "draw more than the grid can deliver"),
    ),
    Case(
        "current-minus-1000",
        6,
        _solve(GOOD.replace("0 0.001", "0 -1000")),
        2,
        ("n.sp:7", "injecting current"),
    ),
    Case(
        "current-from-ground",
        6,
        _solve(GOOD.replace("I1 n1_m1_0_0 0 0.001", "I1 0 n1_m1_0_0 0.001")),
        2,
        ("n.sp:7", "injecting current"),
    ),
    Case("all-pads-0V", 6, _solve(GOOD.replace("0 1.1", "0 0")), 2, ("n.sp:6", "no supply")),
    Case("negative-pad", 6, _solve(GOOD.replace("0 1.1", "0 -1.1")), 2, ("n.sp:6", "voltage (V) -1.1")),
    Case("pwl-inf", 6, _solve(GOOD.replace("0 0.001", "0 PWL(0 0 1n 1e999)")), 2, ("n.sp:7", "current inf")),
    Case(
        "pwl-nan-text", 6, _solve(GOOD.replace("0 0.001", "0 PWL(0 0 1n nan)")), 2, ("n.sp:7", "not a number")
    ),
    # 7. command-line usage errors
    Case("missing-argument", 7, _argv("pdn", "solve"), 2, ("Missing argument", "Usage: eda pdn solve")),
    Case("unknown-command", 7, _argv("frobnicate"), 2, ("No such command 'frobnicate'",)),
    Case(
        "rows-not-integer", 7, _argv("acim", "generate", "--rows", "1e6"), 2, ("Invalid value for '--rows'",)
    ),
    Case(
        "bad-choice",
        7,
        _argv(
            "irdrop",
            "predict",
            "--netlist",
            "n",
            "--current",
            "c",
            "--eff-dist",
            "e",
            "--pdn-density",
            "d",
            "--out",
            "p.csv",
            "--ood",
            "foo",
        ),
        2,
        ("'--ood'",),
    ),
    Case(
        "missing-option",
        7,
        _argv("irdrop", "predict", "--netlist", "n", "--out", "p.csv"),
        2,
        ("Missing option '--current'",),
    ),
    Case(
        "bad-option-value-model",
        7,
        _argv("workload", "adapmoe", "--reduction", "nan", "--out", "{tmp}/a.yaml"),
        2,
        ("invalid value for reduction", "finite number"),
    ),
    # 8. encodings, binary files, non-GDS
    Case(
        "latin1-flow",
        8,
        lambda tmp: [
            "run",
            str(
                _write(
                    tmp,
                    "f.yaml",
                    (FLOW_HEAD + "  - id: a  # caf\xe9\n    use: demo.source\n").encode("latin-1"),
                )
            ),
            "--runs",
            str(tmp / "runs"),
        ],
        2,
        ("f.yaml:5:", "not valid UTF-8", "UTF-8"),
    ),
    Case(
        "latin1-limits",
        8,
        _check({"pdn__static__worst_drop_mv": 1.0}, ("# \xe9t\xe9\n" + SIGNOFF_DROP).encode("latin-1")),
        2,
        ("l.yaml:1:", "not valid UTF-8"),
    ),
    Case(
        "binary-flow",
        8,
        lambda tmp: ["run", str(_write(tmp, "f.yaml", b"\x00\x01\x02binary"))],
        2,
        ("binary data",),
    ),
    Case(
        "utf8-node-names",
        8,
        _solve(GOOD.replace("n1_m1_0_0", "n1_m\u00e9_0_0").encode()),
        2,
        ("n.sp:1", "non-ASCII"),
    ),
    Case(
        "binary-netlist",
        8,
        _solve(b"\x7fELF\x02\x01\x01" + bytes(64)),
        2,
        ("a program, not a SPICE netlist",),
    ),
    Case("render-text-gds", 8, _render(b"hello\n"), 2, ("a text file, not a GDSII layout",)),
    Case("render-truncated-gds", 8, _render(_gds_bytes()[:300]), 2, ("truncated or corrupt",)),
    Case("render-empty-gds", 8, _render(b""), 2, ("is empty",)),
    Case("render-directory", 8, _render(None, "d.gds"), 2, ("is a directory, not a GDS file",)),
    Case("drc-text-gds", 8, _signoff("drc", b"hello\n"), 2, ("a text file, not a GDSII layout",)),
    Case("lvs-truncated-gds", 8, _signoff("lvs", _gds_bytes()[:300]), 2, ("truncated or corrupt",)),
    # 9. paths
    Case(
        "run-id-escape",
        9,
        _flow("  - id: a\n    use: demo.source\n", "--run-id", "../../escape"),
        2,
        ("not a valid run id",),
        check=_nothing_outside,
    ),
    Case(
        "run-id-absolute",
        9,
        _flow("  - id: a\n    use: demo.source\n", "--run-id", "/tmp/eda-abs-run"),
        2,
        ("not a valid run id",),
    ),
    Case(
        "run-id-latest",
        9,
        _flow("  - id: a\n    use: demo.source\n", "--run-id", "latest"),
        2,
        ("not a valid run id",),
    ),
    Case(
        "runs-is-a-file",
        9,
        lambda tmp: (
            _flow("  - id: a\n    use: demo.source\n")(tmp)[:2] + ["--runs", str(_write(tmp, "afile", "x"))]
        ),
        2,
        ("--runs", "is a file, not a directory"),
    ),
    Case(
        "out-dir-is-a-file",
        9,
        lambda tmp: _solve(GOOD)(tmp)[:3] + ["--out", str(_write(tmp, "afile", "x"))],
        2,
        ("--out", "is an existing file"),
    ),
    Case(
        "out-file-is-a-dir",
        9,
        _argv("pdn", "generate", "--out", "{tmp}"),
        2,
        ("--out", "is a directory, but an output file is needed"),
    ),
    Case(
        "out-under-a-file",
        9,
        lambda tmp: _solve(GOOD)(tmp)[:3] + ["--out", str(_write(tmp, "f", "x")) + "/sub"],
        2,
        ("is a file",),
    ),
    # 10. disk full
    Case(
        "disk-full-in-step",
        10,
        _flow("  - id: full\n    use: demo.fill_disk\n"),
        2,
        ("No space left on device", "free space"),
        check=_failed_step_kept,
    ),
    Case(
        "disk-full-cli-output",
        10,
        _argv("pdn", "generate", "--nodes", "3000", "--out", "/dev/full"),
        2,
        ("No space left on device",),
    ),
    # 12. silently accepted / misleading
    Case(
        "max-area-negative",
        12,
        _argv("acim", "explore", "--rows", "32", "--cols", "32", "--max-area", "-1", "--out", "{tmp}/ex"),
        2,
        ("maximum area -1.0", "positive"),
    ),
    Case(
        "explore-without-min-snr",
        12,
        _argv(
            "acim",
            "explore",
            "--rows",
            "32",
            "--cols",
            "32",
            "--population",
            "20",
            "--generations",
            "5",
            "--out",
            "{tmp}/ex",
        ),
        0,
        ("warning: no minimum SNR given",),
        check=_best_snr_positive,
    ),
    Case(
        "like-map-smaller-than-die",
        12,
        _argv("pdn", "solve", "{tmp}/g.sp", "--like", "{tmp}/small.csv", "--out", "{tmp}/o", "--no-plots"),
        0,
        ("warning:", "does not cover the die"),
    ),
    Case(
        "duplicate-element-names",
        12,
        _solve(GOOD + "r1 n1_m1_0_0 n1_m1_4000_0 1\n"),
        0,
        ("warning:", "n.sp:9", "duplicate element name 'r1'"),
    ),
    Case(
        "short-1e-12-ohm",
        12,
        _solve(GOOD + "R9 n1_m1_0_0 n1_m1_4000_4000 1e-12\n"),
        2,
        ("warning:", "below 1e-06", "n.sp:9", "resistances span"),
    ),
    Case(
        "zero-volt-pad-mid-grid",
        12,
        _solve(GOOD + "V2 n1_m1_4000_4000 0 0\n"),
        0,
        ("warning:", "n.sp:9", "holds 0 V"),
    ),
    Case("directory-as-flow", 12, _argv("run", "{tmp}"), 2, ("is a directory, not a flow file",)),
    Case(
        "directory-as-netlist", 12, _argv("pdn", "solve", "{tmp}", "--out", "{tmp}/o"), 2, ("is a directory",)
    ),
    Case(
        "png-as-current-map",
        12,
        _predict(b"\x89PNG\r\n\x1a\n" + b"x" * 40),
        2,
        ("a PNG image, not a CSV map",),
    ),
    Case(
        "non-gzip-gz",
        12,
        _argv("pdn", "solve", "{tmp}/junk.sp.gz", "--out", "{tmp}/o"),
        2,
        ("is named .gz but is not gzip",),
    ),
    Case(
        "executor-without-line",
        12,
        lambda tmp: [
            "run",
            str(
                _write(
                    tmp,
                    "f.yaml",
                    "name: bad\nplugins: [eda_test_steps]\nexecutor: warp\nsteps:\n  - id: a\n    use: demo.source\n",
                )
            ),
        ],
        2,
        ("f.yaml:3", "unknown executor 'warp'"),
    ),
    Case("json-list-as-metrics", 12, _check([1, 2, 3], SIGNOFF_DROP), 2, ("JSON object", "got a list")),
    Case("metrics-not-json", 12, _check("{bad json", SIGNOFF_DROP), 2, ("m.json:1:2", "not valid JSON")),
    Case(
        "spec-json-nan",
        12,
        lambda tmp: [
            "acim",
            "generate",
            "--spec",
            str(
                _write(
                    tmp,
                    "s.json",
                    '{"rows": 8, "cols": 8, "local_array_size": 2, "adc_bits": 3, "unit_cap_fF": NaN}',
                )
            ),
            "--out",
            str(tmp / "g"),
        ],
        2,
        ("s.json", "unit_cap_fF=nan"),
    ),
    Case(
        "spec-json-latin1",
        12,
        lambda tmp: [
            "acim",
            "generate",
            "--spec",
            str(_write(tmp, "s.json", '{"rows": 8, "note": "caf\xe9"}'.encode("latin-1"))),
            "--out",
            str(tmp / "g"),
        ],
        2,
        ("s.json:1:", "not valid UTF-8"),
    ),
    Case(
        "nan-step-parameter",
        12,
        _flow("  - id: a\n    use: pdn.generate\n    with: {current_density_a_um2: .nan}\n"),
        2,
        ("flow.yaml:", "finite number"),
    ),
]


def _prepare(case: Case, tmp: Path) -> None:
    """Extra files a few cases refer to by ``{tmp}`` or ``{like}``."""
    if case.id == "like-map-smaller-than-die":
        from eda.pdn.generate import GridSpec, generate_pdn
        from eda.pdn.netlist import write_netlist

        write_netlist(generate_pdn(GridSpec(width_um=60.0, height_um=60.0)).netlist, tmp / "g.sp")
        _write(tmp, "small.csv", _map_text(np.full((20, 20), 1e-6)))
    if case.id == "non-gzip-gz":
        _write(tmp, "junk.sp.gz", b"\x00\x13junk" * 20)
    if case.id == "render-too-many-pixels":
        _write(tmp, "x.gds", _gds_bytes())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    work = tmp_path / "w"
    work.mkdir()
    monkeypatch.chdir(work)  # relative outputs (p.csv, ...) land here, never in the checkout
    _prepare(case, work)
    argv = case.make(work)
    if "{like}" in argv:
        argv[argv.index("{like}")] = str(_write(work, "like.csv", "1e-6,1e-6\ninf,1e-6\n"))
    code, out = run_cli(*argv)
    assert code == case.code, out
    for fragment in case.fragments:
        assert fragment in out, f"{fragment!r} not in:\n{out}"
    assert "Traceback" not in out
    assert "internal error" not in out
    if case.check is not None:
        case.check(work, out)


def test_every_issue_item_is_covered() -> None:
    """Items 3 (run lock) and 11 (cache integrity) need two runs: see test_flow_safety.py."""
    assert {c.item for c in CASES} | {3, 11} == set(range(1, 13))


def test_limit_variables_are_documented() -> None:
    """The README's exit-code section lists every limit and its variable."""
    from eda.data import repo_root
    from eda.limits import LIMITS

    readme = (repo_root() / "README.md").read_text()
    for item in LIMITS.values():
        assert item.env in readme, item.env
        assert f"{item.default:,}" in readme, (item.name, item.default)


def test_no_file_written_outside_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An escaping run id creates nothing, not even ``runs/``."""
    monkeypatch.chdir(tmp_path)
    flow = _write(tmp_path, "f.yaml", FLOW_HEAD + "  - id: a\n    use: demo.source\n")
    code, _ = run_cli("run", str(flow), "--run-id", "../x", "--runs", str(tmp_path / "runs"))
    assert code == 2
    assert sorted(os.listdir(tmp_path)) == ["f.yaml"]


class _Front:
    """Stands in for an ExploreResult: :func:`eda.acim.explore.pick` only reads its Pareto rows."""

    def __init__(self, snrs_and_tops_per_w: list[tuple[float, float]]) -> None:
        self.rows = [{"snr_total_db": snr, "tops_per_w": eff} for snr, eff in snrs_and_tops_per_w]

    def pareto_rows(self) -> list[dict]:
        return sorted(self.rows, key=lambda r: -r["tops_per_w"])


def test_pick_without_min_snr_skips_designs_below_0_db(caplog: pytest.LogCaptureFixture) -> None:
    from eda.acim.explore import pick
    from eda.errors import SpecError

    with caplog.at_level("WARNING", logger="eda.acim"):
        best = pick(_Front([(-14.5, 90.0), (3.0, 40.0), (20.0, 10.0)]))  # type: ignore[arg-type]
    assert best["snr_total_db"] == 3.0
    assert "no minimum SNR given" in caplog.text and "1 Pareto point(s) below 0 dB" in caplog.text
    assert pick(_Front([(-14.5, 90.0), (3.0, 40.0)]), min_snr_db=-20.0)["snr_total_db"] == -14.5  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="no --min-snr given"):
        pick(_Front([(-14.5, 90.0), (-3.0, 40.0)]))  # type: ignore[arg-type]
