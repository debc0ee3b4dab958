"""The long-running commands' logs: library chatter dropped where it is made, real warnings and our lines kept."""

from __future__ import annotations

import logging

from stylist.logs import SPEAKING, configure_logging


def test_library_info_is_dropped_and_warnings_kept():
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in SPEAKING}
    try:
        configure_logging()
        # faiss's AVX512 attempt and open_clip's "Parsing tokenizer" are INFO on their loggers and the root one.
        assert not logging.getLogger("faiss.loader").isEnabledFor(logging.INFO)
        assert not root.isEnabledFor(logging.INFO)
        assert logging.getLogger("faiss.loader").isEnabledFor(logging.WARNING)
        assert logging.getLogger("stylist.worker").isEnabledFor(logging.INFO)
        assert logging.getLogger("waitress").isEnabledFor(logging.INFO)
    finally:
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)
