"""PrivCirNet on a real (small) network: dense training, Fisher sensitivity, block-size IP, fine-tuning.

The network is an MLP on scikit-learn's bundled 8x8 digits (1797 images, 64 features, 10 classes),
trained locally in seconds. The procedure follows PrivCirNet:

1. train the dense network; measure the diagonal Fisher ``F = E[g^2]`` of every weight on training data;
2. per layer and block size ``b``, the second-order sensitivity ``Omega_l(b) = 1/2 sum F (W - P_b W)^2``
   (:func:`eda.workloads.privcirnet.privcirnet.circulant_sensitivity`) and the HE latency ``T_l(b)`` from
   :mod:`eda.workloads.privcirnet.he`;
3. the integer program picks ``b_l`` under a latency budget (a fraction of the dense latency);
4. layers are initialised with the Fisher-weighted circulant projection and fine-tuned;
5. held-out accuracy is measured next to the dense network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from eda.workloads.privcirnet.privcirnet import (
    BLOCK_SIZES,
    assign_block_sizes,
    circulant_sensitivity,
    project_block_circulant,
)

__all__ = [
    "BlockCirculantLinear",
    "DigitsResult",
    "load_digits_split",
    "make_mlp",
    "train",
    "accuracy",
    "diagonal_fisher",
    "to_block_circulant",
    "run_digits",
]


class BlockCirculantLinear(nn.Module):
    """``y = W x + bias`` with block-circulant ``W`` (block size ``b``) evaluated by FFT.

    ``coeffs[p, q]`` is the first row of block ``(p, q)``; see :mod:`eda.workloads.privcirnet.privcirnet`.
    """

    def __init__(self, in_features: int, out_features: int, block_size: int) -> None:
        super().__init__()
        self.in_features, self.out_features, self.block_size = in_features, out_features, block_size
        nb_in, nb_out = -(-in_features // block_size), -(-out_features // block_size)
        self.coeffs = nn.Parameter(torch.randn(nb_out, nb_in, block_size) / np.sqrt(in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nb_out, nb_in, b = self.coeffs.shape
        x = nn.functional.pad(x, (0, nb_in * b - x.shape[-1]))
        x_hat = torch.fft.rfft(x.reshape(*x.shape[:-1], nb_in, b), dim=-1)
        c_hat = torch.conj(torch.fft.rfft(self.coeffs, dim=-1))
        y_hat = torch.einsum("pqf,...qf->...pf", c_hat, x_hat)
        y = torch.fft.irfft(y_hat, n=b, dim=-1).reshape(*x.shape[:-1], nb_out * b)
        return y[..., : self.out_features] + self.bias


def load_digits_split(seed: int = 0, test_fraction: float = 0.3) -> tuple[torch.Tensor, ...]:
    """Standardised digits split: ``x_train, y_train, x_test, y_test`` (float32 / int64 tensors)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(
        data.data, data.target, test_size=test_fraction, random_state=seed, stratify=data.target
    )
    mean, std = x_tr.mean(0), x_tr.std(0) + 1e-6
    as_x = lambda a: torch.tensor((a - mean) / std, dtype=torch.float32)  # noqa: E731
    return as_x(x_tr), torch.tensor(y_tr), as_x(x_te), torch.tensor(y_te)


def make_mlp(widths: tuple[int, ...] = (64, 256, 256, 10), seed: int = 0) -> nn.Sequential:
    """A ReLU MLP with the given layer widths (dense ``nn.Linear`` layers)."""
    torch.manual_seed(seed)
    mods: list[nn.Module] = []
    for i in range(len(widths) - 1):
        mods.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def train(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int = 40, lr: float = 3e-3, seed: int = 0
) -> nn.Module:
    """Adam, full-batch-shuffled minibatches of 64, cross-entropy."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), 64):
            idx = order[start : start + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    return model


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Top-1 accuracy in [0, 1]."""
    return float((model(x).argmax(-1) == y).float().mean())


def diagonal_fisher(
    model: nn.Sequential, x: torch.Tensor, y: torch.Tensor, max_samples: int = 512
) -> list[np.ndarray]:
    """Empirical diagonal Fisher ``mean_n (dL_n/dW)^2`` of every ``nn.Linear`` weight.

    Per-sample gradients via ``torch.func.vmap(grad)`` over the first ``max_samples`` samples.
    """
    from torch.func import functional_call, grad, vmap

    linears = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p: dict[str, torch.Tensor], xi: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, p, (xi[None],))
        return nn.functional.cross_entropy(out, yi[None])

    grads = vmap(grad(loss), in_dims=(None, 0, 0))(params, x[:max_samples], y[:max_samples])
    return [grads[f"{name}.weight"].pow(2).mean(0).double().numpy() for name in linears]


