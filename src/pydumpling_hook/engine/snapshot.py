"""The snapshot engine: one function that every capture point calls.

It turns an exception (with its whole chain) or a live stack into the body
dict of ``docs/FORMAT.md``. Everything here is stdlib and runs in the
crashing process, so it walks tracebacks, chains and stacks with loops rather
than recursion (a ``RecursionError`` arrives with a thousand frames), touches
values only through ``copier``, and spends the size budget innermost frame
first.
"""

from __future__ import annotations

import _thread
import builtins
import os
import sys
import time
from collections import deque
from itertools import islice

from .callers import live_caller
from .copier import Copier, copy_frame_locals
from .process import environment, meta, source_text
from .redact import Redactor

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Iterator

CO_OPTIMIZED = 0x0001
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
MAX_EXCEPTIONS = 100
MIN_FRAME_SHARE = 64 << 10
OUTER_FRAMES = 200
_GROUP = getattr(builtins, "BaseExceptionGroup", None)


def is_own_frame(frame: Any) -> bool:
    """Frames of this package (hooks, decorators) are not part of the user's crash."""
    return frame.f_code.co_filename.startswith(PACKAGE_DIR)


class _Frame:
    """A frame to record, with where it stood; locals are copied later, by priority."""

    __slots__ = ("frame", "lineno", "lasti", "record")

    def __init__(self, frame: Any, lineno: Any, lasti: int) -> None:
        self.frame = frame
        self.lineno = lineno
        self.lasti = lasti
        self.record: dict = {}


def _cap(frames: list, limit: int) -> tuple[list, int, Any]:
    """Keep both ends of a huge stack; the middle is where recursion repeats itself."""
    if len(frames) <= limit:
        return frames, 0, None
    head = limit // 2
    tail = limit - head
    return frames[:head] + frames[-tail:], len(frames) - limit, head


def _tb_frames(tb: Any) -> list:
    """The traceback's frames, minus our own (``@capture``'s wrapper) unless that is all."""
    out = []
    while tb is not None:
        out.append(_Frame(tb.tb_frame, tb.tb_lineno, tb.tb_lasti))
        tb = tb.tb_next
    theirs = [f for f in out if not is_own_frame(f.frame)]
    return theirs or out


def _stack_frames(frame: Any, skip_own: bool = True) -> list:
    out = []
    while frame is not None:
        if not (skip_own and is_own_frame(frame)):
            out.append(_Frame(frame, frame.f_lineno, frame.f_lasti))
        frame = frame.f_back
    out.reverse()
    return out


