"""Errors a user can cause; the CLI prints them as one line and exits non-zero."""

from __future__ import annotations

import errno


class StylistError(Exception):
    """A problem with the user's input or environment, worded as one sentence saying what to do."""


def cannot_listen(host: str, port: int, error: OSError) -> StylistError:
    """A server that could not open its port, in one sentence: a taken port named, with the way out."""
    if error.errno == errno.EADDRINUSE:
        return StylistError(f"port {port} on {host} is already in use: stop what listens there, or choose another "
                            f"port with --port (0 takes any free one)")
    return StylistError(f"cannot listen on {host}:{port}: {error.strerror or error}")
