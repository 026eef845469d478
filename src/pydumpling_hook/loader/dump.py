"""The ``Dump`` object: a loaded dump's records, and real objects rebuilt from them on demand.

Records stay plain dicts (cheap to list, print or serialise); the real
exception chain and tracebacks are built once, when first asked for, because
building them executes one tiny stub per frame.
"""

from __future__ import annotations

import pickle
import types
from typing import IO, Any, ContextManager, Iterable, Mapping

from .exceptions import build_exception_graph, exception_class
from .rebuild import build_traceback
from .records import MAX_EXCEPTIONS, MAX_THREADS, sequence, stack
from .text import as_text

SHOWN_SKIPPED = 5
"""Skipped originals named in ``originals_line``."""


class TargetNotFound(LookupError):
    """The thread or exception asked for is not in the dump. The message is one line."""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def follow_path(root: Mapping | None, path: str | None) -> Mapping:
    """The EXC record at ``path`` from ``root``.

    ``path`` is a dot-separated walk over the chain, as used in the originals
    section keys: ``""`` is the root, then ``cause``, ``context`` and
    ``members.<index>`` (or just ``<index>``) for a group member, e.g.
    ``"context.cause"`` or ``"members.0.cause"``.
    """
    if not isinstance(root, dict):
        raise TargetNotFound("the dump holds no exception")
    record: Any = root
    parts = [p for p in (path or "").split(".") if p]
    walked: list[str] = []
    while parts:
        part = parts.pop(0)
        walked.append(part)
        if part in ("cause", "context"):
            record = record.get(part)
        elif part.isdigit() or (part == "members" and parts and parts[0].isdigit()):
            index = int(part if part.isdigit() else parts.pop(0))
            walked[-1] = f"members.{index}"
            members = record.get("members")
            ok = isinstance(members, (list, tuple)) and index < len(members)
            record = members[index] if ok else None
        else:
            raise TargetNotFound(f"bad exception path {path!r}: use cause, context, members.N")
        if not isinstance(record, dict):
            raise TargetNotFound(f"the exception has no {'.'.join(walked)}")
    return record


