"""From a page's records in every syntax to the products the catalog stores, as CONTRACT.md defines one.

Siblings (one record per size or colour, same name and page) become one product; the syntaxes' records
of one product fill each other's gaps; teasers of other products (recommendation tiles) are set aside;
a product without a SKU takes its page's identity, a price without a currency code the page's currency.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from stylist.catalog.products import ExtractedProduct, Variant
from stylist.catalog.reading.currencies import symbol_currency
from stylist.catalog.reading.fields import distinct_variants, same_site, unique
from stylist.catalog.reading.identity import TOKEN_SEPARATORS, page_identity, page_key, url_product_id
from stylist.catalog.reading.records import Offer, Record, VariantRecord, best_offer

GAP_FIELDS = ("weak_sku", "mpn", "gtins", "url", "node_id", "title", "designer", "description", "category", "color")


@dataclass(frozen=True)
class PageContext:
    url: str
    canonical: str = ""  # <link rel="canonical">
    currency: str = ""  # what the page's locale implies
    shop_currency: str = ""  # what the shop's other pages priced in


def page_records(schema: list[Record], opengraph: list[Record], page: PageContext) -> list[Record]:
    """The page's own products, siblings grouped and syntaxes merged; teasers of other products left out."""
    merged: list[Record] = []
    for record in group_siblings(schema):
        match = next((other for other in merged if other.syntax != record.syntax and same_product(other, record)),
                     None)
        if match is None:
            merged.append(record)
        else:
            fill_gaps(match, record)
    own = own_records(merged, page)
    for og in opengraph:
        # OpenGraph describes the page, so its one product, unless it names another one
        target = next((r for r in own if same_product(r, og)), None)
        if target is None and len(own) == 1 and may_be_same(og, own[0]):
            target = own[0]
        if target is not None:
            fill_gaps(target, og)
        elif not own:
            own.append(og)
    return own


def same_product(one: Record, other: Record) -> bool:
    if one.sku and other.sku:
        return one.sku == other.sku
    if one.url and other.url and page_key(one.url) == page_key(other.url):
        return True
    return bool(one.title) and _norm(one.title) == _norm(other.title)


def may_be_same(one: Record, other: Record) -> bool:
    """Nothing tells the two apart: no two different SKUs, no two titles that share nothing."""
    if one.sku and other.sku and one.sku != other.sku:
        return False
    return not (one.title and other.title) or _titles_overlap(one.title, other.title)


def _norm(title: str) -> str:
    return " ".join(title.lower().split())


def _titles_overlap(one: str, other: str) -> bool:
    a, b = _norm(one), _norm(other)
    return a in b or b in a


def fill_gaps(target: Record, source: Record) -> None:
    """Give `target` what only `source` says; a price comes with its currency and availability."""
    for name in GAP_FIELDS:
        if not getattr(target, name):
            setattr(target, name, getattr(source, name))
    if target.sku == "" and source.sku:
        target.sku = source.sku
    if target.price is None and source.price is not None:
        target.price, target.symbol = source.price, source.symbol
        target.currency = source.currency or target.currency
    elif not target.currency and source.currency and source.price == target.price:
        target.currency = source.currency
    if target.available is None:
        target.available = source.available
    if not target.image_urls:
        target.image_urls = list(source.image_urls)
    if not target.variants:
        target.variants = list(source.variants)


def group_siblings(records: list[Record]) -> list[Record]:
    """One record for the records of one syntax that share name and page: sizes or colours of one garment."""
    groups: dict[tuple[str, str, str], list[Record]] = {}
    for record in records:
        key = (record.syntax, _norm(record.title), page_key(record.url) if record.url else "")
        groups.setdefault(key if record.title else (record.syntax, str(id(record)), ""), []).append(record)
    return [members[0] if len(members) == 1 else merge_siblings(members) for members in groups.values()]


def merge_siblings(members: list[Record]) -> Record:
    """Siblings as one product: the SKUs' common stem, the cheapest price in stock, available if any is."""
    offers = [Offer(m.price, m.currency, m.symbol, m.available) for m in members]
    best = best_offer(offers)
    skus = unique(m.sku for m in members)
    stated = [m.available for m in members if m.available is not None]
    # each sibling is a variant; siblings that nothing tells apart are one product written twice
    variants = distinct_variants(v for m in members for v in (m.variants or [_as_variant(m)]))
    merged = replace(members[0], sku=sku_stem(skus) if len(skus) > 1 else (skus[0] if skus else ""),
                     image_urls=unique(url for m in members for url in m.image_urls),
                     gtins=unique(gtin for m in members for gtin in m.gtins),
                     available=any(stated) if stated else None, members=len(members),
                     variants=variants if len(variants) > 1 else [])
    if best is not None:
        merged.price, merged.currency, merged.symbol = best.price, best.currency, best.symbol
    return merged


