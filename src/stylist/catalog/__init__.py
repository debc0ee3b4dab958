"""The catalog: crawl shops, keep what is purchasable now, normalise images, export datasets."""

from stylist.catalog.extract import extract_page

__all__ = ["extract_page"]
