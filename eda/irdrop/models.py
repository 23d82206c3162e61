"""IR-drop predictors: PDNNet (dual-branch GNN + CNN) and an IREDGe-style CNN encoder-decoder baseline.

Both map input channels ``[B, C, X, Y]`` on 1 µm tiles to an IR-drop map ``[B, X, Y]`` in mV. PDNNet
also takes the PDNGraph of the sample (:mod:`eda.irdrop.graph`); its graph branch runs edge-conditioned
message passing (``GINEConv``) over the directed tile graph, its CNN branch a U-Net over the maps, and a
fusion head combines the graph embedding (scattered back onto the tiles and upsampled) with the CNN
features. Models are built from a plain config dict (``{"model": "pdnnet", ...}``, e.g. from YAML) by
:func:`build_model`; :data:`MODELS` is the name -> class registry.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from eda.errors import SpecError
from eda.irdrop.features import CURRENT_CHANNELS, RESIDUAL_CHANNELS, STATIC_CHANNELS

__all__ = ["MODELS", "IREDGe", "PDNNet", "UNet", "build_model", "channel_index", "model_config"]


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.GroupNorm(math.gcd(8, cout), cout),
        nn.GELU(),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.GroupNorm(math.gcd(8, cout), cout),
        nn.GELU(),
    )


def _per_tile_mlp(cin: int, hidden: int, cout: int) -> nn.Sequential:
    """Two hidden layers of ``hidden`` channels mixing the ``cin`` channels of each tile (1x1 convolutions)
    into ``cout``."""
    return nn.Sequential(
        nn.Conv2d(cin, hidden, 1),
        nn.GELU(),
        nn.Conv2d(hidden, hidden, 1),
        nn.GELU(),
        nn.Conv2d(hidden, cout, 1),
    )


def _match(t: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """Crop or replicate-pad the last two dims of ``t`` to ``shape``."""
    dx, dy = shape[0] - t.shape[-2], shape[1] - t.shape[-1]
    if dx > 0 or dy > 0:
        t = F.pad(t, (0, max(dy, 0), 0, max(dx, 0)), mode="replicate")
    return t[..., : shape[0], : shape[1]]


class UNet(nn.Module):
    """Encoder-decoder with skips: a stride-2 stem, ``len(widths)`` levels, output at the stem's scale.

    Args:
        in_channels: input channels.
        widths: channels per level (each level halves the resolution).
        skips: use U-Net skip connections (IREDGe-style plain encoder-decoder when False).
    """

    def __init__(self, in_channels: int, widths: list[int], skips: bool = True) -> None:
        super().__init__()
        self.skips = skips
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, stride=2, padding=1), nn.GELU())
        self.down = nn.ModuleList()
        cin = widths[0]
        for w in widths:
            self.down.append(_block(cin, w))
            cin = w
        self.up = nn.ModuleList()
        for i in range(len(widths) - 1, 0, -1):
            extra = widths[i - 1] if skips else 0
            self.up.append(_block(widths[i] + extra, widths[i - 1]))
        self.out_channels = widths[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, X, Y]`` -> features ``[B, widths[0], ceil(X/2), ceil(Y/2)]``."""
        h = self.stem(x)
        feats = []
        for i, block in enumerate(self.down):
            if i > 0:
                h = F.avg_pool2d(h, 2, ceil_mode=True)
            h = block(h)
            feats.append(h)
        for j, block in enumerate(self.up):
            skip = feats[len(feats) - 2 - j]
            h = _match(
                F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False), skip.shape[-2:]
            )
            h = block(torch.cat([h, skip], dim=1) if self.skips else h)
        return h


