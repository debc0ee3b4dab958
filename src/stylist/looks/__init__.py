"""Looks: a person and a prompt become ranked images of them wearing real, purchasable products.

budget (prompt phrases) → retrieve (purchasable products) → outfits (one product per slot) → generate
(klein: the person's and the products' photos as references, references.py; sdxl/sd14: identity + product
images as IP-Adapter conditions, generate.py) → rank (fashion CLIP) → a look record (stylist.people.looks).
`pipeline.style` runs them in order, drawn as its `Recipe` says; `stylist style` is its command.
"""
