"""Reads schema.org products from shop pages: JSON-LD first, then microdata, then OpenGraph tags.

Works for any shop that publishes structured data for search engines, which most do. extruct does the
syntax work; this module turns its output into one record per product as the catalog defines a product
(a ProductGroup is one product; an AggregateOffer's price is its lowPrice).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import extruct
import lxml.etree
from extruct.jsonld import JsonLdExtractor
from extruct.utils import parse_html
from lxml.html import HtmlElement

from stylist.catalog.models import ExtractedProduct, Extraction, Page
from stylist.catalog.shops.base import Adapter
from stylist.catalog.shops.fields import (
    absolute_url,
    clean_text,
    first_text,
    keep_complete,
    parse_availability,
    parse_currency,
    parse_price,
    same_site,
    unique,
)

logger = logging.getLogger(__name__)

Node = dict[str, Any]

HTML_TYPES = {"text/html", "application/xhtml+xml"}
PRODUCT_TYPES = {"Product", "ProductGroup", "IndividualProduct", "SomeProducts"}
# Where a product's SKU may be, best first; a ProductGroup is known by its group ID.
SKU_KEYS = ("sku", "productID", "productGroupID")
LAST_RESORT_SKU_KEYS = ("mpn", "gtin", "gtin14", "gtin13", "gtin12", "gtin8")
GROUP_SKU_KEYS = ("productGroupID", "sku", "productID", "@id")
# priceSpecification types that show a former or suggested price, not what the buyer pays.
NOT_PAID_PRICE_TYPES = {"StrikethroughPrice", "ListPrice", "MSRP", "SRP"}


def html_tree(page: Page) -> HtmlElement | None:
    """The parsed page, or None for pages that are not HTML or are empty."""
    if page.content_type not in HTML_TYPES or not page.text.strip():
        return None
    try:
        # bytes, because lxml refuses str input that declares its own encoding
        return parse_html(page.text.encode("utf-8"), encoding="utf-8")
    except lxml.etree.ParserError:
        return None


def canonical_link(tree: HtmlElement, page_url: str) -> str:
    """The absolute href of `<link rel="canonical">`, or empty."""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return absolute_url(page_url, link.get("href") or "")
    return ""


def schema_name(value: str) -> str:
    """The bare name of a schema.org term: "https://schema.org/InStock" or "schema:InStock" → "InStock"."""
    return value.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def schema_types(node: Node) -> set[str]:
    types = node.get("@type")
    return {schema_name(t) for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}


def _is_reference(value: Any) -> bool:
    """A `{"@id": ...}` stand-in for a node written out elsewhere in the page."""
    return isinstance(value, dict) and isinstance(value.get("@id"), str) and set(value) <= {"@id", "@type"}


def _nodes(value: Any) -> Iterator[Node]:
    """Every object nested anywhere in `value`."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from _nodes(child)


class Graph:
    """The structured-data items of one page, with `{"@id": ...}` references resolvable across scripts."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self._by_id: dict[str, Node] = {}
        for node in _nodes(items):
            if isinstance(node.get("@id"), str) and not _is_reference(node):
                self._by_id.setdefault(node["@id"], node)

    def resolve(self, value: Any) -> Any:
        return self._by_id.get(value["@id"], value) if _is_reference(value) else value

    def all(self, value: Any) -> list[Any]:
        """A property's values as a list, references resolved (schema.org allows one value or many)."""
        values = value if isinstance(value, list) else [] if value is None else [value]
        return [self.resolve(item) for item in values]

    def text(self, value: Any) -> str:
        return first_text(self.all(value))

    def products(self) -> list[tuple[Node, list[Node]]]:
        """The page's own products, each with its variants when it is a ProductGroup.

        Products are looked for at the top level, in `@graph` and under `mainEntity` (an ItemPage
        wrapping its Product), not deeper, so related-product carousels stay out. A variant is folded
        into its group, never returned on its own.
        """
        found: list[Node] = []
        seen: set[int] = set()

        def visit(value: Any) -> None:
            for node in self.all(value):
                if not isinstance(node, dict) or id(node) in seen:
                    continue
                seen.add(id(node))
                visit(node.get("@graph"))
                if schema_types(node) & PRODUCT_TYPES:
                    found.append(node)
                else:
                    visit(node.get("mainEntity"))

        visit(self.items)
        groups = [(node, self._variants(node, found))
                  for node in found if "ProductGroup" in schema_types(node)]
        folded = {id(variant) for _, variants in groups for variant in variants}
        grouped = {id(group): variants for group, variants in groups}
        return [(node, grouped.get(id(node), [])) for node in found if id(node) not in folded]

    def _variants(self, group: Node, candidates: list[Node]) -> list[Node]:
        """Variants listed in `hasVariant`, plus products elsewhere on the page naming it in `isVariantOf`."""
        listed = [v for v in self.all(group.get("hasVariant")) if isinstance(v, dict)]
        pointing = [node for node in candidates
                    if any(_same_node(parent, group) for parent in self.all(node.get("isVariantOf")))]
        variants: dict[int, Node] = {id(v): v for v in listed + pointing if v is not group}
        return list(variants.values())


