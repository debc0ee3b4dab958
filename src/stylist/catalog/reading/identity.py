"""A product page's own identity, for shops that publish no SKU: the product id in its URL, or the URL.

Shops number their products and put the number in the address (/p400138908, /itm/302474151804,
-15213589.html); that number is steadier than the URL around it, which carries slugs and tracking.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

# A path token that is a product number: digits, perhaps behind a one- or two-letter tag ("p3969033").
PRODUCT_NUMBER = re.compile(r"[A-Za-z]{0,2}(\d{5,})")
# Path segments after which shops put the product's id ("/dp/B004SNMXRS", "/itm/302474151804").
ID_SEGMENTS = {"dp", "product", "products", "itm", "item", "p", "listing", "sku"}
ID_PARAMETERS = ("pid", "productid", "product_id", "itemid", "item_id", "id", "sku")
TOKEN_SEPARATORS = re.compile(r"[-_.,~+]")
MIN_CODE_DIGITS = 4


def url_product_id(url: str) -> str:
    """The product number in a URL's path (last segment first) or its id parameter; empty when none."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    for marker, segment in itertools.pairwise(segments):
        if marker.lower() in ID_SEGMENTS and segment.isalnum() and len(segment) >= 5 \
                and any(ch.isdigit() for ch in segment):
            return segment
    for segment in reversed(segments):
        stem = segment.rsplit(".", 1)[0] if "." in segment else segment
        for token in reversed(TOKEN_SEPARATORS.split(stem)):
            match = PRODUCT_NUMBER.fullmatch(token)
            if match:
                return match.group(1)
    parameters = {key.lower(): value for key, value in parse_qsl(parts.query)}
    return next((parameters[key] for key in ID_PARAMETERS if parameters.get(key, "").isalnum()), "")


def path_codes(url: str) -> list[str]:
    """The tokens of a URL's path where shops put their product code ("/p/4667999", "-LD2041.html"): the
    segment after an id marker and the last token of the last segment, when it has digits enough to be a
    code rather than a model name or a capacity ("s6", "128gb")."""
    segments = [s for s in unquote(urlsplit(url).path).split("/") if s]
    after_marker = [segment for marker, segment in itertools.pairwise(segments) if marker.lower() in ID_SEGMENTS]
    last = TOKEN_SEPARATORS.split(segments[-1].rsplit(".", 1)[0])[-1:] if segments else []
    return [token for token in [*after_marker, *last] if token.isalnum() and _may_be_code(token)]


def _may_be_code(token: str) -> bool:
    """Four digits among letters ("LD2041"), or five alone: four alone are as often a year ("dress-2023")."""
    digits = sum(ch.isdigit() for ch in token)
    return digits >= MIN_CODE_DIGITS + token.isdigit()


def page_key(url: str) -> str:
    """A URL reduced to what names the page: no fragment, no query, no "www.", no trailing slash."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return urlunsplit(("", host, parts.path.rstrip("/").lower(), "", ""))


def page_identity(url: str) -> str:
    """What stands for the SKU of the product a page shows: its product number, else its URL."""
    if not url:
        return ""
    parts = urlsplit(url)
    return url_product_id(url) or urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
