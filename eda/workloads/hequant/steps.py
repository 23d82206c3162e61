"""``workload.hequant``: HEQuant on a CNN trained on the digits (per-layer bits under an HE communication
budget) or on the real MiniLM encoder (recorded activations); accumulator bits, HE communication and the
lossless ADC bits per rows summed in one conversion.

The step writes ``workload.yaml`` (output ``workload``) and ``hequant.json`` (output ``report``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from eda.errors import DataError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.workloads.step_report import finish_workload_step
from eda.workloads.threads import single_thread

__all__ = ["WorkloadHEQuant"]


@register
class WorkloadHEQuant(Step):
    """HEQuant: per-layer bits under an HE communication budget; accumulator and lossless ADC bits."""

    name = "workload.hequant"
    outputs = {"workload": "workload.yaml", "report": "hequant.json"}

    class Params(StepParams):
        network: Literal["digits-cnn", "minilm"] = Field(
            "digits-cnn",
            description="digits-cnn: trained here, bits allocated per layer; minilm: real weights, "
            "recorded activations",
        )
        weight_bits: int = Field(8, ge=2, le=16, description="minilm: weight bits (per output channel)")
        seed: int = Field(0, ge=0, description="digits-cnn: seed of the data split and training")
        budget_fraction: float = Field(
            0.5,
            gt=0.0,
            le=1.0,
            description="digits-cnn: communication budget as a fraction of the uniform 8-bit network's",
        )
        batch: int = Field(
            4096,
            ge=1,
            le=1_000_000,
            description="digits-cnn: inferences per HE batch in the communication model",
        )
        activation_bits: int = Field(8, ge=2, le=16, description="minilm: bits of the recorded activations")
        text: str = Field(
            "The power grid of the chip must deliver current to every cell. Analog compute-in-memory "
            "macros sum charge on shared capacitors.",
            min_length=1,
            description="minilm: the text the encoder runs on to record its activations",
        )
        he_layer: str = Field("layer0.q", description="minilm: the projection run on real BFV ciphertexts")
        he_outputs: int = Field(
            8, ge=0, le=384, description="minilm: outputs of that product run under HE (0: none)"
        )

    def run(self, ctx: StepContext) -> StepResult:
        if ctx.params.network == "minilm":
            return _hequant_minilm(ctx)
        from eda.workloads.hequant.hequant import adc_bits_table, allocate_bits
        from eda.workloads.quant import quantize_weights, weight_layers
        from eda.workloads.zoo import train_digits_cnn

        p = ctx.params
        with single_thread():
            model, data = train_digits_cnn(seed=p.seed)
            result = allocate_bits(model, data, budget_fraction=p.budget_fraction, batch=p.batch)
        modules = dict(weight_layers(model))
        adc = adc_bits_table(
            (quantize_weights(modules[name].weight.detach().numpy(), wb)[0], wb)
            for name, (wb, _) in result.bits.items()
        )
        work = result.workload
        assert work is not None
        work.meta.update({"method": "hequant", "adc_bits_required": adc, "accuracy": result.accuracy})
        saved = np.mean([result.worst_case_bits[n] - result.accumulator_bits[n] for n in result.bits])
        report = {
            "bits": result.bits,
            "accumulator_bits": result.accumulator_bits,
            "worst_case_bits": result.worst_case_bits,
            "comm_bytes": result.comm_bytes,
            "comm_bytes_uniform8": result.comm_bytes_uniform8,
            "comm_bytes_unpacked8": result.comm_bytes_unpacked8,
            "accuracy": result.accuracy,
            "accuracy_float": result.accuracy_float,
            "accuracy_uniform8": result.accuracy_uniform8,
            "adc_bits_required": adc,
            "table": result.table,
        }
        metrics = {
            "workload__hequant__accuracy": result.accuracy,
            "workload__hequant__accuracy_uniform8": result.accuracy_uniform8,
            "workload__hequant__comm_reduction_vs_uniform8": result.comm_bytes_uniform8 / result.comm_bytes,
            "workload__hequant__comm_reduction_vs_unpacked8": result.comm_bytes_unpacked8 / result.comm_bytes,
            "workload__hequant__accumulator_bits_saved_mean": float(saved),
            "workload__hequant__adc_bits_required_32rows": adc[32],
        }
        return finish_workload_step(ctx, work, report, metrics, "hequant.json")


#: MiniLM encoder layer (workload name suffix) -> safetensors weight name
_MINILM_LINEAR = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "o": "attention.output.dense",
    "ffn1": "intermediate.dense",
    "ffn2": "output.dense",
}


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
    from eda.workloads.hequant.hequant import (
        BFVParams,
        accumulator_bits,
        adc_bits_table,
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
        encode(
            w_torch["embeddings.word_embeddings.weight"][ids],
            mask,
            w_torch,
            record=lambda name, x: captured.__setitem__(name, x.numpy()[real]),
        )
    acc: dict[str, int] = {}
    worst: dict[str, int] = {}
    reached: dict[str, int] = {}
    operands: dict[str, tuple[np.ndarray, np.ndarray]] = {}
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
    adc = adc_bits_table((q, p.weight_bits) for _, q in operands.values())
    he: dict[str, Any] = {}
    if p.he_outputs:
        if p.he_layer not in operands:
            raise DataError(
                f"no MiniLM projection named '{p.he_layer}'", hint=f"one of {sorted(operands)[:7]} ..."
            )
        x_int, q = operands[p.he_layer]
        # N = 4096 (109-bit modulus, 30-bit plaintext): enough noise budget for one plaintext product of
        # 8-bit data, a quarter of the default's work and bytes
        params = BFVParams(poly_degree=4096, data_prime_bits=(36, 36), special_prime_bits=37, plain_bits=30)
        lane = acc[p.he_layer] + 1
        for label, packed in (("packed", True), ("unpacked", False)):
            run = run_packed_gemm(x_int, q[: p.he_outputs], lane, params, packed=packed)
            he[label] = {
                "ciphertexts": run["ciphertexts_sent"] + run["ciphertexts_received"],
                "bytes": run["bytes_sent"] + run["bytes_received"],
                "lanes_per_slot": run["packing"],
                "exact": bool(np.array_equal(run["y"], x_int @ q[: p.he_outputs].T)),
            }
        he.update(
            {
                "layer": p.he_layer,
                "rows": int(x_int.shape[0]),
                "k": int(x_int.shape[1]),
                "outputs": p.he_outputs,
                "lane_bits": lane,
                "slots": params.poly_degree,
            }
        )
    work.meta.update({"method": "hequant", "network": "minilm", "adc_bits_required": adc})
    saved = float(np.mean([worst[n] - acc[n] for n in acc]))
    report = {
        "network": "minilm",
        "weight_bits": p.weight_bits,
        "activation_bits": p.activation_bits,
        "tokens": int(real.sum()),
        "accumulator_bits": acc,
        "worst_case_bits": worst,
        "reached_bits": reached,
        "adc_bits_required": adc,
        "he_product": he,
    }
    metrics = {
        "workload__hequant__accumulator_bits_saved_mean": saved,
        "workload__hequant__accumulator_bits_max": max(acc.values()),
        "workload__hequant__bound_margin_bits_min": min(acc[n] - reached[n] for n in acc),
        **{f"workload__hequant__adc_bits_required_{r}rows": b for r, b in adc.items() if r in (16, 64, 256)},
    }
    if he:
        metrics.update(
            {
                "workload__hequant__he_bytes_packed": he["packed"]["bytes"],
                "workload__hequant__he_bytes_unpacked": he["unpacked"]["bytes"],
                "workload__hequant__he_lanes_per_slot": he["packed"]["lanes_per_slot"],
                "workload__hequant__he_exact": int(he["packed"]["exact"] and he["unpacked"]["exact"]),
            }
        )
    return finish_workload_step(ctx, work, report, metrics, "hequant.json")
