"""Upload spooled dumps to a remote directory through fsspec, within a time budget.

The crashing process must not hang on a slow or dead endpoint: the upload runs
in a daemon thread and capture waits for it at most ``upload_timeout``
seconds (2 s by default); past that, or on any error, the dump stays in the
spool and the next process ships it. An object appears whole or not at all
(one PUT on object stores; a hidden temporary name then a move elsewhere),
and its name is the spool file's, unique per dump, so a retry after an upload
whose answer was lost leaves one object, not two.

fsspec and its backend (s3fs, gcsfs, adlfs) are imported here, only when a
dump is shipped. Credentials and endpoints are the backend's own
configuration (``AWS_ENDPOINT_URL``, ``~/.aws``, ``GOOGLE_APPLICATION_CREDENTIALS``…).
"""

from __future__ import annotations

import os

from . import spool

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any

ATOMIC_PUT = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss"})
"""Object stores, where a single PUT creates the object atomically."""
HINTS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure",
         "abfss": "azure"}


def one_line(error: BaseException) -> str:
    """An exception as one short line, for a warning or a listing."""
    text = " ".join(str(error).split()) or type(error).__name__
    extra = HINTS.get(str(getattr(error, "url_scheme", "")))
    if isinstance(error, ImportError) and extra:
        text = f"{text} (pip install 'pydumpling-hook[{extra}]')"
    return text[:300]


def filesystem(url: str) -> tuple:
    """``(fs, path)`` for an fsspec URL; an ImportError names the extra to install."""
    try:
        import fsspec

        return fsspec.core.url_to_fs(url)
    except ImportError as error:
        error.url_scheme = url.partition("://")[0]  # type: ignore[attr-defined]
        raise


def put(fs: Any, target: str, data: bytes) -> None:
    """Create ``target`` with ``data`` in one step, as seen by any reader."""
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    if ATOMIC_PUT.intersection(protocols):
        fs.pipe_file(target, data)
        return
    parent, _, name = target.rpartition("/")
    temporary = f"{parent}/.{name}.tmp-{os.urandom(4).hex()}"
    fs.makedirs(parent, exist_ok=True)  # file systems with real directories need them
    fs.pipe_file(temporary, data)
    fs.mv(temporary, target)


def ship_file(path: str, destination: str, check_existing: bool = False) -> str:
    """Upload one spooled dump, then remove it from the spool; return its URL.

    ``check_existing``: a retry first asks whether an earlier upload did arrive
    (its process may have died before removing the spool file).
    """
    fs, root = filesystem(destination)
    target = f"{root.rstrip('/')}/{os.path.basename(path)}"
    with open(path, "rb") as fh:
        data = fh.read()
    if not (check_existing and fs.exists(target) and fs.size(target) == len(data)):
        put(fs, target, data)
    os.unlink(path)
    return fs.unstrip_protocol(target)


def deliver(settings: Any, path: str) -> str:
    """Ship a dump just written to the spool, waiting at most the budget.

    Returns the remote URL, or a ``Spooled`` path that says why it is still
    local. Never raises: the caller is a dying process.
    """
    import threading

    fd = spool.claim(path)
    if fd is None:
        return spool.spooled(path, "another process is uploading it")
    outcome: dict = {}

    def upload() -> None:
        try:
            outcome["url"] = ship_file(path, settings.directory)
        except BaseException as error:
            outcome["error"] = error
        finally:
            os.close(fd)

    worker = threading.Thread(target=upload, name="pydumpling-upload", daemon=True)
    try:
        worker.start()
    except RuntimeError as error:  # "can't create new thread at interpreter shutdown"
        os.close(fd)
        return spool.spooled(path, f"not uploaded: {error}")
    worker.join(settings.upload_timeout)
    if "url" in outcome:
        return outcome["url"]
    if worker.is_alive():
        why = f"upload to {settings.directory} did not finish within {settings.upload_timeout:g} s"
    else:
        why = f"upload to {settings.directory} failed: {one_line(outcome['error'])}"
    return spool.spooled(path, f"{why}; the next process started with this PYDUMPLING_DIR "
                               "uploads it (or: pydumpling-open --ship)")


def ship_pending(settings: Any) -> tuple[list, str | None]:
    """Upload the dumps waiting in the spool of ``settings.directory``, oldest first.

    Returns ``(urls shipped, why the rest was not)``. The first failure stops
    the round, since the next upload would most likely wait for the same dead
    endpoint; a dump that another process is shipping right now is left to it.
    """
    shipped, busy = [], 0
    for path in spool.pending(spool.directory_for(settings)):
        fd = spool.claim(path)
        if fd is None:
            busy += os.path.exists(path)
            continue
        try:
            shipped.append(ship_file(path, settings.directory, check_existing=True))
        except Exception as error:
            return shipped, one_line(error)
        finally:
            os.close(fd)
    return shipped, f"{busy} being uploaded by another process" if busy else None
