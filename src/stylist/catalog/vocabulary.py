"""The words of the catalog, for correcting a query's typos: which of its words the catalog uses, and for the
others the catalog words that could be meant.

On SQLite the FTS5 vocabulary table (product_terms) is the whole answer and is small enough to read whole.
On PostgreSQL a word the catalog uses is asked of the search index itself (GIN, so always current), and the
words that could be meant come from `product_words`: each word of the index with the number of products using
it, behind a trigram index (pg_trgm), so a query reads a few candidates rather than every product's words.
`product_words` is filled again at the end of every crawl run (`refresh`), and once, before a query, when it
is empty (`fill_if_empty`: a new or copied catalog); the typo rule itself (lexical._nearest) then picks among
the candidates as it does on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, text

from stylist.databases import reading, writing

# Words of five letters or more share enough trigrams with their one- or two-edit typos to be found by
# similarity ("trosers" and "trousers": 0.55; "blsck" and "black": 0.33); shorter ones share too few ("cst"
# and "cat": 0.14) and are looked for among the words of about their length.
SIMILAR_FROM_LETTERS = 5
SIMILARITY = 0.2
WORD = r"[^\W_]+"  # letters and digits, as the index's tokenizer cuts words


def vocabulary(db: Connection, words: Iterable[str], most_edits: int = 2) -> dict[str, int]:
    """Catalog words with the number of products that use them: at least `words` that the catalog uses and the
    catalog words within `most_edits` letters of length of the others."""
    if db.dialect.name != "postgresql":
        rows = db.execute(text("SELECT term, doc FROM product_terms"))
        return {word: count for word, count in rows if re.fullmatch(WORD, word)}
    found: dict[str, int] = {}
    for word in set(words):
        if db.execute(text("SELECT EXISTS (SELECT 1 FROM products WHERE search @@ to_tsquery('simple', :word))"),
                      {"word": f"'{word}'"}).scalar():
            found[word] = 1
            continue
        near = {"word": word, "shortest": len(word) - most_edits, "longest": len(word) + most_edits}
        if len(word) >= SIMILAR_FROM_LETTERS:
            db.execute(text("SELECT set_config('pg_trgm.similarity_threshold', :limit, true)"),
                       {"limit": str(SIMILARITY)})
            rows = db.execute(text("SELECT word, ndoc FROM product_words WHERE word % :word "
                                   "AND length(word) BETWEEN :shortest AND :longest"), near)
        else:
            rows = db.execute(text("SELECT word, ndoc FROM product_words "
                                   "WHERE length(word) BETWEEN :shortest AND :longest"), near)
        found.update((candidate, count) for candidate, count in rows)
    return found


def fill_if_empty(engine: Engine) -> None:
    """Fill `product_words` when it is empty (a new or copied catalog), in a transaction of its own that is
    committed: a query's connection only reads."""
    if engine.dialect.name != "postgresql":
        return
    with reading(engine) as db:
        if not db.execute(text("SELECT NOT EXISTS (SELECT 1 FROM product_words)")).scalar():
            return
    with writing(engine) as db:
        _fill(db)


def refresh(db: Connection) -> None:
    """Fill `product_words` again from the search index (PostgreSQL; SQLite's FTS5 keeps its own)."""
    if db.dialect.name == "postgresql":
        _fill(db)


def _fill(db: Connection) -> None:
    # One refresh at a time: a second waits, then replaces what the first wrote instead of colliding with it.
    db.execute(text("SELECT pg_advisory_xact_lock(hashtext('stylist product words'))"))
    db.execute(text("DELETE FROM product_words"))
    # PostgreSQL's parser also keeps hyphenated words and host names whole; a query word is never one.
    db.execute(text("INSERT INTO product_words (word, ndoc) SELECT word, ndoc FROM ts_stat('SELECT search FROM "
                    "products') WHERE word ~ '^[[:alnum:]]+$'"))
