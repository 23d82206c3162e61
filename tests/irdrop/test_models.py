"""PDNNet and the IREDGe baseline: shapes, physics of the output head, a short overfit, checkpoints."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
import torch

from eda.errors import DataError, SpecError
from eda.irdrop.features import STATIC_CHANNELS
from eda.irdrop.models import IREDGe, PDNNet, build_model
from eda.irdrop.recipes import load_model_config
from eda.irdrop.train import (
    TrainConfig,
    evaluate,
    load_checkpoint,
    predict_sample,
    save_checkpoint,
    train_model,
)

from .pdn_fixtures import comb_sample

C = len(STATIC_CHANNELS)


@pytest.fixture(scope="module")
def sample():
    return comb_sample(0)


def _small(name: str) -> dict:
    cfg = {"model": name, "in_channels": C, "widths": [8, 12, 16], "head": 8}
    if name == "pdnnet":
        cfg.update(gnn_hidden=8, gnn_layers=2)
    return cfg


@pytest.mark.parametrize("name", ["pdnnet", "iredge"])
def test_output_shape_matches_map(sample, name):
    torch.manual_seed(0)
    model = build_model(_small(name))
    for k, flip in ((0, False), (1, True)):
        x, graph, y = sample.view(k, flip)
        out = model(x, graph)
        assert out.shape == y.shape == (1, *x.shape[-2:])


def test_shipped_configs_build():
    for name in ("pdnnet", "iredge"):
        model = build_model(load_model_config(name))
        assert sum(p.numel() for p in model.parameters()) > 10_000
    assert isinstance(build_model(load_model_config("pdnnet")), PDNNet)
    assert isinstance(build_model(load_model_config("iredge")), IREDGe)


def test_bad_model_config_is_a_spec_error():
    with pytest.raises(SpecError, match="valid models"):
        build_model({"model": "unet3000", "in_channels": C})
    with pytest.raises(SpecError, match="bad parameters"):
        build_model({"model": "iredge", "in_channels": C, "depth": 3})


def test_pdnnet_prediction_scales_with_current(sample):
    """The linear-current head: doubling every current channel doubles the predicted drop."""
    torch.manual_seed(0)
    model = build_model(_small("pdnnet")).eval()
    x, graph, _ = sample.view()
    x2 = x.clone()
    cc = model.current_channels
    x2[:, cc] *= 2.0
    g2 = type(graph)(
        x=graph.x.clone(),
        edge_index=graph.edge_index,
        edge_attr=graph.edge_attr,
        grid=graph.grid,
        tile_um=graph.tile_um,
        pos=graph.pos,
    )
    g2.x[:, cc] *= 2.0
    with torch.no_grad():
        torch.testing.assert_close(model(x2, g2), 2.0 * model(x, graph), rtol=1e-4, atol=1e-6)


def test_graph_branch_is_used(sample):
    torch.manual_seed(0)
    model = build_model(_small("pdnnet")).eval()
    x, graph, _ = sample.view()
    g2 = type(graph)(
        x=graph.x,
        edge_index=graph.edge_index.flip(0),
        edge_attr=graph.edge_attr,
        grid=graph.grid,
        tile_um=graph.tile_um,
        pos=graph.pos,
    )
    with torch.no_grad():
        assert not torch.allclose(model(x, graph), model(x, g2))


@pytest.mark.parametrize("name", ["pdnnet", "iredge"])
def test_overfits_one_sample(sample, name):
    cfg = TrainConfig(
        epochs=200,
        lr=5e-3,
        patience=1000,
        seed=0,
        augment=False,
        max_minutes=0,
        accumulate=1,
        ema=0.0,
        crop=0,
        threads=1,
    )
    torch.manual_seed(0)
    model = {
        **_small(name),
        **({"prior_channel": None} if name == "pdnnet" else {}),
    }  # capacity from a generic start
    before = evaluate(build_model(model), [sample])
    result = train_model(model, [sample], [sample], cfg)
    after = evaluate(result.model, [sample])
    # the best constant map (the median) is the floor a model that ignores its inputs cannot beat
    constant = float(np.mean(np.abs(sample.label_mv - np.median(sample.label_mv))))
    assert after < 0.35 * constant, (before, after, constant)
    assert after < 0.2 * before


def test_crop_view_is_consistent(sample):
    x, graph, y = sample.crop_view(0, False, 8, random.Random(3))
    assert x.shape[-2:] == (8, 8) and y.shape[-2:] == (8, 8)
    assert graph.grid == (2, 2) and graph.num_nodes == 4
    full_x, full_g, full_y = sample.view()
    # the window's content is a slice of the full map at a tile-aligned offset
    found = [
        (ox, oy)
        for ox in range(0, 24 - 7, 4)
        for oy in range(0, 12 - 7, 4)
        if torch.equal(full_y[..., ox : ox + 8, oy : oy + 8], y)
    ]
    assert found
    ox, oy = found[0]
    node = (ox // 4) * full_g.grid[1] + oy // 4
    torch.testing.assert_close(graph.x[0], full_g.x[node])
    assert int(graph.edge_index.max()) < 4


def test_checkpoint_round_trip(sample, tmp_path):
    torch.manual_seed(0)
    cfg = _small("pdnnet")
    model = build_model(cfg)
    path = save_checkpoint(
        tmp_path / "m.pt", cfg, model, TrainConfig(), {"val_mae_mv": 0.5}, extra={"tile_um": 4}
    )
    payload = load_checkpoint(path)
    assert payload["model_config"] == cfg and payload["metrics"]["val_mae_mv"] == 0.5
    clone = build_model(payload["model_config"])
    clone.load_state_dict(payload["state_dict"])
    np.testing.assert_allclose(predict_sample(clone, sample), predict_sample(model, sample), rtol=1e-6)


def test_bad_checkpoint_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    torch.save({"format": "something else"}, bad)
    with pytest.raises(DataError, match="not an eda.irdrop checkpoint"):
        load_checkpoint(bad)
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(DataError, match="cannot read"):
        load_checkpoint(tmp_path / "junk.pt")


def test_pdnnet_starts_from_the_rail_estimate(sample):
    """Untrained, the linear-current head passes the coarse-grid rail estimate through (gate
    softplus(log(e - 1)) = 1) and gives the other current channels gates of about softplus(-6) = 0.0025;
    with both rail estimates as priors it starts from their mean (gates 0.5)."""

    torch.manual_seed(0)
    model = build_model(_small("pdnnet")).eval()
    rail = sample.inputs[STATIC_CHANNELS.index("rail_est")]
    # the two estimates nearly agree on the comb PDN: make the coarse one half the other to tell them apart
    inputs = sample.inputs.copy()
    inputs[STATIC_CHANNELS.index("rail_coarse")] = coarse = 0.5 * rail
    sample = dataclasses.replace(sample, inputs=inputs, _graphs={})
    assert rail.max() > 0
    tol = {"rtol": 0.05, "atol": 0.05 * float(rail.max())}
    np.testing.assert_allclose(predict_sample(model, sample), coarse, **tol)
    both = build_model({**_small("pdnnet"), "prior_channel": ["rail_est", "rail_coarse"]}).eval()
    np.testing.assert_allclose(predict_sample(both, sample), (rail + coarse) / 2, **tol)
    with pytest.raises(SpecError, match="unknown prior channels"):
        build_model({**_small("pdnnet"), "prior_channel": "rail_guess"})
    generic = build_model({**_small("pdnnet"), "prior_channel": None}).eval()
    assert not np.allclose(predict_sample(generic, sample), rail, rtol=0.05, atol=0.05 * float(rail.max()))


def test_shipped_baseline_reads_only_the_maps(sample):
    """The IREDGe config sees the contest maps and the current pyramid: netlist channels do not matter."""
    from eda.irdrop.features import MAP_CHANNELS

    assert load_model_config("iredge")["channels"] == list(MAP_CHANNELS)
    torch.manual_seed(0)
    model = build_model(load_model_config("iredge")).eval()
    x, _, _ = sample.view()
    x2 = x.clone()
    for name in (
        "r_pad_min",
        "r_pad_par",
        "d_vstripe",
        "d_hstripe",
        "via_density",
        "rail_est",
        "rail_coarse",
    ):
        x2[:, STATIC_CHANNELS.index(name)] = torch.rand_like(x2[:, 0])
    with torch.no_grad():
        torch.testing.assert_close(model(x2), model(x))
        x2[:, STATIC_CHANNELS.index("eff_dist")] += 1.0
        assert not torch.allclose(model(x2), model(x))
    with pytest.raises(SpecError, match="unknown channel"):
        build_model({"model": "iredge", "in_channels": C, "channels": ["current", "voltage"]})


def test_checkpoint_from_other_channels_says_retrain(tmp_path):
    """A checkpoint trained on another set of input channels (an older eda) is a clear data error."""
    cfg = _small("iredge")
    path = save_checkpoint(tmp_path / "m.pt", cfg, build_model(cfg), TrainConfig(), {})
    payload = torch.load(path, weights_only=True)
    payload["static_channels"] = payload["static_channels"][:-1]
    torch.save(payload, path)
    with pytest.raises(DataError, match="retrain"):
        load_checkpoint(path)
    del payload["static_channels"]
    payload["model_config"]["in_channels"] = C - 5
    torch.save(payload, path)
    with pytest.raises(DataError, match=f"{C - 5} input channels"):
        load_checkpoint(path)


def test_checkpoint_from_other_features_version_says_retrain(tmp_path):
    """A model that reads the netlist channels, trained when they were computed differently, must be
    retrained; one that reads only the contest maps and the current pyramid still loads."""
    from eda.irdrop.features import FEATURES_VERSION, MAP_CHANNELS

    for cfg, ok in ((_small("pdnnet"), False), ({**_small("iredge"), "channels": list(MAP_CHANNELS)}, True)):
        path = save_checkpoint(tmp_path / "m.pt", cfg, build_model(cfg), TrainConfig(), {})
        assert load_checkpoint(path)["features_version"] == FEATURES_VERSION
        payload = torch.load(path, weights_only=True)
        del payload["features_version"]  # written before the key existed: version 6
        torch.save(payload, path)
        if ok:
            load_checkpoint(path)
        else:
            with pytest.raises(DataError, match="version 6 of the netlist-derived channels"):
                load_checkpoint(path)


def test_hot_weight_weights_the_hot_spot_tiles(sample):
    """``hot_weight`` multiplies the L1 error of tiles above 90 % of the map's maximum by 1 + hot_weight."""
    from eda.irdrop.train import _step

    torch.manual_seed(0)
    model = build_model(_small("iredge")).eval()
    x, graph, y = sample.view(0, False)
    with torch.no_grad():
        err = torch.abs(model(x, graph) - y)
        hot = y > 0.9 * float(np.max(sample.label_mv))
        plain = _step(
            model, sample, random.Random(0), TrainConfig(augment=False, crop=0), torch.device("cpu")
        )
        weighted = _step(
            model,
            sample,
            random.Random(0),
            TrainConfig(augment=False, crop=0, hot_weight=4.0),
            torch.device("cpu"),
        )
    assert 0 < int(hot.sum()) < hot.numel()
    assert float(plain) == pytest.approx(float(err.mean()), rel=1e-6)
    assert float(weighted) == pytest.approx(float((err * (1 + 4.0 * hot)).mean()), rel=1e-6)
    with torch.no_grad():
        relative = _step(
            model,
            sample,
            random.Random(0),
            TrainConfig(augment=False, crop=0, hot_weight=4.0, relative=True),
            torch.device("cpu"),
        )
    # relative: the same error over the map's worst drop (mV / mV), so a design 10x hotter weighs the same
    worst = float(np.max(sample.label_mv))
    assert float(relative) == pytest.approx(float((err * (1 + 4.0 * hot)).mean()) / worst, rel=1e-6)


