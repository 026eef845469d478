"""The DAP threads of a dump: each exception of the chain, then each captured thread.

An editor shows one call stack per thread and nothing else, so that is where
everything with a stack goes:

* thread 1 is the crash: the root exception, stopped at its innermost frame;
* then every other exception of the chain or group, named by its path as
  ``--exception`` takes it (``cause: KeyError: 'b'``, ``context.cause: ...``,
  ``members.0: ValueError: ...``), in breadth-first order from the root;
* then the captured threads (``thread MainThread``), each with its stack when
  the dump was written. The crashing thread's own stack is listed only when it
  has frames (a dump written by ``sys.excepthook`` has none: the stack has
  unwound into the exception).

A dump without an exception (``dump_current_traceback``, a signal) has only
threads, and the one that wrote it is thread 1.

Frames are rebuilt as real frames (``rebuild``), so scopes and evaluation see
``f_locals``/``f_globals`` exactly as pdb does; a thread's frames are built the
first time its stack is asked for. Thread and frame ids are small indexes.
"""

from __future__ import annotations

import types
from collections import deque
from typing import Any, Callable, Dict, List, Mapping, NamedTuple

from ..dump import Dump, TargetNotFound
from ..printing import exception_type
from ..rebuild import build_traceback
from ..records import MAX_EXCEPTIONS, stack
from ..text import as_text, exception_line, one_line
from .protocol import RequestError

LABEL_LIMIT = 200


class Frame(NamedTuple):
    """A rebuilt frame as a DAP frame: its id, traceback entry and (cached) locals.

    The locals mapping is read once and kept, as pdb keeps ``curframe_locals``,
    so that what the user assigns in the debug console stays visible.
    """

    id: int
    tb: types.TracebackType
    locals: Mapping


def walk_chain(root: Mapping) -> List[tuple]:
    """``(path, record)`` of every exception reachable from ``root``, breadth first, once each.

    A group's members come before its cause and context, so that an exception
    that is both (an ``except*`` handler's error) is named by its place in the group.
    """
    out: List[tuple] = []
    seen: set = set()
    pending = deque([("", root)])
    while pending and len(out) < MAX_EXCEPTIONS:
        path, record = pending.popleft()
        if not isinstance(record, Mapping) or id(record) in seen:
            continue
        seen.add(id(record))
        out.append((path, record))
        members = record.get("members")
        members = members[:MAX_EXCEPTIONS] if isinstance(members, (list, tuple)) else ()
        steps = [(f"members.{i}", member) for i, member in enumerate(members)]
        steps += [("cause", record.get("cause")), ("context", record.get("context"))]
        pending.extend((f"{path}.{step}" if path else step, child) for step, child in steps)
    return out


def exception_name(record: Mapping) -> str:
    """The exception's type as a printed traceback names it (``mod.Name``, builtins bare)."""
    info = record.get("type")
    return exception_type({"type": info if isinstance(info, Mapping) else {}})


def describe_exception(record: Mapping) -> str:
    """``Type: message`` as the last line of a printed traceback says it."""
    message = record.get("message")
    return exception_line(exception_name(record), None if message is None else as_text(message))


class Target:
    """One DAP thread: how to rebuild its stack, and the record it came from."""

    def __init__(self, name: str, build: Callable[[], types.TracebackType | None],
                 exception: Mapping | None = None) -> None:
        self.id = 0
        self.name = one_line(name, LABEL_LIMIT)
        self.build = build
        self.exception = exception
        self.frames: List[Frame] | None = None


class Targets:
    """All the DAP threads of one dump, and every frame handed out so far."""

    def __init__(self, dump: Dump) -> None:
        self.dump = dump
        self.threads: List[Target] = []
        self._frames: List[Frame] = []
        if dump.exception is not None:
            for path, record in walk_chain(dump.exception):
                label = describe_exception(record)
                self.threads.append(Target(f"{path}: {label}" if path else label,
                                           self._exception_stack(path), record))
        for record in dump.threads:
            current = record.get("current") is True
            name = f"thread {as_text(record.get('name'), LABEL_LIMIT)}"
            target = Target(name, lambda r=record: build_traceback(*stack(r)))
            if current and dump.exception is None:
                self.threads.insert(0, target)  # the thread that wrote a live-stack dump
            elif not current or stack(record)[0]:
                if current:
                    target.name += " (its stack when the dump was written)"
                self.threads.append(target)
        for index, target in enumerate(self.threads):
            target.id = index + 1

    def _exception_stack(self, path: str) -> Callable[[], types.TracebackType | None]:
        def build() -> types.TracebackType | None:
            try:
                return self.dump.exception_object(path).__traceback__
            except TargetNotFound:  # beyond what the loader rebuilds: shown without frames
                return None
        return build

    def thread(self, ident: int) -> Target:
        if not 0 < ident <= len(self.threads):
            raise RequestError(f"no thread {ident}")
        return self.threads[ident - 1]

    def frames(self, ident: int) -> List[Frame]:
        """The thread's frames, innermost first (DAP's order), rebuilt on first use."""
        target = self.thread(ident)
        if target.frames is None:
            entries = []
            tb = target.build()
            while tb is not None:
                entries.append(tb)
                tb = tb.tb_next
            target.frames = []
            for tb in reversed(entries):
                frame = Frame(len(self._frames) + 1, tb, tb.tb_frame.f_locals)
                self._frames.append(frame)
                target.frames.append(frame)
        return target.frames

    def frame(self, ident: int) -> Frame:
        if not 0 < ident <= len(self._frames):
            raise RequestError(f"no frame {ident} (ask for the stack trace first)")
        return self._frames[ident - 1]

    def top_frame(self) -> Frame | None:
        """The innermost frame of thread 1, where evaluation without a frame runs."""
        frames = self.frames(1) if self.threads else []
        return frames[0] if frames else None

    def names(self) -> List[Dict[str, Any]]:
        return [{"id": t.id, "name": t.name} for t in self.threads]
