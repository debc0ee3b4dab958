"""The structured data of a page in each syntax (JSON-LD, microdata, RDFa, OpenGraph) as Records.

extruct does the syntax work; RDFa comes out of it in expanded JSON-LD and is compacted here so that
one reader serves JSON-LD, microdata and RDFa alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import extruct
from extruct.jsonld import JsonLdExtractor
from lxml.html import HtmlElement

from stylist.catalog.reading.graph import Graph, Node, schema_name
from stylist.catalog.reading.records import Record, read_opengraph, read_schema_product
from stylist.catalog.reading.vocabulary import normalise

logger = logging.getLogger(__name__)

SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/")


@dataclass
class PageData:
    """The product records of one page, per syntax, and how many JSON-LD scripts could not be read."""

    schema: list[Record] = field(default_factory=list)  # JSON-LD, then microdata, then RDFa
    opengraph: list[Record] = field(default_factory=list)
    malformed: int = 0


def read_page_data(tree: HtmlElement, page_url: str) -> PageData:
    data = PageData()
    items, data.malformed = _jsonld_items(tree, page_url)
    data.schema += _records(items, page_url, "json-ld")
    # RDFa only where the page has RDFa typed nodes: its reader is slow and finds nothing elsewhere
    syntaxes = ["microdata", "rdfa"] if tree.xpath("//*[@typeof]") else ["microdata"]
    embedded = extruct.extract(tree, base_url=page_url, syntaxes=syntaxes, uniform=True, errors="log")
    data.schema += _records(embedded.get("microdata") or [], page_url, "microdata")
    data.schema += _records(compact_rdfa(embedded.get("rdfa") or []), page_url, "rdfa")
    properties = opengraph_properties(tree)
    if _is_opengraph_product(properties):
        data.opengraph = [read_opengraph(properties, page_url)]
    return data


def _records(items: list[Any], page_url: str, syntax: str) -> list[Record]:
    graph = Graph(normalise(items))
    return [read_schema_product(graph, node, variants, page_url, syntax) for node, variants in graph.products()]


def _jsonld_items(tree: HtmlElement, page_url: str) -> tuple[list[Any], int]:
    # Script by script: extruct gives up on every script of a page when one fails to parse.
    extractor = JsonLdExtractor()
    items: list[Any] = []
    malformed = 0
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            items.extend(extractor.extract_items(script, base_url=page_url))
        except ValueError:
            # only a script that mentions a product can have held one (not e.g. broken breadcrumbs)
            if "product" in (script.text or "").lower():
                malformed += 1
            logger.debug("%s: malformed JSON-LD script skipped", page_url)
    return items, malformed


def compact_rdfa(items: list[Node]) -> list[Node]:
    """RDFa nodes in the compact shape JSON-LD pages use: schema.org terms as bare keys, literals as values."""
    by_id = {item["@id"]: item for item in items if isinstance(item.get("@id"), str)}

    def value(entry: Any, depth: int) -> Any:
        if not isinstance(entry, dict):
            return entry
        if "@value" in entry:
            return entry["@value"]
        target = by_id.get(entry.get("@id"))
        if target is not None and depth < 4:
            return node(target, depth + 1)
        return entry.get("@id", "")

    def node(item: Node, depth: int) -> Node:
        result: Node = {"@type": [schema_name(t) for t in item.get("@type") or []]}
        if not str(item.get("@id", "")).startswith("_:"):
            result["@id"] = item.get("@id")
        for key, values in item.items():
            if key.startswith(SCHEMA_PREFIXES):
                converted = [value(entry, depth) for entry in values]
                result[schema_name(key)] = converted[0] if len(converted) == 1 else converted
        return result

    typed = [item for item in items if any(str(t).startswith(SCHEMA_PREFIXES) for t in item.get("@type") or [])]
    return [node(item, 0) for item in typed]


def opengraph_properties(tree: HtmlElement) -> dict[str, list[str]]:
    """Every OpenGraph tag of the page by property, repeated ones (og:image) in order.

    Read from the whole document, not only <head>: pages saved from a browser's DOM, and some shops'
    templates, put them in <body>.
    """
    properties: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key.startswith(("og:", "product:")) and content:
            properties.setdefault(key, []).append(content)
    return properties


def _is_opengraph_product(properties: dict[str, list[str]]) -> bool:
    kinds = properties.get("og:type") or [""]
    return kinds[0].lower().startswith("product") or "product:price:amount" in properties
