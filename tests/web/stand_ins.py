"""The real job handlers over quick stand-in pipelines, through the handlers' own seam: the real pipelines load
torch and the whole model stack, seconds that API tests do not need (tests/worker runs the real ones)."""

from __future__ import annotations

from functools import partial

from stylist.jobs.queue import LOOKS, TRAIN, VIDEO
from stylist.worker import handlers
from stylist.worker.handlers import HANDLERS
from tests.web import fake_pipelines
from tests.web.serve_handlers import fast_train
from tests.worker import handlers as test_handlers

STAND_INS = {**HANDLERS, **test_handlers.HANDLERS, TRAIN: fast_train,
             LOOKS: partial(handlers.looks, make_look=fake_pipelines.style),
             VIDEO: partial(handlers.video, make_spin=fake_pipelines.make_spin)}
