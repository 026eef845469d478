"""Ship what earlier processes left in the spool, from the next process's start.

A dump that could not be uploaded as its process died stays in the spool; the
next process started with the same ``PYDUMPLING_DIR`` uploads it. This module
is imported at interpreter start when ``PYDUMPLING_DIR`` is a URL, so it
imports only builtins and ``spool`` at load: looking for leftovers costs one
``scandir`` of a (usually missing) directory on the main thread; the upload
itself (``ship``, then fsspec) runs in a ``_thread`` thread (``threading`` costs
~5 ms to import), and the interpreter gives it up to the upload budget at exit.
"""

from __future__ import annotations

import os

from . import spool

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at every interpreter start
    from typing import Any

RETRY_DELAY = 1.0
"""Seconds the start-up retry waits before it imports fsspec and its backend: hundreds of
milliseconds of work under the GIL that must not slow the application's own start.
An exiting process (or ``--ship``) lets it go at once."""
_retrying: list = []
shipped_at_start: list = []
"""``(destination, url)`` of what this process's start-up retry uploaded, for ``--ship``."""


def retry_at_start(settings: Any) -> None:
    """Ship what earlier processes left in the spool, off the main thread.

    Nothing to do (the usual case) costs one ``scandir``. Otherwise a thread
    uploads after ``RETRY_DELAY``, and an exit handler starts it at once and
    waits for it up to the upload budget, so that even ``python -c pass``
    ships the spool; what is not shipped by then stays for the next process.
    """
    if not spool.pending(spool.directory_for(settings)):
        return
    import _thread
    import atexit

    go, done = _thread.allocate_lock(), _thread.allocate_lock()
    go.acquire()
    done.acquire()
    _thread.start_new_thread(_retry, (settings, go, done))
    _retrying.append((go, done, os.getpid()))
    atexit.register(wait_for_retry, settings.upload_timeout)


def _retry(settings: Any, go: Any, done: Any) -> None:
    try:
        go.acquire(timeout=RETRY_DELAY)  # sleeps without the GIL
        from .ship import ship_pending

        shipped_at_start.extend((settings.directory, url) for url in ship_pending(settings)[0])
    except BaseException:  # a background retry is silent: the next process tries again
        pass
    finally:
        done.release()


def wait_for_retry(budget: float) -> None:
    """Give this process's retry up to ``budget`` seconds to finish (at exit, or before
    ``pydumpling-open --ship`` ships the same files itself)."""
    for go, done, pid in _retrying:
        if os.getpid() != pid:  # a forked child has no retry thread
            continue
        try:
            go.release()
        except RuntimeError:  # let go already
            pass
        if done.acquire(timeout=budget):
            done.release()
