"""The shopper's locale for prices: the browser's first language Babel knows (Accept-Language), English
otherwise, so that one page writes every amount the same way whatever shop it came from (stylist/money.py).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import request

from stylist.money import DEFAULT_LOCALE


def shopper_locale() -> Locale:
    for language, _ in request.accept_languages:
        try:
            return Locale.parse(language, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(DEFAULT_LOCALE)
