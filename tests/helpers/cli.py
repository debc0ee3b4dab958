"""The stylist command run as a user runs it, and its one-sentence errors."""

from __future__ import annotations

import os
import subprocess
import sys


def stylist(data_dir, *args):
    env = {**os.environ, "STYLIST_DATA_DIR": str(data_dir), "STYLIST_PRESET": "tiny"}
    return subprocess.run([sys.executable, "-m", "stylist", *args], check=False, env=env, capture_output=True,
                          text=True, timeout=120)


def assert_one_line_error(result) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]
