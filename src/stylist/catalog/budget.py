"""Budgets written into prompts and searches ("under €300", "below $150", "max 200 EUR"), found and taken out.

In the catalog because both its lexical search and the looks read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR"}
CURRENCY_WORDS = {"eur": "EUR", "euro": "EUR", "euros": "EUR", "usd": "USD", "dollar": "USD", "dollars": "USD",
                  "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "chf": "CHF", "jpy": "JPY", "yen": "JPY"}
_SYMBOL = "|".join(map(re.escape, CURRENCY_SYMBOLS))
_WORD = "|".join(sorted(CURRENCY_WORDS, key=len, reverse=True))
_AMOUNT = r"\d{1,3}(?:[,.\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
# A limit word, then an amount with its currency before or after it: "under €300", "below 150 $",
# "max 200 EUR", "for less than 99.90 euros", "budget: £80".
_BUDGET = re.compile(
    rf"(?:,\s*)?\b(?:(?:for\s+)?(?:under|below|less\s+than|no\s+more\s+than|at\s+most|up\s+to|within|max(?:imum)?"
    rf"|budget(?:\s+of)?)\s*:?\s*)"
    rf"(?:(?P<before>{_SYMBOL})\s*|(?P<word_before>{_WORD})\s+)?(?P<amount>{_AMOUNT})"
    rf"(?:\s*(?P<after>{_SYMBOL})|\s+(?P<word_after>{_WORD})\b|(?P<k>k)\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Budget:
    amount: float
    currency: str | None  # ISO 4217 when the phrase named one; None means the catalog's own currencies

    def in_currency(self, currency: str) -> bool:
        """Whether a price in `currency` can be held against this budget: the catalog stores no exchange rates."""
        return not self.currency or currency.upper() == self.currency

    def allows(self, price: float | None, currency: str) -> bool:
        """Whether a product at `price` in `currency` fits within this budget."""
        return price is not None and price <= self.amount and self.in_currency(currency)


def parse_budget(prompt: str) -> tuple[Budget | None, str]:
    """The budget a prompt states, if any, and the prompt without that phrase (what the picture should show)."""
    match = _BUDGET.search(prompt)
    if match is None:
        return None, prompt
    amount = _number(match["amount"]) * (1000 if match["k"] else 1)
    symbol = match["before"] or match["after"]
    word = match["word_before"] or match["word_after"]
    currency = CURRENCY_SYMBOLS[symbol] if symbol else CURRENCY_WORDS[word.lower()] if word else None
    rest = (prompt[: match.start()] + prompt[match.end():]).strip(" ,;")
    return Budget(amount, currency), re.sub(r"\s+(?=[,;.])|(?<=\s)\s+", "", rest)


def _number(text: str) -> float:
    """'1,299.50', '1.299,50', '1 299' and '300' as numbers: the last separator followed by 1-2 digits is decimal."""
    text = re.sub(r"\s", "", text)
    decimal = re.search(r"[.,](\d{1,2})$", text)
    whole = text[: decimal.start()] if decimal else text
    value = float(re.sub(r"[.,]", "", whole))
    return value + (float(f"0.{decimal[1]}") if decimal else 0.0)
