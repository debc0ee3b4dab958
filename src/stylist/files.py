"""Files that appear whole: written beside their final path and moved into place in one step, so a reader in
another process (or the next run, after a crash) sees the old file or the new one, never half of one. And paths
as a record names them: one committed to the repository, never one machine's absolute folders; one kept in the
data directory, relative to it, so the directory can move."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path | str) -> Iterator[Path]:
    """A hidden path beside `path` to write the new file to, moved onto `path` when the block ends.

    It keeps `path`'s suffix, for writers that pick the format by it (Pillow, PyAV), and a random part, so
    two writers of one file never share it. If the block raises, it is deleted. The folder must exist.
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial{path.suffix}")
    try:
        yield partial
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_atomic(path: Path | str, data: bytes | str) -> None:
    """Write `data` (text as UTF-8) to `path` whole."""
    with replacing(path) as partial:
        partial.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def recorded_path(path: Path | str) -> str:
    """`path` as a result committed to the repository records it: relative to the working folder (the
    repository, where benchmarks run) when inside it, else its file name alone."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name


def data_relative(path: Path | str, data_dir: Path | str) -> str:
    """`path` as records in the data directory name it: relative to `data_dir`, with forward slashes; ValueError
    when it lies outside. Lexical, not resolved: images/ or users/ may be a symlink to another disk and what is
    under them still belongs here (and a page of products names dozens of paths)."""
    return Path(os.path.abspath(path)).relative_to(os.path.abspath(data_dir)).as_posix()
