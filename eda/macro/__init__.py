"""End-to-end macro analysis: the power grid of a generated ACIM macro as a PDN, driven by workload activity."""
