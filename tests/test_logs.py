"""The long-running commands' logs: library chatter dropped where it is made, real warnings and our lines kept."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

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


# Stands in for bitsandbytes on a processor with AVX512-BF16: when a command first imports torch (as diffusers,
# transformers and open_clip do inside it), a library logs its import-time warning, whatever this processor is.
WARNS_ON_IMPORT = """
import importlib.abc, logging, sys
from stylist.cli import main

class Warner(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            sys.meta_path.remove(self)
            logging.getLogger("bitsandbytes.backends.cpu.ops").warning(
                "Failed to load CPU gemm_4bit_forward from kernels-community: No module named 'kernels'")
        return None

sys.meta_path.insert(0, Warner())
main(sys.argv[1:])
"""


def test_a_library_warning_at_import_stays_out_of_a_commands_one_error_line(tmp_path):
    env = {**os.environ, "STYLIST_DATA_DIR": str(tmp_path / "data"), "STYLIST_PRESET": "tiny"}
    result = subprocess.run([sys.executable, "-c", WARNS_ON_IMPORT, "clip", "search", "red dress"], check=False,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: the catalog has no purchasable products: crawl a shop first (stylist catalog crawl URL)"]

