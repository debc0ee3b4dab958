"""One product as one syntax of a page describes it (schema.org node or OpenGraph tags), gaps left open.

The records of the several syntaxes of a page are merged later (merge.py); here nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stylist.catalog.reading.fields import (
    absolute_url,
    clean_text,
    distinct_variants,
    first_text,
    parse_availability,
    parse_currency,
    parse_money,
    unique,
)
from stylist.catalog.reading.graph import Graph, Node, schema_name, schema_types

# Where a product's own identifier may be, best first; a ProductGroup is known by its group ID.
SKU_KEYS = ("sku", "productID", "productGroupID")
GROUP_SKU_KEYS = ("productGroupID", "sku", "productID", "@id")
# A variant may repeat its group's productGroupID, which tells it apart from none of its siblings.
VARIANT_SKU_KEYS = ("sku", "productID")
# Manufacturer and barcode numbers: identifiers, but the shop's own id or page is a better key.
WEAK_SKU_KEYS = ("mpn", "gtin", "gtin14", "gtin13", "gtin12", "gtin8")
GTIN_KEYS = WEAK_SKU_KEYS[1:]
# priceSpecification types that show a former or suggested price, not what the buyer pays.
NOT_PAID_PRICE_TYPES = {"StrikethroughPrice", "ListPrice", "MSRP", "SRP"}
# Unfilled template variables shops publish as values ("$metabrand", "{{ brand }}", "%BRAND%").
PLACEHOLDER_MARKS = ("$", "{{", "{%", "%", "${", "[[")


@dataclass
class VariantRecord:
    """One size or colour of a product as the markup states it; empty fields are what it does not say."""

    sku: str = ""
    size: str = ""
    color: str = ""
    available: bool | None = None
    price: float | None = None
    currency: str = ""
    symbol: str = ""
    url: str = ""


@dataclass
class Record:
    """What one syntax says about one product; empty fields are what it does not say."""

    syntax: str  # "json-ld", "microdata", "rdfa", "opengraph" or "visible"
    sku: str = ""  # the shop's own identifier
    weak_sku: str = ""  # mpn or GTIN
    mpn: str = ""  # the maker's part number
    gtins: list[str] = field(default_factory=list)  # barcodes of the product and of each of its variants
    url: str = ""  # as the markup states it, absolute
    node_id: str = ""  # the node's @id
    title: str = ""
    designer: str = ""
    description: str = ""
    price: float | None = None
    currency: str = ""
    symbol: str = ""  # a currency symbol written in the price text, when no code is given
    available: bool | None = None  # None: the markup does not say
    image_urls: list[str] = field(default_factory=list)
    category: str = ""
    color: str = ""
    size: str = ""  # for a product node that is itself one size of a garment (a sibling)
    variants: list[VariantRecord] = field(default_factory=list)
    members: int = 1  # how many sibling records (sizes, colours) this one stands for
    confidence: float = 1.0


@dataclass(frozen=True)
class Offer:
    price: float | None
    currency: str
    symbol: str
    available: bool | None


def text_value(value: str) -> str:
    """A name or identifier as text: entities decoded (some shops escape twice), whitespace collapsed."""
    return clean_text(clean_text(value))


def is_placeholder(value: str) -> bool:
    return value.startswith(PLACEHOLDER_MARKS)


def read_offers(graph: Graph, offer: Node, depth: int = 0, inherited_currency: str = "") -> Iterator[Offer]:
    """An Offer or AggregateOffer (its lowPrice), and the offers nested in it (`offers` of an offer).

    Nested offers that state no currency are in their parent's.
    """
    price_keys = ("lowPrice", "price") if "AggregateOffer" in schema_types(offer) else ("price", "lowPrice")
    specifications = [spec for spec in graph.all(offer.get("priceSpecification")) if isinstance(spec, dict)
                      and schema_name(graph.text(spec.get("priceType"))) not in NOT_PAID_PRICE_TYPES]
    sources = [offer, *specifications]
    money = [parse_money(_price_value(graph, source.get(key))) for source in sources for key in price_keys]
    price, symbol = next(((p, s) for p, s in money if p is not None), (None, ""))
    currency = next(filter(None, (parse_currency(source.get("priceCurrency")) for source in sources)),
                    inherited_currency)
    nested = [child for child in graph.all(offer.get("offers")) if isinstance(child, dict)]
    if depth < 3:
        for child in nested:
            yield from read_offers(graph, child, depth + 1, currency)
    available = parse_availability(graph.text(offer.get("availability")))
    if price is not None or available is not None or not nested:
        yield Offer(price, currency, symbol, available)


def _price_value(graph: Graph, value: Any) -> Any:
    """A price as written: a number stays a number, anything else is read as text."""
    return value if isinstance(value, (int, float)) else graph.text(value)


def best_offer(offers: list[Offer]) -> Offer | None:
    """The cheapest offer in stock (one that does not say counts as in stock), else the cheapest."""
    priced = [offer for offer in offers if offer.price is not None]
    in_stock = [offer for offer in priced if offer.available is not False]
    return min(in_stock or priced, key=lambda offer: offer.price or 0.0, default=None)


def any_available(offers: list[Offer]) -> bool | None:
    stated = [offer.available for offer in offers if offer.available is not None]
    return any(stated) if stated else None


def read_schema_product(graph: Graph, node: Node, variants: list[Node], page_url: str,
                        syntax: str) -> Record:
    """One product from a schema.org Product (or a ProductGroup and its variants)."""
    members = [node, *variants]  # a group's own facts first, its variants' as fallback
    offers = [offer for member in members for value in graph.all(member.get("offers"))
              if isinstance(value, dict) for offer in read_offers(graph, value)]
    best = best_offer(offers)

    def first(key: str) -> str:
        return next(filter(None, (text_value(graph.text(member.get(key))) for member in members)), "")

    designer = next((name for name in (first("brand"), first("manufacturer")) if name and not is_placeholder(name)),
                    "")
    node_id = node.get("@id") if isinstance(node.get("@id"), str) else ""
    return Record(
        syntax=syntax,
        sku=_sku(graph, node),
        weak_sku=next(filter(None, (text_value(graph.text(node.get(key))) for key in WEAK_SKU_KEYS)), ""),
        mpn=first("mpn"),
        gtins=unique(text_value(graph.text(member.get(key))) for member in members for key in GTIN_KEYS),
        url=absolute_url(page_url, graph.text(node.get("url"))),
        node_id="" if node_id.startswith("_:") else node_id,
        title=first("name"),
        designer=designer,
        description=clean_text(first("description")),
        price=best.price if best else None,
        currency=best.currency if best else "",
        symbol=best.symbol if best else "",
        available=any_available(offers),
        image_urls=unique(url for member in members for url in _images(graph, member, page_url)),
        category=first("category"),
        color=_color(graph, node, variants),
        size=text_value(graph.text(node.get("size"))),
        variants=_variants(graph, node, variants, page_url),
    )


def _variants(graph: Graph, node: Node, variants: list[Node], page_url: str) -> list[VariantRecord]:
    """A group's variant nodes, or else a product's offers when each is a size or colour of its own.

    One offer, or several that nothing tells apart (sellers of one item), is the product itself.
    """
    if variants:
        return distinct_variants(_variant_node(graph, variant, page_url) for variant in variants)
    title = text_value(graph.text(node.get("name")))
    from_offers = distinct_variants(_offer_variant(graph, offer, title, page_url)
                                    for offer in _leaf_offers(graph, node.get("offers")))
    return from_offers if len(from_offers) > 1 else []


def _variant_node(graph: Graph, node: Node, page_url: str) -> VariantRecord:
    """A ProductGroup's variant: its own identifier, size and colour, the offers it carries."""
    offer_nodes = list(_leaf_offers(graph, node.get("offers")))
    offers = [offer for value in offer_nodes for offer in read_offers(graph, value)]
    best = best_offer(offers)
    urls = [graph.text(offer.get("url")) for offer in offer_nodes] + [graph.text(node.get("url"))]
    return VariantRecord(
        sku=_sku(graph, node, VARIANT_SKU_KEYS), size=text_value(graph.text(node.get("size"))),
        color=text_value(graph.text(node.get("color"))), available=any_available(offers),
        price=best.price if best else None, currency=best.currency if best else "",
        symbol=best.symbol if best else "", url=absolute_url(page_url, next(filter(None, urls), "")),
    )


