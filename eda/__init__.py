"""eda: a flow-based EDA toolkit.

Pillars: ACIM macro generation (``eda.acim``), PDN IR-drop analysis and prediction (``eda.pdn``,
``eda.irdrop``), neural-network workload front-ends (``eda.workloads``) and sign-off scripting
(``eda.signoff``), joined by one flow engine (``eda.flow``).

Importing ``eda`` is cheap on purpose: heavy libraries (torch, klayout, dask) are imported by the
modules that need them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("eda")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
