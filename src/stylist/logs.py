"""Logging for the long-running commands (serve, worker): our own INFO lines and every library's warnings.

Libraries log their chatter at INFO (faiss tries an AVX512 build first, open_clip says it is "Parsing
tokenizer identifier"), on their own loggers or the root one. The root logger is set to WARNING, so that
chatter is dropped where it is made while real warnings still come through; only the loggers named here
speak at INFO.
"""

from __future__ import annotations

import logging

SPEAKING = ("stylist", "waitress")


def configure_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for name in SPEAKING:
        logging.getLogger(name).setLevel(logging.INFO)
