"""Turn a dump's FRAME and EXC records into real traceback, frame and exception objects.

Why real objects: pdb, ipdb, pudb, pdbpp, ``inspect`` and ``traceback`` all
check ``isinstance(x, TracebackType)`` somewhere, and 3.13's pdb ``exceptions``
command needs real exceptions carrying real tracebacks. Real objects need no
patching of anything in the process.

How: for each FRAME we compile a tiny function whose only statement loads an
undefined global. The AST nodes carry the recorded line and column span, and
the code object gets the recorded file, names and argument layout, so the
NameError it raises yields a traceback entry that reads exactly like the
original (same ``tb_lineno``, same ``co_positions()`` for the carets, same
``co_firstlineno`` for ``ll``). We call it with the captured argument values,
then add the other locals through ``frame.f_locals``, and link the entries with
``tb_next``. Every field from the file is validated; a record that cannot be
honoured becomes a generic frame rather than an error.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import io
import linecache
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, Iterator, Mapping

from .records import MAX_NAMES, line, positions
from .values import NOT_CAPTURED, clean_count, clean_text

MAX_ARGS = 10_000
FILENAME_LIMIT = 4096

_STUB_NAME = "__pydumpling_frame__"
_NOT_FUNCTION_FLAGS = inspect.CO_OPTIMIZED | inspect.CO_NEWLOCALS
_UNSAFE_GLOBALS = ("__builtins__", "__loader__", "__spec__")
"""Never taken from a file: linecache calls ``__loader__.get_source`` (via ``__spec__`` on 3.13)."""


class BadRecord(ValueError):
    """A FRAME record that cannot be rebuilt faithfully; it becomes a generic frame."""


@dataclass(frozen=True)
class _Shape:
    """Everything a stub code object depends on; the key of the compile cache."""

    kind: str  # "function", "module" or "namespace"
    filename: str
    name: str
    qualname: str
    firstlineno: int
    lineno: int
    end_lineno: int
    col: int  # -1: no column information
    end_col: int
    argcount: int = 0
    posonlyargcount: int = 0
    kwonlyargcount: int = 0
    varargs: bool = False
    varkw: bool = False
    argnames: tuple = ()
    stub_name: str = _STUB_NAME


def _columns(value: Any, lineno: int) -> tuple[int, int, int]:
    """``(end_lineno, col, end_col)`` from a record's positions, or no columns."""
    where = positions(value)
    if where is None or where[0] != lineno or None in where:
        return lineno, -1, -1
    return where[1], where[2], where[3]


def _signature(record: Mapping) -> dict:
    """The argument layout of a function frame, checked against its ``varnames``."""
    flags = clean_count(record.get("flags"))
    argcount = clean_count(record.get("argcount"))
    posonly = clean_count(record.get("posonlyargcount"))
    kwonly = clean_count(record.get("kwonlyargcount"))
    varargs = bool(flags & inspect.CO_VARARGS)
    varkw = bool(flags & inspect.CO_VARKEYWORDS)
    total = argcount + kwonly + varargs + varkw
    varnames = record.get("varnames")
    if not isinstance(varnames, (tuple, list)) or total > min(len(varnames), MAX_ARGS):
        raise BadRecord("argument counts do not match varnames")
    if posonly > argcount:
        raise BadRecord("more positional-only arguments than arguments")
    argnames = tuple(varnames[:total])
    if not all(isinstance(n, str) for n in argnames) or len(set(argnames)) != total:
        raise BadRecord("argument names are not distinct strings")
    return dict(argcount=argcount, posonlyargcount=posonly, kwonlyargcount=kwonly,
                varargs=varargs, varkw=varkw, argnames=argnames)


