"""What the demo shop's answers are made of: the HTML frame, product cards, the structured data real shops
publish (JSON-LD in its many spellings, microdata, OpenGraph), sitemaps and images; both storefronts use them.
"""

from __future__ import annotations

import email.utils
import html
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from stylist.demo.catalogue import NOUNS, SHOP_NAME, ImageSpec, Product
from stylist.demo.drawing import render_image

if TYPE_CHECKING:
    from stylist.demo.shop import DemoShop


class Response(NamedTuple):
    """One answer of the shop, as the server sends it."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


_CSS = """
body{font-family:Georgia,serif;margin:0;color:#222;background:#faf8f5}
header,footer{padding:1rem 2rem;display:flex;gap:1rem;flex-wrap:wrap;align-items:baseline}
header{border-bottom:1px solid #ddd}footer{border-top:1px solid #ddd;color:#777;margin-top:2rem}
header .logo{font-size:1.5rem;font-weight:bold;margin-right:1.5rem;text-decoration:none}
a{color:inherit}main{padding:1rem 2rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:1.4rem}
.card{display:block;text-decoration:none}.card img{width:100%;aspect-ratio:3/4;object-fit:contain;background:#fff}
.card span{display:block}.designer{text-transform:uppercase;letter-spacing:.08em;font-size:.8rem}
.gallery img{height:320px;margin:0 .5rem .5rem 0;background:#fff}.price{font-weight:bold}
.pages a{margin-right:.6rem}
"""


def page(
    status: int,
    title: str,
    body: str,
    head: str = "",
    nav: str = "",
    footer: str = "",
    base: str = "",
    headers: tuple[tuple[str, str], ...] = (),
) -> Response:
    organisation = script(
        {"@context": "https://schema.org", "@type": "Organization", "name": SHOP_NAME, "url": f"{base}/"}
    )
    document = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · {SHOP_NAME}</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style>{organisation}{head}'
        f'</head><body id=top><header><a class=logo href="/">{SHOP_NAME}</a>{nav}</header><main>{body}</main>'
        f"<footer>{footer}</footer></body></html>\n"
    )
    return Response(status, "text/html; charset=utf-8", document.encode(), headers)


def not_found() -> Response:
    return page(404, "Not found", "<h1>Not found</h1><p>This page does not exist any more.</p>")


def text_response(text: str) -> Response:
    return Response(200, "text/plain; charset=utf-8", text.encode())


def xml_response(data: bytes) -> Response:
    return Response(200, "application/xml", data)


def json_response(data: Any) -> Response:
    return Response(200, "application/json; charset=utf-8", json.dumps(data, ensure_ascii=False).encode())


def card(shop: DemoShop, p: Product, href: str) -> str:
    thumb = shop.image_url(p, p.images[0])
    price = money(p.price) if p.available else "Sold out"
    return (
        f'<a class=card href="{html.escape(href)}"><img src="{thumb}" alt="{html.escape(p.title)}" loading=lazy>'
        f"<span class=designer>{html.escape(p.designer)}</span><span>{html.escape(p.title)}</span>"
        f"<span class=price>{price}</span></a>"
    )


def http_date(day: str) -> str:
    """A catalogue date ("2024-05-01") as HTTP writes dates (Last-Modified)."""
    when = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
    return email.utils.format_datetime(when, usegmt=True)


def money(price: float) -> str:
    return f"€{price:,.2f}"


def sitemap(shop: DemoShop, products: list[Product]) -> bytes:
    # The private product is listed too: a polite crawler checks sitemap URLs against robots.txt.
    entries = "".join(
        f"<url><loc>{html.escape(shop.canonical_url(p))}</loc><lastmod>{p.updated}</lastmod></url>\n"
        for p in products
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n'
    ).encode()


_MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}


def image_response(shop: DemoShop, sku: str, name: str) -> Response:
    p = shop.pictures.get(sku)
    spec = next((s for s in p.images if s.file_name == name), None) if p else None
    if p is None or spec is None:
        return not_found()
    cache = (("Cache-Control", "public, max-age=31536000"),)
    return Response(200, _MEDIA_TYPES[spec.fmt], render_image(p, spec), cache)


def script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def availability(in_stock: bool, spelling: str) -> str:
    word = "InStock" if in_stock else "OutOfStock"
    return {"https": f"https://schema.org/{word}", "http": f"http://schema.org/{word}", "bare": word}[spelling]


def size_code(size: str) -> str:
    return "OS" if size == "One size" else size


def jsonld(p: Product, canonical: str, image_urls: list[str], base: str) -> dict[str, Any]:
    """The JSON-LD document of a page in one of the JSON-LD formats."""
    m = p.markup

    def price(value: float) -> float | str:
        return f"{value:.2f}" if m.price_as_text else value

    if m.image == "string":
        image: Any = image_urls[0]
    elif m.image == "object":
        image = [
            {"@type": "ImageObject", "url": url, "width": spec.width, "height": spec.height}
            for url, spec in zip(image_urls, p.published_images)
        ]
    else:
        image = image_urls
    common = {
        "name": p.title,
        "description": p.description,
        "brand": p.designer if m.brand == "text" else {"@type": "Brand", "name": p.designer},
        "image": image,
        "color": p.color,
        "category": NOUNS[p.category],
        "url": canonical,
        # the maker's numbers, where the shop publishes them: how other shops' listings of it are found
        **({"gtin13": p.gtin} if p.gtin else {}),
        **({"mpn": p.mpn} if p.mpn else {}),
    }
    offer = {
        "@type": "Offer",
        "url": canonical,
        "price": price(p.price),
        "priceCurrency": p.currency,
        "availability": availability(p.available, m.availability),
        "itemCondition": "https://schema.org/NewCondition",
    }
    if m.format == "group":
        variants = [
            {
                "@type": "Product",
                "sku": f"{p.sku}-{size_code(size)}",
                "name": f"{p.title} - {size}",
                "size": size,
                "image": image_urls[k % len(image_urls)],
                "offers": {**offer, "url": f"{canonical}?size={size_code(size)}",
                           "availability": availability(in_stock, m.availability)},
            }
            for k, (size, in_stock) in enumerate(zip(p.sizes, p.in_stock))
        ]  # fmt: skip
        return {
            "@context": "https://schema.org",
            "@type": "ProductGroup",
            "productGroupID": p.sku,
            **common,
            "variesBy": ["https://schema.org/size"],
            "hasVariant": variants,
        }
    product: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "sku": p.sku, **common}
    if m.format == "aggregate":
        product["offers"] = {
            "@type": "AggregateOffer",
            "lowPrice": price(p.price),
            "highPrice": price(float(round(p.price * 1.15 / 5) * 5)),
            "priceCurrency": p.currency,
            "offerCount": len(p.sizes),
            "availability": availability(p.available, m.availability),
        }
    elif m.format == "offers":
        product["offers"] = [
            {**offer, "sku": f"{p.sku}-{size_code(size)}", "name": size,
             "url": f"{canonical}?size={size_code(size)}", "availability": availability(in_stock, m.availability)}
            for size, in_stock in zip(p.sizes, p.in_stock)
        ]  # fmt: skip
    elif m.format == "no_price":
        product["offers"] = {key: value for key, value in offer.items() if key != "price"}
    else:
        product["offers"] = offer
    if m.format != "graph":
        return product
    del product["@context"]
    product["@id"] = f"{canonical}#product"
    crumbs = [("Home", f"{base}/"), (NOUNS[p.category], f"{base}/c/{p.category}"), (p.title, canonical)]
    return {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": f"{canonical}#webpage", "url": canonical, "name": p.title,
             "breadcrumb": {"@id": f"{canonical}#breadcrumb"}, "mainEntity": {"@id": f"{canonical}#product"}},
            product,
            {"@type": "BreadcrumbList", "@id": f"{canonical}#breadcrumb",
             "itemListElement": [{"@type": "ListItem", "position": i + 1, "name": name, "item": url}
                                 for i, (name, url) in enumerate(crumbs)]},
        ],
    }  # fmt: skip


def microdata(shop: DemoShop, p: Product, specs: tuple[ImageSpec, ...]) -> str:
    m = p.markup
    designer = html.escape(p.designer)
    if m.brand == "text":
        brand = f'<p class=designer itemprop="brand">{designer}</p>'
    else:
        brand = (
            '<p class=designer itemprop="brand" itemscope itemtype="http://schema.org/Brand">'
            f'<span itemprop="name">{designer}</span></p>'
        )
    # Protocol-relative image URLs, as some shops write them: a crawler must resolve them.
    relative = [shop.image_url(p, spec).removeprefix("http:") for spec in specs]
    gallery = "".join(f'<img itemprop="image" src="{url}" alt="{html.escape(p.title)}">' for url in relative)
    stock = f"http://schema.org/{'InStock' if p.available else 'OutOfStock'}"
    makers = (f'<meta itemprop="gtin13" content="{p.gtin}">' if p.gtin else "") + (
        f'<meta itemprop="mpn" content="{html.escape(p.mpn)}">' if p.mpn else "")
    return (
        '<section itemscope itemtype="http://schema.org/Product">'
        f'{brand}<h1 itemprop="name">{html.escape(p.title)}</h1><meta itemprop="sku" content="{p.sku}">{makers}'
        f'<div class=gallery>{gallery}</div><p itemprop="description">{html.escape(p.description)}</p>'
        '<div itemprop="offers" itemscope itemtype="http://schema.org/Offer">'
        f'<p class=price><span itemprop="priceCurrency" content="{p.currency}">€</span>'
        f'<span itemprop="price" content="{p.price:.2f}">{p.price:,.2f}</span></p>'
        f'<link itemprop="availability" href="{stock}">{"In stock" if p.available else "Sold out"}'
        "</div></section>"
    )


def size_picker(p: Product) -> str:
    """The size buttons a shopper picks from, as product pages show them: a sold-out size is disabled."""
    buttons = "".join(
        f'<label><input type="radio" name="size" value="{html.escape(size)}"{"" if ok else " disabled"}>'
        f"{html.escape(size)}{'' if ok else ' (sold out)'}</label>"
        for size, ok in zip(p.sizes, p.in_stock))  # fmt: skip
    return f'<fieldset class="size-selector" aria-label="Choose a size"><legend>Size</legend>{buttons}</fieldset>'


def opengraph(p: Product, canonical: str, image_urls: list[str]) -> list[str]:
    tags = [
        ("og:type", "product"),
        ("og:url", canonical),
        ("og:description", p.description),
        ("og:site_name", SHOP_NAME),
        *(("og:image", url) for url in image_urls),
        ("product:brand", p.designer),
        ("product:price:amount", f"{p.price:.2f}"),
        ("product:price:currency", p.currency),
        ("product:availability", "in stock" if p.available else "out of stock"),
        ("product:retailer_item_id", p.sku),
    ]
    return [f'<meta property="{name}" content="{html.escape(value)}">' for name, value in tags]
