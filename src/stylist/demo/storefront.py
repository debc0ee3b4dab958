"""The ordinary demo shop's URLs: home, paged categories, product pages in every markup format, sitemaps,
robots.txt, and the traps a crawler meets among them.
"""

from __future__ import annotations

import gzip
import html
import math
from dataclasses import replace
from typing import TYPE_CHECKING

from stylist.demo import pages
from stylist.demo.catalogue import CATEGORIES, NOUNS, SHOP_NAME, Day, Product
from stylist.demo.pages import Response

if TYPE_CHECKING:
    from stylist.demo.shop import DemoShop

PER_PAGE = 24


def route(shop: DemoShop, today: Day, parts: list[str], query: dict[str, str]) -> Response:
    """The answer to a GET of the path `parts` (split at "/") with `query`, on the day `today`."""
    match parts:
        case [""]:
            return home(shop, today)
        case ["robots.txt"]:
            return pages.text_response(robots(shop))
        case ["about"]:
            about = "<h1>About us</h1><p>An independent boutique of invented designers.</p>"
            return pages.page(200, "About", about, nav=nav(today), footer=footer(shop), base=shop.base_url)
        case ["sitemap_index.xml"]:
            return pages.xml_response(sitemap_index(shop))
        case ["sitemaps", "products-1.xml"]:
            return pages.xml_response(pages.sitemap(shop, [p for p in today.products if p.index % 2 == 0]))
        case ["sitemaps", "products-2.xml.gz"]:
            data = gzip.compress(pages.sitemap(shop, [p for p in today.products if p.index % 2 == 1]), mtime=0)
            return Response(200, "application/x-gzip", data)
        case ["c", category]:
            return category_page(shop, today, category, query.get("page", "1"))
        case ["products", slug]:
            return product(shop, today, today.by_slug.get(slug), private=False)
        case ["p", sku]:
            return product(shop, today, today.by_sku.get(sku), private=False)
        case ["private", slug]:
            return product(shop, today, today.by_slug.get(slug), private=True)
        case ["img", sku, name]:
            return pages.image_response(shop, sku, name)
    return pages.not_found()


def robots(shop: DemoShop) -> str:
    sitemap = f"Sitemap: {shop.base_url}/sitemap_index.xml\n"
    if not shop.traps:
        return f"User-agent: *\nDisallow:\n\n{sitemap}"
    return f"User-agent: BadBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n\n{sitemap}"


def nav(today: Day) -> str:
    present = {p.category for p in today.listed}
    links = "".join(f'<a href="/c/{c}">{NOUNS[c]}</a>' for c in CATEGORIES if c in present)
    return f'<a href="/c/all">New in</a>{links}'


def footer(shop: DemoShop) -> str:
    links = '<a href="/about">About</a>'
    if shop.traps:  # links a crawler must not follow off the shop
        links += '<a href="https://www.instagram.com/maison.demo">Instagram</a>'
        links += '<a href="mailto:hello@maison-demo.example">Contact</a><a href="#top">Top</a>'
    return links


def home(shop: DemoShop, today: Day) -> Response:
    featured = []
    for p in today.listed[:8]:
        # The newsletter link is one of the three URLs of the duplicate product.
        href = f"/products/{p.slug}?utm_source=newsletter" if p.role == "duplicate" else f"/products/{p.slug}"
        featured.append(pages.card(shop, p, href))
    body = f"<h1>New season</h1><div class=grid>{''.join(featured)}</div>"
    private = [p for p in today.products if p.role == "private"]
    if private:
        body += f'<p><a href="/private/{private[0].slug}">Private sale preview</a></p>'
    return pages.page(200, SHOP_NAME, body, nav=nav(today), footer=footer(shop), base=shop.base_url)


