"""Handlers that `stylist worker` processes load in serve tests (STYLIST_JOB_HANDLERS=tests.web.serve_handlers)."""

from tests.web.conftest import fast_train

HANDLERS = {"train": fast_train}
