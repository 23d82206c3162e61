"""ProPD: token trees, greedy-exact tree decoding, early pruning, acceptance statistics, latency fit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from eda.workloads.propd.model import CharLM, KVCache, LMConfig, MedusaHeads
from eda.workloads.propd.propd import (
    AcceptanceStats,
    accept_path,
    build_tree,
    decode,
    fit_latency_samples,
    prune_fn,
    tree_mask,
    verify_workload,
)

CFG = LMConfig(dim=32, heads=2, layers=3, ffn=64, context=96)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(seed: int = 0) -> CharLM:
    torch.manual_seed(seed)
    return CharLM(CFG).eval()


def test_build_tree_is_best_subtree_by_expected_acceptance() -> None:
    candidates = np.array([[10, 11], [20, 21]])
    probs = np.array([[0.6, 0.3], [0.5, 0.4]])
    # all 7 nodes: root, depth-1 ranks (0, 1), depth-2 children of each
    full = build_tree(5, candidates, probs, 7)
    assert len(full) == 7 and all(full.parents[i] < i for i in range(1, 7))
    for size in range(1, 8):
        tree = build_tree(5, candidates, probs, size)
        best = 0.0
        for subset in itertools.combinations(range(1, 7), size - 1):
            nodes = {0, *subset}
            if all(full.parents[n] in nodes for n in subset):
                best = max(best, sum(full.path_probs[n] for n in subset))
        assert tree.expected_accepted == pytest.approx(best)
    assert full.tokens[1] == 10 and full.path_probs[1] == pytest.approx(0.6)


def test_tree_mask_marks_ancestors() -> None:
    tree = build_tree(1, np.array([[2, 3], [4, 5]]), np.array([[0.9, 0.5], [0.9, 0.5]]), 5)
    mask = tree_mask(tree)
    for i in range(len(tree)):
        ancestors = set()
        j = i
        while j >= 0:
            ancestors.add(j)
            j = tree.parents[j]
        assert set(torch.nonzero(mask[i]).flatten().tolist()) == ancestors


def test_accept_path_follows_greedy_tokens() -> None:
    tree = build_tree(7, np.array([[1, 2], [3, 4]]), np.array([[0.9, 0.8], [0.7, 0.6]]), 7)
    by_token = {(tree.depths[i], tree.tokens[i], tree.parents[i]): i for i in range(len(tree))}
    child_2 = by_token[(1, 2, 0)]
    grandchild = next(i for i in range(len(tree)) if tree.parents[i] == child_2 and tree.tokens[i] == 4)
    greedy = {i: 0 for i in range(len(tree))}
    greedy[0], greedy[child_2], greedy[grandchild] = 2, 4, 9
    assert accept_path(tree, greedy) == [0, child_2, grandchild]
    del greedy[grandchild]  # a pruned node cannot be accepted
    assert accept_path(tree, greedy) == [0, child_2]


@pytest.mark.parametrize("tree_size", [4, 12, "dynamic"])
def test_tree_decoding_reproduces_greedy_decoding(tree_size) -> None:
    model = _model(1)
    torch.manual_seed(2)
    heads = MedusaHeads(CFG, 2).eval()
    prompt = torch.randint(0, 128, (16,))
    plain = decode(model, prompt, 30)
    latency = fit_latency_samples([(1, 16, 1e-3), (8, 16, 1.2e-3), (16, 48, 1.6e-3), (32, 48, 2.5e-3)])
    tree = decode(model, prompt, 30, heads=heads, tree_size=tree_size, topk=2, latency=latency)
    pruned = decode(
        model,
        prompt,
        30,
        heads=heads,
        tree_size=tree_size,
        topk=2,
        latency=latency,
        prune_layer=1,
        prune_topk=2,
    )
    assert tree.tokens == plain.tokens == pruned.tokens
    assert plain.steps == 30 and tree.steps <= 30
    assert pruned.rows_per_layer <= tree.rows_per_layer


def test_kept_rows_match_the_full_pass() -> None:
    model = _model(3)
    tree = build_tree(3, np.array([[4, 5, 6], [7, 8, 9]]), np.full((2, 3), 0.5), 10)
    cache = KVCache(
        *[list(x) for x in zip(*[(torch.zeros(2, 0, 16), torch.zeros(2, 0, 16))] * 3, strict=True)]
    )
    args = (torch.tensor(tree.tokens), torch.tensor(tree.depths), tree_mask(tree), cache)
    with torch.no_grad():
        full = model.step(*args)
        pruned = model.step(*args, prune=(0, prune_fn(model, tree, 1)))
    assert len(pruned.kept) < len(tree)
    torch.testing.assert_close(pruned.logits, full.logits[pruned.kept], atol=1e-5, rtol=1e-5)


def test_pruning_keeps_the_branch_the_full_model_accepts() -> None:
    """Hand-built: blocks after the pruning layer add nothing, so early logits equal final logits."""
    model = _model(4)
    with torch.no_grad():
        for block in model.blocks[2:]:
            for lin in (block.proj, block.down):
                lin.weight.zero_()
                lin.bias.zero_()
        prompt = torch.randint(0, 128, (12,))
        greedy = decode(model, prompt, 3).tokens  # root, then the next two greedy tokens
    wrong = [(greedy[1] + 1) % 128, (greedy[1] + 2) % 128]
    candidates = np.array([[wrong[0], greedy[1], wrong[1]], [(greedy[2] + 5) % 128, greedy[2], 0]])
    tree = build_tree(greedy[0], candidates, np.full((2, 3), 0.5), 13)
    from eda.workloads.propd.propd import _prefill

    cache, _ = _prefill(model, prompt)
    positions = torch.tensor([cache.length + d for d in tree.depths])
    with torch.no_grad():
        full = model.step(torch.tensor(tree.tokens), positions, tree_mask(tree), cache)
        pruned = model.step(
            torch.tensor(tree.tokens), positions, tree_mask(tree), cache, prune=(1, prune_fn(model, tree, 1))
        )
    full_path = accept_path(
        tree, {int(n): int(t) for n, t in zip(full.kept, full.logits.argmax(-1), strict=True)}
    )
    pruned_path = accept_path(
        tree, {int(n): int(t) for n, t in zip(pruned.kept, pruned.logits.argmax(-1), strict=True)}
    )
    assert [tree.tokens[n] for n in full_path] == greedy[:3]
    assert pruned_path == full_path
    assert pruned.rows_processed < full.rows_processed  # the wrong branches were dropped after layer 1


def test_acceptance_stats_and_latency_fit() -> None:
    stats = AcceptanceStats(2, 3)
    stats.update(0, np.array([5, 6, 7]), 6)
    stats.update(0, np.array([5, 6, 7]), 5)
    np.testing.assert_allclose(stats.probs[0], [2 / 4, 2 / 4, 1 / 4])
    np.testing.assert_allclose(stats.probs[1], [0.5, 0.5, 0.5])
    truth = (1e-3, 2e-5, 3e-7)
    samples = [(n, c, truth[0] + (truth[1] + truth[2] * c) * n) for n in (1, 4, 16, 64) for c in (32, 128)]
    fit = fit_latency_samples(samples)
    assert (fit.a, fit.b, fit.c) == pytest.approx(truth, rel=1e-6)


def test_verify_workload_shapes_shrink_after_pruning() -> None:
    workload = verify_workload(CFG, rows=16, kept_rows=5, prune_layer=0, context=64)
    assert workload.layer("b0.qkv").shape["m"] == 16
    assert workload.layer("b1.up").shape == {"m": 5, "k": 32, "n": 64}
    assert workload.layer("lm_head").shape["m"] == 5
    assert len(workload.layers) == 3 * 5 + 1


def test_propd_step_function_runs_all_modes() -> None:
    from eda.workloads.propd.steps import ProPDParams, run_propd

    work, report, metrics = run_propd(
        ProPDParams(train_steps=3, head_steps=3, prompts=1, new_tokens=12, fixed_tree=4)
    )
    assert report["greedy_identical"] is True
    assert metrics["workload__propd__greedy_identical"] == 1
    assert set(report["modes"]) == {"plain", "fixed", "dynamic", "dynamic+prune"}
    assert report["modes"]["plain"]["tokens_per_step"] == 1.0
    assert work.layer("b0.qkv").shape["m"] >= 1


def test_propd_with_a_stated_latency_is_reproducible() -> None:
    from eda.workloads.propd.steps import ProPDParams, run_propd

    params = ProPDParams(
        train_steps=3, head_steps=3, prompts=1, new_tokens=12, fixed_tree=4, latency=(1e-3, 2e-5, 1e-7)
    )
    first, second = run_propd(params), run_propd(params)
    assert first[1]["latency_model"] == {"a": 1e-3, "b": 2e-5, "c": 1e-7, "source": "stated"}
    assert first[1]["latency_samples"] == []  # nothing timed
    # modelled figures and the mapped workload depend on the stated model only, not on this machine's timings
    for key in ("workload__propd__speedup_dynamic", "workload__propd__speedup_dynamic_pruned"):
        assert first[2][key] == second[2][key]
    assert [layer.shape for layer in first[0].layers] == [layer.shape for layer in second[0].layers]


@pytest.mark.parametrize("latency", [(0.0, 0.0, 1e-7), (1e-3, -1e-5, 0.0), (float("nan"), 1e-5, 0.0)])
def test_propd_refuses_an_unphysical_latency(latency: tuple[float, float, float]) -> None:
    from pydantic import ValidationError

    from eda.workloads.propd.steps import ProPDParams

    with pytest.raises(ValidationError, match="latency"):
        ProPDParams(latency=latency)
