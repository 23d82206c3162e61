"""IR-drop prediction: PDNGraph, PDNNet (dual-branch GNN + CNN), an IREDGe-style CNN baseline, data sets,
training, inference and the ICCAD 2023 evaluation. See docs/irdrop.md."""

__all__: list[str] = []
