"""Whether a name says "size": option names in feeds, class names and captions of size pickers.

Shops name the size in their own language and glue words together ("shoeSize", "size_selector", "US Size"),
so a name is split into words first and each word is compared with the word for size in several languages.
"""

from __future__ import annotations

import re

SIZE_WORDS = {"size", "sizes", "taille", "tailles", "größe", "grösse", "groesse", "größen", "talla", "tallas",
              "taglia", "taglie", "maat", "maten", "storlek", "tamanho", "tamanhos", "rozmiar", "koko"}
# Words that make a size-named thing a guide or a chart about sizes rather than a choice of one.
GUIDE_WORDS = {"guide", "guides", "chart", "charts", "table", "tables", "guia", "guida", "tabelle", "tableau",
               "tabla", "finder", "advice", "recommender", "recommendation", "calculator"}
# "One size" and its translations are sizes, although they say "size".
ONE_SIZE_WORDS = {"one", "unique", "unica", "única", "unico", "único", "uni", "einheitsgröße", "onesize", "os"}

# a lower-case run after an upper-case letter ends a word: "shoeSize" → "shoe", "Size"
_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Ý])")
_NOT_LETTERS = re.compile(r"[^\wÀ-ÿ]+|[\d_]+")


def words(name: str) -> list[str]:
    """The lower-case words of a name as code and captions write it ("product-size _sizeInput" → 4 words)."""
    return [word for word in _NOT_LETTERS.split(_CAMEL.sub(" ", name).lower()) if word]


def says_size(*names: str) -> bool:
    """Whether any of the names has the word size in it, and is not a size guide or chart."""
    found = {word for name in names for word in words(name)}
    return bool(found & SIZE_WORDS) and not found & GUIDE_WORDS


def is_one_size(text: str) -> bool:
    return bool(set(words(text)) & ONE_SIZE_WORDS)


def is_size_prompt(text: str) -> bool:
    """A caption asking for a size ("Choose a size", "Größe wählen") rather than naming one ("One size")."""
    return bool(set(words(text)) & SIZE_WORDS) and not is_one_size(text)
