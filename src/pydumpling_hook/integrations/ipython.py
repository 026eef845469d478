"""IPython and Jupyter: one dump per failing cell.

A cell's exception never reaches ``sys.excepthook``: IPython's ``run_code``
catches it and calls ``InteractiveShell.showtraceback``, which a kernel also
goes through (it overrides only ``_showtraceback``, the display step). So we
wrap ``showtraceback`` on the class, once ``IPython.core.interactiveshell`` is
imported, and dump the exception before IPython shows its usual traceback.
The class attribute covers every shell (terminal, ``ipykernel``) whenever it
is created, and leaves ``set_custom_exc`` to the user.

What IPython shows differs from the raw exception in two ways, and the dump
follows IPython: the first traceback entry, ``run_code`` itself, is left out
(IPython hides it too, and the kernel machinery above it), and a cell's
frames are filed under IPython's label, ``Cell In[3]``, rather than a
temporary file name (``/tmp/ipykernel_…/….py``) or ``<ipython-input-…>``;
the cell's source is embedded under that label, and ``meta.extra.cells``
keeps the real names. Every other dump written in the process (a thread, a
logged error, ``save_dumping`` in a cell) names cells the same way.
Activation: the ``.pth`` autostart (the shell module is imported later and
patched then), ``%load_ext pydumpling_hook`` or ``pydumpling_hook.install()``
in a cell.
"""

from __future__ import annotations

from ..engine import renames
from . import _patch
from ._common import announce_dump, capture

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any

TAG = "ipython"
REASON = "ipython"
MAX_CELLS = 1000
_NOT_DUMPED = ("UsageError",)  # a magic's usage message, not a crash
_state: dict = {}


def patch(interactiveshell: Any) -> None:
    """Called once ``IPython.core.interactiveshell`` is imported."""
    shell_class = interactiveshell.InteractiveShell
    _patch.wrap(shell_class, "showtraceback", _showtraceback, TAG)
    _state["run_code"] = getattr(shell_class.run_code, "__code__", None)
    _state["module"] = interactiveshell
    renames.name_files(cell_names)


def _showtraceback(original: Any, args: tuple, kwargs: dict) -> Any:
    path = None
    try:
        shell = args[0]
        exc_tuple = args[1] if len(args) > 1 else kwargs.get("exc_tuple")
        exc = shell._get_exc_info(exc_tuple)[1]
        if type(exc).__name__ not in _NOT_DUMPED:
            path = _dump(shell, exc)
    except Exception:  # no exception to show: IPython says so itself
        path = None
    try:
        return original(*args, **kwargs)
    finally:
        announce_dump(path)


def _dump(shell: Any, exc: BaseException) -> Any:
    """Dump ``exc`` as IPython shows it: without ``run_code``'s entry or the kernel above it."""
    tb = exc.__traceback__
    hidden = tb is not None and tb.tb_next is not None and tb.tb_frame.f_code is _state.get(
        "run_code")
    if hidden:
        exc.__traceback__ = tb.tb_next
    try:
        return capture(exc, REASON, extra=_cells_of(exc), announce=False, outer=False)
    finally:
        if hidden:
            exc.__traceback__ = tb


def _cells_of(exc: BaseException) -> dict:
    """``meta.extra``: the failing cell's label, and the real file name of each cell in
    the traceback (``{"Cell In[3]": "/tmp/ipykernel_…/….py"}``)."""
    names = cell_names()
    cells: dict = {}
    first = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        label = names.get(filename)
        if label is not None:
            cells[label] = filename
            first = first or label
        tb = tb.tb_next
    return {"cell": first, "cells": cells}


def cell_names() -> dict:
    """``{cell file name: "Cell In[3]"}`` for the running shell's latest cells, as IPython
    names them in its tracebacks; every dump written in the process files them so."""
    module = _state.get("module")
    shell = getattr(module.InteractiveShell, "_instance", None) if module else None
    compiler = getattr(shell, "compile", None)
    known = getattr(compiler, "_filename_map", None)
    if not isinstance(known, dict):
        return {}
    names = {}
    for name in list(known)[-MAX_CELLS:]:
        label = _label(compiler, name, known)
        if label:
            names[name] = label
    return names


def _label(compiler: Any, name: str, known: dict) -> Any:
    """IPython 8+ asks the compiler (``("Cell", "In[3]")``); older ones only keep the count."""
    format_name = getattr(compiler, "format_code_name", None)
    if format_name is not None:
        pair = format_name(name)
        if isinstance(pair, tuple) and len(pair) == 2:
            return f"{pair[0]} {pair[1]}"
    number = known.get(name)
    return f"Cell In[{number}]" if isinstance(number, int) else None