def _same_node(value: Any, node: Node) -> bool:
    return value is node or (isinstance(value, dict) and isinstance(node.get("@id"), str)
                             and value.get("@id") == node["@id"])


@dataclass(frozen=True)
class Offer:
    price: float | None
    currency: str
    available: bool


def read_offer(graph: Graph, offer: Node) -> Offer:
    """Price, currency and availability of an Offer or AggregateOffer (its lowPrice)."""
    price_keys = ("lowPrice", "price") if "AggregateOffer" in schema_types(offer) else ("price",)
    specifications = [spec for spec in graph.all(offer.get("priceSpecification")) if isinstance(spec, dict)
                      and schema_name(graph.text(spec.get("priceType"))) not in NOT_PAID_PRICE_TYPES]
    sources = [offer, *specifications]
    prices = (parse_price(source.get(key)) for source in sources for key in price_keys)
    price = next((p for p in prices if p is not None), None)
    currency = next(filter(None, (parse_currency(source.get("priceCurrency")) for source in sources)), "")
    stated = parse_availability(graph.text(offer.get("availability")))
    # shops often leave availability out of an offer they are happy to sell
    return Offer(price, currency, price is not None if stated is None else stated)


def best_offer(offers: list[Offer]) -> tuple[float | None, str, bool]:
    """Price and currency of the cheapest offer in stock (else the cheapest), and whether any is in stock."""
    priced = [offer for offer in offers if offer.price is not None]
    in_stock = [offer for offer in priced if offer.available]
    cheapest = min(in_stock or priced, key=lambda offer: offer.price or 0.0, default=None)
    available = any(offer.available for offer in offers)
    return (cheapest.price, cheapest.currency, available) if cheapest else (None, "", available)


def own_url(candidate: str, page_url: str) -> str:
    """A product's stated URL when it points into the shop, else the page's URL."""
    url = absolute_url(page_url, candidate)
    return url if url and same_site(url, page_url) else page_url


def read_product(graph: Graph, node: Node, variants: list[Node], page_url: str,
                 canonical: str) -> ExtractedProduct:
    """One product from a schema.org Product (or a ProductGroup and its variants)."""
    members = [node, *variants]  # a group's own facts first, its variants' as fallback
    offers = [read_offer(graph, offer) for member in members
              for offer in graph.all(member.get("offers")) if isinstance(offer, dict)]
    price, currency, available = best_offer(offers)

    def first(key: str) -> str:
        return next(filter(None, (graph.text(member.get(key)) for member in members)), "")

    return ExtractedProduct(
        sku=_sku(graph, node),
        url=canonical or own_url(graph.text(node.get("url")), page_url),
        title=first("name"),
        designer=first("brand") or first("manufacturer"),
        description=clean_text(first("description")),
        price=price,
        currency=currency,
        available=available,
        image_urls=unique(url for member in members for url in _images(graph, member, page_url)),
        category=first("category"),
        color=_color(graph, node, variants),
    )


def read_products(graph: Graph, page_url: str, canonical: str) -> Extraction:
    """The complete products in a page's structured data, and how many were incomplete."""
    found = graph.products()
    # the canonical link names a page's one product; on a page of several it names none of them
    link = canonical if len(found) == 1 else ""
    return keep_complete((read_product(graph, node, variants, page_url, link) for node, variants in found),
                         page_url)