def to_block_circulant(
    model: nn.Sequential, block_sizes: list[int], fisher: list[np.ndarray] | None = None
) -> nn.Sequential:
    """Copy of ``model`` whose i-th Linear becomes block-circulant (Fisher-weighted projection) if b>1."""
    mods: list[nn.Module] = []
    linear_index = 0
    for m in model:
        if isinstance(m, nn.Linear):
            b = block_sizes[linear_index]
            if b > 1:
                f = fisher[linear_index] if fisher is not None else None
                coeffs = project_block_circulant(m.weight.detach().numpy(), b, f)
                layer = BlockCirculantLinear(m.in_features, m.out_features, b)
                layer.coeffs.data = torch.tensor(coeffs, dtype=torch.float32)
                layer.bias.data = m.bias.detach().clone()
                mods.append(layer)
            else:
                clone = nn.Linear(m.in_features, m.out_features)
                clone.load_state_dict(m.state_dict())
                mods.append(clone)
            linear_index += 1
        else:
            mods.append(m)
    return nn.Sequential(*mods)


@dataclass
class DigitsResult:
    """Outcome of :func:`run_digits` (accuracies in [0, 1], latencies in seconds)."""

    dense_accuracy: float
    circulant_accuracy: float
    projected_accuracy: float
    uniform_accuracy: float
    block_sizes: list[int]
    uniform_block_size: int
    dense_latency_s: float
    circulant_latency_s: float
    uniform_latency_s: float
    widths: tuple[int, ...]
    sensitivity: list[dict[int, float]] = field(default_factory=list)


def run_digits(
    latency_tables: list[dict[int, float]] | None = None,
    budget_fraction: float = 0.3,
    widths: tuple[int, ...] = (64, 256, 256, 10),
    epochs: int = 40,
    finetune_epochs: int = 20,
    seed: int = 0,
) -> DigitsResult:
    """Train dense, choose block sizes by the IP under ``budget_fraction`` of dense latency, fine-tune.

    ``latency_tables`` gives per-layer latency per block size (default: the HE model of
    :func:`eda.workloads.privcirnet.he.fc_latency_table`). Also reports a uniform-block-size baseline
    with the same latency budget (the smallest uniform ``b`` that fits) after the same fine-tuning.
    """
    from eda.workloads.privcirnet.he import HeCosts, fc_latency_table

    x_tr, y_tr, x_te, y_te = load_digits_split(seed)
    dense = train(make_mlp(widths, seed), x_tr, y_tr, epochs=epochs, seed=seed)
    fisher = diagonal_fisher(dense, x_tr, y_tr)
    linears = [m for m in dense if isinstance(m, nn.Linear)]
    if latency_tables is None:
        costs = HeCosts()
        latency_tables = [fc_latency_table(m.in_features, m.out_features, costs) for m in linears]
    sens = [
        {b: circulant_sensitivity(m.weight.detach().numpy(), f, b) for b in BLOCK_SIZES}
        for m, f in zip(linears, fisher, strict=True)
    ]
    dense_latency = sum(t[1] for t in latency_tables)
    budget = budget_fraction * dense_latency
    sizes = assign_block_sizes(sens, latency_tables, budget)
    uniform = min(
        (b for b in BLOCK_SIZES if sum(t[b] for t in latency_tables) <= budget), default=BLOCK_SIZES[-1]
    )

    def finetuned(block_sizes: list[int]) -> tuple[float, float]:
        model = to_block_circulant(dense, block_sizes, fisher)
        before = accuracy(model, x_te, y_te)
        train(model, x_tr, y_tr, epochs=finetune_epochs, lr=1e-3, seed=seed + 1)
        return before, accuracy(model, x_te, y_te)

    projected, tuned = finetuned(sizes)
    _, uniform_acc = finetuned([uniform] * len(linears))
    return DigitsResult(
        dense_accuracy=accuracy(dense, x_te, y_te),
        circulant_accuracy=tuned,
        projected_accuracy=projected,
        uniform_accuracy=uniform_acc,
        block_sizes=sizes,
        uniform_block_size=uniform,
        dense_latency_s=dense_latency,
        circulant_latency_s=sum(t[b] for t, b in zip(latency_tables, sizes, strict=True)),
        uniform_latency_s=sum(t[uniform] for t in latency_tables),
        widths=widths,
        sensitivity=sens,
    )
