"""Built-in networks as workloads, and small networks the project trains itself.

Shape-only descriptions (layer shapes follow the published architectures):

* :func:`bert_workload` / :func:`bert_tiny` (2 layers, hidden 128, FFN 512, 2 heads) / :func:`bert_mini`
  (4 / 256 / 1024, 4 heads) / :func:`minilm_l6` (6 / 384 / 1536, 12 heads; shapes read from the config
  shipped with the real weights when installed);
* :func:`resnet18`, :func:`mobilenet_v2` (ImageNet, 224²) and :func:`vit_small` (32² images, patch 4);

and :func:`bert_param_count` (exact BERT parameter count incl. embeddings, LayerNorms and pooler).

Trained here: :func:`train_digits_cnn` fits a small CNN on scikit-learn's bundled 8×8 digits in a few
seconds (deterministic for a seed); :func:`torch_workload` turns any ``torch.nn.Sequential``-like model
of Conv2d/Linear layers into a workload by tracing shapes.

:data:`ZOO` maps names to the builders (``eda workload zoo NAME``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from eda.errors import DataError, SpecError
from eda.workloads.workload import LayerRecord, Workload

__all__ = [
    "bert_workload",
    "bert_param_count",
    "bert_tiny",
    "bert_mini",
    "minilm_l6",
    "resnet18",
    "mobilenet_v2",
    "vit_small",
    "DigitsData",
    "load_digits_data",
    "train_digits_cnn",
    "evaluate",
    "torch_workload",
    "ZOO",
    "build",
]

BERT_VOCAB = 30522
BERT_MAX_POSITIONS = 512


def bert_workload(
    name: str,
    layers: int,
    hidden: int,
    ffn: int,
    heads: int,
    seq_len: int = 128,
    vocab: int = BERT_VOCAB,
    weight_bits: int = 8,
    activation_bits: int = 8,
) -> Workload:
    """A BERT encoder: word-embedding gather, then per layer Q/K/V/O projections, attention, FFN."""
    if hidden % heads:
        raise SpecError(f"hidden {hidden} is not divisible by heads {heads}", where=name)
    bits = {"weight_bits": weight_bits, "activation_bits": activation_bits}
    records = [LayerRecord.embedding("embed.word", vocab, hidden, seq_len, weight_bits=weight_bits)]
    for i in range(layers):
        p = f"layer{i}"
        records += [
            LayerRecord.gemm(f"{p}.q", seq_len, hidden, hidden, **bits),
            LayerRecord.gemm(f"{p}.k", seq_len, hidden, hidden, **bits),
            LayerRecord.gemm(f"{p}.v", seq_len, hidden, hidden, **bits),
            LayerRecord.attention(f"{p}.attn", seq_len, heads, hidden // heads, **bits),
            LayerRecord.gemm(f"{p}.o", seq_len, hidden, hidden, **bits),
            LayerRecord.gemm(f"{p}.ffn1", seq_len, hidden, ffn, **bits),
            LayerRecord.gemm(f"{p}.ffn2", seq_len, ffn, hidden, **bits),
        ]
    meta = {
        "architecture": "bert",
        "layers": layers,
        "hidden": hidden,
        "ffn": ffn,
        "heads": heads,
        "seq_len": seq_len,
        "vocab": vocab,
        "parameters": bert_param_count(layers, hidden, ffn, vocab),
    }
    return Workload(name=name, layers=records, meta=meta)


def bert_param_count(
    layers: int,
    hidden: int,
    ffn: int,
    vocab: int = BERT_VOCAB,
    max_positions: int = BERT_MAX_POSITIONS,
    type_vocab: int = 2,
    pooler: bool = True,
) -> int:
    """Exact parameter count of a BERT encoder (as in the Hugging Face ``BertModel``)."""
    embeddings = (vocab + max_positions + type_vocab) * hidden + 2 * hidden
    attention = 4 * (hidden * hidden + hidden) + 2 * hidden
    feed_forward = hidden * ffn + ffn + ffn * hidden + hidden + 2 * hidden
    return embeddings + layers * (attention + feed_forward) + (hidden * hidden + hidden if pooler else 0)


def bert_tiny(seq_len: int = 128) -> Workload:
    """BERT-tiny (Turc et al.): 2 layers, hidden 128, FFN 512, 2 heads."""
    return bert_workload("bert-tiny", 2, 128, 512, 2, seq_len)


def bert_mini(seq_len: int = 128) -> Workload:
    """BERT-mini (Turc et al.): 4 layers, hidden 256, FFN 1024, 4 heads."""
    return bert_workload("bert-mini", 4, 256, 1024, 4, seq_len)


def minilm_l6(seq_len: int = 128) -> Workload:
    """all-MiniLM-L6-v2: 6 layers, hidden 384, FFN 1536, 12 heads (from the shipped config if installed)."""
    cfg = {
        "num_hidden_layers": 6,
        "hidden_size": 384,
        "intermediate_size": 1536,
        "num_attention_heads": 12,
        "vocab_size": BERT_VOCAB,
    }
    try:
        from eda.workloads.minilm import load_config

        cfg.update(load_config())
    except (
        DataError,
        OSError,
        ValueError,
    ):  # the weights package is optional: the published shape is the fallback
        pass
    work = bert_workload(
        "minilm-l6",
        cfg["num_hidden_layers"],
        cfg["hidden_size"],
        cfg["intermediate_size"],
        cfg["num_attention_heads"],
        seq_len,
        cfg["vocab_size"],
    )
    return work


def resnet18(image: int = 224, classes: int = 1000) -> Workload:
    """ResNet-18 (He et al. 2016) on ``image``² RGB inputs."""
    layers = [LayerRecord.conv("conv1", 3, 64, 7, image, stride=2, padding=3)]
    size = (image + 6 - 7) // 2 + 1
    size = (size + 2 - 3) // 2 + 1  # 3×3/2 max-pool
    cin = 64
    for stage, cout in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            p = f"layer{stage}.{block}"
            layers.append(LayerRecord.conv(f"{p}.conv1", cin, cout, 3, size, stride=stride, padding=1))
            out = (size + 2 - 3) // stride + 1
            layers.append(LayerRecord.conv(f"{p}.conv2", cout, cout, 3, out, padding=1))
            if stride != 1 or cin != cout:
                layers.append(LayerRecord.conv(f"{p}.downsample", cin, cout, 1, size, stride=stride))
            cin, size = cout, out
    layers.append(LayerRecord.gemm("fc", 1, 512, classes))
    return Workload("resnet18", layers, meta={"architecture": "resnet18", "image": image})


def mobilenet_v2(image: int = 224, classes: int = 1000) -> Workload:
    """MobileNetV2 (Sandler et al. 2018), width 1.0, inverted residual blocks (t, c, n, s)."""
    settings = (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    )
    layers = [LayerRecord.conv("conv_stem", 3, 32, 3, image, stride=2, padding=1)]
    size, cin, index = (image + 2 - 3) // 2 + 1, 32, 0
    for t, c, n, s in settings:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            p = f"block{index}"
            if t != 1:
                layers.append(LayerRecord.conv(f"{p}.expand", cin, hidden, 1, size))
            layers.append(
                LayerRecord.conv(f"{p}.dw", hidden, hidden, 3, size, stride=stride, padding=1, groups=hidden)
            )
            size = (size + 2 - 3) // stride + 1
            layers.append(LayerRecord.conv(f"{p}.project", hidden, c, 1, size))
            cin, index = c, index + 1
    layers.append(LayerRecord.conv("conv_head", cin, 1280, 1, size))
    layers.append(LayerRecord.gemm("classifier", 1, 1280, classes))
    return Workload("mobilenet_v2", layers, meta={"architecture": "mobilenet_v2", "image": image})


def vit_small(
    image: int = 32,
    patch: int = 4,
    dim: int = 192,
    depth: int = 6,
    heads: int = 3,
    mlp: int = 768,
    classes: int = 10,
) -> Workload:
    """A small ViT (ViT-Tiny widths) on ``image``² inputs: patch embedding, ``depth`` encoder blocks, head."""
    tokens = (image // patch) ** 2 + 1
    layers = [LayerRecord.conv("patch_embed", 3, dim, patch, image, stride=patch)]
    for i in range(depth):
        p = f"block{i}"
        layers += [
            LayerRecord.gemm(f"{p}.qkv", tokens, dim, 3 * dim),
            LayerRecord.attention(f"{p}.attn", tokens, heads, dim // heads),
            LayerRecord.gemm(f"{p}.proj", tokens, dim, dim),
            LayerRecord.gemm(f"{p}.mlp1", tokens, dim, mlp),
            LayerRecord.gemm(f"{p}.mlp2", tokens, mlp, dim),
        ]
    layers.append(LayerRecord.gemm("head", 1, dim, classes))
    return Workload("vit_small", layers, meta={"architecture": "vit", "image": image, "patch": patch})


# --------------------------------------------------------------------------- trained on sklearn digits
@dataclass
class DigitsData:
    """scikit-learn's 8×8 digits split into train/test tensors (pixels scaled to [0, 1])."""

    x_train: Any
    y_train: Any
    x_test: Any
    y_test: Any


