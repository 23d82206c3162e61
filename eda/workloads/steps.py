"""Flow steps of the workload front-ends: each method produces a Workload; ``workload.map`` costs it.

* ``workload.zoo`` — a built-in network (``bert-tiny``, ``resnet18``, ...) as ``workload.yaml``;
* ``workload.hequant`` — HEQuant bit allocation on a CNN trained on the digits (accumulator bits, HE
  communication, lossless ADC bits per rows-per-conversion);
* ``workload.privquant`` — PrivQuant mixed precision on the same CNN (2PC communication, accuracy);
* ``workload.fastquery`` — FastQuery per-channel bits of the real MiniLM table (similarity, ciphertexts);
* ``workload.mcubert`` — MCUBERT clustered low-rank embedding of the real MiniLM table and the MCU
  schedule (parameters, peak memory, longest sequence under a budget);
* ``workload.select`` — picks the Pareto point of ``acim.explore`` with the least workload energy whose
  ADC resolution meets the workload's lossless bits (HEQuant's accumulator analysis);
* ``workload.map`` — tiles a workload onto the chosen ACIM macro (``acim.explore``'s ``best_point`` or a
  fixed spec), energy/latency per inference from the ACIM models, per-layer table and current maps.

Every method step writes ``workload.yaml`` (output ``workload``) and ``<method>.json`` (output ``report``).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from eda.acim.adcbits import lossless_adc_bits
from eda.errors import DataError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.workloads.threads import single_thread

__all__ = ["WorkloadZoo", "WorkloadHEQuant", "WorkloadPrivQuant", "WorkloadFastQuery", "WorkloadMCUBERT", "WorkloadSelect",
           "WorkloadMap", "ROWS_PER_CONVERSION"]

#: rows summed per conversion (H/L·G) for which HEQuant reports the lossless ADC bits
ROWS_PER_CONVERSION: tuple[int, ...] = (4, 8, 16, 32, 64, 128, 256, 512, 1024)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))



@register
class WorkloadZoo(Step):
    """A built-in network description as a workload."""

    name = "workload.zoo"
    outputs = {"workload": "workload.yaml"}

    class Params(StepParams):
        network: Literal["bert-tiny", "bert-mini", "minilm-l6", "resnet18", "mobilenet_v2", "vit_small"] = Field(
            "bert-tiny", description="built-in network description")
        seq_len: int | None = Field(None, ge=1, le=4096, description="tokens (BERT-style networks only; default 128)")

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads import zoo

        bert = {"bert-tiny": zoo.bert_tiny, "bert-mini": zoo.bert_mini, "minilm-l6": zoo.minilm_l6}
        p = ctx.params
        work = bert[p.network](p.seq_len) if p.seq_len and p.network in bert else zoo.build(p.network)
        work.save(ctx.path("workload.yaml"))
        return StepResult(outputs={"workload": "workload.yaml"},
                          metrics={"workload__zoo__layers": len(work.layers), "workload__zoo__macs": work.total_macs,
                                   "workload__zoo__weights": work.total_weights})


@register
class WorkloadHEQuant(Step):
    """HEQuant: per-layer bits under an HE communication budget; accumulator and lossless ADC bits."""

    name = "workload.hequant"
    outputs = {"workload": "workload.yaml", "report": "hequant.json"}

    class Params(StepParams):
        network: Literal["digits-cnn", "minilm"] = Field(
            "digits-cnn", description="digits-cnn: trained here, bits allocated per layer; minilm: real weights, "
            "recorded activations")
        weight_bits: int = Field(8, ge=2, le=16, description="minilm: weight bits (per output channel)")
        seed: int = Field(0, ge=0, description="digits-cnn: seed of the data split and training")
        budget_fraction: float = Field(0.5, gt=0.0, le=1.0, description="digits-cnn: communication budget as a "
                                       "fraction of the uniform 8-bit network's")
        batch: int = Field(4096, ge=1, le=1_000_000, description="digits-cnn: inferences per HE batch in the "
                           "communication model")
        activation_bits: int = Field(8, ge=2, le=16, description="minilm: bits of the recorded activations")
        text: str = Field("The power grid of the chip must deliver current to every cell. Analog compute-in-memory "
                          "macros sum charge on shared capacitors.", min_length=1,
                          description="minilm: the text the encoder runs on to record its activations")
        he_layer: str = Field("layer0.q", description="minilm: the projection run on real BFV ciphertexts")
        he_outputs: int = Field(8, ge=0, le=384, description="minilm: outputs of that product run under HE (0: none)")

    def run(self, ctx: StepContext) -> StepResult:
        if ctx.params.network == "minilm":
            return _hequant_minilm(ctx)
        from eda.workloads.hequant import adc_bits_required, allocate_bits
        from eda.workloads.quant import quantize_weights, weight_layers
        from eda.workloads.zoo import train_digits_cnn

        p = ctx.params
        with single_thread():
            model, data = train_digits_cnn(seed=p.seed)
            result = allocate_bits(model, data, budget_fraction=p.budget_fraction, batch=p.batch)
        modules = dict(weight_layers(model))
        adc = {}
        for rows in ROWS_PER_CONVERSION:
            need = 0
            for name, (wb, _) in result.bits.items():
                q, _ = quantize_weights(modules[name].weight.detach().numpy(), wb)
                need = max(need, adc_bits_required(q.reshape(q.shape[0], -1), rows, wb))
            adc[rows] = need
        work = result.workload
        assert work is not None
        work.meta.update({"method": "hequant", "adc_bits_required": adc, "accuracy": result.accuracy})
        work.save(ctx.path("workload.yaml"))
        saved = np.mean([result.worst_case_bits[n] - result.accumulator_bits[n] for n in result.bits])
        report = {"bits": result.bits, "accumulator_bits": result.accumulator_bits,
                  "worst_case_bits": result.worst_case_bits, "comm_bytes": result.comm_bytes,
                  "comm_bytes_uniform8": result.comm_bytes_uniform8, "comm_bytes_unpacked8": result.comm_bytes_unpacked8,
                  "accuracy": result.accuracy, "accuracy_float": result.accuracy_float,
                  "accuracy_uniform8": result.accuracy_uniform8, "adc_bits_required": adc, "table": result.table}
        _write_json(ctx.path("hequant.json"), report)
        metrics = {"workload__hequant__accuracy": result.accuracy,
                   "workload__hequant__accuracy_uniform8": result.accuracy_uniform8,
                   "workload__hequant__comm_reduction_vs_uniform8": result.comm_bytes_uniform8 / result.comm_bytes,
                   "workload__hequant__comm_reduction_vs_unpacked8": result.comm_bytes_unpacked8 / result.comm_bytes,
                   "workload__hequant__accumulator_bits_saved_mean": float(saved),
                   "workload__hequant__adc_bits_required_32rows": adc[32]}
        return StepResult(outputs={"workload": "workload.yaml", "report": "hequant.json"}, metrics=metrics)


#: MiniLM encoder layer (workload name suffix) -> safetensors weight name
_MINILM_LINEAR = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                  "o": "attention.output.dense", "ffn1": "intermediate.dense", "ffn2": "output.dense"}


def _hequant_minilm(ctx: StepContext) -> StepResult:
    """HEQuant on the real MiniLM encoder: weights and activations quantised, accumulators and packing.

    The projections are quantised to ``weight_bits`` (per output channel) and their inputs - recorded
    while the real encoder runs on ``text`` - to signed ``activation_bits`` (scale: the largest magnitude
    seen). Per layer: HEQuant's accumulator width for signed inputs, the largest partial sum the real data
    reach (it must lie inside that width), and the lossless ADC bits per rows summed. One product
    (``he_layer``, its first ``he_outputs`` outputs, every token of the text) runs packed on real TenSEAL
    BFV ciphertexts and once unpacked; their serialised bytes are measured. There is no labelled task data
    for MiniLM here, so no per-layer bit allocation (that needs measured accuracy) is run.
    """
    import torch

    from eda.workloads.activity_steps import split_sentences
    from eda.workloads.hequant import (
        BFVParams,
        accumulator_bits,
        adc_bits_required,
        run_packed_gemm,
        worst_case_accumulator_bits,
    )
    from eda.workloads.minilm import batch_ids, encode, load_weights, torch_weights
    from eda.workloads.quant import quantize_activations, quantize_weights
    from eda.workloads.zoo import minilm_l6

    p = ctx.params
    weights = load_weights()
    work = minilm_l6()
    captured: dict[str, np.ndarray] = {}
    ids, mask = batch_ids(split_sentences(p.text))
    real = mask.bool().numpy()
    with torch.no_grad():
        w_torch = torch_weights()
        encode(w_torch["embeddings.word_embeddings.weight"][ids], mask, w_torch,
               record=lambda name, x: captured.__setitem__(name, x.numpy()[real]))
    acc: dict[str, int] = {}
    worst: dict[str, int] = {}
    reached: dict[str, int] = {}
    operands: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    adc = {rows: 0 for rows in ROWS_PER_CONVERSION}
    for layer in work.layers:
        block, _, part = layer.name.partition(".")
        if part not in _MINILM_LINEAR:
            continue
        w = weights[f"encoder.layer.{block.removeprefix('layer')}.{_MINILM_LINEAR[part]}.weight"]
        q, _ = quantize_weights(np.asarray(w, dtype=np.float64), p.weight_bits)
        x = captured[layer.name]
        x_int = quantize_activations(x, p.activation_bits, float(np.abs(x).max()) or 1.0, signed=True)
        operands[layer.name] = (x_int, q)
        acc[layer.name] = int(accumulator_bits(q, p.activation_bits, signed_inputs=True).max())
        worst[layer.name] = worst_case_accumulator_bits(q.shape[1], p.weight_bits, p.activation_bits) - 1
        peak = int(np.abs(x_int @ q.T).max())
        reached[layer.name] = max(1, int(np.ceil(np.log2(peak + 1))))
        layer.accumulator_bits = acc[layer.name]
        layer.weight_bits, layer.activation_bits = p.weight_bits, p.activation_bits
        for rows in ROWS_PER_CONVERSION:
            adc[rows] = max(adc[rows], adc_bits_required(q, rows, p.weight_bits))
    he: dict[str, Any] = {}
    if p.he_outputs:
        if p.he_layer not in operands:
            raise DataError(f"no MiniLM projection named '{p.he_layer}'", hint=f"one of {sorted(operands)[:7]} ...")
        x_int, q = operands[p.he_layer]
        # N = 4096 (109-bit modulus, 30-bit plaintext): enough noise budget for one plaintext product of
        # 8-bit data, a quarter of the default's work and bytes
        params = BFVParams(poly_degree=4096, data_prime_bits=(36, 36), special_prime_bits=37, plain_bits=30)
        lane = acc[p.he_layer] + 1
        for label, packed in (("packed", True), ("unpacked", False)):
            run = run_packed_gemm(x_int, q[: p.he_outputs], lane, params, packed=packed)
            he[label] = {"ciphertexts": run["ciphertexts_sent"] + run["ciphertexts_received"],
                         "bytes": run["bytes_sent"] + run["bytes_received"], "lanes_per_slot": run["packing"],
                         "exact": bool(np.array_equal(run["y"], x_int @ q[: p.he_outputs].T))}
        he.update({"layer": p.he_layer, "rows": int(x_int.shape[0]), "k": int(x_int.shape[1]), "outputs": p.he_outputs,
                   "lane_bits": lane, "slots": params.poly_degree})
    work.meta.update({"method": "hequant", "network": "minilm", "adc_bits_required": adc})
    work.save(ctx.path("workload.yaml"))
    saved = float(np.mean([worst[n] - acc[n] for n in acc]))
    _write_json(ctx.path("hequant.json"), {"network": "minilm", "weight_bits": p.weight_bits,
                                           "activation_bits": p.activation_bits, "tokens": int(real.sum()),
                                           "accumulator_bits": acc, "worst_case_bits": worst,
                                           "reached_bits": reached, "adc_bits_required": adc, "he_product": he})
    metrics = {"workload__hequant__accumulator_bits_saved_mean": saved,
               "workload__hequant__accumulator_bits_max": max(acc.values()),
               "workload__hequant__bound_margin_bits_min": min(acc[n] - reached[n] for n in acc),
               **{f"workload__hequant__adc_bits_required_{r}rows": b for r, b in adc.items() if r in (16, 64, 256)}}
    if he:
        metrics.update({"workload__hequant__he_bytes_packed": he["packed"]["bytes"],
                        "workload__hequant__he_bytes_unpacked": he["unpacked"]["bytes"],
                        "workload__hequant__he_lanes_per_slot": he["packed"]["lanes_per_slot"],
                        "workload__hequant__he_exact": int(he["packed"]["exact"] and he["unpacked"]["exact"])})
    return StepResult(outputs={"workload": "workload.yaml", "report": "hequant.json"}, metrics=metrics)


@register
class WorkloadPrivQuant(Step):
    """PrivQuant: Fisher-sensitivity mixed precision under a two-party communication budget."""

    name = "workload.privquant"
    outputs = {"workload": "workload.yaml", "report": "privquant.json"}

    class Params(StepParams):
        seed: int = Field(0, ge=0, description="seed of the data split and training")
        budget_fraction: float = Field(0.5, gt=0.0, le=1.0, description="2PC communication budget as a "
                                       "fraction of the uniform 8-bit network's")

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads.privquant import privquant
        from eda.workloads.zoo import train_digits_cnn

        with single_thread():
            model, data = train_digits_cnn(seed=ctx.params.seed)
            result = privquant(model, data, budget_fraction=ctx.params.budget_fraction)
        assert result.workload is not None
        result.workload.meta["accuracy"] = result.accuracy
        result.workload.save(ctx.path("workload.yaml"))
        _write_json(ctx.path("privquant.json"), {
            "bits": result.bits, "comm_bits": result.comm_bits, "comm_bits_uniform8": result.comm_bits_uniform8,
            "accuracy": result.accuracy, "accuracy_uniform8": result.accuracy_uniform8,
            "accuracy_float": result.accuracy_float, "table": result.table})
        return StepResult(outputs={"workload": "workload.yaml", "report": "privquant.json"}, metrics={
            "workload__privquant__accuracy": result.accuracy,
            "workload__privquant__accuracy_uniform8": result.accuracy_uniform8,
            "workload__privquant__comm_reduction_vs_uniform8": result.comm_reduction})


@register
class WorkloadFastQuery(Step):
    """FastQuery: per-channel bits of the real MiniLM table, similarity cost and HE lookup communication."""

    name = "workload.fastquery"
    outputs = {"workload": "workload.yaml", "report": "fastquery.json"}

    class Params(StepParams):
        average_bits: float = Field(4.0, ge=2.0, le=8.0, description="average bits per table channel")
        response_ciphertexts: int | None = Field(None, ge=1, le=1024, description="communication-aware widths: "
                                                 "channel bits chosen to fit this many response ciphertexts")
        lookups: int = Field(128, ge=1, le=100_000, description="embedding lookups per inference (tokens)")
        measure_lookup: bool = Field(True, description="run one private lookup on real ciphertexts: FastQuery's "
                                     "dense response and Cheetah's coefficient-encoded mat-vec (the paper's "
                                     "baseline) on the 16-bit table; their bytes and online time are measured")
        lookup_index: int = Field(2023, ge=0, description="row looked up privately (a MiniLM vocabulary index)")

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads.fastquery import (
            allocate_channel_bits,
            fastquery_workload,
            quantize_channels,
            query_comm,
        )
        from eda.workloads.minilm import SAMPLE_SENTENCES, sentence_embeddings, word_embeddings

        p = ctx.params
        table = word_embeddings()
        if p.response_ciphertexts is not None:
            bits = allocate_channel_bits(table, options=(2, 3, 4, 5, 6, 7, 8), response_ciphertexts=p.response_ciphertexts)
        else:
            bits = allocate_channel_bits(table, p.average_bits)
        q, scale = quantize_channels(table, bits)
        approx = (q * scale).astype(np.float32)
        before_emb = sentence_embeddings(SAMPLE_SENTENCES)
        after_emb = sentence_embeddings(SAMPLE_SENTENCES, approx)
        cosine = float((before_emb * after_emb).sum(axis=1).mean())
        vocab = len(table)
        ours = query_comm(vocab, bits)
        work = fastquery_workload(vocab, bits, p.lookups)
        work.meta.update({"cosine_similarity": cosine})
        work.save(ctx.path("workload.yaml"))
        rel = float(np.linalg.norm(approx - table) / np.linalg.norm(table))
        report: dict[str, Any] = {"bits_histogram": np.bincount(bits).tolist(), "relative_error": rel,
                                  "cosine_similarity": cosine, "slot_protocol_model": ours.__dict__}
        metrics: dict[str, Any] = {"workload__fastquery__cosine_similarity": cosine,
                                   "workload__fastquery__relative_error": rel}
        if p.measure_lookup:
            from eda.workloads.fastquery_baseline import cheetah_lookup
            from eda.workloads.fastquery_he import run_dense_query

            if p.lookup_index >= vocab:
                raise DataError(f"lookup_index {p.lookup_index} is outside the {vocab}-row table")
            dense = run_dense_query(q, bits, p.lookup_index)
            q16 = np.round(table / np.abs(table).max() * 32767).astype(np.int64)
            base = cheetah_lookup(q16, p.lookup_index)
            keep = ("query_ciphertexts", "response_ciphertexts", "query_bytes", "response_bytes", "client_s",
                    "server_offline_s", "server_online_s")
            report["measured"] = {"fastquery": {k: dense[k] for k in (*keep, "galois_key_bytes", "rotations")},
                                  "cheetah_16bit": {**{k: base[k] for k in keep}, "partition": base["partition"]},
                                  "rows_exact": bool(np.array_equal(dense["row"], q[p.lookup_index])
                                                     and np.array_equal(base["row"], q16[p.lookup_index]))}
            ours_bytes = dense["query_bytes"] + dense["response_bytes"]
            base_bytes = base["query_bytes"] + base["response_bytes"]
            metrics.update({"workload__fastquery__bytes": ours_bytes,
                            "workload__fastquery__comm_reduction_vs_cheetah": base_bytes / ours_bytes,
                            "workload__fastquery__latency_reduction_vs_cheetah":
                                (base["client_s"] + base["server_online_s"]) / (dense["client_s"] + dense["server_online_s"])})
        _write_json(ctx.path("fastquery.json"), report)
        return StepResult(outputs={"workload": "workload.yaml", "report": "fastquery.json"}, metrics=metrics)


#: (layers, hidden, FFN, heads) of the BERT sizes MCUBERT reports on
BERT_SHAPES: dict[str, tuple[int, int, int, int]] = {"bert-tiny": (2, 128, 512, 2), "bert-mini": (4, 256, 1024, 4)}


def proxy_table(table: np.ndarray, width: int) -> np.ndarray:
    """A ``width``-dimensional word-embedding table from a wider real one: its top principal components.

    BERT-tiny/mini weights are not available offline; projecting the real MiniLM table (same 30522-token
    WordPiece vocabulary) onto its leading ``width`` components keeps the real token statistics at the
    smaller model's width, which is what the clustered low-rank compression acts on.
    """
    centred = table - table.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return (table @ vt[:width].T).astype(np.float32)


@register
class WorkloadMCUBERT(Step):
    """MCUBERT: the word embedding compressed to what an MCU's flash leaves for it, distilled on real text;
    the MCU schedule (peak memory, longest sequence under the SRAM)."""

    name = "workload.mcubert"
    outputs = {"workload": "workload.yaml", "report": "mcubert.json",
               "embedding": "embedding.npz (cluster of every token, per-cluster codes and projections)"}

    class Params(StepParams):
        model: Literal["minilm", "bert-tiny", "bert-mini"] = Field(
            "minilm", description="encoder: minilm (real weights, quality measured) or a BERT shape (proxy table)")
        device: Literal["stm32f746", "stm32f767", "stm32h743", "stm32f746g-disco"] = Field(
            "stm32f746g-disco", description="microcontroller board whose flash and SRAM set the budgets")
        reserve_kb: int = Field(64, ge=0, description="flash kept for the program (inference runtime, application)")
        compression: float | None = Field(None, gt=1.0, description="embedding compression ratio given as an "
                                          "input instead of the device budget (reported as an input)")
        seq_len: int = Field(128, ge=1, le=4096, description="tokens per inference")
        budget_kb: int | None = Field(None, ge=1, description="execution-memory budget of the schedule "
                                      "(default: the device's SRAM)")
        clusters: list[int] = Field([1, 4], min_length=1, max_length=16, description="cluster counts searched")
        bands: list[list[int]] = Field([[500], [2000]], min_length=1, max_length=16,
                                       description="frequency-band boundaries searched (token ranks)")
        frequency_weighted: bool = Field(True, description="weight rows by token frequency in the search")
        distill_steps: int = Field(200, ge=0, description="distillation steps on real text (minilm only; 0: none)")
        distill_depth: int | None = Field(2, ge=1, le=6, description="encoder layers distilled through "
                                          "(None: all six; two measured as good and 2.5x cheaper)")
        held_out_sentences: int = Field(300, ge=1, le=10_000,
                                        description="held-out sentences the quality is measured on")
        seed: int = Field(0, ge=0, description="seed of the search and distillation")

    def run(self, ctx: StepContext) -> StepResult:
        with single_thread():  # k-means, SVD and distillation: the same bits in any executor
            return self._run(ctx)

    def _run(self, ctx: StepContext) -> StepResult:
        from eda.workloads import mcubert as mc
        from eda.workloads.minilm import (
            SAMPLE_SENTENCES,
            docstring_sentences,
            load_config,
            token_counts,
            word_embeddings,
        )
        from eda.workloads.zoo import bert_param_count

        p = ctx.params
        cfg = load_config()
        if p.model == "minilm":
            layers, hidden, ffn = cfg["num_hidden_layers"], cfg["hidden_size"], cfg["intermediate_size"]
            heads = cfg["num_attention_heads"]
            table = word_embeddings()
        else:
            layers, hidden, ffn, heads = BERT_SHAPES[p.model]
            table = proxy_table(word_embeddings(), hidden)
        device = mc.MCU_DEVICES[p.device]
        if p.compression is not None:
            budget_params, budget_from = int(table.size / p.compression), f"compression {p.compression:g} (an input)"
        else:
            budget_params = mc.embedding_budget(layers, hidden, ffn, device, p.reserve_kb * 1024)
            budget_from = f"{device.name}, {p.reserve_kb} KiB program reserve, int8 weights"
        weights = np.log1p(token_counts()) + 1.0 if p.frequency_weighted else None
        log: list[dict[str, Any]] = []
        if budget_params >= table.size:       # the table fits as it is: nothing to compress
            emb = mc.ClusteredEmbedding(np.zeros(len(table), dtype=np.int64), [table.shape[1]], [table.copy()],
                                        [np.eye(table.shape[1], dtype=np.float32)], table.shape[1])
            stored = table.size
        else:
            emb, log = mc.two_stage_search(table, budget_params, tuple(p.clusters), row_weights=weights,
                                           band_options=tuple(tuple(b) for b in p.bands), seed=p.seed)
            stored = emb.parameters
        quality: dict[str, Any] = {}
        if p.model == "minilm":  # sentence-embedding similarity through the real encoder, on unseen text
            from eda.workloads.mcubert_distill import distill_embedding, sentence_cosine

            held = docstring_sentences("held-out")[: p.held_out_sentences] + list(SAMPLE_SENTENCES)
            quality["cosine_compressed"] = sentence_cosine(emb.reconstruct(), held)
            if p.distill_steps and stored < table.size:
                emb, losses = distill_embedding(emb, docstring_sentences("train"), steps=p.distill_steps,
                                                max_length=32, depth=p.distill_depth, seed=p.seed)
                quality.update({"cosine_distilled": sentence_cosine(emb.reconstruct(), held),
                                "distill_loss_first_last": [losses[0], float(np.mean(losses[-10:]))]})
            quality["held_out_sentences"] = len(held)
            cosine = quality.get("cosine_distilled", quality["cosine_compressed"])
        else:  # no encoder weights at this width: mean cosine of the proxy table's rows
            rec = emb.reconstruct()
            norms = np.linalg.norm(table, axis=1) * np.linalg.norm(rec, axis=1)
            cosine = float(np.mean((table * rec).sum(axis=1) / np.maximum(norms, 1e-12)))
            quality["row_cosine_proxy_table"] = cosine
        sram = (p.budget_kb * 1024) if p.budget_kb else device.sram_bytes
        schedule = {s: {"untiled_bytes": mc.peak_memory(s, hidden, ffn, heads),
                        "plan": mc.plan_schedule(s, hidden, ffn, heads, sram)} for s in (128, 256, 512, 1024)}
        work = mc.mcubert_workload(f"mcubert-{p.model}", layers, hidden, ffn, heads, emb, p.seq_len)
        work.meta.update({"cosine_similarity": cosine, "device": p.device})
        work.save(ctx.path("workload.yaml"))
        np.savez_compressed(ctx.path("embedding.npz"), assignment=emb.assignment, ranks=np.array(emb.ranks),
                            **{f"codes{c}": code for c, code in enumerate(emb.codes)},
                            **{f"projection{c}": proj for c, proj in enumerate(emb.projections)})
        before_params = bert_param_count(layers, hidden, ffn)
        after_params = mc.mcubert_param_count(layers, hidden, ffn, stored)
        report = {"model": p.model, "budget_from": budget_from, "embedding_budget_parameters": budget_params,
                  "stage1": log, "ranks": emb.ranks, "embedding_parameters": stored,
                  "embedding_compression": table.size / stored, "parameters_before": before_params,
                  "parameters_after": after_params, "flash_bytes_int8": after_params + p.reserve_kb * 1024,
                  "device_flash_bytes": device.flash_bytes, "quality": quality, "cosine_similarity": cosine,
                  "schedule": schedule, "sram_budget_bytes": sram,
                  "max_seq_untiled": mc.max_sequence_length(hidden, ffn, heads, sram, tiled=False),
                  "max_seq_tiled": mc.max_sequence_length(hidden, ffn, heads, sram, tiled=True)}
        _write_json(ctx.path("mcubert.json"), report)
        metrics = {"workload__mcubert__parameter_reduction": before_params / after_params,
                   "workload__mcubert__embedding_compression": table.size / stored,
                   "workload__mcubert__cosine_similarity": cosine,
                   "workload__mcubert__max_seq_tiled": report["max_seq_tiled"],
                   "workload__mcubert__max_seq_untiled": report["max_seq_untiled"]}
        if "cosine_compressed" in quality:
            metrics["workload__mcubert__cosine_before_distillation"] = quality["cosine_compressed"]
        return StepResult(outputs={"workload": "workload.yaml", "report": "mcubert.json", "embedding": "embedding.npz"},
                          metrics=metrics)


@register
class WorkloadMap(Step):
    """Map a workload onto the chosen ACIM macro: energy and latency per inference, layers, current maps."""

    name = "workload.map"
    inputs = {"workload": "workload.yaml", "spec": "ACIM point (acim.explore best_point.json or best.json)"}
    optional_inputs = frozenset({"spec"})
    outputs = {"mapping": "mapping.json", "layers": "layers.csv", "currents": "currents.npz",
               "current_map": "current_map.csv.gz (static, A per tile, rows index x; 1 µm tiles = contest map)"}

    class Params(StepParams):
        rows: int = Field(64, ge=1, le=4096, description="array rows H (without a spec input)")
        cols: int = Field(64, ge=1, le=4096, description="array columns W (without a spec input)")
        local_array_size: int = Field(4, ge=1, le=256, description="bitcells per compute capacitor L")
        adc_bits: int = Field(4, ge=1, le=12, description="SAR ADC resolution (bits)")
        cols_per_adc: int = Field(4, ge=1, le=4096, description="columns sharing one ADC")
        clock_MHz: float = Field(100.0, gt=0.0, le=10_000.0, description="macro clock (MHz)")
        unit_cap_fF: float = Field(2.0, gt=0.0, le=1000.0, description="compute capacitance (fF)")
        cost_model: Literal["acim", "analytic"] = Field(
            "acim", description="acim: the ACIM models' energy/latency; analytic: per-operation constants")
        num_arrays: int | None = Field(None, ge=1, le=1_000_000, description="arrays available (default: as many "
                                       "as the largest layer needs)")
        slices: int = Field(20, ge=1, le=100_000, description="time slices of the dynamic current maps")
        tile_um: float | None = Field(None, gt=0.0, le=1000.0, description="current-map tile (µm; default: "
                                      "chosen from the macro size)")

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads.mapping import current_maps, map_on_point
        from eda.workloads.workload import Workload

        p = ctx.params
        work = Workload.load(ctx.input("workload"))
        spec_path = ctx.optional_input("spec")
        if spec_path is not None:
            try:
                fields = json.loads(Path(spec_path).read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise DataError(f"cannot read the ACIM point: {exc}", where=str(spec_path)) from None
            fields.setdefault("clock_MHz", p.clock_MHz)
        else:
            fields = {k: getattr(p, k) for k in ("rows", "cols", "local_array_size", "adc_bits", "cols_per_adc",
                                                 "clock_MHz", "unit_cap_fF")}
        mapping = map_on_point(work, fields, cost_model=p.cost_model, num_arrays=p.num_arrays)
        spec = mapping.spec
        tile = p.tile_um or _auto_tile(mapping)
        trace = current_maps(work, mapping, tile_um=tile, slices=p.slices)
        from eda.pdn.maps import write_map

        write_map(ctx.path("current_map.csv.gz"), trace.static_a.T)
        outputs = {"mapping": "mapping.json", "layers": "layers.csv", "currents": "currents.npz",
                   "current_map": "current_map.csv.gz"}
        np.savez_compressed(ctx.path("currents.npz"), times_s=trace.times_s, currents_a=trace.currents_a,
                            static_a=trace.static_a, tile_um=trace.tile_um)
        with ctx.path("layers.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["layer", "input_density", "toggle_rate", "arrays", "array_ops", "cycles", "latency_s",
                             "energy_j", "macs", "cell_utilisation", "compute_utilisation"])
            records = {layer.name: layer for layer in work.layers}
            for item in mapping.layers:
                record = records[item.name]
                writer.writerow([item.name, f"{record.input_density:.4f}", f"{record.toggle_rate:.4f}", item.arrays,
                                 item.array_ops, item.cycles, f"{item.latency_s:.6e}", f"{item.energy_j:.6e}", item.macs,
                                 f"{item.cell_utilisation:.4f}", f"{item.compute_utilisation:.4f}"])
        summary = mapping.summary()
        table = {int(k): int(v) for k, v in (work.meta.get("adc_bits_required") or {}).items()}
        required = lossless_adc_bits(table, spec.rows_per_op) if table else None
        summary["adc_bits_lossless"] = required
        summary["cost_model"] = p.cost_model
        summary["tile_um"] = tile
        _write_json(ctx.path("mapping.json"), summary)
        metrics = {"workload__map__energy_uj": mapping.energy_j * 1e6,
                   "workload__map__latency_ms": mapping.latency_s * 1e3,
                   "workload__map__arrays": mapping.arrays, "workload__map__tops_per_w": mapping.tops_per_w,
                   "workload__map__weight_reload_rounds": sum(item.rounds for item in mapping.layers
                                                              if item.weight_write_cycles),
                   "workload__map__peak_current_ma": float(trace.currents_a.sum(axis=(1, 2)).max() * 1e3)}
        if required is not None:
            metrics["workload__map__adc_bits_lossless"] = int(required)
            metrics["workload__map__adc_is_lossless"] = int(spec.adc_bits >= int(required))
        return StepResult(outputs=outputs, metrics=metrics)


def _auto_tile(mapping: Any) -> float:
    """1 µm tiles (the contest map grid) unless the array grid exceeds 2 mm a side; then coarser."""
    from eda.workloads.currents import ArrayGrid

    plan = ArrayGrid.for_mapping(mapping)
    return float(max(1, math.ceil(max(plan.width_um, plan.height_um) / 2000.0)))


@register
class WorkloadSelect(Step):
    """Pick the ACIM Pareto point for a workload: least energy per inference whose ADC is (nearly) lossless.

    The workload's ``meta.adc_bits_required`` (HEQuant: lossless ADC bits per rows summed in one
    conversion, H·G/L) constrains the choice: a point qualifies when ``adc_bits >= required - max_deficit``.
    When none does, the point with the smallest deficit (then least energy) is taken and the deficit is
    reported. Without that table every point qualifies. The energy per inference of every point is the
    mapping's (:func:`eda.workloads.mapping.map_on_point`), the figure ``workload.map`` reports.
    """

    name = "workload.select"
    inputs = {"pareto": "pareto.csv from acim.explore", "workload": "workload.yaml"}
    outputs = {"best_point": "best_point.json", "selection": "selection.json"}

    class Params(StepParams):
        max_adc_deficit_bits: int = Field(0, ge=0, le=16, description="ADC bits a point may lack against the "
                                          "workload's lossless requirement")
        min_snr_db: float | None = Field(None, ge=-100.0, le=200.0, description="lowest SNR a selected point may "
                                         "have (dB)")
        cost_model: Literal["acim", "analytic"] = Field(
            "acim", description="energy model of the mapping (as workload.map's cost_model)")

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads.mapping import map_on_point
        from eda.workloads.workload import Workload

        p = ctx.params
        work = Workload.load(ctx.input("workload"))
        with ctx.input("pareto").open() as handle:
            rows = list(csv.DictReader(handle))
        needed = {"rows", "cols", "local_array_size", "adc_bits", "cols_per_adc", "snr_total_db"}
        if not rows or not needed <= set(rows[0]):
            raise DataError(f"the Pareto set lacks design columns ({', '.join(sorted(needed))})",
                            where=str(ctx.input("pareto")), hint="connect acim.explore's `pareto` output")
        table = {int(k): int(v) for k, v in (work.meta.get("adc_bits_required") or {}).items()}
        scored = []
        for row in rows:
            if p.min_snr_db is not None and float(row["snr_total_db"]) < p.min_snr_db:
                continue
            point = {k: (float(v) if k in ("unit_cap_fF", "clock_MHz") or "." in v else int(v))
                     for k, v in row.items() if _is_number(v)}
            summed = point["rows"] * point["cols_per_adc"] // point["local_array_size"]
            need = lossless_adc_bits(table, summed) if table else None
            deficit = max(0, need - point["adc_bits"]) if need is not None else 0
            energy = map_on_point(work, point, cost_model=p.cost_model).energy_j * 1e6
            scored.append((max(0, deficit - p.max_adc_deficit_bits), energy, deficit, need, point))
        if not scored:
            raise DataError(f"no Pareto point reaches SNR >= {p.min_snr_db} dB", hint="lower min_snr_db")
        excess, energy, deficit, need, point = min(scored, key=lambda s: (s[0], s[1]))
        _write_json(ctx.path("best_point.json"), point)
        qualifying = sum(1 for s in scored if s[0] == 0)
        _write_json(ctx.path("selection.json"), {"candidates": len(scored), "qualifying": qualifying,
                                                 "adc_bits": point["adc_bits"], "adc_bits_required": need,
                                                 "deficit_bits": deficit, "workload_energy_uJ": energy})
        metrics = {"workload__select__candidates": len(scored), "workload__select__qualifying": qualifying,
                   "workload__select__adc_deficit_bits": deficit, "workload__select__energy_uj": energy}
        return StepResult(outputs={"best_point": "best_point.json", "selection": "selection.json"}, metrics=metrics)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
