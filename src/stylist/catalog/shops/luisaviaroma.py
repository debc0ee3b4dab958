"""Luisaviaroma (www.luisaviaroma.com): the product from the page's embedded state, JSON-LD filling gaps.

A product page carries the item twice: as the state its scripts render from (`window.__BODY_MODEL__`) and
as JSON-LD for search engines. The state is preferred because it lists sizes and photos per colour; any
field it lacks is taken from the page's JSON-LD product, and a page without state is read as JSON-LD
alone. Listing pages yield nothing: their products are read on their own pages.

What to check against the live site
-----------------------------------
Everything below comes from public scrapers and monitors written for the site between about 2019 and
2023, not from a fetch of the live site (none was possible here). Each item is one entry of `LAYOUT`.

- Product URLs are /<lang>-<country>/p/<designer>/<gender>[/<category>]/<ITEMCODE>, e.g.
  /en-us/p/nike/men/sneakers/74I-4OZ226, /en-us/p/dolce-gabbana/women/70I-B41020; listings are under
  /<lang>-<country>/shop/. (`product_path_segment`; the category is read from the segments between
  designer and item code.)
- The state is the JSON object assigned in a `<script>` whose text starts
  `window.__BODY_MODEL__ = {...};window.hydratecounter...`. (`state_variable`)
- The item code ("74I-4OZ226") is at `DynamicYieldInfo.ItemCode`; listing and API records use a
  top-level `ItemCode`. (`item_code`)
- The designer name: the app API calls it `DesignerText`; older pages showed it only in the HTML, so
  JSON-LD `brand` is the likely source. (`designer`)
- The title (the item's name without designer) is `DescriptionText` in the API and `Description` in
  listing records. (`title`)
- The long description is `MetaSharing[0].Description`. (`description`)
- The price paid is `Detail.FinalPrice` (`Detail.PriceList` is the full price); each size also has
  `Pricing.Prices[0].FinalPrice`. (`price`, `size_price`)
- The currency field's name is a guess (`Currency`, `CurrencyView`, as the API's query parameter is
  called); the JSON-LD offer's `priceCurrency` covers it when the guess is wrong. (`currency`)
- `Availability` lists the sizes on sale, one object per size (`SizeValue`, `SizeId`, `Pricing`); the API
  adds `QuantitiesTotal.Available`, read when present. An empty list means sold out. Each size is one of
  the product's variants. (`sizes`, `size_value`, `size_id`, `size_quantity`)
- Photos are `PhotosByColor: {"<color id>": ["<path>", ...]}` and load from
  https://images.lvrcdn.com/Big<path>. (`photos_by_color`, `image_prefix`)
- The colour shown is `RequestedColorDescription`. (`color`)
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from stylist.catalog.products import ExtractedProduct, Extraction, Page, Variant
from stylist.catalog.reading.fields import (
    absolute_url,
    clean_text,
    distinct_variants,
    first_text,
    keep_complete,
    parse_currency,
    parse_price,
    unique,
)
from stylist.catalog.shops.jsonld import JsonLdAdapter, canonical_link, html_tree

logger = logging.getLogger(__name__)

Path = tuple[str | int, ...]  # keys and list indexes into the state


@dataclass(frozen=True)
class Layout:
    """Where Luisaviaroma keeps each fact: the one place to edit when the site changes.

    Where a field has several paths, the first that holds a value wins.
    """

    product_path_segment: str = "p"
    state_variable: str = "window.__BODY_MODEL__"
    item_code: tuple[Path, ...] = (("DynamicYieldInfo", "ItemCode"), ("ItemCode",))
    designer: tuple[Path, ...] = (("DesignerText",), ("Designer",))
    title: tuple[Path, ...] = (("DescriptionText",), ("Description",))
    description: tuple[Path, ...] = (("MetaSharing", 0, "Description"),)
    price: tuple[Path, ...] = (("Detail", "FinalPrice"),)
    currency: tuple[Path, ...] = (("Currency",), ("CurrencyView",))
    color: tuple[Path, ...] = (("RequestedColorDescription",),)
    sizes: Path = ("Availability",)
    size_value: Path = ("SizeValue",)
    size_id: Path = ("SizeId",)
    size_price: Path = ("Pricing", "Prices", 0, "FinalPrice")
    size_quantity: Path = ("QuantitiesTotal", "Available")
    photos_by_color: Path = ("PhotosByColor",)
    image_prefix: str = "https://images.lvrcdn.com/Big"


LAYOUT = Layout()


class LuisaviaromaAdapter(JsonLdAdapter):
    """Luisaviaroma product pages: embedded state first, JSON-LD for what it lacks or when it is missing."""

    name = "luisaviaroma"

    def __init__(self, layout: Layout = LAYOUT) -> None:
        super().__init__()
        self.layout = layout

    def extract(self, page: Page) -> Extraction:
        tree = html_tree(page)
        path = self._product_path(page.url)
        if tree is None or path is None:
            return Extraction()
        schema = self.extract_schema(tree, page)
        state = self._state(tree, page.url)
        code = _text_at(state, self.layout.item_code) if state is not None else ""
        if state is not None and code:
            product = self._from_state(state, code, tree, page, schema.products)
            result = keep_complete([product], page.url)
        else:
            result = schema
        if not result.products and not result.broken:
            result.broken = 1  # a product page without a readable product: the site has changed
        category = "/".join(path[1:-1])  # between designer and item code
        result.products = [p if p.category else replace(p, category=category) for p in result.products]
        return result

    def _product_path(self, url: str) -> list[str] | None:
        """The segments after /p/ (designer, categories, item code) of a product URL; None for others."""
        segments = [s for s in urlsplit(url).path.split("/") if s]
        if self.layout.product_path_segment not in segments[:2]:
            return None
        rest = segments[segments.index(self.layout.product_path_segment) + 1:]
        return rest or None

    def _state(self, tree: HtmlElement, page_url: str) -> dict[str, Any] | None:
        """The object a script assigns to the state variable; None when absent or unreadable."""
        variable = self.layout.state_variable
        for script in tree.iter("script"):
            text = script.text or ""
            at = text.find(variable)
            if at < 0:
                continue
            assigned = text[at + len(variable):].lstrip().removeprefix("=").lstrip()
            try:
                # raw_decode stops at the object's end, before the statements that follow it
                state, _ = json.JSONDecoder().raw_decode(assigned)
            except ValueError:
                logger.debug("%s: unreadable %s, using JSON-LD", page_url, variable)
                return None
            return state if isinstance(state, dict) else None
        return None

    def _from_state(self, state: dict[str, Any], code: str, tree: HtmlElement, page: Page,
                    schema_products: list[ExtractedProduct]) -> ExtractedProduct:
        """The product as the state describes it, its gaps filled from the page's JSON-LD product."""
        layout = self.layout
        # the JSON-LD twin: same SKU, or the page's only product when its SKU is written differently
        twin = next((p for p in schema_products if p.sku == code),
                    schema_products[0] if len(schema_products) == 1 else None)
        sizes = _at(state, layout.sizes)
        if isinstance(sizes, list):
            on_sale = [size for size in sizes if isinstance(size, dict) and _in_stock(size, layout)]
            available = bool(on_sale)
            size_prices = [parse_price(_at(size, layout.size_price)) for size in on_sale or sizes
                           if isinstance(size, dict)]
        else:
            available = twin.available if twin else False
            size_prices = []
        price = parse_price(_at_first(state, layout.price))
        if price is None:
            price = min((p for p in size_prices if p is not None), default=None)
        photos = _at(state, layout.photos_by_color)
        photo_paths = [path for color_photos in photos.values() if isinstance(color_photos, list)
                       for path in color_photos] if isinstance(photos, dict) else []
        product = ExtractedProduct(
            sku=code,
            url=canonical_link(tree, page.url) or page.url,
            title=_text_at(state, layout.title),
            designer=_text_at(state, layout.designer),
            description=clean_text(_text_at(state, layout.description)),
            price=price,
            currency=parse_currency(_at_first(state, layout.currency)),
            available=available,
            image_urls=unique(self._image_url(first_text(path), page.url) for path in photo_paths),
            color=_text_at(state, layout.color),
        )
        product = _fill_gaps(product, twin) if twin else product
        if isinstance(sizes, list):
            product.variants = distinct_variants(self._variant(size, product) for size in sizes
                                                 if isinstance(size, dict))
        return product

    def _variant(self, size: dict[str, Any], product: ExtractedProduct) -> Variant:
        """One listed size, at its own price where it states one."""
        layout = self.layout
        price = parse_price(_at(size, layout.size_price))
        return Variant(sku=first_text(_at(size, layout.size_id)), size=first_text(_at(size, layout.size_value)),
                       available=_in_stock(size, layout), price=product.price if price is None else price,
                       currency=product.currency, url=product.url)

    def _image_url(self, path: str, page_url: str) -> str:
        if not path or path.startswith(("http:", "https:", "//")):
            return absolute_url(page_url, path)
        return absolute_url(page_url, self.layout.image_prefix + path)


def _at(data: Any, path: Path) -> Any:
    """The value at `path` in nested dicts and lists, or None."""
    for step in path:
        if isinstance(step, int) and isinstance(data, list) and -len(data) <= step < len(data):
            data = data[step]
        elif isinstance(step, str) and isinstance(data, dict):
            data = data.get(step)
        else:
            return None
    return data


def _at_first(data: Any, paths: tuple[Path, ...]) -> Any:
    return next((value for path in paths if (value := _at(data, path)) is not None), None)


def _text_at(data: Any, paths: tuple[Path, ...]) -> str:
    return next(filter(None, (first_text(_at(data, path)) for path in paths)), "")


def _in_stock(size: dict[str, Any], layout: Layout) -> bool:
    """A listed size is on sale unless it states a quantity of zero."""
    quantity = _at(size, layout.size_quantity)
    return not isinstance(quantity, (int, float)) or quantity > 0


def _fill_gaps(product: ExtractedProduct, twin: ExtractedProduct) -> ExtractedProduct:
    """`product` with each empty field taken from `twin`."""
    gaps = {f.name: getattr(twin, f.name) for f in fields(product)
            if getattr(product, f.name) in ("", None, [])}
    return replace(product, **gaps)
