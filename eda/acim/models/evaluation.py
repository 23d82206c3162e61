"""One call that evaluates every analytic model (timing, SNR, energy, area) of many ACIM design points."""

from __future__ import annotations

from typing import Any

import numpy as np

from eda.acim.models.area import area_model, column_geometry, library_tech
from eda.acim.models.energy import energy_model
from eda.acim.models.points import DesignPoints
from eda.acim.models.snr import snr_model
from eda.acim.models.throughput import timing_model

__all__ = ["evaluate"]


def evaluate(points: DesignPoints, tech: Any = None, *, library: Any = None) -> dict[str, np.ndarray]:
    """All model metrics of all points (arrays in :data:`METRIC_UNITS` units plus energy breakdown).

    Args:
        points: the design points.
        tech: :class:`eda.acim.models.tech.ModelTech` (default: the library's ``tech.yaml`` and its
            tt characterisation, :func:`eda.acim.models.area.library_tech`); one with a field missing is a
            :class:`~eda.errors.SpecError`.
        library: cell library directory (or name) for the floorplan-based area and wire lengths;
            ``None`` uses the default library.
    """
    tech = tech or library_tech(library)
    tech.check_complete()
    geometry = column_geometry(points, tech, library=library)
    out: dict[str, np.ndarray] = {}
    timing = timing_model(points, tech, geometry)
    out.update(snr_model(points, tech, geometry, timing))
    out.update(timing)
    energy = energy_model(points, tech, geometry, timing)
    out.update(energy)
    area = area_model(points, tech, library=library)
    out.update(area)
    out["tops_per_mm2"] = out["throughput_tops"] / (out["area_um2"] * 1e-6)
    return out