def _as_variant(record: Record) -> VariantRecord:
    return VariantRecord(sku=record.sku, size=record.size, color=record.color, available=record.available,
                         price=record.price, currency=record.currency, symbol=record.symbol, url=record.url)


def sku_stem(skus: list[str]) -> str:
    """The identifier siblings share: "84518927-040-35" and "84518927-040-36" → "84518927-040"; empty if none."""
    split = [TOKEN_SEPARATORS.split(sku) for sku in skus]
    common = 0
    while all(len(tokens) > common + 1 and tokens[common] == split[0][common] for tokens in split):
        common += 1
    if common == 0:
        return ""
    length = sum(len(token) + 1 for token in split[0][:common]) - 1
    return skus[0][:length]


def own_records(records: list[Record], page: PageContext) -> list[Record]:
    """The records that describe this page's products, not tiles pointing to other pages.

    A record is the page's own when it has its own SKU or names this page; when none does, a lone
    record is. Tiles without a SKU that link elsewhere are teasers: neither products nor broken data; so
    are tiles with one next to a record that links nowhere and has none.
    """
    keys = {page_key(url) for url in (page.url, page.canonical) if url}
    strong = [r for r in records if r.sku or (r.url and page_key(r.url) in keys)]
    unlinked = [r for r in records if not r.url]
    # SKUs that all belong to other pages of the shop, next to a record that links nowhere: that record
    # is the page's own, the others recommendations written out as nodes of their own
    if unlinked and strong and all(_links_elsewhere(r, keys, page.url) for r in strong):
        return unlinked[:1]
    if strong:
        return strong
    if len(records) == 1:
        return records
    return unlinked[:1]


def _links_elsewhere(record: Record, keys: set[str], page_url: str) -> bool:
    return bool(record.url) and page_key(record.url) not in keys and same_site(record.url, page_url)


def to_product(record: Record, page: PageContext, single: bool) -> ExtractedProduct:
    """The catalog's product from a merged record: identity and currency settled, URL canonical."""
    own_url = record.url if record.url and same_site(record.url, page.url) else ""
    url = (page.canonical if single else "") or own_url or page.url
    describes_page = single or not own_url or page_key(own_url) == page_key(page.url)
    identity = url_product_id(url) if describes_page else url_product_id(own_url)
    sku = record.sku or identity or record.weak_sku or page_identity(url)
    currency = (record.currency or symbol_currency(record.symbol, page.currency or page.shop_currency)
                or page.currency or page.shop_currency) if record.price is not None else record.currency
    available = record.price is not None if record.available is None else record.available
    product = ExtractedProduct(
        sku=sku, url=url, title=record.title, designer=record.designer, description=record.description,
        price=record.price, currency=currency, available=available,
        image_urls=record.image_urls, category=record.category, color=record.color,
        # markup that prices an offer and is silent on stock means it is for sale; the visible page's
        # silence means nothing
        availability_stated=record.available is not None or record.syntax != "visible",
        confidence=record.confidence, gtin=" ".join(record.gtins), mpn=record.mpn,
    )
    product.variants = distinct_variants(_settled(v, product) for v in record.variants)
    return product


def _settled(variant: VariantRecord, product: ExtractedProduct) -> Variant:
    """A variant with what it does not say taken from its product: stock, price with its currency, URL."""
    own_price = variant.price is not None
    currency = (variant.currency or symbol_currency(variant.symbol, product.currency) or product.currency
                if own_price else product.currency)
    return Variant(
        sku=variant.sku, size=variant.size, color=variant.color,
        available=product.available if variant.available is None else variant.available,
        price=variant.price if own_price else product.price, currency=currency,
        url=variant.url if variant.url and not _same_address(variant.url, product.url) else product.url,
    )


def _same_address(url: str, other: str) -> bool:
    """The same page with the same query (a variant's `?size=M` link is its own address; "www." is not)."""
    return page_key(url) == page_key(other) and urlsplit(url).query == urlsplit(other).query
