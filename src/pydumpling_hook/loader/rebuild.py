"""Turn a dump's FRAME and EXC records into real traceback, frame and exception objects.

Why real objects: pdb, ipdb, pudb, pdbpp, ``inspect`` and ``traceback`` all
check ``isinstance(x, TracebackType)`` somewhere, and 3.13's pdb ``exceptions``
command needs real exceptions carrying real tracebacks. Real objects need no
patching of anything in the process.

How: for each FRAME we run a tiny function whose only statement loads an
undefined global. The AST node carries the recorded line and column span, and
the code object gets the recorded file, names and argument layout, so the
NameError it raises yields a traceback entry that reads exactly like the
original (same ``tb_lineno``, same ``co_positions()`` for the carets, same
``co_firstlineno`` for ``ll``). We call it with the captured argument values,
then add the other locals through ``frame.f_locals``, and link the entries with
``tb_next``. Every field from the file is validated; a record that cannot be
honoured becomes a generic frame rather than an error.

What is compiled is only the *shape* of the load (its lines relative to the
first line, and its columns): parameters, names and the first line are set
with ``code.replace`` afterwards, because line tables are relative to
``co_firstlineno``. So 2,000 frames of one function compile one stub, and a
frame with thousands of parameters costs a tuple, not a compile. The work of a
whole rebuild is bounded by a ``Budget`` of frames and namespace entries.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import reprlib
import sys
import types
from collections.abc import Mapping  # isinstance through typing.Mapping takes 3x as long
from dataclasses import dataclass
from itertools import islice
from typing import Any

from .records import MAX_NAMES, MAX_REBUILT_FRAMES, line, positions
from .text import bounded_repr, terminal
from .values import NOT_CAPTURED, clean_count, clean_text

MAX_ARGS = 300
"""Parameters rebuilt per frame; a frame with more keeps its locals but not its signature."""
MAX_TOTAL_NAMES = 1_000_000
"""Namespace entries (locals, globals) put into the rebuilt frames of one exception graph."""
FILENAME_LIMIT = 4096

_STUB_NAME = "__pydumpling_frame__"
_NOT_FUNCTION_FLAGS = inspect.CO_OPTIMIZED | inspect.CO_NEWLOCALS
_UNSAFE_GLOBALS = ("__builtins__", "__loader__", "__spec__")
"""Never taken from a file: linecache calls ``__loader__.get_source`` (via ``__spec__`` on 3.13)."""
_SHOWN_BY_BDB = ("__return__", "__args__")
"""Locals that bdb formats with ``reprlib`` in every stack entry, outside pdb's error handling."""


class BadRecord(ValueError):
    """A FRAME record that cannot be rebuilt faithfully; it becomes a generic frame."""


class Budget:
    """What one rebuild may still spend: frames, and entries copied into namespaces."""

    def __init__(self, frames: int = MAX_REBUILT_FRAMES, names: int = MAX_TOTAL_NAMES) -> None:
        self.frames = frames
        self.names = names


class _Shown:
    """Stands for a value whose repr fails (a 5,000-digit int): bdb's stack entry prints it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Load:
    """Where the stub's one load sits, relative to its first line: the compile cache key."""

    kind: str  # "function", "module" or "namespace"
    line: int  # 1 is the first line
    end_line: int
    col: int  # -1: no column information
    end_col: int
    stub_name: str


@dataclass(frozen=True)
class _Shape:
    """Everything else a frame's code object says about it."""

    load: _Load
    filename: str
    name: str
    qualname: str
    firstlineno: int
    lineno: int
    argcount: int = 0
    posonlyargcount: int = 0
    kwonlyargcount: int = 0
    varargs: bool = False
    varkw: bool = False
    argnames: tuple = ()


def _columns(value: Any, lineno: int) -> tuple[int, int, int]:
    """``(end_lineno, col, end_col)`` from a record's positions, or no columns."""
    where = positions(value)
    if where is None or where[0] != lineno or None in where:
        return lineno, -1, -1
    return where[1], where[2], where[3]


def _signature(record: Mapping) -> dict | None:
    """The argument layout of a function frame, checked against its ``varnames``; None
    when it has more than ``MAX_ARGS`` parameters."""
    flags = clean_count(record.get("flags"))
    argcount = clean_count(record.get("argcount"))
    posonly = clean_count(record.get("posonlyargcount"))
    kwonly = clean_count(record.get("kwonlyargcount"))
    varargs = bool(flags & inspect.CO_VARARGS)
    varkw = bool(flags & inspect.CO_VARKEYWORDS)
    total = argcount + kwonly + varargs + varkw
    varnames = record.get("varnames")
    if not isinstance(varnames, (tuple, list)) or total > len(varnames):
        raise BadRecord("argument counts do not match varnames")
    if posonly > argcount:
        raise BadRecord("more positional-only arguments than arguments")
    if total > MAX_ARGS:
        return None
    argnames = tuple(varnames[:total])
    if not all(isinstance(n, str) for n in argnames) or len(set(argnames)) != total:
        raise BadRecord("argument names are not distinct strings")
    return dict(argcount=argcount, posonlyargcount=posonly, kwonlyargcount=kwonly,
                varargs=varargs, varkw=varkw, argnames=tuple(terminal(n) for n in argnames))