def category_page(shop: DemoShop, today: Day, category: str, page_text: str) -> Response:
    if category != "all" and category not in CATEGORIES:
        return pages.not_found()
    products = [p for p in today.listed if category in ("all", p.category)]
    n_pages = max(1, math.ceil(len(products) / PER_PAGE))
    if not page_text.isdigit() or not 1 <= int(page_text) <= n_pages or not products:
        return pages.not_found()
    page = int(page_text)
    cards = []
    for p in products[(page - 1) * PER_PAGE : page * PER_PAGE]:
        href = f"/p/{p.sku}" if p.role == "duplicate" and category != "all" else f"/products/{p.slug}"
        cards.append(pages.card(shop, p, href))
    if shop.traps and category == "all" and page == 1:
        cards.append('<a class=card href="/products/gone-forever"><span>Archive: the 2019 trench</span></a>')
    links = "".join(f'<a href="/c/{category}?page={k}">{k}</a>' for k in range(1, n_pages + 1))
    if page < n_pages:
        links += f'<a rel=next href="/c/{category}?page={page + 1}">Next</a>'
    name = "New in" if category == "all" else NOUNS[category]
    body = f"<h1>{name}</h1><div class=grid>{''.join(cards)}</div><p class=pages>{links}</p>"
    title = f"{name} — page {page}" if page > 1 else name
    return pages.page(200, title, body, nav=nav(today), footer=footer(shop), base=shop.base_url)


def product(shop: DemoShop, today: Day, p: Product | None, private: bool) -> Response:
    if p is None or (p.role == "private") != private:
        return pages.not_found()
    if p.role in ("flaky_503", "rate_limited_429"):
        first_time = shop.first_time(p.sku)
        if first_time and p.role == "flaky_503":
            return pages.page(503, "Service unavailable", "<p>Please try again.</p>")
        if first_time:
            return pages.page(429, "Too many requests", "<p>Slow down.</p>", headers=(("Retry-After", "1"),))
    return product_page(shop, today, p)


def product_page(shop: DemoShop, today: Day, p: Product) -> Response:
    canonical = shop.canonical_url(p)
    specs = p.published_images
    urls = [shop.image_url(p, spec) for spec in specs]
    m = p.markup
    head = [
        f'<link rel="canonical" href="{canonical}">',
        f'<meta property="og:title" content="{html.escape(p.title)}">',
    ]
    gallery = "".join(f'<img src="{url}" alt="{html.escape(p.title)}">' for url in urls)
    shown_price = "Price on request" if m.format in ("no_price", "broken_jsonld") else pages.money(p.price)
    plain = (
        f'<p><a href="/">Home</a> / <a href="/c/{p.category}">{NOUNS[p.category]}</a></p>'
        f"<p class=designer>{html.escape(p.designer)}</p><h1>{html.escape(p.title)}</h1>"
        f"<p class=price>{shown_price}</p><p>{'In stock' if p.available else 'Sold out'}</p>"
        f"<div class=gallery>{gallery}</div><p>{html.escape(p.description)}</p>{pages.size_picker(p)}"
    )
    if m.format == "microdata":
        body = pages.microdata(shop, p, specs) + pages.size_picker(p)
    elif m.format == "opengraph":
        head += pages.opengraph(p, canonical, urls)
        body = plain
    elif m.format == "broken_jsonld":
        # Cut short by a template error: no JSON parser, lenient or not, can read it.
        whole = pages.jsonld(replace(p, markup=replace(m, format="offer")), canonical, urls, shop.base_url)
        text = pages.script(whole)
        head.append(text[: len(text) // 2] + "\n<!-- Liquid error: product.json -->\n</script>")
        body = plain
    else:
        head.append(pages.script(pages.jsonld(p, canonical, urls, shop.base_url)))
        body = plain
    return pages.page(200, p.title, body, head="".join(head), nav=nav(today), footer=footer(shop),
                      base=shop.base_url, headers=(("Last-Modified", pages.http_date(p.updated)),))  # fmt: skip


def sitemap_index(shop: DemoShop) -> bytes:
    files = ("products-1.xml", "products-2.xml.gz")
    entries = "".join(
        f"<sitemap><loc>{shop.base_url}/sitemaps/{name}</loc><lastmod>{shop.changed_on()}</lastmod></sitemap>"
        for name in files
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n'
    ).encode()
