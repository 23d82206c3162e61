"""Layout helpers over gdstk: SKY130 rule values and rule-aware drawing primitives (:mod:`eda.layout.sky130`)."""
