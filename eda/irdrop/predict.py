"""Inference: contest inputs (netlist + current, effective-distance and PDN-density maps) -> IR-drop map.

The predictor reads the netlist only for *structural* features (stripe positions, via sites,
shortest-path resistance to the pads, wire conductances between tiles); it never factorises or
iteratively solves the conductance system. The output is a contest map in V, same shape as the current
map, rows indexing x.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eda.data import repo_root
from eda.errors import DataError, EdaError
from eda.pdn.netlist import PdnNetlist

__all__ = [
    "CHECKPOINT_DIR",
    "DEFAULT_CHECKPOINT",
    "PEAK_TO_MEAN_TRAINED",
    "SHIPPED_CHECKPOINTS",
    "Predictor",
    "PredictionTiming",
    "default_checkpoint",
    "distribution_warnings",
    "geometry_maps",
    "predict_files",
    "resolve_checkpoint",
]

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
#: the checkpoint shipped with the package for standard-cell designs (trained by flows/irdrop-train.yaml)
DEFAULT_CHECKPOINT = CHECKPOINT_DIR / "pdnnet-default.pt"
#: shipped checkpoints by name: ``default`` (ICCAD 2023 and generated grids), ``macro`` (static drop of the
#: toolkit's ACIM macros, flows/irdrop-train-macro.yaml), ``macro-dynamic`` (their worst dynamic drop from
#: 8 time-slice current maps, flows/irdrop-train-macro-dynamic.yaml)
SHIPPED_CHECKPOINTS: dict[str, Path] = {
    "default": DEFAULT_CHECKPOINT,
    "macro": CHECKPOINT_DIR / "pdnnet-macro.pt",
    "macro-dynamic": CHECKPOINT_DIR / "pdnnet-macro-dynamic.pt",
}


#: the largest peak-to-mean tile current of the default checkpoint's training designs (ICCAD 2023
#: testcase1/2: 115; generated: 83), for checkpoints that do not record their own
PEAK_TO_MEAN_TRAINED = 115.0


def distribution_warnings(
    current: np.ndarray, factor: float = 4.0, trained: float = PEAK_TO_MEAN_TRAINED
) -> list[str]:
    """Reasons to distrust a prediction on this current map (A per tile): empty when it looks like training.

    A learned model extrapolates badly when one tile draws far more than anything it saw relative to
    the die mean (e.g. the clustered cell currents of an ACIM macro, ~60,000x the mean, for a model trained
    on standard-cell designs). ``trained``: the largest peak-to-mean ratio of the model's training designs.
    """
    from eda.irdrop.features import peak_to_mean

    ratio = peak_to_mean(current)
    if ratio <= 0:
        return ["the current map is empty or negative"]
    if ratio > factor * trained:
        return [
            f"peak tile current is {ratio:,.0f}x the die mean, beyond the training designs "
            f"({trained:,.0f}x): the prediction is outside the model's training distribution; "
            "use the golden solver (eda pdn solve), a checkpoint trained on such designs (--model macro "
            "for the toolkit's ACIM macros) or train on them"
        ]
    return []


def resolve_checkpoint(checkpoint: str | Path | None) -> Path:
    """The checkpoint file of ``checkpoint``: a path, a shipped name (:data:`SHIPPED_CHECKPOINTS`), or None
    for the default one."""
    if checkpoint is None:
        return default_checkpoint()
    if str(checkpoint) in SHIPPED_CHECKPOINTS:
        path = SHIPPED_CHECKPOINTS[str(checkpoint)]
        if not path.is_file():
            raise DataError(
                f"shipped checkpoint '{checkpoint}' ({path.name}) is missing from this installation",
                hint="reinstall the package or give a checkpoint file with --model",
            )
        return path
    path = Path(checkpoint)
    if not path.is_file():
        raise DataError(
            f"checkpoint '{checkpoint}' is neither a file nor a shipped checkpoint",
            hint=f"give a checkpoint file or one of: {', '.join(SHIPPED_CHECKPOINTS)}",
        )
    return path


def default_checkpoint() -> Path:
    """Path of the shipped default checkpoint (a :class:`DataError` when it is missing)."""
    if not DEFAULT_CHECKPOINT.is_file():
        raise DataError(
            f"default checkpoint '{DEFAULT_CHECKPOINT.relative_to(repo_root())}' is missing",
            hint="train one with `eda run flows/irdrop-train.yaml` or pass --model CKPT",
        )
    return DEFAULT_CHECKPOINT


def geometry_maps(
    net: PdnNetlist,
    shape: tuple[int, int],
    out_dir: str | Path,
    eff_dist: str | Path | None = None,
    pdn_density: str | Path | None = None,
) -> tuple[Path, Path]:
    """The contest's structural input maps, computed from the netlist ``net`` on the ``shape`` grid (1 µm tiles)
    where not given: ``eff_dist_map.csv`` (µm) and ``pdn_density.csv`` (class) written into ``out_dir``
    (:mod:`eda.pdn.features`); returns the paths of both."""
    from eda.pdn.features import effective_distance_map, pdn_density_map
    from eda.pdn.maps import write_map

    out = Path(out_dir)
    if eff_dist is None:
        eff_dist = write_map(out / "eff_dist_map.csv", effective_distance_map(net, shape))
    if pdn_density is None:
        pdn_density = write_map(out / "pdn_density.csv", pdn_density_map(net, shape))
    return Path(eff_dist), Path(pdn_density)


def _structure(netlist: str | Path | PdnNetlist | None):  # noqa: ANN202 - eda.irdrop.structure.PdnStructure
    """The structural view of a netlist file (read at the contest's 2000 DBU/µm) or of a parsed netlist."""
    from eda.irdrop.netlist_adapter import structure_from_pdn
    from eda.irdrop.structure import load_structure

    if netlist is None:
        return None
    return structure_from_pdn(netlist) if isinstance(netlist, PdnNetlist) else load_structure(netlist)


@dataclass
class PredictionTiming:
    """Seconds spent reading inputs, building features and the graph, and running the network, plus any
    :func:`distribution_warnings` about the inputs."""

    read_s: float = 0.0
    features_s: float = 0.0
    network_s: float = 0.0
    warnings: list[str] = field(default_factory=list)
    #: what the returned map is: ``"model"`` (the network) or ``"rail_estimate"`` (the physics prior,
    #: returned instead of the network's output for inputs outside its training distribution)
    source: str = "model"

    @property
    def total_s(self) -> float:
        """Everything, s."""
        return self.read_s + self.features_s + self.network_s


class Predictor:
    """A trained model (or an ensemble of them) loaded from a checkpoint (``torch.load(weights_only=True)``),
    ready to predict."""

    def __init__(
        self, checkpoint: str | Path | None = None, device: str = "cpu", threads: int | None = None
    ) -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        from eda.irdrop.models import build_model
        from eda.irdrop.train import load_checkpoint

        self.path = resolve_checkpoint(checkpoint)
        payload = load_checkpoint(self.path)
        #: the largest peak-to-mean tile current the model was trained on (the out-of-distribution bound)
        self.peak_to_mean_trained = float(payload.get("peak_to_mean_trained") or PEAK_TO_MEAN_TRAINED)
        self.model_config = dict(payload["model_config"])
        self.tile_um = int(payload.get("tile_um", 4))
        self.device = torch.device(device)
        # an ensemble checkpoint (eda.irdrop.train.merge_checkpoints) holds every member's weights
        self.models = []
        for state in payload.get("members") or [payload["state_dict"]]:
            model = build_model(self.model_config)
            model.load_state_dict(state)
            self.models.append(model.eval().to(self.device))
        self.model = self.models[0]
        self.metrics = dict(payload.get("metrics", {}))

    @property
    def name(self) -> str:
        """Model family name (``pdnnet``, ``iredge``)."""
        return str(self.model_config.get("model", "pdnnet"))

    @property
    def time_slices(self) -> int:
        """Time-slice channels the model reads (0: a static checkpoint)."""
        from eda.irdrop.features import STATIC_CHANNELS

        return max(0, int(self.model_config.get("in_channels", len(STATIC_CHANNELS))) - len(STATIC_CHANNELS))

    def _time_slices(self, path: str | Path | None, shape: tuple[int, int]) -> np.ndarray | None:
        """The ``slices`` of ``path`` checked against the model and the current map's ``shape``."""
        want = self.time_slices
        if path is None:
            if want:
                raise DataError(
                    f"checkpoint {self.path.name} predicts dynamic drop from {want} time-slice current maps",
                    hint="give the window's time slices (macro.pdn's time_slices.npz) or use a static checkpoint",
                )
            return None
        if not want:
            raise DataError(
                f"checkpoint {self.path.name} is static: it takes no time-slice maps",
                where=str(path),
                hint="use a dynamic checkpoint (macro-dynamic) or leave the time slices out",
            )
        try:
            with np.load(path) as z:
                slices = np.asarray(z["slices"], dtype=np.float64)
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(
                f"cannot read time slices: {exc}", where=str(path), hint="an .npz with `slices` [S, X, Y] (A)"
            ) from exc
        if slices.shape != (want, *shape) or not np.all(np.isfinite(slices)) or np.any(slices < 0):
            raise DataError(
                f"time slices are {slices.shape}, need {(want, *shape)} finite currents >= 0 (A per tile)",
                where=str(path),
                hint="the slices of the same window and tile grid as the current map",
            )
        return slices

    def predict_sample(self, sample) -> np.ndarray:  # noqa: ANN001 - eda.irdrop.dataset.Sample
        """IR drop in V ``[X, Y]`` for an assembled sample (an ensemble's mean map)."""
        from eda.irdrop.train import predict_sample

        sample.tile_um = self.tile_um
        return np.mean([predict_sample(m, sample, self.device) for m in self.models], axis=0) * 1e-3

    def predict(
        self,
        netlist: str | Path | PdnNetlist | None,
        current: str | Path,
        eff_dist: str | Path,
        pdn_density: str | Path,
        out_of_distribution: str = "rail",
        time_slices: str | Path | None = None,
    ) -> tuple[np.ndarray, PredictionTiming]:
        """Predict from files; returns the IR-drop map in V ``[X, Y]`` and the timing breakdown. ``netlist`` is a
        file (node names at 2000 DBU/µm) or a netlist already read (with the design's DBU).

        ``time_slices``: for a dynamic checkpoint (one whose inputs add time-slice channels), an ``.npz``
        whose ``slices`` ``[S, X, Y]`` are the window's time-slice current maps (A per tile, as ``macro.pdn``
        writes them); ``current`` is then the window's peak current map, and the netlist's own DC loads are
        ignored (the rail priors take ``current``).

        ``out_of_distribution``: what to return when :func:`distribution_warnings` fires — ``"rail"``
        (default) the layer-wise rail estimate (:mod:`eda.irdrop.rail`, which is physics and transfers:
        correlation 0.94 with the golden map on the `make demo` ACIM macro, where the network is off by
        orders of magnitude), ``"model"`` the network's output anyway. Without a netlist there is no
        rail estimate and the network's output is returned.
        """
        if out_of_distribution not in ("rail", "model"):
            raise ValueError(f"out_of_distribution must be 'rail' or 'model', got {out_of_distribution!r}")
        from eda.irdrop.dataset import sample_from_maps
        from eda.pdn.maps import read_map

        timing = PredictionTiming()
        t0 = time.perf_counter()
        cur, eff, den = (read_map(path, nonnegative=True) for path in (current, eff_dist, pdn_density))
        for path, other in ((eff_dist, eff), (pdn_density, den)):
            if other.shape != cur.shape:
                raise DataError(
                    f"map is {other.shape[0]} x {other.shape[1]} tiles but the current map is "
                    f"{cur.shape[0]} x {cur.shape[1]}",
                    where=str(path),
                    hint="the contest maps of one design share its grid: give that design's maps",
                )
        pdn = _structure(netlist)
        slices = self._time_slices(time_slices, cur.shape)
        if slices is not None and pdn is not None:  # the window's peaks, not the netlist's average loads
            pdn.sink_nodes, pdn.sink_amp = np.zeros(0, dtype=np.int64), np.zeros(0)
        timing.read_s = time.perf_counter() - t0
        timing.warnings = distribution_warnings(cur, trained=self.peak_to_mean_trained)
        t1 = time.perf_counter()
        if timing.warnings and out_of_distribution == "rail" and pdn is not None:
            from eda.irdrop.features import rail_maps

            timing.source = "rail_estimate"
            timing.warnings.append(
                "wrote the layer-wise rail estimate instead of the network's prediction "
                "(out_of_distribution 'model' / --ood model writes the network's output)"
            )
            drop = rail_maps(pdn, cur.shape, cur)[0]
            timing.features_s = time.perf_counter() - t1
            return drop, timing
        sample = sample_from_maps(
            Path(current).parent.name, cur, eff, den, pdn, time_slices=slices, tile_um=self.tile_um
        )
        sample.graph(0, False)
        timing.features_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        out = self.predict_sample(sample)
        timing.network_s = time.perf_counter() - t2
        if not np.all(np.isfinite(out)):
            raise EdaError(
                f"the network predicted {int(np.sum(~np.isfinite(out)))} non-finite tile(s) from finite "
                "inputs",
                hint="this is a bug (or a corrupt checkpoint): please report it with the inputs",
            )
        return out, timing


def predict_files(
    netlist: str | Path | PdnNetlist | None,
    current: str | Path,
    eff_dist: str | Path,
    pdn_density: str | Path,
    out: str | Path,
    model: str | Path | None = None,
    threads: int | None = None,
    out_of_distribution: str = "rail",
    time_slices: str | Path | None = None,
) -> tuple[Path, PredictionTiming]:
    """Predict and write the contest CSV ``out`` (V, rows index x; gzip when it ends with ``.gz``);
    ``out_of_distribution`` and ``time_slices`` as in :meth:`Predictor.predict`."""
    from eda.pdn.maps import write_map

    pred, timing = Predictor(model, threads=threads).predict(
        netlist, current, eff_dist, pdn_density, out_of_distribution, time_slices=time_slices
    )
    return write_map(out, np.maximum(pred, 0.0)), timing
