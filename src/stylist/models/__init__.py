"""Models: tiny in-code miniatures, the one loader, weights on disk, residency, and the instant face adapter.

The preset and family tables they read are plain data in `stylist.presets` (torch-free); everything here
imports torch.
"""