def _str_dict(value: Any) -> dict:
    """The str-keyed entries of a namespace from the file (at most ``MAX_NAMES``)."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in islice(value.items(), MAX_NAMES) if isinstance(k, str)}


def _namespaces(record: Mapping) -> tuple[dict, dict]:
    """A fresh, mutable globals dict (pdb writes into it) and the locals of a record."""
    captured = _str_dict(record.get("globals"))
    glob = {k: v for k, v in captured.items() if k not in _UNSAFE_GLOBALS}
    glob["__builtins__"] = builtins
    module = record.get("module")
    if not isinstance(glob.get("__name__"), str):
        glob["__name__"] = clean_text(module, "__main__")
    glob.setdefault("__file__", clean_text(record.get("filename"), "<unknown>", FILENAME_LIMIT))
    return glob, _str_dict(record.get("locals"))


def _shape(record: Any, glob: dict, loc: dict) -> _Shape:
    """Validate a FRAME record into the shape of its stub. Raises BadRecord."""
    if not isinstance(record, Mapping):
        raise BadRecord("frame record is not a mapping")
    firstlineno = line(record.get("firstlineno")) or 1
    lineno = line(record.get("lineno")) or firstlineno
    firstlineno = min(firstlineno, lineno)
    end_lineno, col, end_col = _columns(record.get("positions"), lineno)
    if record.get("is_module") is True:
        kind, signature = "module", {}
    elif clean_count(record.get("flags")) & inspect.CO_OPTIMIZED:
        kind, signature = "function", _signature(record)
    else:
        kind, signature = "namespace", {}
    name = clean_text(record.get("name"), "<unknown>")
    if kind == "module":
        name = "<module>"  # inspect and pdb recognise module frames by this name
    stub_name = _STUB_NAME
    while stub_name in glob or stub_name in loc:
        stub_name += "_"
    return _Shape(
        kind=kind,
        filename=clean_text(record.get("filename"), "<unknown>", FILENAME_LIMIT),
        name=name,
        qualname=clean_text(record.get("qualname"), name),
        firstlineno=firstlineno, lineno=lineno, end_lineno=end_lineno, col=col, end_col=end_col,
        stub_name=stub_name, **signature,
    )


def _at(node: ast.AST, line: int, col: int, end_line: int, end_col: int) -> ast.AST:
    node.lineno, node.col_offset = line, col
    node.end_lineno, node.end_col_offset = end_line, end_col
    return node


@functools.lru_cache(maxsize=4096)
def _stub_code(shape: _Shape) -> types.CodeType:
    """Compile ``def f(<args>): <stub_name>`` with the load placed where the record says."""
    load = _at(ast.Name(shape.stub_name, ast.Load()),
               shape.lineno, shape.col, shape.end_lineno, shape.end_col)
    body = [_at(ast.Expr(load), shape.lineno, shape.col, shape.end_lineno, shape.end_col)]
    first = shape.firstlineno
    params = [_at(ast.arg(f"a{i}", None), first, 0, first, 1)
              for i in range(len(shape.argnames))]
    posonly = params[: shape.posonlyargcount]
    regular = params[shape.posonlyargcount: shape.argcount]
    rest = iter(params[shape.argcount:])
    kwonly = [next(rest) for _ in range(shape.kwonlyargcount)]
    arguments = ast.arguments(
        posonlyargs=posonly, args=regular, vararg=next(rest) if shape.varargs else None,
        kwonlyargs=kwonly, kw_defaults=[None] * len(kwonly),
        kwarg=next(rest) if shape.varkw else None, defaults=[],
    )
    extra = {"type_params": []} if sys.version_info >= (3, 12) else {}
    func = _at(ast.FunctionDef("f", arguments, body, [], None, None, **extra),
               first, 0, shape.end_lineno, max(shape.end_col, 0))
    module = compile(ast.Module([func], []), "<pydumpling stub>", "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    changes: dict[str, Any] = {"co_filename": shape.filename, "co_name": shape.name,
                               "co_varnames": shape.argnames}
    if sys.version_info >= (3, 11):
        changes["co_qualname"] = shape.qualname
    if shape.kind != "function":
        changes["co_flags"] = code.co_flags & ~_NOT_FUNCTION_FLAGS
    return code.replace(**changes)


def _call_arguments(shape: _Shape, loc: dict) -> tuple[list, dict]:
    """Positional and keyword arguments that bind the stub's parameters to the captured values."""
    names = iter(shape.argnames)
    positional = [loc.get(next(names), NOT_CAPTURED) for _ in range(shape.argcount)]
    kwonly = [next(names) for _ in range(shape.kwonlyargcount)]
    keywords = {n: loc.get(n, NOT_CAPTURED) for n in kwonly}
    if shape.varargs:
        extra = loc.get(next(names))
        positional.extend(extra if isinstance(extra, (tuple, list)) else ())
    if shape.varkw:
        extra = loc.get(next(names))
        taken = set(shape.argnames[shape.posonlyargcount:])
        if isinstance(extra, dict):
            keywords.update({k: v for k, v in extra.items()
                             if isinstance(k, str) and k not in taken})
    return positional, keywords


