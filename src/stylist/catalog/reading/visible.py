"""The product a page shows to people, for pages whose markup says nothing or too little.

Reads the heading, the price shown after it (not a struck-through one), the buy button and stock words,
and the page's product images, and says how sure it is: a wrong price is worse than none.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from stylist.catalog.reading.fields import absolute_url, clean_text, parse_money, unique
from stylist.catalog.reading.records import Record

# Class, id or itemprop fragments that mark the price a buyer pays, and those that mark another price.
PRICE_MARKS = ("price", "preis", "prix", "precio", "prezzo", "amount")
OTHER_PRICE_MARKS = ("old", "was", "regular", "before", "strike", "compare", "list", "rrp", "original",
                     "save", "saving", "discount", "per-unit", "unit-price", "range", "shipping", "delivery",
                     "instalment", "installment", "monthly", "klarna", "points")
STRUCK_TAGS = {"del", "s", "strike"}
BUY_WORDS = ("add to cart", "add to bag", "add to basket", "buy now", "in den warenkorb", "ajouter au panier",
             "añadir al carrito", "aggiungi al carrello", "in winkelwagen", "adicionar ao carrinho",
             "añadir a la cesta", "add to trolley", "lägg i varukorgen")
SOLD_OUT_WORDS = ("out of stock", "sold out", "currently unavailable", "ausverkauft", "épuisé", "agotado",
                  "esaurito", "niet op voorraad", "esgotado", "slutsåld")
NEAR = 400  # elements after the heading within which the product's own price is looked for
MAX_PRICE_TEXT = 40  # longer texts are blocks holding several prices, not a price
MIN_ALT = 8  # shorter alt texts ("Logo", "Zoom") match too many titles
MAX_IMAGES = 8
ENOUGH = 0.8  # confidence from which a visible reading stands as a product on its own
MAX_BUY_BUTTONS = 3  # a product page has one, or one per form factor (sticky bar, mobile)


def read_visible(tree: HtmlElement, page_url: str) -> Record | None:
    """The product the page shows, or None when it shows no heading and price it can be sure of."""
    elements = [el for el in tree.iter() if isinstance(el.tag, str)]
    position = {el: index for index, el in enumerate(elements)}
    heading = next((el for el in tree.iter("h1") if clean_text(el.text_content())), None)
    title = clean_text(heading.text_content()) if heading is not None else ""
    if not title:
        return None
    start = position[heading]
    buttons = [el for el in elements if el.tag in ("button", "input", "a") and _says(el, BUY_WORDS)]
    if len(buttons) > MAX_BUY_BUTTONS:
        return None  # a listing: every tile has its own button
    buy = buttons[0] if buttons else None
    prices = [(index, el) for index, el in enumerate(elements) if _is_price_element(el)]
    near = [(index, el) for index, el in prices if start <= index <= start + NEAR]
    chosen = None
    for _, element in near or prices[:1]:
        amount, symbol = parse_money(clean_text(element.text_content()))
        if amount is not None and amount > 0:
            chosen = (amount, symbol)
            break
    if chosen is None:
        return None
    # a page without a buy button may show a product, but too often it is a listing or an article
    confidence = 0.3 + 0.2 * bool(near) + 0.3 * (buy is not None) + 0.1 * bool(chosen[1])
    body_text = clean_text(tree.text_content()).lower()
    sold_out = any(word in body_text for word in SOLD_OUT_WORDS)
    available = True if buy is not None and not _disabled(buy) else (False if sold_out else None)
    return Record(syntax="visible", title=title, price=chosen[0], symbol=chosen[1], available=available,
                  image_urls=_images(tree, page_url, title), confidence=round(min(confidence, 0.9), 2))


def _says(element: HtmlElement, words: tuple[str, ...]) -> bool:
    text = " ".join([clean_text(element.text_content()), element.get("value") or "",
                     element.get("aria-label") or "", element.get("title") or ""]).lower()
    return any(word in text for word in words)


def _disabled(element: HtmlElement) -> bool:
    return element.get("disabled") is not None or element.get("aria-disabled") == "true"


def _is_price_element(element: HtmlElement) -> bool:
    marks = " ".join(element.get(name) or "" for name in ("class", "id", "itemprop", "data-testid")).lower()
    if not any(mark in marks for mark in PRICE_MARKS) or any(mark in marks for mark in OTHER_PRICE_MARKS):
        return False
    # a struck-through price is the old one; a price inside a link is another product's tile
    if element.tag in STRUCK_TAGS or any(parent.tag in STRUCK_TAGS | {"a"} for parent in element.iterancestors()):
        return False
    text = clean_text(element.text_content())
    return 0 < len(text) <= MAX_PRICE_TEXT and any(ch.isdigit() for ch in text)


def _images(tree: HtmlElement, page_url: str, title: str) -> list[str]:
    """og:image and `<link rel="image_src">` (the pictures the shop names as the page's), else the
    pictures whose alt text is the product's name."""
    named = [meta.get("content") or "" for meta in tree.iter("meta")
             if (meta.get("property") or meta.get("name") or "").lower() in ("og:image", "og:image:url")]
    named += [link.get("href") or "" for link in tree.iter("link") if (link.get("rel") or "").lower() == "image_src"]
    if not any(named):
        name = title.casefold()
        named = [img.get("data-old-hires") or img.get("data-src") or img.get("src") or "" for img in tree.iter("img")
                 if len(alt := clean_text(img.get("alt") or "").casefold()) >= MIN_ALT and (alt in name or name in alt)]
    return unique(absolute_url(page_url, url) for url in named)[:MAX_IMAGES]
