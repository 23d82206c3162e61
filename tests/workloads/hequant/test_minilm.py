"""HEQuant's accumulator / lossless-ADC analysis on the real MiniLM encoder weights."""

from __future__ import annotations

import json
import math

import pytest

from eda.flow.runner import run_flow
from eda.flow.schema import load_flow

pytest.importorskip("safetensors")


def test_minilm_adc_requirement(tmp_path):
    flow = tmp_path / "flow.yaml"
    flow.write_text("name: hq\nsteps:\n  - id: hq\n    use: workload.hequant\n    with: {network: minilm}\n")
    result = run_flow(load_flow(flow), runs_dir=tmp_path / "runs", progress=False)
    record = result.record("hq")
    report = json.loads((record.directory / "hequant.json").read_text())
    adc = {int(r): b for r, b in report["adc_bits_required"].items()}
    rows = sorted(adc)
    assert all(
        adc[a] <= adc[b] for a, b in zip(rows, rows[1:], strict=False)
    )  # more rows never need fewer bits
    assert all(adc[r] <= 1 + math.ceil(math.log2(r)) for r in rows)  # a sum of r ones needs at most that
    assert len(report["accumulator_bits"]) == 36  # 6 layers x q, k, v, o, ffn1, ffn2
    for name, bits in report["accumulator_bits"].items():
        assert bits <= report["worst_case_bits"][name]
    assert record.metrics["workload__hequant__accumulator_bits_saved_mean"] > 0
    # the real activations of the text never leave the accumulator width HEQuant assigns
    for name, bits in report["reached_bits"].items():
        assert bits <= report["accumulator_bits"][name]
    # the packed product of the real (quantised) layer is exact on real ciphertexts; with fewer rows than
    # slots, lanes cannot cut the ciphertext count: one per input column and output, both ways
    he = report["he_product"]
    assert he["packed"]["exact"] and he["unpacked"]["exact"]
    assert he["rows"] < he["slots"]
    assert he["packed"]["ciphertexts"] == he["unpacked"]["ciphertexts"] == he["k"] + he["outputs"]