def test_dynamic_config_treats_time_slices_as_currents():
    """``pdnnet-dynamic``: the 8 time-slice channels after the static ones feed the linear-current head."""
    from eda.irdrop.synthetic import DEFAULT_SLICES

    cfg = load_model_config("pdnnet-dynamic")
    assert cfg["in_channels"] == C + DEFAULT_SLICES
    model = build_model(cfg)
    slices = list(range(C, C + DEFAULT_SLICES))
    assert model.current_channels[-1] == STATIC_CHANNELS.index("cur_mean")  # the normaliser stays last
    assert model.current_channels[-1 - DEFAULT_SLICES : -1] == slices
    # the head starts from the mean of both rail estimates: gates 1/2 on them, ~0 elsewhere
    bias = torch.nn.functional.softplus(model.head.gates[-1].bias)
    at = [model.current_channels.index(STATIC_CHANNELS.index(c)) for c in ("rail_est", "rail_coarse")]
    torch.testing.assert_close(bias[at], torch.full((2,), 0.5))
    assert float(bias[model.current_channels.index(slices[0])]) < 0.01


def test_signed_limit_bounds_the_residual_correction(sample):
    """``signed_limit`` a: the prediction stays within [(1 - a), (1 + a)] times the positive part however
    large the rail-residual inputs, and still scales exactly with the current."""
    from eda.irdrop.features import RESIDUAL_CHANNELS

    torch.manual_seed(0)
    cfg = {**_small("pdnnet"), "signed_limit": 0.5}
    model = build_model(cfg).eval()
    free = build_model(_small("pdnnet")).eval()
    free.load_state_dict(model.state_dict())
    head = model.head
    signed_rows = [i for i, c in enumerate(model.current_channels) if c in RESIDUAL_CHANNELS]
    assert signed_rows, "the static channels carry the rail residual"
    x, graph, _ = sample.view()
    with torch.no_grad():
        # a strong signed gate and residual inputs 50x the sample's: unbounded, the drop goes negative
        head.gates[-1].bias[signed_rows] = 1.0
        free.head.gates[-1].bias[signed_rows] = 1.0
        x_far = x.clone()
        residual_channels = list(RESIDUAL_CHANNELS)
        x_far[:, residual_channels] = -50.0 * x[:, residual_channels].abs() - 1.0
        bounded, unbounded = model(x_far, graph), free(x_far, graph)
        # the positive part alone: the signed gates' output rows set to 0 (the other gates do not read them)
        head.gates[-1].weight[signed_rows] = 0.0
        head.gates[-1].bias[signed_rows] = 0.0
        positive = model(x_far, graph)
        head.gates[-1].bias[signed_rows] = 1.0
    assert float(unbounded.min()) < 0.0
    assert torch.all(bounded >= 0.5 * positive - 1e-6)
    assert torch.all(bounded <= 1.5 * positive + 1e-6)
    x2, g2 = x.clone(), dataclasses.replace(graph, x=graph.x.clone())
    x2[:, model.current_channels] *= 3.0
    g2.x[:, model.current_channels] *= 3.0
    with torch.no_grad():
        torch.testing.assert_close(model(x2, g2), 3.0 * model(x, graph), rtol=1e-4, atol=1e-6)
    with pytest.raises(SpecError, match="signed_limit"):
        build_model({**_small("pdnnet"), "signed_limit": 2.0})
    assert load_model_config("pdnnet-dynamic")["signed_limit"] == 0.5
