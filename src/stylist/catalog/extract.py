"""`extract_page`: the products the catalog would store from one fetched page, without fetching or storing."""

from __future__ import annotations

import logging
from typing import Any

from stylist.catalog.products import Page
from stylist.catalog.shops import detect_adapter, make_adapter

logger = logging.getLogger(__name__)


def extract_page(url: str, html: str) -> list[dict[str, Any]]:
    """The page's products, its own product first, as CONTRACT.md spells them.

    `available` is None where the page does not say; `confidence` is 1 for products read from markup and
    lower for those read from the visible page.
    """
    adapter = make_adapter(detect_adapter(url, None))
    try:
        extraction = adapter.extract(Page(url=url, status=200, content_type="text/html", text=html))
    except Exception:  # a page nobody here wrote must not stop whoever reads a batch of them
        logger.exception("%s: the page could not be read", url)
        return []
    return [{
        "sku": product.sku, "url": product.url, "designer": product.designer, "title": product.title,
        "description": product.description, "price": product.price, "currency": product.currency,
        "available": product.available if product.availability_stated else None,
        "image_urls": list(product.image_urls), "confidence": product.confidence,
    } for product in extraction.products]