def load_digits_data(seed: int = 0, test_fraction: float = 0.25) -> DigitsData:
    """The bundled 1797 8×8 digit images, shape (N, 1, 8, 8), stratified split by ``seed``."""
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, digits.target, test_size=test_fraction, random_state=seed, stratify=digits.target
    )
    return DigitsData(
        torch.from_numpy(x_tr),
        torch.from_numpy(y_tr).long(),
        torch.from_numpy(x_te),
        torch.from_numpy(y_te).long(),
    )


def _digits_cnn_module(width: int = 16) -> Any:
    import torch.nn as nn

    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(width, 2 * width, 3, padding=1, stride=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(2 * width * 16, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def train_digits_cnn(
    seed: int = 0, epochs: int = 15, width: int = 8, data: DigitsData | None = None
) -> tuple[Any, DigitsData]:
    """Train a 4-layer CNN (conv, conv/2, fc, fc) on the digits; returns (model in eval mode, data).

    Mini-batch (128) Adam, deterministic for ``seed``; ~96-97% test accuracy in a few CPU seconds.
    """
    from eda.workloads.threads import single_thread

    with single_thread():
        return _train(seed, epochs, width, data or load_digits_data(seed))


def _train(seed: int, epochs: int, width: int, data: DigitsData) -> tuple[Any, DigitsData]:
    import torch

    torch.manual_seed(seed)
    model = _digits_cnn_module(width)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(seed)
    n = len(data.x_train)
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, 128):
            idx = order[start : start + 128]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            loss.backward()
            opt.step()
    return model.eval(), data


def evaluate(model: Any, x: Any, y: Any) -> float:
    """Classification accuracy of ``model`` on (x, y)."""
    import torch

    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def torch_workload(
    model: Any, example: Any, name: str = "model", bits: dict[str, tuple[int, int]] | None = None
) -> Workload:
    """Trace Conv2d/Linear shapes of ``model`` on ``example`` (batch 1) into a workload.

    ``bits`` optionally maps a layer name (``module path``) to (weight_bits, activation_bits); the input
    density and toggle rate are measured from the real activations quantised to the activation bits.
    """
    import torch.nn as nn

    from eda.workloads.quant import observe_layers

    records: list[LayerRecord] = []
    bits = bits or {}

    def record(mod_name: str, module: Any, inputs: Any, output: Any) -> None:
        x = inputs[0].detach()
        wb, ab = bits.get(mod_name, (8, 8))
        density, toggle = _bit_activity(x, ab)
        kw = {"weight_bits": wb, "activation_bits": ab, "input_density": density, "toggle_rate": toggle}
        if isinstance(module, nn.Conv2d):
            records.append(
                LayerRecord.conv(
                    mod_name,
                    module.in_channels,
                    module.out_channels,
                    tuple(module.kernel_size),
                    tuple(x.shape[-2:]),
                    stride=module.stride[0],
                    padding=int(module.padding[0]),
                    groups=module.groups,
                    **kw,
                )
            )
        else:
            records.append(
                LayerRecord.gemm(
                    mod_name, int(np.prod(x.shape[:-1])), module.in_features, module.out_features, **kw
                )
            )

    observe_layers(model, example[:1], record)
    return Workload(name, records)


def _bit_activity(x: Any, bits: int) -> tuple[float, float]:
    """Mean bit-plane density and bit-plane toggle rate of ``x`` quantised to unsigned ``bits`` bits."""
    values = x.flatten().abs().numpy()
    scale = values.max() if values.size and values.max() > 0 else 1.0
    q = np.clip(np.round(values / scale * (2**bits - 1)), 0, 2**bits - 1).astype(np.int64)
    planes = np.stack([(q >> b) & 1 for b in range(bits)])
    density = float(planes.mean())
    toggle = float(np.abs(np.diff(planes, axis=0)).mean()) if bits > 1 else density
    return round(density, 4), round(toggle, 4)


ZOO: dict[str, Callable[[], Workload]] = {
    "bert-tiny": bert_tiny,
    "bert-mini": bert_mini,
    "minilm-l6": minilm_l6,
    "resnet18": resnet18,
    "mobilenet_v2": mobilenet_v2,
    "vit_small": vit_small,
}


def build(name: str) -> Workload:
    """A built-in workload by name (see :data:`ZOO`)."""
    try:
        return ZOO[name]()
    except KeyError:
        raise SpecError(
            f"unknown built-in workload '{name}'", hint=f"choose one of {', '.join(sorted(ZOO))}"
        ) from None
