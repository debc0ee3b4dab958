"""Looks: a person and a prompt become ranked images of them wearing real, purchasable products.

budget (prompt phrases) → retrieve (purchasable products) → outfits (one product per slot) → draw, on one of two
paths side by side over drawing.py (klein: the person's and the products' photos as references,
reference_editing.py; sdxl/sd14: identity + product images as IP-Adapter conditions, adapter_drawing.py) → rank
(fashion CLIP) → a look record (stylist.people.looks). `pipeline.style` runs them in order, drawn as its `Recipe`
says; `stylist style` is its command.
"""
