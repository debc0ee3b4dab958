"""Currencies shops leave implicit: a symbol in the price text, the page's locale, or both together.

A symbol such as "$" or "kr" is shared by many currencies; the page's country settles which one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml.html import HtmlElement

# Symbols (as price-parser returns them) that name one currency wherever they appear.
UNAMBIGUOUS_SYMBOLS = {
    "£": "GBP", "€": "EUR", "₹": "INR", "rs": "INR", "zł": "PLN", "₺": "TRY", "₽": "RUB", "руб": "RUB",
    "₩": "KRW", "r$": "BRL", "chf": "CHF", "kč": "CZK", "ft": "HUF", "lei": "RON", "лв": "BGN", "₪": "ILS",
    "₫": "VND", "฿": "THB", "₱": "PHP", "rm": "MYR", "rp": "IDR", "us$": "USD", "c$": "CAD", "ca$": "CAD",
    "a$": "AUD", "au$": "AUD", "nz$": "NZD", "hk$": "HKD", "s$": "SGD", "mx$": "MXN", "₴": "UAH", "zar": "ZAR",
    "د.إ": "AED", "ر.س": "SAR", "﷼": "SAR", "kn": "HRK",
}
# Symbols several currencies share: the page's country decides; the first is taken when it cannot.
SHARED_SYMBOLS = {
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "ARS", "CLP", "COP", "TWD", "UYU"),
    "kr": ("SEK", "NOK", "DKK", "ISK"),
    "kr.": ("DKK", "SEK", "NOK", "ISK"),
    "¥": ("JPY", "CNY"),
    "元": ("CNY",),
    "r": ("ZAR",),
}
# Country (ISO 3166 alpha-2) to the currency its shops price in.
COUNTRY_CURRENCIES = {
    "us": "USD", "gb": "GBP", "uk": "GBP", "ie": "EUR", "de": "EUR", "at": "EUR", "fr": "EUR", "be": "EUR",
    "nl": "EUR", "lu": "EUR", "it": "EUR", "es": "EUR", "pt": "EUR", "fi": "EUR", "gr": "EUR", "ee": "EUR",
    "lv": "EUR", "lt": "EUR", "sk": "EUR", "si": "EUR", "mt": "EUR", "cy": "EUR", "hr": "EUR", "ch": "CHF",
    "li": "CHF", "se": "SEK", "no": "NOK", "dk": "DKK", "is": "ISK", "pl": "PLN", "cz": "CZK", "hu": "HUF",
    "ro": "RON", "bg": "BGN", "tr": "TRY", "ru": "RUB", "ua": "UAH", "ca": "CAD", "au": "AUD", "nz": "NZD",
    "sg": "SGD", "hk": "HKD", "mx": "MXN", "ar": "ARS", "cl": "CLP", "co": "COP", "br": "BRL", "pe": "PEN",
    "uy": "UYU", "jp": "JPY", "cn": "CNY", "tw": "TWD", "kr": "KRW", "in": "INR", "id": "IDR", "my": "MYR",
    "th": "THB", "ph": "PHP", "vn": "VND", "za": "ZAR", "il": "ILS", "ae": "AED", "sa": "SAR", "qa": "QAR",
    "kw": "KWD", "eg": "EGP",
}
# Languages spoken in one currency area only, for locales that name no country ("fr", "de").
LANGUAGE_CURRENCIES = {
    "fi": "EUR", "et": "EUR", "lv": "EUR", "lt": "EUR", "sk": "EUR", "sl": "EUR", "el": "EUR", "ja": "JPY",
    "pl": "PLN", "cs": "CZK", "hu": "HUF", "ro": "RON", "bg": "BGN", "sv": "SEK", "da": "DKK", "nb": "NOK",
    "no": "NOK", "ko": "KRW", "th": "THB", "vi": "VND", "he": "ILS", "uk": "UAH",
}


# Country domains that shops everywhere buy as short names (.co, .io, .me); they say nothing of a country.
GENERIC_COUNTRY_DOMAINS = {"co", "io", "me", "tv", "ai", "ly", "fm", "to", "cc", "ws", "am", "gg", "is", "la", "st"}


def locale_currency(locale: str) -> str:
    """The currency of a locale such as "en_GB", "fr-BE" or "fi"; empty when the locale does not settle it."""
    parts = locale.strip().lower().replace("_", "-").split("-")
    if len(parts) >= 2 and parts[-1] in COUNTRY_CURRENCIES:
        return COUNTRY_CURRENCIES[parts[-1]]
    return LANGUAGE_CURRENCIES.get(parts[0], "") if len(parts) == 1 else ""


def symbol_currency(symbol: str, page_currency: str = "") -> str:
    """The ISO code a price's currency symbol stands for, the page's own currency settling shared symbols."""
    key = symbol.strip().lower()
    if len(key) == 3 and key.isalpha() and key.isascii():
        return key.upper()
    if key in UNAMBIGUOUS_SYMBOLS:
        return UNAMBIGUOUS_SYMBOLS[key]
    shared = SHARED_SYMBOLS.get(key, ())
    if page_currency in shared:
        return page_currency
    return shared[0] if shared else ""


def page_currency(tree: HtmlElement, page_url: str) -> str:
    """The currency the page's own locale implies: og:locale, then `<html lang>`, then its own hreflang."""
    locales = [meta.get("content") or "" for meta in tree.iter("meta")
               if (meta.get("property") or meta.get("name") or "").lower() == "og:locale"]
    locales.append(tree.getroottree().getroot().get("lang") or "")
    locales += [link.get("hreflang") or "" for link in tree.iter("link")
                if "alternate" in (link.get("rel") or "").lower() and link.get("href") == page_url]
    currency = next(filter(None, map(locale_currency, locales)), "")
    return currency or COUNTRY_CURRENCIES.get(_country_domain(page_url), "")


def _country_domain(url: str) -> str:
    """The country of a URL's top-level domain (shop.com.ar → "ar"), except those sold as generic names."""
    label = (urlsplit(url).hostname or "").rsplit(".", 1)[-1]
    return "" if label in GENERIC_COUNTRY_DOMAINS else label
