"""Layout helpers over gdstk: the correct-by-construction transistor cell compiler (:mod:`eda.layout.cellgen`)."""