def _shown(value: Any) -> Any:
    try:
        reprlib.repr(value)
    except Exception:  # e.g. an int past sys.get_int_max_str_digits()
        return _Shown(bounded_repr(value))
    return value


def _str_dict(value: Any, budget: Budget) -> dict:
    """The str-keyed entries of a namespace from the file, within the budget.

    Names are escaped like any text a debugger shows (its variables pane lists them).
    """
    if not isinstance(value, dict):
        return {}
    taken = min(len(value), MAX_NAMES, max(budget.names, 0))
    budget.names -= taken
    names = {k if k.isprintable() else terminal(k): v
             for k, v in islice(value.items(), taken) if isinstance(k, str)}
    for name in _SHOWN_BY_BDB:
        if name in names:
            names[name] = _shown(names[name])
    return names


def _safe(namespace: dict) -> dict:
    return {k: v for k, v in namespace.items() if k not in _UNSAFE_GLOBALS}


def _namespaces(record: Mapping, budget: Budget) -> tuple[dict, dict]:
    """A fresh, mutable globals dict (pdb writes into it) and the locals of a record.

    Names that linecache or the import system would act on are dropped from both:
    a module frame's locals become its globals.
    """
    glob = _safe(_str_dict(record.get("globals"), budget))
    glob["__builtins__"] = builtins
    module = record.get("module")
    if not isinstance(glob.get("__name__"), str):
        glob["__name__"] = clean_text(module, "__main__")
    glob.setdefault("__file__", clean_text(record.get("filename"), "<unknown>", FILENAME_LIMIT))
    return glob, _safe(_str_dict(record.get("locals"), budget))


def _shape(record: Any, glob: dict, loc: dict) -> _Shape:
    """Validate a FRAME record into the shape of its stub. Raises BadRecord."""
    if not isinstance(record, Mapping):
        raise BadRecord("frame record is not a mapping")
    firstlineno = line(record.get("firstlineno")) or 1
    lineno = line(record.get("lineno")) or firstlineno
    firstlineno = min(firstlineno, lineno)
    end_lineno, col, end_col = _columns(record.get("positions"), lineno)
    signature = None
    if record.get("is_module") is True:
        kind = "module"
    elif clean_count(record.get("flags")) & inspect.CO_OPTIMIZED:
        signature = _signature(record)
        kind = "namespace" if signature is None else "function"
    else:
        kind = "namespace"
    name = clean_text(record.get("name"), "<unknown>")
    if kind == "module":
        name = "<module>"  # inspect and pdb recognise module frames by this name
    stub_name = _STUB_NAME
    while stub_name in glob or stub_name in loc:
        stub_name += "_"
    load = _Load(kind, lineno - firstlineno + 1, end_lineno - firstlineno + 1, col, end_col,
                 stub_name)
    return _Shape(
        load=load,
        filename=clean_text(record.get("filename"), "<unknown>", FILENAME_LIMIT),
        name=name,
        qualname=clean_text(record.get("qualname"), name),
        firstlineno=firstlineno, lineno=lineno, **(signature or {}),
    )


def _at(node: ast.AST, line: int, col: int, end_line: int, end_col: int) -> ast.AST:
    node.lineno, node.col_offset = line, col
    node.end_lineno, node.end_col_offset = end_line, end_col
    return node


@functools.lru_cache(maxsize=4096)
def _compiled(load: _Load) -> types.CodeType:
    """Compile ``def f(): <stub_name>`` starting at line 1, the load placed as ``load`` says."""
    where = (load.line, load.col, load.end_line, load.end_col)
    body = [_at(ast.Expr(_at(ast.Name(load.stub_name, ast.Load()), *where)), *where)]
    arguments = ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                              kw_defaults=[], kwarg=None, defaults=[])
    extra = {"type_params": []} if sys.version_info >= (3, 12) else {}
    func = _at(ast.FunctionDef("f", arguments, body, [], None, None, **extra),
               1, 0, load.end_line, max(load.end_col, 0))
    module = compile(ast.Module([func], []), "<pydumpling stub>", "exec")
    return next(c for c in module.co_consts if isinstance(c, types.CodeType))


