"""The schema.org items of one page as a graph: `{"@id"}` references resolved, the page's products found."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stylist.catalog.reading.fields import first_text

Node = dict[str, Any]

PRODUCT_TYPES = {"Product", "ProductGroup", "IndividualProduct", "SomeProducts", "ProductModel"}


def schema_name(value: str) -> str:
    """The bare name of a schema.org term: "https://schema.org/InStock" or "schema:InStock" → "InStock"."""
    return value.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def schema_types(node: Node) -> set[str]:
    types = node.get("@type")
    return {schema_name(t) for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}


def is_product(node: Any) -> bool:
    return isinstance(node, dict) and bool(schema_types(node) & PRODUCT_TYPES)


def _is_reference(value: Any) -> bool:
    """A `{"@id": ...}` stand-in for a node written out elsewhere in the page."""
    return isinstance(value, dict) and isinstance(value.get("@id"), str) and set(value) <= {"@id", "@type"}


def nested_objects(value: Any) -> Iterator[Node]:
    """Every object nested anywhere in `value`."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from nested_objects(child)
    elif isinstance(value, list):
        for child in value:
            yield from nested_objects(child)


class Graph:
    """The structured-data items of one page, with `{"@id": ...}` references resolvable across scripts."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self._by_id: dict[str, Node] = {}
        for node in nested_objects(items):
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

        Products are looked for at the top level, in `@graph`, under `mainEntity` (an ItemPage wrapping
        its Product) and as a Review's `itemReviewed`, not deeper, so related-product lists stay out. A
        variant is folded into its group, never returned on its own.
        """
        found: list[Node] = []
        seen: set[int] = set()

        def visit(value: Any) -> None:
            for node in self.all(value):
                if not isinstance(node, dict) or id(node) in seen:
                    continue
                seen.add(id(node))
                visit(node.get("@graph"))
                if is_product(node):
                    found.append(node)
                else:
                    visit(node.get("mainEntity"))
                    visit(node.get("itemReviewed"))

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
