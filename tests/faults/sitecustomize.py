"""Fault injection for the crash tests, outside the product: tests/procs.py puts this folder on the
``PYTHONPATH`` of the worker processes it means to kill, so Python imports this module at start-up
(``sitecustomize``). Once the Celery worker is initialised (before its pool forks), it wraps product
functions at the step boundaries the tests need; no production code path checks a test setting.

``FAULT_PAUSE_AT`` (JSON ``{"point": seconds}``): sleep before the step, logging "TEST HOOK: pausing",
so a test can SIGKILL the process exactly between two steps:
  ``after_claim``   file claimed into processing/, nothing committed (before ``inbox.inspect``);
  ``after_commit``  receipt committed, file not yet moved (before ``inbox.file_away``);
  ``processing``    Issue taken by an attempt, articles not yet stored (before ``pipeline.analyse``).
``FAULT_CRASH_SHA256``: the process about to analyse content with this sha256 SIGKILLs itself,
logging "TEST HOOK: issue …": a poison file that kills its worker every time.
"""

from __future__ import annotations

import functools
import json
import os

PAUSE_AT: dict[str, float] = json.loads(os.environ.get("FAULT_PAUSE_AT") or "{}")
CRASH_SHA256 = os.environ.get("FAULT_CRASH_SHA256")


def _pause(point: str):
    import logging
    import time

    seconds = PAUSE_AT.get(point)
    if seconds:
        logging.getLogger("tests.faults").warning("TEST HOOK: pausing %.1f s at %s", seconds, point)
        time.sleep(seconds)


def _before(module, name: str, hook) -> None:
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        hook(*args, **kwargs)
        return original(*args, **kwargs)

    setattr(module, name, wrapper)


def _crash_if_poison(data: bytes, *_args, **_kwargs) -> None:
    import hashlib
    import logging
    import signal

    if hashlib.sha256(data).hexdigest() == CRASH_SHA256:
        logging.getLogger("tests.faults").warning("TEST HOOK: issue with sha256 %s… is the poison file; "
                                                  "killing this process", CRASH_SHA256[:12])
        os.kill(os.getpid(), signal.SIGKILL)


def install(**_signal_kwargs) -> None:
    """Wrap the product functions named above (module globals, looked up at each call)."""
    from worker import pipeline
    from worker.intake import inbox

    if "after_claim" in PAUSE_AT:
        _before(inbox, "inspect", lambda *a, **k: _pause("after_claim"))
    if "after_commit" in PAUSE_AT:
        _before(inbox, "file_away", lambda *a, **k: _pause("after_commit"))
    if "processing" in PAUSE_AT:
        _before(pipeline, "analyse", lambda *a, **k: _pause("processing"))
    if CRASH_SHA256:
        _before(pipeline, "analyse", _crash_if_poison)


if PAUSE_AT or CRASH_SHA256:
    from celery.signals import worker_init

    worker_init.connect(install, weak=False)
