"""stylist: looks of a person wearing real, purchasable products, and a spin video of the favourite."""

__version__ = "0.1.0"
