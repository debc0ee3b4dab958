"""Errors a user can cause; the CLI prints them as one line and exits non-zero."""


class StylistError(Exception):
    """A problem with the user's input or environment, worded as one sentence saying what to do."""
