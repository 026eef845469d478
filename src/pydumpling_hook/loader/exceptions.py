"""Rebuild a dump's exception chain (EXC records) as real ``BaseException`` objects.

3.13's pdb ``exceptions`` command, ``traceback`` and every debugger follow
``__cause__``, ``__context__`` and ``__traceback__`` on real exceptions, so the
chain is rebuilt as one: the builtin class itself when the record names a
builtin that accepts the captured arguments, otherwise a class created here,
named after the original and derived from its nearest builtin ancestor, whose
``str()`` is the captured message. Classes named in a file are never imported.

The records form a graph shared by identity (a context can also be a group
member, a hostile file can make cycles), so everything is iterative and
memoised by record identity. Each traceback has at most ``records.MAX_FRAMES``
frames and a graph at most ``MAX_REBUILT_FRAMES`` in all (the records built
first, from the root, get theirs); ``Dump`` rebuilds at most
``records.MAX_EXCEPTIONS`` records (capture never writes more).
"""

from __future__ import annotations

import builtins
from itertools import islice
from typing import Any, Mapping

from .rebuild import Budget, build_traceback
from .records import MAX_MRO, MAX_NAMES, sequence, stack
from .text import terminal
from .values import clean_text

MESSAGE_LIMIT = 100_000
_GROUP = getattr(builtins, "BaseExceptionGroup", None)  # 3.11+

_classes: dict[tuple[str, str, type], type] = {}


def _builtin_exception(name: Any) -> type | None:
    cls = getattr(builtins, name, None) if isinstance(name, str) else None
    return cls if isinstance(cls, type) and issubclass(cls, BaseException) else None


def _type_names(record: Mapping) -> tuple[str, str, list]:
    info = record.get("type")
    info = info if isinstance(info, dict) else {}
    mro = info.get("mro")
    return (clean_text(info.get("module"), "<unknown>"),
            clean_text(info.get("qualname"), "Exception") or "Exception",
            sequence(mro, MAX_MRO))


def _nearest_builtin(module: str, qualname: str, mro: list) -> type:
    for entry in [(module, qualname), *mro]:
        if isinstance(entry, (list, tuple)) and len(entry) == 2 and entry[0] == "builtins":
            cls = _builtin_exception(entry[1])
            if cls is not None:
                return cls
    return Exception


def _captured_str(self: BaseException) -> str:
    return self.__pydumpling__


def _skip_init(self: BaseException, *args: Any) -> None:
    """Builtin ``__init__``s validate arguments (UnicodeError...); the copy keeps them as given."""


def exception_class(module: str, qualname: str, base: type) -> type:
    """A cached subclass of ``base`` that prints as ``module.qualname``."""
    key = (module, qualname, base)
    cls = _classes.get(key)
    if cls is None:
        name = qualname.rsplit(".", 1)[-1] or "Exception"
        namespace = {"__module__": module, "__qualname__": qualname,
                     "__slots__": ("__pydumpling__",),
                     "__init__": _skip_init, "__str__": _captured_str}
        cls = type(name, (base,), namespace)
        _classes[key] = cls
    return cls


def _instantiate(record: Mapping, members: list[BaseException]) -> BaseException:
    """Create one exception object (no links yet)."""
    module, qualname, mro = _type_names(record)
    message = clean_text(record.get("message"), "", MESSAGE_LIMIT, lines=True)
    args = record.get("args")
    args = tuple(args) if isinstance(args, (tuple, list)) else (message,)
    base = _nearest_builtin(module, qualname, mro)
    if _GROUP is not None and issubclass(base, _GROUP):
        if members:
            args = (args[0] if args and isinstance(args[0], str) else message, members)
        else:  # a group needs members; without them keep the name, drop the group
            base = Exception if issubclass(base, Exception) else BaseException
    if module == "builtins" and base.__name__ == qualname:
        try:
            exc = base(*args)
            shown = str(exc)  # what a debugger prints: only kept if it needs no escaping
        except Exception:
            exc = shown = None
        if type(exc) is base and shown == terminal(shown, lines=True):
            return exc
    for fallback in (base, Exception):
        cls = exception_class(module, qualname, fallback)
        try:
            exc = cls(*args)
        except Exception:  # e.g. a group whose members do not fit its class
            continue
        exc.__pydumpling__ = message
        return exc
    raise AssertionError("unreachable: Exception subclasses accept any arguments")


