"""``workload.mcubert``: MCUBERT's clustered low-rank embedding of the real MiniLM table (or a BERT shape's
proxy table), sized by a microcontroller's flash and distilled on real text, and the MCU schedule (parameters,
peak memory, longest sequence under the SRAM).

The step writes ``workload.yaml`` (output ``workload``), ``mcubert.json`` (output ``report``) and
``embedding.npz`` (output ``embedding``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.workloads.step_report import finish_workload_step
from eda.workloads.threads import single_thread

__all__ = ["WorkloadMCUBERT"]


@register
class WorkloadMCUBERT(Step):
    """MCUBERT: the word embedding compressed to what an MCU's flash leaves for it, distilled on real text;
    the MCU schedule (peak memory, longest sequence under the SRAM)."""

    name = "workload.mcubert"
    outputs = {
        "workload": "workload.yaml",
        "report": "mcubert.json",
        "embedding": "embedding.npz (cluster of every token, per-cluster codes and projections)",
    }

    class Params(StepParams):
        model: Literal["minilm", "bert-tiny", "bert-mini"] = Field(
            "minilm",
            description="encoder: minilm (real weights, quality measured) or a BERT shape (proxy table)",
        )
        device: Literal["stm32f746", "stm32f767", "stm32h743", "stm32f746g-disco"] = Field(
            "stm32f746g-disco", description="microcontroller board whose flash and SRAM set the budgets"
        )
        reserve_kb: int = Field(
            64, ge=0, description="flash kept for the program (inference runtime, application)"
        )
        compression: float | None = Field(
            None,
            gt=1.0,
            description="embedding compression ratio given as an "
            "input instead of the device budget (reported as an input)",
        )
        seq_len: int = Field(128, ge=1, le=4096, description="tokens per inference")
        budget_kb: int | None = Field(
            None, ge=1, description="execution-memory budget of the schedule (default: the device's SRAM)"
        )
        clusters: list[Annotated[int, Field(ge=1)]] = Field(
            [1, 4], min_length=1, max_length=16, description="cluster counts searched"
        )
        bands: list[list[Annotated[int, Field(ge=1)]]] = Field(
            [[500], [2000]],
            min_length=1,
            max_length=16,
            description="frequency-band boundaries searched (token ranks)",
        )
        frequency_weighted: bool = Field(True, description="weight rows by token frequency in the search")
        distill_steps: int = Field(
            200, ge=0, description="distillation steps on real text (minilm only; 0: none)"
        )
        distill_depth: int | None = Field(
            2,
            ge=1,
            le=6,
            description="encoder layers distilled through "
            "(None: all six; two measured as good and 2.5x cheaper)",
        )
        held_out_sentences: int = Field(
            300, ge=1, le=10_000, description="held-out sentences the quality is measured on"
        )
        seed: int = Field(0, ge=0, description="seed of the search and distillation")

    def run(self, ctx: StepContext) -> StepResult:
        with single_thread():  # k-means, SVD and distillation: the same bits in any executor
            return self._run(ctx)

    def _run(self, ctx: StepContext) -> StepResult:
        from eda.workloads.mcubert import mcubert as mc
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
            layers, hidden, ffn, heads = mc.BERT_SHAPES[p.model]
            table = mc.proxy_table(word_embeddings(), hidden)
        device = mc.MCU_DEVICES[p.device]
        if p.compression is not None:
            budget_params, budget_from = (
                int(table.size / p.compression),
                f"compression {p.compression:g} (an input)",
            )
        else:
            budget_params = mc.embedding_budget(layers, hidden, ffn, device, p.reserve_kb * 1024)
            budget_from = f"{device.name}, {p.reserve_kb} KiB program reserve, int8 weights"
        weights = np.log1p(token_counts()) + 1.0 if p.frequency_weighted else None
        log: list[dict[str, Any]] = []
        if budget_params >= table.size:  # the table fits as it is: nothing to compress
            emb = mc.ClusteredEmbedding(
                np.zeros(len(table), dtype=np.int64),
                [table.shape[1]],
                [table.copy()],
                [np.eye(table.shape[1], dtype=np.float32)],
                table.shape[1],
            )
            stored = table.size
        else:
            emb, log = mc.two_stage_search(
                table,
                budget_params,
                tuple(p.clusters),
                row_weights=weights,
                band_options=tuple(tuple(b) for b in p.bands),
                seed=p.seed,
            )
            stored = emb.parameters
        quality: dict[str, Any] = {}
        if p.model == "minilm":  # sentence-embedding similarity through the real encoder, on unseen text
            from eda.workloads.mcubert.distill import distill_embedding, sentence_cosine

            held = docstring_sentences("held-out")[: p.held_out_sentences] + list(SAMPLE_SENTENCES)
            quality["cosine_compressed"] = sentence_cosine(emb.reconstruct(), held)
            if p.distill_steps and stored < table.size:
                emb, losses = distill_embedding(
                    emb,
                    docstring_sentences("train"),
                    steps=p.distill_steps,
                    max_length=32,
                    depth=p.distill_depth,
                    seed=p.seed,
                )
                quality.update(
                    {
                        "cosine_distilled": sentence_cosine(emb.reconstruct(), held),
                        "distill_loss_first_last": [losses[0], float(np.mean(losses[-10:]))],
                    }
                )
            quality["held_out_sentences"] = len(held)
            cosine = quality.get("cosine_distilled", quality["cosine_compressed"])
        else:  # no encoder weights at this width: mean cosine of the proxy table's rows
            rec = emb.reconstruct()
            norms = np.linalg.norm(table, axis=1) * np.linalg.norm(rec, axis=1)
            cosine = float(np.mean((table * rec).sum(axis=1) / np.maximum(norms, 1e-12)))
            quality["row_cosine_proxy_table"] = cosine
        sram = (p.budget_kb * 1024) if p.budget_kb else device.sram_bytes
        schedule = {
            s: {
                "untiled_bytes": mc.peak_memory(s, hidden, ffn, heads),
                "plan": mc.plan_schedule(s, hidden, ffn, heads, sram),
            }
            for s in (128, 256, 512, 1024)
        }
        work = mc.mcubert_workload(f"mcubert-{p.model}", layers, hidden, ffn, heads, emb, p.seq_len)
        work.meta.update({"cosine_similarity": cosine, "device": p.device})
        np.savez_compressed(
            ctx.path("embedding.npz"),
            assignment=emb.assignment,
            ranks=np.array(emb.ranks),
            **{f"codes{c}": code for c, code in enumerate(emb.codes)},
            **{f"projection{c}": proj for c, proj in enumerate(emb.projections)},
        )
        before_params = bert_param_count(layers, hidden, ffn)
        after_params = mc.mcubert_param_count(layers, hidden, ffn, stored)
        report = {
            "model": p.model,
            "budget_from": budget_from,
            "embedding_budget_parameters": budget_params,
            "stage1": log,
            "ranks": emb.ranks,
            "embedding_parameters": stored,
            "embedding_compression": table.size / stored,
            "parameters_before": before_params,
            "parameters_after": after_params,
            "flash_bytes_int8": after_params + p.reserve_kb * 1024,
            "device_flash_bytes": device.flash_bytes,
            "quality": quality,
            "cosine_similarity": cosine,
            "schedule": schedule,
            "sram_budget_bytes": sram,
            "max_seq_untiled": mc.max_sequence_length(hidden, ffn, heads, sram, tiled=False),
            "max_seq_tiled": mc.max_sequence_length(hidden, ffn, heads, sram, tiled=True),
        }
        metrics = {
            "workload__mcubert__parameter_reduction": before_params / after_params,
            "workload__mcubert__embedding_compression": table.size / stored,
            "workload__mcubert__cosine_similarity": cosine,
            "workload__mcubert__max_seq_tiled": report["max_seq_tiled"],
            "workload__mcubert__max_seq_untiled": report["max_seq_untiled"],
        }
        if "cosine_compressed" in quality:
            metrics["workload__mcubert__cosine_before_distillation"] = quality["cosine_compressed"]
        result = finish_workload_step(ctx, work, report, metrics, "mcubert.json")
        result.outputs["embedding"] = "embedding.npz"
        return result
