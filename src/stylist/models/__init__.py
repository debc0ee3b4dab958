"""Models: presets, tiny in-code miniatures, the one loader, and the instant face adapter.

Import submodules directly (`stylist.models.presets` is torch-free; the rest import torch).
"""
