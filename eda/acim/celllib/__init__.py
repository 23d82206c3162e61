"""The default ACIM cell library, drawn at transistor level on SKY130 (see :mod:`eda.acim.celllib.build`)."""
