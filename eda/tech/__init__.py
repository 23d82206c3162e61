"""Technology: layer map, design rules and electrical figures (``tech.yaml``), see :mod:`eda.tech.tech`."""

from eda.tech.tech import Layer, Rule, Tech, default_tech_path, load_tech

__all__ = ["Layer", "Rule", "Tech", "default_tech_path", "load_tech"]