def _stub_code(shape: _Shape) -> types.CodeType:
    """The compiled load, moved to the frame's first line and given its names and
    parameters (the stub's body never reads them, so no compile is needed for them)."""
    code = _compiled(shape.load)
    flags = code.co_flags
    if shape.load.kind != "function":
        flags &= ~_NOT_FUNCTION_FLAGS
    flags |= inspect.CO_VARARGS * shape.varargs | inspect.CO_VARKEYWORDS * shape.varkw
    changes: dict[str, Any] = {
        "co_filename": shape.filename, "co_name": shape.name,
        "co_firstlineno": shape.firstlineno, "co_flags": flags,
        "co_argcount": shape.argcount, "co_posonlyargcount": shape.posonlyargcount,
        "co_kwonlyargcount": shape.kwonlyargcount, "co_varnames": shape.argnames,
        "co_nlocals": len(shape.argnames),
    }
    if sys.version_info >= (3, 11):
        changes["co_qualname"] = shape.qualname
    return code.replace(**changes)


def _call_arguments(shape: _Shape, loc: dict) -> tuple[list, dict]:
    """Positional and keyword arguments that bind the stub's parameters to the captured values."""
    names = iter(shape.argnames)
    positional = [loc.get(next(names), NOT_CAPTURED) for _ in range(shape.argcount)]
    kwonly = [next(names) for _ in range(shape.kwonlyargcount)]
    keywords = {n: loc.get(n, NOT_CAPTURED) for n in kwonly}
    if shape.varargs:
        extra = loc.get(next(names))
        positional.extend(extra[:MAX_ARGS] if isinstance(extra, (tuple, list)) else ())
    if shape.varkw:
        extra = loc.get(next(names))
        taken = set(shape.argnames[shape.posonlyargcount:])
        if isinstance(extra, dict):
            keywords.update({k: v for k, v in islice(extra.items(), MAX_ARGS)
                             if isinstance(k, str) and k not in taken})
    return positional, keywords


def _run_stub(shape: _Shape, glob: dict, loc: dict) -> types.TracebackType:
    """Execute the stub and return the traceback entry of its (now finished) frame."""
    code = _stub_code(shape)
    kind = shape.load.kind
    try:
        if kind == "function":
            positional, keywords = _call_arguments(shape, loc)
            types.FunctionType(code, glob, shape.name)(*positional, **keywords)
        elif kind == "module":
            glob.update(loc)
            exec(code, glob)
        else:
            exec(code, glob, dict(loc))
    except NameError as exc:
        tb = exc.__traceback__.tb_next
    else:  # pragma: no cover - the stub always raises
        raise BadRecord("stub did not raise")
    if kind == "function":
        frame_locals = tb.tb_frame.f_locals  # a dict before 3.13, a write-through proxy after
        for key, value in loc.items():
            if key not in shape.argnames:
                frame_locals[key] = value
    return tb


def _generic_frame(label: str) -> types.TracebackType:
    """A stand-in entry for a record that could not be rebuilt (or for left-out frames)."""
    glob = {"__builtins__": builtins, "__name__": "<pydumpling>"}
    shape = _Shape(load=_Load("namespace", 1, 1, -1, -1, _STUB_NAME), filename=f"<{label}>",
                   name="<pydumpling>", qualname="<pydumpling>", firstlineno=1, lineno=1)
    return _run_stub(shape, glob, {})


def build_frame(record: Any, budget: Budget | None = None) -> types.TracebackType:
    """One traceback entry whose ``tb_frame`` is a real frame rebuilt from a FRAME record."""
    try:
        glob, loc = _namespaces(record, budget or Budget()) if isinstance(record, Mapping) \
            else ({}, {})
        return _run_stub(_shape(record, glob, loc), glob, loc)
    except Exception as exc:  # any defect of a hostile or damaged record
        return _generic_frame(f"unreadable frame record: {clean_text(str(exc), '?')}")


def build_traceback(records: Any, frames_cut: Any = 0, cut_at: Any = None,
                    budget: Budget | None = None) -> types.TracebackType | None:
    """Rebuild a whole stack (records outermost first) as a linked chain of real tracebacks.

    Frames left out of the middle of a huge stack show up as one entry naming
    how many, so a cut is never silent. Every entry is built, so callers with
    records from a file pass them through ``records.stack`` first (the loader's
    ``Dump`` does). Linking outermost first keeps each
    ``tb_next`` assignment O(1) (CPython walks the new chain to refuse loops).
    """
    if not isinstance(records, (list, tuple)):
        return None
    budget = budget or Budget()
    entries = [build_frame(r, budget) for r in records]
    left_out = clean_count(frames_cut)
    if left_out:
        index = cut_at if isinstance(cut_at, int) and 0 <= cut_at <= len(entries) else len(entries)
        entries.insert(index, _generic_frame(f"{left_out:,} frames left out"))
    for outer, inner in zip(entries, entries[1:]):
        outer.tb_next = inner
    return entries[0] if entries else None