def _decorate(exc: BaseException, record: Mapping, members: list[BaseException],
              budget: Budget) -> None:
    attrs = record.get("attrs")
    for key, value in islice(attrs.items() if isinstance(attrs, dict) else (), MAX_NAMES):
        if isinstance(key, str) and not (key.startswith("__") and key.endswith("__")):
            try:
                setattr(exc, terminal(key), value)
            except Exception:  # a read-only attribute of a builtin class
                pass
    notes = record.get("notes")
    if isinstance(notes, (list, tuple)):
        exc.__notes__ = [clean_text(n, "", MESSAGE_LIMIT, lines=True)
                         for n in notes[:MAX_NAMES] if isinstance(n, str)]
    if members and not hasattr(exc, "exceptions"):
        exc.exceptions = tuple(members)  # no real ExceptionGroup on this Python
    frames, cut, cut_at = stack(record, budget.frames)
    budget.frames -= len(frames)
    outer, outer_cut, outer_at = stack(record.get("outer"), max(budget.frames, 0))
    budget.frames -= len(outer)
    exc.__traceback__ = _joined(build_traceback(outer, outer_cut, outer_at, budget),
                                build_traceback(frames, cut, cut_at, budget))


def _joined(outer: Any, inner: Any) -> Any:
    """The traceback ``inner`` below the callers ``outer`` of its catching frame, so that
    ``bt`` shows the whole stack and ``up`` walks from the failing line to the server loop."""
    if outer is None or inner is None:
        return inner
    last = outer
    while last.tb_next is not None:
        last = last.tb_next
    last.tb_next = inner
    return outer


def _members(record: Mapping) -> list:
    return [m for m in sequence(record.get("members"), MAX_NAMES) if isinstance(m, dict)]


def build_exception_graph(root: Any, limit: int | None = None) -> dict[int, BaseException]:
    """Rebuild every exception reachable from the EXC record ``root``.

    Returns them keyed by ``id()`` of their record (the caller keeps the
    records alive), so that any exception of the chain can be picked by path.
    With ``limit``, records past the first ``limit`` are left out (and their links with them).
    """
    if not isinstance(root, dict):
        return {}
    built: dict[int, BaseException] = {}
    records: dict[int, Mapping] = {}  # keeps every record alive while ids are keys
    pending = [root]
    budget = Budget()
    while pending:
        _build_group_tree(pending.pop(), built, records, pending, limit, budget)
    for key, exc in built.items():
        record = records[key]
        exc.__cause__ = built.get(id(record.get("cause")))
        exc.__context__ = built.get(id(record.get("context")))
        exc.__suppress_context__ = record.get("suppress_context") is True
    return built


def _build_group_tree(start: Mapping, built: dict, records: dict, pending: list,
                      limit: int | None, budget: Budget) -> None:
    """Create ``start`` and its members, members first (a group needs them to exist).

    A member that is already being built higher up (a cycle) is left out of
    its group. Causes and contexts are queued on ``pending``, to be linked later.
    """
    on_path: set[int] = set()
    stack: list[tuple[Mapping, bool]] = [(start, False)]
    while stack:
        record, members_done = stack.pop()
        key = id(record)
        if key in built or (not members_done and key in on_path):
            continue
        if not members_done and limit is not None and key not in records \
                and len(records) >= limit:
            continue  # over the bound: left out like a cycle
        if not members_done:
            records[key] = record
            on_path.add(key)
            stack.append((record, True))
            stack.extend((m, False) for m in reversed(_members(record)))
            pending.extend(r for r in (record.get("cause"), record.get("context"))
                           if isinstance(r, dict))
            continue
        on_path.discard(key)
        members = [built[id(m)] for m in _members(record) if id(m) in built]
        built[key] = _instantiate(record, members)
        _decorate(built[key], record, members, budget)