def _position(code: Any, lasti: int) -> Any:
    positions = getattr(code, "co_positions", None)
    if positions is None or lasti < 0:
        return None
    return next(islice(positions(), lasti // 2, None), None)


class Snapshot:
    """Builds one dump body. Not reusable: it owns the copier and its budget."""

    def __init__(self, settings: Any, filenames: Any = None, outer: bool = True) -> None:
        self.settings = settings
        self.renamed = dict(filenames or {})
        self.outer = outer
        budgets = settings.budgets
        environ = environment() if settings.redact else {}
        self.copier = Copier(budgets, Redactor(settings.redact, settings.redact_names, environ,
                                               budgets.string))
        self.frames: list[_Frame] = []
        self.filenames: dict[str, Any] = {}
        self.frame_copies: dict[int, tuple] = {}
        self.positions: dict[tuple, Any] = {}
        self.code_fields: dict[Any, dict] = {}
        self.global_copies: dict[tuple, dict] = {}

    # -- structure -------------------------------------------------------
    def exception(self, root: BaseException) -> dict:
        """Record the exception graph breadth-first: root, then cause/context/members."""
        records: dict[int, dict] = {}
        links: list[tuple[dict, str, Any]] = []
        todo = deque([(root, "")])
        while todo and len(records) < MAX_EXCEPTIONS:
            exc, path = todo.popleft()
            if id(exc) in records:
                continue
            rec = records[id(exc)] = self._exception_record(exc, path)
            for key in ("cause", "context"):
                linked = getattr(exc, f"__{key}__", None)
                if isinstance(linked, BaseException):
                    links.append((rec, key, linked))
                    todo.append((linked, f"{path}.{key}".lstrip(".")))
            members = getattr(exc, "exceptions", None) if _is_group(exc) else None
            if isinstance(members, tuple):
                rec["members"] = []
                for i, member in enumerate(members):
                    if isinstance(member, BaseException):
                        links.append((rec, "members", member))
                        todo.append((member, f"{path}.members.{i}".lstrip(".")))
        for rec, key, target in links:
            linked = records.get(id(target))
            if key == "members":
                if linked is not None:
                    rec["members"].append(linked)
            else:
                rec[key] = linked
        top = records[id(root)]
        caller = live_caller(root.__traceback__) if self.outer else None
        outer = _stack_frames(caller) if caller is not None else []
        if outer:
            frames, cut, cut_at = _cap(outer, OUTER_FRAMES)
            self.frames.extend(reversed(frames))
            top["outer"] = {"frames": [f.record for f in frames], "frames_cut": cut,
                            "cut_at": cut_at}
        return top

    def _exception_record(self, exc: BaseException, path: str) -> dict:
        cls = type(exc)
        try:
            message = str(exc)
        except Exception:
            message = f"<str() of {cls.__name__} failed>"
        redactor = self.copier.redactor
        message = redactor.clean_message(message[: self.settings.budgets.string])
        notes = getattr(exc, "__notes__", None) if "__notes__" in getattr(exc, "__dict__", {}) \
            else None
        frames, cut, cut_at = _cap(_tb_frames(exc.__traceback__), self.settings.budgets.frames)
        self.frames.extend(reversed(frames))
        copier = self.copier
        try:
            args = copier.copy(exc.args)
        except Exception:
            args = ()
        attrs = {k: v for k, v in getattr(exc, "__dict__", {}).items()
                 if k not in ("__notes__", "__pydumpling_dump__")}
        return {
            "type": {
                "module": getattr(cls, "__module__", "builtins"),
                "qualname": getattr(cls, "__qualname__", cls.__name__),
                "mro": [[getattr(k, "__module__", "?"), getattr(k, "__qualname__", "?")]
                        for k in cls.__mro__],
            },
            "message": message,
            "path": path,
            "args": args,
            "attrs": copier.copy_namespace(attrs) if attrs else {},
            "notes": [redactor.clean_message(str(n)) for n in notes[:100]]
            if isinstance(notes, list) else None,
            "frames": [f.record for f in frames],
            "frames_cut": cut,
            "cut_at": cut_at,
            "cause": None,
            "context": None,
            "suppress_context": bool(getattr(exc, "__suppress_context__", False)),
            "members": None,
        }

    def threads(self, crashing_ident: Any = None) -> list:
        """Every thread's live stack, the crashing one included and marked ``current``."""
        names = {}
        threading = sys.modules.get("threading")
        for thread in list(getattr(threading, "_active", {}).values()):
            names[getattr(thread, "ident", None)] = thread
        out = []
        current = _thread.get_ident()
        for ident, frame in islice(sys._current_frames().items(), self.settings.budgets.threads):
            thread = names.get(ident)
            frames, cut, cut_at = _cap(_stack_frames(frame), 200)
            out.append({
                "ident": ident,
                "name": getattr(thread, "name", None) or f"Thread-{ident}",
                "daemon": bool(getattr(thread, "daemon", False)),
                "current": ident == (crashing_ident or current),
                "frames": [f.record for f in frames],
                "frames_cut": cut,
                "cut_at": cut_at,
                "_live": list(reversed(frames)),
            })
        return out

    # -- values ----------------------------------------------------------
    def fill_frames(self, extra: list) -> None:
        """Copy locals and globals, innermost crash frame first, each within its share."""
        ordered = self.frames + extra
        copier = self.copier
        left = len(ordered)
        for i, item in enumerate(ordered):
            share = copier.remaining // 2 if i == 0 else copier.remaining // max(left, 1)
            copier.allow(max(share, MIN_FRAME_SHARE))
            self._fill(item)
            left -= 1

    def _fill(self, item: _Frame) -> None:
        frame = item.frame
        code = frame.f_code
        rec = item.record
        filename = code.co_filename
        self.filenames.setdefault(filename, frame.f_globals)
        lasti = item.lasti if isinstance(item.lasti, int) else -1
        fields = self.code_fields.get(code)
        if fields is None:
            fields = self.code_fields[code] = _code_fields(code)
        rec.update(fields)
        rec["filename"] = self.renamed.get(filename, filename)
        rec["module"] = frame.f_globals.get("__name__")
        rec["lineno"] = item.lineno
        rec["lasti"] = lasti
        rec["positions"] = self._position(code, lasti)
        rec["locals_note"] = None
        known = self.frame_copies.get(id(frame))
        if known is None:
            known = self.frame_copies[id(frame)] = self._namespaces(frame, code)
        rec["is_module"], rec["locals"], rec["globals"] = known

    def _position(self, code: Any, lasti: int) -> Any:
        """Cached: a recursion has a thousand frames at the same spot of the same code."""
        key = (code, lasti)
        found = self.positions.get(key, self)
        if found is self:
            found = self.positions[key] = _position(code, lasti)
        return found

    def _namespaces(self, frame: Any, code: Any) -> tuple:
        copier = self.copier
        g = frame.f_globals
        try:
            ns = copy_frame_locals(frame)
        except Exception:
            ns = {}
        is_module = not code.co_flags & CO_OPTIMIZED and ns is g
        try:
            local_copy = {} if is_module else copier.copy_namespace(ns)
        except Exception:
            local_copy = {}
        return is_module, local_copy, self._globals(code, g)

    def _globals(self, code: Any, g: dict) -> dict:
        """The globals ``code`` references (and ``__name__``, ``__file__``), copied once
        per code and module: a recursion's thousand frames share one copy, as they
        share one dict in the process."""
        key = (code, id(g))
        found = self.global_copies.get(key)
        if found is None:
            wanted = {name: g[name] for name in code.co_names if name in g}
            for name in ("__name__", "__file__"):
                if name in g:
                    wanted[name] = g[name]
            found = self.global_copies[key] = self.copier.copy_namespace(wanted)
        return found

    def sources(self) -> dict:
        """Embed each file of the stacks once, within the per-file and total bounds."""
        budgets = self.settings.budgets
        out = {}
        total = 0
        for filename, module_globals in self.filenames.items():
            text = source_text(filename, module_globals, budgets.source_file)
            if not text or total + len(text) > budgets.sources_total:
                continue
            total += len(text)
            out[self.renamed.get(filename, filename)] = text
        return out


def _code_fields(code: Any) -> dict:
    """The part of a FRAME record that depends only on the code object."""
    return {
        "name": code.co_name,
        "qualname": getattr(code, "co_qualname", code.co_name),
        "firstlineno": code.co_firstlineno,
        "linetable": getattr(code, "co_linetable", None) or code.co_lnotab,
        "flags": code.co_flags,
        "argcount": code.co_argcount,
        "posonlyargcount": getattr(code, "co_posonlyargcount", 0),
        "kwonlyargcount": code.co_kwonlyargcount,
        "varnames": code.co_varnames,
    }


def _is_group(exc: BaseException) -> bool:
    return _GROUP is not None and isinstance(exc, _GROUP)


def exception_records(root: Any) -> Iterator[dict]:
    """Each exception record of a chain once, without recursion."""
    todo = [root]
    seen = set()
    while todo:
        rec = todo.pop()
        if rec is None or id(rec) in seen:
            continue
        seen.add(id(rec))
        yield rec
        todo.extend((rec.get("cause"), rec.get("context")))
        todo.extend(rec.get("members") or ())


def take(settings: Any, exc: BaseException | None = None, *, reason: str,
         extra: Any = None, thread_ident: Any = None, filenames: Any = None,
         outer: bool = True) -> tuple[dict, list, Copier]:
    """Snapshot ``exc`` (or, with ``None``, the live stack).

    ``filenames`` maps a code file name to the name the dump files it under
    (IPython's ``Cell In[3]`` for a cell's temporary file), source included.
    ``outer=False`` leaves out the callers of the catching frame (IPython's
    kernel machinery above a cell, which IPython hides too).

    Returns ``(body, frames, copier)``: ``frames`` pairs each
    exception frame record with its live frame (only with ``settings.originals``),
    and ``copier`` knows what was redacted, both for the opt-in originals.
    """
    started = time.perf_counter()
    snap = Snapshot(settings, filenames, outer)
    info = meta(reason, extra)
    root = snap.exception(exc) if exc is not None else None
    threads = snap.threads(thread_ident)
    live = [f for t in threads for f in t.pop("_live")]
    snap.fill_frames(live)
    copier = snap.copier
    if extra:
        info["extra"] = copier.copy(info["extra"])
    info["argv"] = copier.copy_argv(info["argv"])
    body = {
        "format": 2,
        "meta": info,
        "exception": root,
        "threads": threads,
        "sources": snap.sources(),
        "stats": {},
    }
    body["stats"] = {
        "redacted": dict(copier.redactor.counts),
        "cuts": copier.cuts,
        "copy_errors": copier.errors,
        "spent": copier.spent,
        "capture_seconds": round(time.perf_counter() - started, 6),
    }
    frames = _originals_frames(root, snap.frames + live) if settings.originals else []
    return body, frames, copier


def _originals_frames(root: Any, live: list) -> list:
    """``(exception path, frame index, record, live frame)`` of every exception frame."""
    live_frames = {id(f.record): f.frame for f in live}
    out = []
    for rec in exception_records(root) if root is not None else ():
        out.extend((rec["path"], i, f, live_frames.get(id(f))) for i, f in enumerate(rec["frames"]))
    return out
