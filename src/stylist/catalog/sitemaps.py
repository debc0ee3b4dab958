"""Sitemaps and sitemap indexes (sitemaps.org), plain or gzipped."""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass, field

from lxml import etree

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the protocol's own limit, uncompressed


@dataclass
class Sitemap:
    pages: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # children of a sitemap index
    # <lastmod> of the pages and children that give one, as written: a refresh compares it with the one
    # it saw when it last fetched the page, so its format never has to be parsed
    lastmod: dict[str, str] = field(default_factory=dict)


def parse_sitemap(content: bytes) -> Sitemap:
    """Read a <urlset> or <sitemapindex>; raises ValueError for anything else."""
    if content[:2] == b"\x1f\x8b":
        try:
            content = _gunzip(content)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError("the gzipped sitemap is corrupt") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError("the sitemap is not valid XML") from exc
    kind = etree.QName(root).localname
    locs = [loc.text.strip() for loc in root.iter("{*}loc") if loc.text and loc.text.strip()]
    lastmod = {}
    for entry in root.iterchildren("{*}url", "{*}sitemap"):
        loc, modified = entry.findtext("{*}loc"), entry.findtext("{*}lastmod")
        if loc and loc.strip() and modified and modified.strip():
            lastmod[loc.strip()] = modified.strip()
    if kind == "urlset":
        return Sitemap(pages=locs, lastmod=lastmod)
    if kind == "sitemapindex":
        return Sitemap(sitemaps=locs, lastmod=lastmod)
    raise ValueError(f"a <{kind}> document is not a sitemap")


def _gunzip(content: bytes) -> bytes:
    # Read in bounded pieces so a gzip bomb cannot take the machine's memory.
    with gzip.GzipFile(fileobj=io.BytesIO(content)) as stream:
        data = stream.read(MAX_SITEMAP_BYTES + 1)
    if len(data) > MAX_SITEMAP_BYTES:
        raise OSError("sitemap too large")
    return data
