"""Grounding: a fashion CLIP fine-tuned on the catalog, an index of purchasable products, and scores for looks."""