def _run_stub(shape: _Shape, glob: dict, loc: dict) -> types.TracebackType:
    """Execute the stub and return the traceback entry of its (now finished) frame."""
    code = _stub_code(shape)
    try:
        if shape.kind == "function":
            positional, keywords = _call_arguments(shape, loc)
            types.FunctionType(code, glob, shape.name)(*positional, **keywords)
        elif shape.kind == "module":
            glob.update(loc)
            exec(code, glob)
        else:
            exec(code, glob, dict(loc))
    except NameError as exc:
        tb = exc.__traceback__.tb_next
    else:  # pragma: no cover - the stub always raises
        raise BadRecord("stub did not raise")
    if shape.kind == "function":
        frame_locals = tb.tb_frame.f_locals  # a dict before 3.13, a write-through proxy after
        for key, value in loc.items():
            if key not in shape.argnames:
                frame_locals[key] = value
    return tb


def _generic_frame(label: str) -> types.TracebackType:
    """A stand-in entry for a record that could not be rebuilt (or for left-out frames)."""
    glob = {"__builtins__": builtins, "__name__": "<pydumpling>"}
    shape = _Shape(kind="namespace", filename=f"<{label}>", name="<pydumpling>",
                   qualname="<pydumpling>", firstlineno=1, lineno=1, end_lineno=1,
                   col=-1, end_col=-1)
    return _run_stub(shape, glob, {})


def build_frame(record: Any) -> types.TracebackType:
    """One traceback entry whose ``tb_frame`` is a real frame rebuilt from a FRAME record."""
    try:
        glob, loc = _namespaces(record) if isinstance(record, Mapping) else ({}, {})
        return _run_stub(_shape(record, glob, loc), glob, loc)
    except Exception as exc:  # any defect of a hostile or damaged record
        return _generic_frame(f"unreadable frame record: {clean_text(str(exc), '?')}")


def build_traceback(records: Any, frames_cut: Any = 0,
                    cut_at: Any = None) -> types.TracebackType | None:
    """Rebuild a whole stack (records outermost first) as a linked chain of real tracebacks.

    Frames left out of the middle of a huge stack show up as one entry naming
    how many, so a cut is never silent. Every entry is built, so callers with
    records from a file pass them through ``records.stack`` first (the loader's
    ``Dump`` does). Linking outermost first keeps each
    ``tb_next`` assignment O(1) (CPython walks the new chain to refuse loops).
    """
    if not isinstance(records, (list, tuple)):
        return None
    entries = [build_frame(r) for r in records]
    left_out = clean_count(frames_cut)
    if left_out:
        index = cut_at if isinstance(cut_at, int) and 0 <= cut_at <= len(entries) else len(entries)
        entries.insert(index, _generic_frame(f"{left_out:,} frames left out"))
    for outer, inner in zip(entries, entries[1:]):
        outer.tb_next = inner
    return entries[0] if entries else None


@contextmanager
def embedded_sources(sources: Any) -> Iterator[None]:
    """Serve the dump's embedded sources through ``linecache`` for the duration of a session.

    An ``mtime`` of ``None`` makes ``linecache.checkcache`` keep the entry even
    when the file on disk is gone or has changed, so ``ll`` shows the code that
    crashed. Entries that existed before are put back afterwards.
    """
    absent = object()
    saved: dict[str, Any] = {}
    for filename, text in (sources.items() if isinstance(sources, dict) else ()):
        if not isinstance(filename, str) or not isinstance(text, str):
            continue
        name = clean_text(filename, "<unknown>", FILENAME_LIMIT)
        lines = io.StringIO(text, newline=None).readlines()  # universal newlines, like linecache
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        saved.setdefault(name, linecache.cache.get(name, absent))
        linecache.cache[name] = (len(text), None, lines, name)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is absent:
                linecache.cache.pop(name, None)
            else:
                linecache.cache[name] = old
