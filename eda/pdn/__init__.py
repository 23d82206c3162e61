"""PDN analysis: netlist I/O, synthetic generator, static and transient IR-drop solvers, maps, metrics.

Submodules (import what you need; this package keeps its import light):

* :mod:`eda.pdn.maps` — ICCAD 2023 contest CSV maps (``read_map``, ``write_map``)
* :mod:`eda.pdn.metrics` — MAE, max error, NMAE, correlation, hotspot F1
* :mod:`eda.pdn.netlist` — ``PdnNetlist``, ``read_netlist``, ``write_netlist``
* :mod:`eda.pdn.checks` — floating islands and other diagnostics
* :mod:`eda.pdn.static` — ``solve_static``
* :mod:`eda.pdn.transient` — ``solve_transient``
* :mod:`eda.pdn.raster` — node values to the 1 µm contest grid, effective distance, PDN density
* :mod:`eda.pdn.generate` — BeGAN-style synthetic PDN generator
* :mod:`eda.pdn.heatmap` — PNG heat maps
"""

__all__: list[str] = []