def _offer_variant(graph: Graph, offer: Node, title: str, page_url: str) -> VariantRecord:
    """One offer of a product as a variant: its SKU, and a size where the offer or its item names one."""
    item = next((i for i in graph.all(offer.get("itemOffered")) if isinstance(i, dict)), {})
    name = text_value(graph.text(offer.get("name")))
    size = next(filter(None, (text_value(graph.text(value))
                              for value in (offer.get("size"), item.get("size")))), "")
    # an offer's name is often the product's own; only a different one can name the size
    if not size and name and name != title:
        size = name
    sku = _identifier(graph, offer.get("sku")) or _identifier(graph, item.get("sku"))
    read = list(read_offers(graph, offer))
    best = best_offer(read)
    return VariantRecord(
        sku=sku, size=size,
        color=text_value(graph.text(item.get("color"))), available=any_available(read),
        price=best.price if best else None, currency=best.currency if best else "",
        symbol=best.symbol if best else "", url=absolute_url(page_url, graph.text(offer.get("url"))),
    )


def _leaf_offers(graph: Graph, value: Any, depth: int = 0) -> Iterator[Node]:
    """The offers in a property, those nested in an AggregateOffer instead of the aggregate."""
    for offer in graph.all(value):
        if not isinstance(offer, dict):
            continue
        nested = [child for child in graph.all(offer.get("offers")) if isinstance(child, dict)]
        if nested and depth < 3:
            yield from _leaf_offers(graph, nested, depth + 1)
        else:
            yield offer


