"""The catalog: crawl shops, keep what is purchasable now, normalise images, export datasets."""
