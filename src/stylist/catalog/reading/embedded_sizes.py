"""Sizes a page's own scripts state for the SKUs its markup offers, where the markup names none.

Shops that render in the browser ship the product's state as JSON in a `<script>`; wherever an object there
holds one of the offered SKUs as its "id" or "sku" next to a "size", that size is the offer's.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lxml.html import HtmlElement

from stylist.catalog.reading.fields import first_text
from stylist.catalog.reading.graph import nested_objects

logger = logging.getLogger(__name__)

ID_KEYS = ("sku", "id")
# How a size object writes its text: a name, or the size as the shop's own country reads it.
SIZE_TEXT_KEYS = ("name", "label", "value", "local", "text")


def sizes_by_sku(tree: HtmlElement, skus: set[str]) -> dict[str, str]:
    """The size of each SKU the page's JSON scripts name one for (the first one found)."""
    found: dict[str, str] = {}
    if not skus:
        return found
    for script in tree.iter("script"):
        kind = (script.get("type") or "").lower()
        text = (script.text or "").strip()
        if "json" not in kind or "ld+json" in kind or not any(sku in text for sku in skus):
            continue
        try:
            # some shops wrap the JSON in a CDATA section, which an HTML parser leaves in the text
            data = json.loads(text.removeprefix("<![CDATA[").removesuffix("]]>"))
        except ValueError:
            logger.debug("unreadable JSON script %s skipped", script.get("id") or "")
            continue
        for node in nested_objects(data):
            sku = next(filter(None, (first_text(node.get(key)) for key in ID_KEYS)), "")
            size = _size_text(node.get("size"))
            if sku in skus and size:
                found.setdefault(sku, size)
    return found


def _size_text(value: Any) -> str:
    if isinstance(value, dict):
        return next(filter(None, (first_text(value.get(key)) for key in SIZE_TEXT_KEYS)), "")
    return "" if isinstance(value, list) else first_text(value)