class Dump:
    """A dump file's content. See ``docs/FORMAT.md`` for the record layouts."""

    def __init__(self, header: dict, body: dict, path: str | None = None) -> None:
        self.header = header
        self.body = body
        self.path = path
        self.meta: dict = _dict(body.get("meta"))
        self.exception: dict | None = body.get("exception") if isinstance(
            body.get("exception"), dict) else None
        self.threads: list[dict] = [
            t for t in sequence(body.get("threads"), MAX_THREADS) if isinstance(t, dict)]
        self.sources: dict = _dict(body.get("sources"))
        self.stats: dict = _dict(body.get("stats"))
        self.originals_errors: dict[str, str] = {}
        self.originals_restored = 0
        self._exceptions: dict[int, BaseException] | None = None

    def __repr__(self) -> str:
        return f"<Dump {self.path!r} {self.header.get('summary', {}).get('exc_type')}>"

    def originals_line(self) -> str:
        """What ``--trust`` says about the originals, e.g. ``originals: 3 restored, 1
        skipped (df: over 16 MB)``: a value left out at capture must not look restored."""
        skipped = _dict(self.stats.get("originals_skipped"))
        named = [(key.rpartition("/")[2], why) for key, why in _dict(skipped.get("named")).items()
                 if isinstance(key, str) and isinstance(why, str)]
        count = skipped.get("count")
        count = count if isinstance(count, int) and count >= len(named) else len(named)
        parts = [f"{self.originals_restored} restored"]
        if self.originals_errors:
            parts.append(f"{len(self.originals_errors)} failed to load")
        if count:
            shown = ", ".join(f"{as_text(name, 60)}: {as_text(why, 60)}" for name, why
                              in named[:SHOWN_SKIPPED])
            more = count - min(len(named), SHOWN_SKIPPED)
            shown += f", {more} more" if shown and more else f"{more} unnamed" if more else ""
            parts.append(f"{count} skipped ({shown})")
        return "originals: " + ", ".join(parts)

    def exception_record(self, path: str | None = None) -> Mapping:
        """The EXC record at ``path`` (see ``follow_path``)."""
        return follow_path(self.exception, path)

    def exception_object(self, path: str | None = None) -> BaseException:
        """The real exception at ``path``, with its real ``__traceback__`` and chain."""
        record = self.exception_record(path)
        if self._exceptions is None:
            self._exceptions = build_exception_graph(self.exception, MAX_EXCEPTIONS)
        built = self._exceptions.get(id(record))
        if built is None:
            where = path or "root"
            raise TargetNotFound(f"exception {where!r} is beyond the {MAX_EXCEPTIONS} that the "
                                 "loader rebuilds")
        return built

    def traceback(self, path: str | None = None) -> types.TracebackType | None:
        """The real traceback of the exception at ``path``."""
        return self.exception_object(path).__traceback__

    def thread(self, which: str | int | None = None) -> dict:
        """The THREAD record named ``which`` (name or ident), or the current one by default."""
        for thread in self.threads:
            if which is None and thread.get("current") is True:
                return thread
            if which is not None and str(which) in (as_text(thread.get("ident")),
                                                    thread.get("name")):
                return thread
        if which is None and self.threads:
            return self.threads[0]
        names = ", ".join(as_text(t.get("name"), 60) for t in self.threads) or "none"
        raise TargetNotFound(f"no thread {which!r} in the dump (threads: {names})")

    def thread_exception(self, which: str | int | None = None) -> BaseException:
        """A real exception whose traceback is a thread's stack, for debuggers that want one."""
        thread = self.thread(which)
        cls = exception_class("pydumpling_hook", "ThreadStack", Exception)
        name = as_text(thread.get("name"), 100)
        exc = cls(f"stack of thread {name!r} when the dump was written")
        exc.__pydumpling__ = exc.args[0]
        exc.__traceback__ = build_traceback(*stack(thread))
        if exc.__traceback__ is None:
            raise TargetNotFound(f"thread {name!r} has no frames in the dump")
        return exc

    def target(self, thread: str | int | None = None, exception_path: str | None = None
               ) -> BaseException:
        """What a debugger session opens: an exception of the chain, or a thread's stack."""
        if thread is not None or self.exception is None:
            if exception_path:
                raise TargetNotFound("choose either a thread or an exception path, not both")
            return self.thread_exception(thread)
        exc = self.exception_object(exception_path)
        if exc.__traceback__ is None:
            raise TargetNotFound(f"exception {exception_path or 'root'!r} has no frames")
        return exc

    def sources_in_linecache(self, filenames: Iterable[str] = (),
                             local: bool = False) -> ContextManager[None]:
        """Make ``linecache`` (so traceback, inspect, debuggers) read the embedded sources,
        and nothing from disk for ``filenames`` unless ``local`` (see ``sources``)."""
        from .sources import session_sources

        return session_sources(self.sources, filenames, local)

    def debug(self, debugger: str = "pdb", thread: str | int | None = None,
              exception_path: str | None = None, *,
              stdin: IO[str] | None = None, stdout: IO[str] | None = None,
              rc: bool = False, local_source: bool = False) -> None:
        """Open a post-mortem session; see ``debuggers.debug``."""
        from .debuggers import debug

        debug(self, debugger, thread=thread, exception_path=exception_path,
              stdin=stdin, stdout=stdout, rc=rc, local_source=local_source)


def apply_originals(dump: Dump, originals: Mapping[str, bytes]) -> None:
    """Put unpickled originals in place of the safe copies in the frame records.

    Only called under ``trust``: unpickling executes code from the file. A value
    that fails to unpickle keeps its safe copy and is reported in
    ``dump.originals_errors``.
    """
    for key, data in originals.items():
        exc_path, _, rest = key.partition("/")
        index, _, name = rest.partition("/")
        try:
            frames = dump.exception_record(exc_path).get("frames")
            frame = frames[int(index)]
            value = _unpickle(data)
        except Exception as exc:  # a bad key, a missing class, anything from the pickle
            dump.originals_errors[key] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        in_globals = frame.get("is_module") and name in _dict(frame.get("globals"))
        _dict(frame.get("globals" if in_globals else "locals"))[name] = value
        dump.originals_restored += 1
    dump._exceptions = None


def _unpickle(data: bytes) -> Any:
    """pickle first; dill (a dependency) for what only dill can rebuild."""
    try:
        return pickle.loads(data)
    except Exception:
        import dill

        return dill.loads(data)
