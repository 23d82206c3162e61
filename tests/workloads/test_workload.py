"""Workload representation: validation, matrix-product views, YAML/JSON round trip, NeuroSim export, zoo."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from eda.errors import DataError, SpecError
from eda.workloads import zoo
from eda.workloads.workload import LayerRecord, TracePhase, Workload, export_neurosim, neurosim_rows


def _sample() -> Workload:
    layers = [
        LayerRecord.conv(
            "conv",
            3,
            16,
            3,
            8,
            padding=1,
            weight_bits=4,
            activation_bits=6,
            input_density=0.3,
            toggle_rate=0.2,
        ),
        LayerRecord.conv("dw", 16, 16, 3, 8, stride=2, padding=1, groups=16),
        LayerRecord.gemm("fc_lr", 4, 256, 64, structure="low_rank", rank=8, expert_id=2),
        LayerRecord.gemm("fc_bc", 4, 64, 64, structure="block_circulant", block_size=8, accumulator_bits=17),
        LayerRecord.embedding("emb", 1000, 32, 16),
        LayerRecord.attention("attn", 16, 2, 16, meta={"note": "core"}),
    ]
    trace = [TracePhase("prefill", ["emb", "attn"]), TracePhase("decode", ["fc_lr", "fc_bc"], repeat=3)]
    return Workload("sample", layers, trace, meta={"method": "test", "numbers": np.arange(3)})


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip(tmp_path, suffix):
    work = _sample()
    loaded = Workload.load(work.save(tmp_path / f"w{suffix}"))
    assert loaded.to_dict() == work.to_dict()
    assert loaded.layers == work.layers and loaded.trace == work.trace
    assert loaded.meta["numbers"] == [0, 1, 2]


def test_gemm_views_by_hand():
    work = _sample()
    conv = work.layer("conv").gemm_ops()[0]
    assert (conv.m, conv.k, conv.n, conv.repeats) == (64, 27, 16, 1)
    dw = work.layer("dw").gemm_ops()[0]
    assert (dw.m, dw.k, dw.n, dw.repeats) == (16, 9, 1, 16)  # 8x8 -> 4x4 output, groups=16
    u, v = work.layer("fc_lr").gemm_ops()
    assert (u.k, u.n, v.k, v.n) == (256, 8, 8, 64)
    assert work.layer("fc_lr").weight_count == 8 * (256 + 64)
    assert work.layer("fc_bc").weight_count == 64 * 64 // 8
    emb = work.layer("emb")
    assert emb.activation_bits == 1 and emb.structure == "one_hot" and emb.macs == 16 * 32
    qk, pv = work.layer("attn").gemm_ops()
    assert not qk.static_weights and (qk.m, qk.k, qk.n, qk.repeats) == (16, 16, 16, 2)
    assert work.layer("attn").weight_count == 0
    runs = work.layer_runs()
    assert runs == {"conv": 0, "dw": 0, "fc_lr": 3, "fc_bc": 3, "emb": 1, "attn": 1}
    assert (
        work.total_macs == 3 * (4 * 256 * 8 + 4 * 8 * 64) + 3 * 4 * 64 * 64 + 16 * 32 + 2 * 2 * 16 * 16 * 16
    )


def test_count_multiplies_inputs_not_weights():
    once = LayerRecord.gemm("a", 2, 10, 5)
    many = LayerRecord.gemm("a", 2, 10, 5, count=7)
    assert many.macs == 7 * once.macs and many.weight_count == once.weight_count


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"op": "pool"}, "unknown operation"),
        ({"shape": {"m": 1, "k": 2}}, "missing"),
        ({"shape": {"m": 1, "k": 2, "n": 0}}, "positive integer"),
        ({"structure": "low_rank"}, "rank"),
        ({"input_density": 1.5}, r"\[0, 1\]"),
        ({"weight_bits": 0}, "weight_bits"),
    ],
)
def test_validation_errors(bad, match):
    data = {"name": "x", "op": "gemm", "shape": {"m": 1, "k": 2, "n": 3}} | bad
    with pytest.raises(SpecError, match=match):
        LayerRecord.from_dict(data)


def test_workload_file_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        Workload.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nlayers: []\nextra: 1\n")
    with pytest.raises(DataError, match="unknown workload keys"):
        Workload.load(bad)
    with pytest.raises(SpecError, match="unknown layers"):
        Workload("w", [LayerRecord.gemm("a", 1, 2, 3)], [TracePhase("p", ["b"])])
    with pytest.raises(SpecError, match="duplicate"):
        Workload("w", [LayerRecord.gemm("a", 1, 2, 3), LayerRecord.gemm("a", 1, 2, 3)])


def test_neurosim_export(tmp_path):
    work = _sample()
    path = export_neurosim(work, tmp_path / "NetWork.csv")
    rows = [[int(v) for v in row] for row in csv.reader(path.open())]
    assert rows == neurosim_rows(work)
    assert rows[0] == [8, 8, 3, 3, 3, 16, 0, 1]
    assert rows[1] == [8, 8, 1, 3, 3, 16, 0, 2]  # depthwise: 1 input channel per kernel
    assert rows[2] == [4, 1, 256, 1, 1, 8, 0, 1] and rows[3] == [4, 1, 8, 1, 1, 64, 0, 1]
    assert rows[5] == [16, 1, 1000, 1, 1, 32, 0, 1]
    assert len(rows) == 6  # attention has no stored weights
    assert len(neurosim_rows(work, include_dynamic=True)) == 8
    # every row's weights (IFM channels x kernel x OFM) add up to the stored (dense-equivalent) weights
    weights = sum(r[2] * r[3] * r[4] * r[5] for r in rows)
    assert weights == sum(layer.weight_count for layer in work.layers) + 64 * 64 - 64 * 64 // 8


def test_zoo_parameter_counts():
    # published sizes: ResNet-18 11.69 M (conv+fc weights 11.68 M), MobileNetV2 3.5 M, BERT-tiny 4.4 M
    assert zoo.resnet18().total_weights == 11_678_912
    assert 3.4e6 < zoo.mobilenet_v2().total_weights < 3.5e6
    assert zoo.bert_param_count(2, 128, 512) == 4_385_920
    assert zoo.bert_param_count(4, 256, 1024) == 11_170_560
    work = zoo.bert_tiny(seq_len=64)
    assert work.layer("embed.word").weight_count == 30522 * 128
    assert work.layer("layer1.attn").shape == {"seq_len": 64, "heads": 2, "head_dim": 64}
    assert zoo.vit_small().layer("block0.attn").shape["seq_len"] == 65
    with pytest.raises(SpecError, match="choose one of"):
        zoo.build("alexnet")


def test_torch_workload_measures_activity():
    import torch

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 64, 10)
    )
    x = torch.rand(2, 1, 8, 8)
    work = zoo.torch_workload(model, x, bits={"0": (4, 4)})
    assert [layer.op for layer in work.layers] == ["conv", "gemm"]
    assert work.layers[0].weight_bits == 4 and work.layers[1].shape == {"m": 1, "k": 256, "n": 10}
    assert 0.2 < work.layers[0].input_density < 0.8  # uniform inputs: about half the bits are 1
