"""Looks: a person and a prompt become ranked images of them wearing real, purchasable products.

budget (prompt phrases) → retrieve (purchasable products) → outfits (one product per slot) → generate
(identity + product images as conditions) → rank (fashion CLIP) → store (looks under the user's folder).
`pipeline.style` runs them in order; `stylist style` is its command.
"""
