"""The demo shop as a Shopify store: products.json, meta.json, a sitemap and theme-style product pages."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from stylist.demo import pages
from stylist.demo.catalogue import CATEGORIES, CURRENCY, NOUNS, SHOP_NAME, Day, Product
from stylist.demo.pages import Response

if TYPE_CHECKING:
    from stylist.demo.shop import DemoShop

# Shopify's numeric ids, offset by the product's index so that they are stable across days.
PRODUCT_ID = 7_400_000_000_000
VARIANT_ID = 41_000_000_000_000
IMAGE_ID = 31_000_000_000_000


def route(shop: DemoShop, today: Day, parts: list[str], query: dict[str, str]) -> Response:
    """The answer to a GET of the path `parts` (split at "/") with `query`, on the day `today`."""
    match parts:
        case [""] | ["collections", "all"]:
            cards = "".join(pages.card(shop, p, f"/products/{p.slug}") for p in today.products)
            # Both links are forbidden by robots.txt, as on every Shopify store.
            links = '<a href="/cart">Cart</a> <a href="/collections/all?sort_by=price-ascending">By price</a>'
            body = f"<nav>{links}</nav><h1>All products</h1><div class=grid>{cards}</div>"
            return pages.page(200, SHOP_NAME, body, base=shop.base_url)
        case ["robots.txt"]:
            return pages.text_response(
                "User-agent: *\nDisallow: /admin\nDisallow: /cart\nDisallow: /checkout\nDisallow: /checkouts/\n"
                f"Disallow: /account\nDisallow: /collections/*sort_by*\n\nSitemap: {shop.base_url}/sitemap.xml\n"
            )
        case ["meta.json"]:
            return pages.json_response(meta(shop, today))
        case ["products.json"]:
            return products_json(shop, today, query)
        case ["sitemap.xml"]:
            return pages.xml_response(pages.sitemap(shop, today.products))
        case ["products", handle]:
            p = today.by_slug.get(handle)
            return product_page(shop, p) if p else pages.not_found()
        case ["cart"]:
            return pages.page(200, "Cart", "<p>Your cart is empty.</p>")
        case ["img", sku, name]:
            return pages.image_response(shop, sku, name)
    return pages.not_found()


def meta(shop: DemoShop, today: Day) -> dict[str, Any]:
    return {
        "id": 61_000_000_000,
        "name": SHOP_NAME,
        "city": "Paris",
        "province": "",
        "country": "FR",
        "currency": CURRENCY,
        "domain": shop.base_url.removeprefix("http://"),
        "url": shop.base_url,
        "myshopify_domain": "maison-demo.myshopify.com",
        "description": "An independent boutique of invented designers.",
        "ships_to_countries": ["FR", "DE", "IT", "NL"],
        "money_format": "€{{amount}}",
        "published_collections_count": len(CATEGORIES),
        "published_products_count": len(today.products),
    }


def products_json(shop: DemoShop, today: Day, query: dict[str, str]) -> Response:
    limit = min(int(query["limit"]), 250) if query.get("limit", "").isdigit() else 30  # Shopify's caps
    page = int(query["page"]) if query.get("page", "").isdigit() and int(query["page"]) > 0 else 1
    if shop.traps and page == 1 and shop.first_time("products.json"):  # Shopify rate-limits bursts on its JSON endpoints
        return Response(429, "application/json", b'{"errors":"Too Many Requests"}', (("Retry-After", "1"),))
    chosen = today.products[(page - 1) * limit : page * limit]
    return pages.json_response({"products": [product_data(shop, p) for p in chosen]})


def product_data(shop: DemoShop, p: Product) -> dict[str, Any]:
    """One product as products.json lists it: a variant per size, every image."""
    product_id = PRODUCT_ID + p.index
    stamp = f"{p.updated}T09:00:00+02:00"
    variants = [
        {
            "id": VARIANT_ID + p.index * 10 + k,
            "title": size,
            "option1": size,
            "option2": None,
            "option3": None,
            "sku": f"{p.sku}-{pages.size_code(size)}",
            "requires_shipping": True,
            "taxable": True,
            "featured_image": None,
            "available": in_stock,
            "price": f"{p.price:.2f}",
            "grams": 600,
            "compare_at_price": None,
            "position": k + 1,
            "product_id": product_id,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for k, (size, in_stock) in enumerate(zip(p.sizes, p.in_stock))
    ]
    images = [
        {
            "id": IMAGE_ID + p.index * 10 + spec.index,
            "created_at": stamp,
            "position": spec.index + 1,
            "updated_at": stamp,
            "product_id": product_id,
            "variant_ids": [],
            "src": f"{shop.image_url(p, spec)}?v=1714550400",
            "width": spec.width,
            "height": spec.height,
        }
        for spec in p.images
    ]
    return {
        "id": product_id,
        "title": p.title,
        "handle": p.slug,
        "body_html": f"<p>{html.escape(p.description)}</p>",
        "published_at": stamp,
        "created_at": stamp,
        "updated_at": stamp,
        "vendor": p.designer,
        "product_type": NOUNS[p.category],
        "tags": [p.category, p.color.lower(), p.pattern],
        "variants": variants,
        "images": images,
        "options": [{"name": "Size", "position": 1, "values": list(p.sizes)}],
    }


def product_page(shop: DemoShop, p: Product) -> Response:
    canonical = shop.canonical_url(p)
    urls = [shop.image_url(p, spec) for spec in p.images]
    # Like Shopify themes: one Offer per variant, the product's own id as productID.
    data = {
        "@context": "http://schema.org/",
        "@type": "Product",
        "name": p.title,
        "url": canonical,
        "productID": str(PRODUCT_ID + p.index),
        "image": urls,
        "description": p.description,
        "brand": {"@type": "Brand", "name": p.designer},
        "offers": [
            {"@type": "Offer", "sku": f"{p.sku}-{pages.size_code(size)}", "price": f"{p.price:.2f}",
             "priceCurrency": p.currency, "url": f"{canonical}?variant={VARIANT_ID + p.index * 10 + k}",
             "availability": pages.availability(in_stock, "http")}
            for k, (size, in_stock) in enumerate(zip(p.sizes, p.in_stock))
        ],
    }  # fmt: skip
    gallery = "".join(f'<img src="{url}" alt="{html.escape(p.title)}">' for url in urls)
    body = (
        f"<p class=designer>{html.escape(p.designer)}</p><h1>{html.escape(p.title)}</h1>"
        f"<p class=price>{pages.money(p.price)}</p><div class=gallery>{gallery}</div>"
    )
    head = f'<link rel="canonical" href="{canonical}">{pages.script(data)}'
    return pages.page(200, p.title, body, head=head, base=shop.base_url,
                      headers=(("Last-Modified", pages.http_date(p.updated)),))
