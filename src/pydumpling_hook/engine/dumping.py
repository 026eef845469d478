"""From an exception to a file on disk: snapshot, encode, write, prune.

Every capture point (hooks, the predecessor API, decorators, logging...) ends
here, so the rules of a dying process live in one place: nothing escapes
``write_dump`` but a path or a one-line ``CaptureFailed``.
"""

from __future__ import annotations

import gc
import os
import sys

from .. import config
from ..dumpformat import dumpfile
from . import fingerprint, snapshot, spool, writer

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any


class CaptureFailed(Exception):
    """One line saying why no dump was written."""


def write_dump(settings: Any, exc: BaseException | None, *, reason: str,
               filename: str | None = None, extra: Any = None,
               thread_ident: Any = None, label: str | None = None,
               outer: bool = True) -> str:
    """Capture ``exc`` (``None``: the live stacks) and write it; return the path.

    ``label`` replaces the thread name in the generated file name (the
    pytest plugin puts the test id there); ``outer=False`` leaves out the
    catching frame's callers (IPython's kernel, see ``snapshot.take``). Source
    files are named as ``renames`` says (IPython's cells).

    The garbage collector is off meanwhile: a capture allocates tens of
    thousands of short-lived objects, which trigger collections that walk the
    whole heap (several ms each in a big process) and can free nothing of ours.
    With ``settings.recipients`` the file is encrypted; with a remote directory it
    goes to the spool, then up.
    """
    old_limit = sys.getrecursionlimit()
    collecting = gc.isenabled()
    gc.disable()
    try:
        sys.setrecursionlimit(old_limit + 500)
        body, frames, copier = snapshot.take(
            settings, exc, reason=reason, extra=extra, thread_ident=thread_ident,
            filenames=_renamed_files(), outer=outer)
        summary = fingerprint.summarize(body, reason)
        originals = None
        if settings.originals:
            from .originals import pickle_originals

            originals, skipped = pickle_originals(frames, copier)
            body["stats"]["originals"] = len(originals)
            if skipped["count"]:
                body["stats"]["originals_skipped"] = skipped
        data = dumpfile.encode(sealed(body, summary, copier.redactor), summary, originals)
        if settings.recipients:
            from ..dumpformat.sealed import seal

            data = seal(data, summary, settings.recipients)
            label = "sealed"  # thread names and test ids may say too much
        if filename is not None:
            path = os.path.abspath(os.fspath(filename))
            directory = writer.ensure_directory(os.path.dirname(path), own_subdirectory=False)
            return writer.write_atomic(directory, os.path.basename(path), data, replace=True)
        remote = config.is_remote(settings.directory)
        label = label or summary["thread"]
        if remote:  # the spool name is the remote name: unique across hosts, stable on retry
            label = f"{label[:60]}_{os.urandom(4).hex()}"  # kept whole by dump_name
        directory = spool.local_directory(settings)
        name = writer.dump_name(body["meta"]["timestamp"], os.getpid(), label,
                                summary["exc_type"])
        path = writer.write_atomic(directory, name, data)
        writer.prune(directory, settings.max_dumps, settings.max_bytes, keep=path)
        if remote:
            from .ship import deliver

            return deliver(settings, path)
        return path
    except (writer.WriteError, dumpfile.DumpError) as exc_:  # DumpError: sealing failed
        raise CaptureFailed(str(exc_)) from None
    except MemoryError:
        raise CaptureFailed("out of memory while capturing") from None
    except RecursionError:
        raise CaptureFailed("stack too deep to capture") from None
    except Exception as exc_:
        raise CaptureFailed(f"internal error: {type(exc_).__name__}: {exc_}"[:300]) from None
    finally:
        sys.setrecursionlimit(old_limit)
        if collecting:
            gc.enable()


def _renamed_files() -> dict:
    """What the integrations rename (IPython's cells). One that renames files imports
    ``renames`` to register, so a process without one pays no import for it here."""
    module = sys.modules.get(f"{__package__}.renames")
    return module.file_names() if module is not None else {}


def sealed(body: dict, summary: dict, redactor: Any) -> bytes:
    """The pickled body, with no known secret left in it or in ``summary``.

    A secret learned late in the capture (a password met in the tenth frame)
    may already sit in a copy made earlier (a message, a local built from it).
    One C-speed substring test per known secret on the pickle finds that; only
    then is the body swept and pickled again.
    """
    body["stats"]["redacted"] = dict(redactor.counts)  # the originals may have added some
    raw = dumpfile.pickle_body(body)
    if redactor.leaks(raw):
        redactor.sweep(body, snapshot.exception_records(body.get("exception")))
        body["stats"]["redacted"] = dict(redactor.counts)
        raw = dumpfile.pickle_body(body)
        if redactor.leaks(raw):
            raw = redactor.scrub(raw)
    if redactor.known:
        for key, value in summary.items():
            summary[key] = redactor.sweep_text(value)
    return raw


def record_suppressed(path: str, count: int) -> None:
    """Write into an existing dump how many later crashes at its site were not dumped.

    Called at exit for crash storms: the last dump of a site is the one a
    reader opens, so that is where the count belongs.
    """
    header = dumpfile.read_header(path)
    if header["format"] == dumpfile.SEALED_FORMAT:  # the body is out of our reach
        return
    body = dumpfile.read_body(path)
    originals = dumpfile.read_originals(path) or None
    body["stats"]["suppressed"] = count
    summary = dict(header["summary"], suppressed=count)
    data = dumpfile.encode(body, summary, originals)
    writer.write_atomic(os.path.dirname(path), os.path.basename(path), data, replace=True)
