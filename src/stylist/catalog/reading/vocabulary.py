"""schema.org names as shops misspell them: `"@type": "product"`, `pricecurrency`, `LowPrice`.

Search engines read these case-blind, so shops never notice; we put them back in schema.org's case.
"""

from __future__ import annotations

from typing import Any

PROPERTIES = (
    "name", "sku", "productID", "productGroupID", "mpn", "gtin", "gtin8", "gtin12", "gtin13", "gtin14",
    "offers", "price", "lowPrice", "highPrice", "priceCurrency", "availability", "priceSpecification",
    "priceType", "brand", "manufacturer", "description", "image", "url", "contentUrl", "category", "color",
    "size", "hasVariant", "isVariantOf", "mainEntity", "itemReviewed", "itemOffered",
)
TYPES = (
    "Product", "ProductGroup", "IndividualProduct", "SomeProducts", "ProductModel", "Offer", "AggregateOffer",
    "ItemPage", "WebPage", "Review", "UnitPriceSpecification", "PriceSpecification",
)
_PROPERTY_BY_KEY = {name.lower(): name for name in PROPERTIES}
_TYPE_BY_KEY = {name.lower(): name for name in TYPES}


def canonical_type(value: Any) -> Any:
    """A type name in schema.org's case ("product" → "Product"); prefixes and unknown names kept as they are."""
    if not isinstance(value, str):
        return value
    head, sep, name = value.rpartition("/") if "/" in value else value.rpartition(":")
    return head + sep + _TYPE_BY_KEY.get(name.lower(), name)


def normalise(value: Any) -> Any:
    """A copy of structured data with property and type names in schema.org's case, all the way down."""
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = _PROPERTY_BY_KEY.get(key.lower(), key) if isinstance(key, str) else key
        if name == "@type":
            item = [canonical_type(t) for t in item] if isinstance(item, list) else canonical_type(item)
        else:
            item = normalise(item)
        # the correctly spelt key wins over a misspelt twin
        if name not in result or name == key:
            result[name] = item
    return result
