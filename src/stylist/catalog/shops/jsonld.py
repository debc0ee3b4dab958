"""Reads products from shop pages: schema.org data (JSON-LD, microdata, RDFa), OpenGraph, the visible page.

Works for any shop that publishes structured data for search engines, which most do, and falls back on
what the page shows when it publishes none. The readers are in catalog/reading/: syntaxes.py reads each
syntax, merge.py turns the records into products as the catalog defines one, visible.py reads the page as
people see it.
"""

from __future__ import annotations

from dataclasses import replace

import lxml.etree
from extruct.utils import parse_xmldom_html
from lxml.html import HtmlElement

from stylist.catalog.products import Extraction, Page
from stylist.catalog.reading.currencies import page_currency
from stylist.catalog.reading.embedded_sizes import sizes_by_sku
from stylist.catalog.reading.fields import absolute_url, keep_complete
from stylist.catalog.reading.merge import PageContext, fill_gaps, may_be_same, page_records, to_product
from stylist.catalog.reading.pickers import read_picker, with_picker
from stylist.catalog.reading.records import Record, VariantRecord
from stylist.catalog.reading.shown_numbers import page_sku, read_shown_numbers
from stylist.catalog.reading.syntaxes import read_page_data
from stylist.catalog.reading.visible import ENOUGH, read_visible
from stylist.catalog.shops.base import Adapter

HTML_TYPES = {"text/html", "application/xhtml+xml"}


def html_tree(page: Page) -> HtmlElement | None:
    """The parsed page, or None for pages that are not HTML or are empty."""
    if page.content_type not in HTML_TYPES or not page.text.strip():
        return None
    try:
        # bytes, because lxml refuses str input that declares its own encoding; the DOM flavour of the
        # tree, because the RDFa reader walks it with DOM calls
        return parse_xmldom_html(page.text.encode("utf-8"), encoding="utf-8")
    except lxml.etree.ParserError:
        return None


def canonical_link(tree: HtmlElement, page_url: str) -> str:
    """The absolute href of `<link rel="canonical">`, or empty."""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return absolute_url(page_url, link.get("href") or "")
    return ""


class JsonLdAdapter(Adapter):
    """Any shop that publishes schema.org product data or OpenGraph product tags, or shows a product page."""

    name = "jsonld"

    def __init__(self) -> None:
        self.currency = ""  # the currency the shop's products so far were priced in

    def extract(self, page: Page) -> Extraction:
        tree = html_tree(page)
        return Extraction() if tree is None else self.extract_schema(tree, page)

    def extract_schema(self, tree: HtmlElement, page: Page) -> Extraction:
        """The page's own products from all its syntaxes merged, or from the visible page if they fall short.

        Records that are the page's product but stay incomplete count as broken, once per product, not
        once per syntax; teasers of other products count as nothing.
        """
        data = read_page_data(tree, page.url)
        context = PageContext(page.url, canonical_link(tree, page.url), page_currency(tree, page.url),
                              self.currency)
        records = page_records(data.schema, data.opengraph, context)
        if all(record.price is None for record in records):
            records = _with_visible(records, read_visible(tree, page.url))
        single = len(records) == 1
        if single:
            record = records[0]
            record.variants = _named_sizes(tree, record.variants)
            # on a page of one product, the number the page shows people may be truer than the markup's id
            shown = read_shown_numbers(tree)
            record.sku = page_sku(record.sku, (variant.sku for variant in record.variants), shown,
                                  (context.canonical, page.url))
            record.weak_sku = record.weak_sku or next(iter(shown.model), "")
        result = keep_complete((to_product(record, context, single) for record in records), page.url)
        result.broken += data.malformed
        if result.products:
            self.currency = result.products[0].currency
        return result


def _with_visible(records: list[Record], visible: Record | None) -> list[Record]:
    """The markup's products given the visible page's price, or the visible product when markup has none."""
    if visible is None:
        return records
    if not records:
        return [visible] if visible.confidence >= ENOUGH else []
    record = records[0]
    # the shown price belongs to the markup's product only when the page's heading may name it
    if len(records) == 1 and may_be_same(record, visible):
        fill_gaps(record, visible)
        record.confidence = visible.confidence
    return records


def _named_sizes(tree: HtmlElement, variants: list[VariantRecord]) -> list[VariantRecord]:
    """The page's one product's variants with sizes its markup leaves out: from the page's scripts by SKU,
    else from the size picker people see."""
    if any(variant.size for variant in variants):
        return variants
    sizes = sizes_by_sku(tree, {variant.sku for variant in variants if variant.sku})
    if sizes:
        return [replace(variant, size=sizes.get(variant.sku, "")) for variant in variants]
    return with_picker(variants, read_picker(tree))