def _sku(graph: Graph, node: Node, keys: tuple[str, ...] = ()) -> str:
    keys = keys or (GROUP_SKU_KEYS if "ProductGroup" in schema_types(node) else SKU_KEYS)
    offers = [offer for offer in graph.all(node.get("offers")) if isinstance(offer, dict)]
    candidates = [*(node.get(key) for key in keys), *(offer.get("sku") for offer in offers)]
    return next(filter(None, (_identifier(graph, candidate) for candidate in candidates)), "")


def _identifier(graph: Graph, value: Any) -> str:
    text = text_value(graph.text(value))
    # An identifier has no spaces: "Ca304103-0000 Montre" is an id with a label run into it, and
    # the page's own identity is a safer key than either half.
    return text if " " not in text and not is_placeholder(text) else ""


def _images(graph: Graph, node: Node, page_url: str) -> Iterator[str]:
    for image in graph.all(node.get("image")):
        if isinstance(image, dict):  # ImageObject, or an RDFa/microdata reference
            image = image.get("url") or image.get("contentUrl") or image.get("@id")
        yield absolute_url(page_url, first_text(image))


def _color(graph: Graph, node: Node, variants: list[Node]) -> str:
    """The product's colour; for a group that does not state one, the colour all its variants share."""
    own = graph.text(node.get("color"))
    if own or not variants:
        return own
    colors = unique(graph.text(variant.get("color")) for variant in variants)
    return colors[0] if len(colors) == 1 else ""


def read_opengraph(properties: Node, page_url: str) -> Record:
    """A product from OpenGraph product tags (`og:type` product, `product:*`, `og:price:*`)."""
    def one(*keys: str) -> str:
        return next(filter(None, (first_text(properties.get(key)) for key in keys)), "")

    price, symbol = parse_money(one("product:price:amount", "og:price:amount", "product:sale_price:amount"))
    images = properties.get("og:image")
    return Record(
        syntax="opengraph",
        sku=text_value(one("product:retailer_item_id", "og:retailer_item_id")),
        url=absolute_url(page_url, one("og:url")),
        title=text_value(one("og:title")),
        designer=text_value(one("product:brand", "og:brand")),
        description=clean_text(one("og:description")),
        price=price,
        currency=parse_currency(one("product:price:currency", "og:price:currency")),
        symbol=symbol,
        available=parse_availability(one("product:availability", "og:availability")),
        image_urls=unique(absolute_url(page_url, first_text(image))
                          for image in (images if isinstance(images, list) else [images])),
        category=one("product:category"),
        color=one("product:color"),
    )
