"""Prices as a person reads them: one currency format for every price and total, written by Babel, and what
an option costs. The page formats them in the browser's locale (web/money.py), the CLI and the demo in English.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from babel import Locale
from babel.numbers import format_currency

DEFAULT_LOCALE = "en"


def money(amount: float | None, currency: str | None, locale: Locale) -> str:
    if amount is None or not currency:
        return ""
    return format_currency(amount, currency.upper(), locale=locale)


def total(products: Iterable[dict[str, Any]], locale: Locale, budget: float | None) -> dict[str, Any]:
    """What an option costs: an amount per currency (the catalog stores no exchange rates) and its text,
    and whether it is within the look's budget (None when there was none)."""
    sums: dict[str, float] = defaultdict(float)
    for product in products:
        if product.get("price") is not None and product.get("currency"):
            sums[product["currency"].upper()] += product["price"]
    amounts: list[dict[str, Any]] = [{"amount": round(amount, 2), "currency": currency}
                                     for currency, amount in sorted(sums.items())]
    # Nothing priced is neither within a budget nor over it.
    within = None if budget is None or not amounts else all(each["amount"] <= budget + 1e-9 for each in amounts)
    return {"amounts": amounts, "text": " + ".join(money(each["amount"], each["currency"], locale) for each in amounts),
            "within_budget": within}


def amount_text(amount: float, currency: str | None) -> str:
    """An amount as the CLI and the looks' notes write it, in English: by Babel where its currency is known,
    else the bare number (a budget given without one)."""
    return money(amount, currency, Locale.parse(DEFAULT_LOCALE)) if currency else f"{amount:g}"