def _sku(graph: Graph, node: Node) -> str:
    if "ProductGroup" in schema_types(node):
        return next(filter(None, (graph.text(node.get(key)) for key in GROUP_SKU_KEYS)), "")
    offers = [offer for offer in graph.all(node.get("offers")) if isinstance(offer, dict)]
    candidates = [
        *(node.get(key) for key in SKU_KEYS),
        *(offer.get("sku") for offer in offers),  # some shops put the SKU on the offer only
        *(node.get(key) for key in LAST_RESORT_SKU_KEYS),
    ]
    return next(filter(None, map(graph.text, candidates)), "")


def _images(graph: Graph, node: Node, page_url: str) -> Iterator[str]:
    for image in graph.all(node.get("image")):
        if isinstance(image, dict):  # ImageObject
            image = image.get("url") or image.get("contentUrl")
        yield absolute_url(page_url, first_text(image))


def _color(graph: Graph, node: Node, variants: list[Node]) -> str:
    """The product's colour; for a group that does not state one, the colour all its variants share."""
    own = graph.text(node.get("color"))
    if own or not variants:
        return own
    colors = unique(graph.text(variant.get("color")) for variant in variants)
    return colors[0] if len(colors) == 1 else ""


def read_opengraph(properties: Node, page_url: str, canonical: str) -> ExtractedProduct:
    """A product from OpenGraph product tags (`og:type` product, `product:*`)."""
    def one(key: str) -> str:
        return first_text(properties.get(key))

    price = parse_price(one("product:price:amount") or one("og:price:amount"))
    stated = parse_availability(one("product:availability") or one("og:availability"))
    images = properties.get("og:image")
    return ExtractedProduct(
        sku=one("product:retailer_item_id"),
        url=canonical or own_url(one("og:url"), page_url),
        title=one("og:title"),
        designer=one("product:brand"),
        description=clean_text(one("og:description")),
        price=price,
        currency=parse_currency(one("product:price:currency") or one("og:price:currency")),
        available=price is not None if stated is None else stated,
        image_urls=unique(absolute_url(page_url, first_text(image))
                          for image in (images if isinstance(images, list) else [images])),
        category=one("product:category"),
        color=one("product:color"),
    )


class JsonLdAdapter(Adapter):
    """Any shop that publishes schema.org product data (JSON-LD, microdata) or OpenGraph product tags."""

    name = "jsonld"

    def extract(self, page: Page) -> Extraction:
        tree = html_tree(page)
        return Extraction() if tree is None else self.extract_schema(tree, page)

    def extract_schema(self, tree: HtmlElement, page: Page) -> Extraction:
        """Products from the first syntax that yields any, in the order JSON-LD, microdata, OpenGraph.

        When none yields a complete product, the first syntax that held a broken one gives the count of
        broken records, so that one bad product is not counted once per syntax.
        """
        canonical = canonical_link(tree, page.url)
        results = [self._from_jsonld(tree, page, canonical)]
        if not results[0].products:
            embedded = extruct.extract(tree, base_url=page.url, syntaxes=["microdata", "opengraph"],
                                       uniform=True, with_og_array=True, errors="log")
            results.append(read_products(Graph(embedded.get("microdata", [])), page.url, canonical))
            results.append(keep_complete((read_opengraph(properties, page.url, canonical)
                                          for properties in embedded.get("opengraph", [])
                                          if _is_opengraph_product(properties)), page.url))
        return next((r for r in results if r.products), next((r for r in results if r.broken), Extraction()))

    def _from_jsonld(self, tree: HtmlElement, page: Page, canonical: str) -> Extraction:
        # Script by script: extruct gives up on every script of a page when one fails to parse.
        extractor = JsonLdExtractor()
        items: list[Any] = []
        malformed = 0
        for script in tree.xpath('//script[@type="application/ld+json"]'):
            try:
                items.extend(extractor.extract_items(script, base_url=page.url))
            except ValueError:
                # only a script that mentions a product can have held one (not e.g. broken breadcrumbs)
                if "product" in (script.text or "").lower():
                    malformed += 1
                logger.debug("%s: malformed JSON-LD script skipped", page.url)
        result = read_products(Graph(items), page.url, canonical)
        result.broken += malformed
        return result


def _is_opengraph_product(properties: Node) -> bool:
    kind = properties.get("@type")
    return isinstance(kind, str) and schema_name(kind).startswith("product")
