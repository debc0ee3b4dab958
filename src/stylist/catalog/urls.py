"""Which URLs a crawl visits: canonical forms, scope within the shop's host, links out of HTML."""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from w3lib.url import canonicalize_url, url_query_cleaner

from stylist.errors import StylistError

# Query parameters that only track the visitor: two URLs differing in them are the same page.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
    "gclid", "fbclid", "msclkid", "mc_cid", "mc_eid", "_ga", "ref", "ref_", "srsltid",
)
NOT_PAGES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".ico", ".css", ".js", ".pdf", ".zip",
    ".mp4", ".webm", ".mp3", ".woff", ".woff2", ".ttf", ".xml.gz",
)


def canonical(url: str) -> str:
    """One spelling per page: no fragment, no tracking parameters, sorted query, normalised escapes."""
    return canonicalize_url(url_query_cleaner(url, TRACKING_PARAMS, remove=True, keep_fragments=False))


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def in_scope(url: str, host: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
        return False
    return not parts.path.lower().endswith(NOT_PAGES)


def page_links(html: str, base_url: str) -> list[str]:
    """Absolute URLs of the page's <a href> links, honouring <base href>."""
    selector = Selector(text=html)
    base = selector.css("base::attr(href)").get()
    base_url = urljoin(base_url, base) if base else base_url
    links = []
    for href in selector.css("a::attr(href)").getall():
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        links.append(urljoin(base_url, href))
    return links


def shop_url(text: str) -> str:
    """The start URL of a shop as typed by a person, checked: http(s), a real-looking host; https if no scheme."""
    typed = text = text.strip()
    if "://" not in text:
        if text.lower().startswith(("http:", "https:", "http/", "https/")):
            raise StylistError(f"{typed!r} is not a shop URL: did you mean {text.split(':', 1)[0].split('/', 1)[0]}://...?")
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise StylistError(f"{typed!r} is not a shop URL: only http:// and https:// shops can be crawled")
    try:
        host = parts.hostname
        _ = parts.port  # raises ValueError when the port is not a number
    except ValueError:
        host = None
    if not host or not _looks_like_host(host) or parts.netloc.endswith(":"):
        raise StylistError(f"{typed!r} is not a shop URL (expected something like https://shop.example)")
    return text


def _looks_like_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return len(labels) >= 2 and all(label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels)