class _Head(nn.Module):
    """Upsample features to 1 µm, mix with the raw inputs per tile (1x1 convolutions), predict mV."""

    def __init__(self, feat: int, in_channels: int, hidden: int) -> None:
        super().__init__()
        self.net = _per_tile_mlp(feat + in_channels, hidden, 1)

    def forward(self, feats: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        up = _match(
            F.interpolate(feats, scale_factor=2, mode="bilinear", align_corners=False), inputs.shape[-2:]
        )
        return self.net(torch.cat([up, inputs], dim=1)).squeeze(1)


def channel_index(in_channels: int, channels: list[str] | None) -> list[int]:
    """Indices of the named static channels (:data:`STATIC_CHANNELS`) plus every channel after the static
    ones (time slices); all ``in_channels`` when ``channels`` is None."""
    if channels is None:
        return list(range(in_channels))
    unknown = [c for c in channels if c not in STATIC_CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel(s) {unknown}; valid: {', '.join(STATIC_CHANNELS)}")
    return [STATIC_CHANNELS.index(c) for c in channels] + list(range(len(STATIC_CHANNELS), in_channels))


class IREDGe(nn.Module):
    """IREDGe-style CNN baseline: a convolutional encoder-decoder from input maps to the IR-drop map.

    ``channels`` names the static channels it reads (default: all ``in_channels``); the shipped config
    gives it the contest maps and the current's multi-scale copies, not the netlist-derived channels.
    """

    uses_graph = False

    def __init__(
        self,
        in_channels: int,
        widths: list[int] | None = None,
        head: int = 16,
        skips: bool = True,
        channels: list[str] | None = None,
    ) -> None:
        super().__init__()
        widths = widths or [16, 32, 48, 64]
        self.channels = channel_index(in_channels, channels)
        self.cnn = UNet(len(self.channels), widths, skips=skips)
        self.head = _Head(self.cnn.out_channels, len(self.channels), head)

    def forward(self, x: torch.Tensor, graph: Any = None) -> torch.Tensor:
        """``x`` ``[B, C, X, Y]`` -> IR drop ``[B, X, Y]`` in mV (``graph`` ignored)."""
        x = x[:, self.channels]
        return self.head(self.cnn(x), x)


class _GraphBranch(nn.Module):
    """Edge-conditioned message passing on the PDNGraph (GINE layers with residuals)."""

    def __init__(self, node_features: int, edge_features: int, hidden: int, layers: int) -> None:
        super().__init__()
        from torch_geometric.nn import GINEConv

        self.encode = nn.Sequential(nn.Linear(node_features, hidden), nn.GELU(), nn.Linear(hidden, hidden))
        self.convs = nn.ModuleList(
            GINEConv(
                nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, hidden)),
                edge_dim=edge_features,
                train_eps=True,
            )
            for _ in range(layers)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        h = self.encode(x)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = h + F.gelu(norm(conv(h, edge_index, edge_attr)))
        return h


class _LinearCurrentHead(nn.Module):
    """IR drop as a structure-gated mixture of multi-scale current maps (linear in the current).

    ``drop(i) = Σ_s softplus(g_s(i)) · c_s(i)`` where ``c_s`` are the current channels (the tile current,
    its block averages over 2 … 128 µm and the die mean, :func:`eda.irdrop.features.current_pyramid`, the
    rail estimate) and the gates ``g_s`` come from the fused branch features and the normalised inputs at
    each tile. The ``signed`` levels (the rail estimate's residual channels, whose effect on the drop may
    have either sign) use ``g_s`` itself, starting at 0. With ``signed_limit`` ``a`` their sum ``r`` corrects
    the positive part ``p`` as ``p · (1 + a · tanh(r / (a · p)))``: about ``p + r`` for a small correction,
    never outside ``[(1 - a) p, (1 + a) p]``, so a residual beyond the range seen in training (a die corner)
    cannot drive the drop negative; the ratio ``r / p`` is current-free, so the output stays linear in the
    current. Without it the correction is ``p + r``, unbounded.
    Because the branches only see the current *shape* (normalised by the die-mean current), the
    prediction scales exactly with the current, as the physics (``G v = J``) demands.
    """

    def __init__(
        self,
        feat: int,
        in_channels: int,
        hidden: int,
        levels: int,
        prior: list[int] | None = None,
        signed: list[int] | None = None,
        signed_limit: float | None = None,
    ) -> None:
        super().__init__()
        if signed_limit is not None and not 0.0 < signed_limit <= 1.0:
            raise ValueError(f"signed_limit must be in (0, 1] (a fraction of the drop), got {signed_limit}")
        self.signed_limit = signed_limit
        self.gates = _per_tile_mlp(feat + in_channels, hidden, levels)
        mask = torch.zeros(levels, dtype=torch.bool)
        mask[list(signed or [])] = True
        self.register_buffer("signed", mask.view(1, -1, 1, 1), persistent=False)
        if not prior:
            # start near the contest scale (gates ~0.13 mV per 0.1 µA per level) rather than softplus(0)
            nn.init.constant_(self.gates[-1].bias, -2.0)
        else:
            # start from the physics priors (the rail estimates, already in mV): their mean (gates 1 / n),
            # the others ~0
            with torch.no_grad():
                self.gates[-1].weight.mul_(0.1)
                self.gates[-1].bias.fill_(-6.0)
                self.gates[-1].bias[prior] = math.log(math.expm1(1.0 / len(prior)))
        with torch.no_grad():
            self.gates[-1].weight[mask] = 0.0
            self.gates[-1].bias[mask] = 0.0

    def forward(self, feats: torch.Tensor, inputs: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
        up = _match(
            F.interpolate(feats, scale_factor=2, mode="bilinear", align_corners=False), inputs.shape[-2:]
        )
        raw = self.gates(torch.cat([up, inputs], dim=1))
        gates = torch.where(self.signed, raw, F.softplus(raw))
        terms = gates * levels
        if self.signed_limit is None:
            return terms.sum(dim=1)
        positive = torch.where(self.signed, 0.0, terms).sum(dim=1)
        residual = torch.where(self.signed, terms, 0.0).sum(dim=1)
        a = self.signed_limit
        # where the positive part is 0 (no current) the bounded correction is 0 too
        ratio = residual / (a * positive).clamp_min(torch.finfo(positive.dtype).tiny)
        return positive * (1.0 + a * torch.tanh(ratio))


class PDNNet(nn.Module):
    """Dual-branch PDNNet: a GNN branch on PDNGraph and a CNN branch on the maps, fused per tile.

    Args:
        in_channels: map channels (static features plus any time slices).
        node_features: PDNGraph node features (``in_channels + 1`` with the pad flag).
        edge_features: PDNGraph edge features.
        widths: CNN branch level widths.
        gnn_hidden: graph branch width; gnn_layers: message-passing layers.
        head: fusion head width.
        output: ``linear_current`` (default; the physics-shaped head of :class:`_LinearCurrentHead`,
            current channels ``current_channels`` normalised by their mean before the branches) or
            ``direct`` (regress the drop directly, like the baseline).
        current_channels: indices of the channels that are linear in the current (default
            :data:`eda.irdrop.features.CURRENT_CHANNELS` plus any time-slice channels after the static
            ones, so a dynamic model needs only ``in_channels``); the last one must be the die-mean current,
            which normalises them for the branches; all of them feed the linear-current head.
        prior_channel: name or index, or a list of them, of channels that already estimate the drop in
            mV (default ``rail_coarse``, the coarse-grid rail estimate, when it is among the current
            channels; ``None``: none; ``[rail_est, rail_coarse]``: both rail estimates); the
            linear-current head starts from their mean (gates ``1 / n``) and ~0
            elsewhere, so training learns a correction of the physics prior.
        compress: feed the normalised current channels (dimensionless, current / die-mean current) to the
            branches as ``asinh`` (default), which keeps the gates bounded on designs whose current is
            more concentrated than the training designs'; the head still multiplies the raw channels, so
            the output stays linear in the current.
        signed_limit: bound of the rail-residual correction as a fraction of the drop (see
            :class:`_LinearCurrentHead`; default ``None``: unbounded, as the checkpoints trained before it).
    """

    uses_graph = True

    def __init__(
        self,
        in_channels: int,
        node_features: int | None = None,
        edge_features: int = 4,
        widths: list[int] | None = None,
        gnn_hidden: int = 32,
        gnn_layers: int = 6,
        head: int = 16,
        output: str = "linear_current",
        current_channels: list[int] | None = None,
        prior_channel: int | str | list[int | str] | None = "rail_coarse",
        compress: bool = True,
        signed_limit: float | None = None,
    ) -> None:
        super().__init__()
        if output not in ("linear_current", "direct"):
            raise ValueError(f"output must be 'linear_current' or 'direct', got {output!r}")
        self.compress = bool(compress)
        widths = widths or [16, 32, 48, 64]
        self.output = output
        if current_channels is None:
            # time slices (every channel after the static ones) are currents too; the die mean stays last
            slices = range(len(STATIC_CHANNELS), in_channels)
            current_channels = [*CURRENT_CHANNELS[:-1], *slices, CURRENT_CHANNELS[-1]]
        self.current_channels = list(current_channels)
        self.cnn = UNet(in_channels, widths)
        self.gnn = _GraphBranch(node_features or in_channels + 1, edge_features, gnn_hidden, gnn_layers)
        self.fuse = nn.Sequential(
            nn.Conv2d(self.cnn.out_channels + gnn_hidden, widths[0], 3, padding=1), nn.GELU()
        )
        if output == "direct":
            self.head: nn.Module = _Head(widths[0], in_channels, head)
        else:
            wanted = (
                []
                if prior_channel is None
                else (list(prior_channel) if isinstance(prior_channel, list | tuple) else [prior_channel])
            )
            unknown = [c for c in wanted if isinstance(c, str) and c not in STATIC_CHANNELS]
            if unknown:
                raise ValueError(f"unknown prior channels {unknown}; valid: {', '.join(STATIC_CHANNELS)}")
            priors = [STATIC_CHANNELS.index(c) if isinstance(c, str) else int(c) for c in wanted]
            if prior_channel == "rail_coarse" and priors[0] not in self.current_channels:
                priors = []  # the default, on a model that does not read the coarse estimate
            missing = [c for c in priors if c not in self.current_channels]
            if missing:
                raise ValueError(f"prior channels {missing} are not among the current channels")
            prior = [self.current_channels.index(c) for c in priors]
            signed = [i for i, c in enumerate(self.current_channels) if c in RESIDUAL_CHANNELS]
            self.head = _LinearCurrentHead(
                widths[0], in_channels, head, len(self.current_channels), prior, signed, signed_limit
            )

    def _normalise(self, x: torch.Tensor, graph: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Divide the current channels of the maps and graph nodes by the die-mean current."""
        cc = self.current_channels
        scale = x[:, cc[-1]].mean(dim=(1, 2)).clamp_min(1e-12)
        xn = x.clone()
        xn[:, cc] = x[:, cc] / scale.view(-1, 1, 1, 1)
        gx = graph.x.clone()
        gx[:, cc] = graph.x[:, cc] / scale[0]
        if self.compress:
            # the branches see the current shape on an asinh scale: a design whose current is more
            # concentrated than any training design lands less far outside the range the gates learnt
            xn[:, cc] = torch.asinh(xn[:, cc])
            gx[:, cc] = torch.asinh(gx[:, cc])
        return xn, gx, scale

    def forward(self, x: torch.Tensor, graph: Any) -> torch.Tensor:
        """``x`` ``[1, C, X, Y]`` plus its PDNGraph -> IR drop ``[1, X, Y]`` in mV (one sample per call)."""
        if self.output == "linear_current":
            xin, gnode, _ = self._normalise(x, graph)
        else:
            xin, gnode = x, graph.x
        feats = self.cnn(xin)
        h = self.gnn(gnode, graph.edge_index, graph.edge_attr)
        gx, gy = graph.grid
        gmap = h.T.reshape(1, -1, gx, gy)
        gmap = F.interpolate(gmap, scale_factor=graph.tile_um / 2, mode="bilinear", align_corners=False)
        gmap = _match(gmap, feats.shape[-2:])
        fused = self.fuse(torch.cat([feats, gmap.expand(feats.shape[0], -1, -1, -1)], dim=1))
        if self.output == "direct":
            return self.head(fused, xin)
        return self.head(fused, xin, x[:, self.current_channels])


MODELS: dict[str, type[nn.Module]] = {"pdnnet": PDNNet, "iredge": IREDGe}


def model_config(config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Split a config dict into ``(name, constructor kwargs)``; unknown names list the valid ones."""
    cfg = dict(config)
    name = str(cfg.pop("model", "pdnnet")).lower()
    if name not in MODELS:
        raise SpecError(f"unknown IR-drop model '{name}'", hint=f"valid models: {', '.join(sorted(MODELS))}")
    return name, cfg


def build_model(config: dict[str, Any]) -> nn.Module:
    """Instantiate a model from ``{"model": name, **kwargs}`` (bad kwargs -> :class:`SpecError`)."""
    name, kwargs = model_config(config)
    try:
        return MODELS[name](**kwargs)
    except (TypeError, ValueError) as exc:
        raise SpecError(
            f"bad parameters for model '{name}': {exc}",
            hint="see eda/irdrop/configs/*.yaml for the accepted keys",
        ) from None
