"""Analytic models of the charge-domain ACIM macro, one module per concept.

* :mod:`~eda.acim.models.points`: design points (:class:`DesignPoints`) and the metric units.
* :mod:`~eda.acim.models.tech`: process facts and the characterised electrical figures (:class:`ModelTech`).
* :mod:`~eda.acim.models.column`: column levels, the product-count distribution and the ADC window.
* :mod:`~eda.acim.models.throughput`: phase timing and throughput.
* :mod:`~eda.acim.models.snr`: analog noise, quantisation and code error.
* :mod:`~eda.acim.models.energy`: charge drawn from the supplies per operation.
* :mod:`~eda.acim.models.area`: the generator's floorplan area.
* :mod:`~eda.acim.models.evaluation`: :func:`evaluate`, every metric of many points in one call.
"""

from eda.acim.models.evaluation import evaluate
from eda.acim.models.points import MAX_ADC_BITS, METRIC_UNITS, SPEC_FIELDS, DesignPoints

__all__ = ["DesignPoints", "MAX_ADC_BITS", "METRIC_UNITS", "SPEC_FIELDS", "evaluate"]
