"""AdapMoE: expert-cache simulator on hand-written traces, DP optimality, policy ordering, real traces."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from eda.workloads.adapmoe.adapmoe import (
    LatencyModel,
    MoETrace,
    Policy,
    allocate_cache_dp,
    run_ladder,
    simulate,
    simulate_layer,
    threshold_for_reduction,
)
from eda.workloads.adapmoe.traces import GeneratorParams, generate_trace, moe_workload

TIMING = LatencyModel(t_layer_s=0.2e-3, t_expert_s=0.5e-3, t_load_s=2.0e-3)


def _trace(experts, w2=0.3, predicted=None, sensitivity=None, num_experts=4) -> MoETrace:
    experts = np.asarray(experts, dtype=np.int64)
    if experts.ndim == 2:
        experts = experts[:, None, :]
    t, layers, _ = experts.shape
    w2 = np.broadcast_to(np.asarray(w2, float), (t, layers))
    weights = np.stack([1 - w2, w2], -1)
    pred = np.full((t, layers), -1) if predicted is None else np.asarray(predicted)
    sens = np.ones(layers) if sensitivity is None else np.asarray(sensitivity, float)
    return MoETrace(experts, weights, pred, sens, num_experts, source="hand")


def test_lru_counts_on_hand_written_trace() -> None:
    trace = _trace([(0, 1), (0, 2), (1, 3), (0, 1)])
    stats = simulate_layer(trace, 0, cache_size=2)
    # t0: 0 miss, 1 miss | t1: 0 hit, 2 miss (evicts 1) | t2: 1 miss (evicts 0), 3 miss | t3: 0 miss, 1 miss
    assert (stats.active, stats.hits, stats.demand_loads) == (8, 1, 7)
    assert simulate_layer(trace, 0, cache_size=4).demand_loads == 4  # every expert loaded once
    assert simulate_layer(trace, 0, cache_size=0).demand_loads == 8


def test_latency_of_serial_demand_loads() -> None:
    trace = _trace([(0, 1), (0, 1)])
    result = simulate(trace, Policy((2,)), TIMING)
    # token 0: router 0.2, two loads end at 4.2, experts 1.0 -> 5.2 ms; token 1: hits, 0.2 + 1.0 ms
    assert result.latency_s == pytest.approx(6.4e-3)
    assert result.hit_rate == pytest.approx(0.5)
    assert result.loads_per_token == pytest.approx(1.0)


def test_adaptive_gating_drops_low_sensitivity_second_expert() -> None:
    trace = _trace([(0, 1), (0, 2), (0, 3)], w2=[[0.1], [0.4], [0.2]], sensitivity=[10.0])
    keep = trace.keep_second(threshold=1.0)  # H w2^2 = 0.1, 1.6, 0.4
    assert keep[:, 0].tolist() == [False, True, False]
    result = simulate(trace, Policy((4,), threshold=1.0), TIMING)
    assert result.activated_per_token == pytest.approx(4 / 3)
    assert result.layers[0].demand_loads == 2  # experts 0 and 2


def test_prefetch_hides_part_of_the_next_layers_load() -> None:
    experts = [[(0, 1), (2, 3)]]  # one token, two layers
    trace = _trace(experts, w2=0.3, predicted=[[-1, 2]])
    plain = simulate(trace, Policy((2, 2)), TIMING)
    pre = simulate(trace, Policy((2, 2), prefetch=True), TIMING)
    assert pre.layers[1].prefetch_loads == 1 and pre.layers[1].prefetch_useful == 1
    assert pre.layers[1].hits == 1 and pre.layers[1].demand_loads == 1
    # plain: L0 5.2 ms; L1 router -> 5.4, loads end 9.4, experts 1.0 -> 10.4 ms
    assert plain.latency_s == pytest.approx(10.4e-3)
    # prefetch of expert 2 queued at 4.2 ms (after layer 0's loads) -> ready 6.2; layer 1 starts 5.4,
    # demand load of 3 queued after it -> 8.2; experts done 9.2 ms
    assert pre.latency_s == pytest.approx(9.2e-3)


def test_dp_allocation_is_optimal_on_small_instance() -> None:
    trace = generate_trace(GeneratorParams(layers=3, num_experts=4, tokens=150), seed=3)
    for total in (3, 5, 7):
        sizes = allocate_cache_dp(trace, total, threshold=0.0, prefetch=True)
        assert sum(sizes) == total

        def cost(combo):
            return sum(simulate_layer(trace, lay, c, 0.0, True).demand_loads for lay, c in enumerate(combo))

        best = min(cost(combo) for combo in itertools.product(range(5), repeat=3) if sum(combo) == total)
        assert cost(sizes) == best


def test_policy_ladder_is_ordered_on_generated_trace() -> None:
    trace = generate_trace(GeneratorParams(layers=6, num_experts=8, tokens=1200), seed=0)
    results = run_ladder(trace, slots_per_layer=3, reduction=0.25, timing=TIMING)
    lat = [results[k].latency_per_token_s for k in ("lru", "gating", "gating+prefetch", "gating+prefetch+dp")]
    assert lat[0] > lat[1] > lat[2] > lat[3]
    reduction = 1 - results["gating"].activated_per_token / results["lru"].activated_per_token
    assert reduction == pytest.approx(0.25, abs=0.03)  # threshold set on the calibration half
    assert results["gating+prefetch"].hit_rate > results["gating"].hit_rate
    assert results["gating+prefetch+dp"].hit_rate >= results["gating+prefetch"].hit_rate


def test_threshold_for_reduction_quantile() -> None:
    trace = generate_trace(GeneratorParams(layers=4, tokens=500), seed=1)
    threshold = threshold_for_reduction(trace, 0.25)
    assert trace.keep_second(threshold).mean() == pytest.approx(0.5, abs=0.01)


def test_generator_deterministic_by_seed() -> None:
    a, b = generate_trace(seed=5), generate_trace(seed=5)
    c = generate_trace(seed=6)
    assert np.array_equal(a.experts, b.experts) and np.array_equal(a.predicted, b.predicted)
    assert not np.array_equal(a.experts, c.experts)
    assert (a.weights[:, :, 0] >= a.weights[:, :, 1]).all()
    assert np.allclose(a.weights.sum(-1), 1.0)


def test_workload_trace_drives_time_varying_current_maps() -> None:
    from eda.workloads.mapping import ArraySpec, current_maps, map_workload

    trace = generate_trace(GeneratorParams(layers=2, num_experts=4, tokens=6), seed=0)
    workload = moe_workload(trace, hidden=64, ffn=128)
    assert len(workload.trace) == 6
    runs = workload.layer_runs()
    assert sum(v for k, v in runs.items() if k.endswith(".up")) == 6 * 2 * 2  # top-2, 2 layers, 6 tokens
    spec = ArraySpec(rows=64, cols=64, local_array_size=2, adc_bits=5)
    mapping = map_workload(workload, spec)
    maps = current_maps(workload, mapping, tile_um=10.0, slices=12)
    assert maps.currents_a.shape[0] == 12
    # different experts active in different slices: the spatial pattern changes over time
    share = maps.currents_a / maps.currents_a.sum(axis=(1, 2), keepdims=True)
    assert (share.max(0) - share.min(0)).max() > 0.5 * share.mean(0).max()


def test_real_moe_trace_from_small_trained_model() -> None:
    from eda.workloads.adapmoe.model import MoEConfig, extract_trace, held_out_loss, train_moe

    torch.manual_seed(0)
    text = "the quick brown fox jumps over the lazy dog. " * 60
    cfg = MoEConfig(dim=32, heads=2, layers=2, experts=4, ffn=32, context=32)
    model, held = train_moe(cfg, steps=15, batch=8, text=text)
    trace = extract_trace(model, held, tokens=256)
    assert trace.experts.shape == (256, 2, 2) and trace.num_experts == 4
    assert (trace.experts[:, :, 0] != trace.experts[:, :, 1]).all()
    assert (trace.sensitivity >= 0).all() and (trace.predicted[:, 1] >= 0).all()
    full = held_out_loss(model, held, None, tokens=256)
    assert held_out_loss(model, held, np.ones((256, 2), bool), tokens=256) == pytest.approx(full, abs=1e-5)
    assert held_out_loss(model, held, np.zeros((256, 2), bool), tokens=256) != pytest.approx(full, abs=1e-6)


def test_threshold_for_quality_is_the_largest_within_budget() -> None:
    """With a loss that grows with the dropped gate weight, the search returns the largest candidate threshold
    whose cost fits, checked against every candidate."""
    from eda.workloads.adapmoe.adapmoe import threshold_for_quality

    trace = generate_trace(GeneratorParams(layers=3, tokens=400), seed=2)
    scores = trace.sensitivity[None, :] * trace.weights[:, :, 1] ** 2

    def cost(keep: np.ndarray) -> float:  # the squared output change AdapMoE's criterion estimates
        return float((scores * ~keep).sum() / trace.tokens)

    for budget in (0.0, 0.05, 0.5, 5.0):
        threshold, spent = threshold_for_quality(trace, cost, budget)
        assert spent <= budget
        assert spent == pytest.approx(cost(trace.keep_second(threshold)))
        sorted_scores = np.sort(scores.ravel())
        candidates = {
            float(np.nextafter(sorted_scores[int(q * scores.size) - 1], np.inf))
            for q in np.linspace(0, 1, 21)[1:]
        }
        assert not any(t > threshold and cost(trace.keep_second(t)) <= budget for t in candidates)


def test_latency_from_stated_figures_and_measured_loads() -> None:
    from eda.workloads.adapmoe.timing import RTX4090_PCIE4_MIXTRAL, latency_from_device, measure_latency

    stated = latency_from_device(RTX4090_PCIE4_MIXTRAL)
    # 352 MB over 31.5 GB/s and out of 1008 GB/s memory: 11.2 ms and 0.35 ms
    assert stated.t_load_s == pytest.approx(0.0112, rel=0.01)
    assert stated.t_expert_s == pytest.approx(3.5e-4, rel=0.01)
    measured = measure_latency([(64, 128), (128, 64)], [(64, 64)] * 4, repeats=5)
    assert 0 < measured.t_expert_s < 0.1 and 0 < measured.t_layer_s < 0.1
    # a cold 64 KB read: at least one storage access (> 1 µs), far below a second
    assert 1e-6 < measured.t_load_s < 1.0
