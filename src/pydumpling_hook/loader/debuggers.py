"""Open pdb, ipdb, pudb or pdbpp post-mortem on a dump's rebuilt exception.

Each debugger gets what it expects: pdb on 3.13 and ipdb get the exception
itself, so that ``exceptions`` walks the chain; pudb wants the
``(tb, type, value)`` triple; older pdb and pdbpp get the traceback. Before
3.13, stock pdb cannot walk a chain, so ``exception_path`` opens another
exception of it: ``"cause"``, ``"context"``, ``"context.cause"``,
``"members.0"``... (the same paths as in the originals section).

pdbpp hijacks ``import pdb`` through a ``.pth`` file when installed, which
breaks ipdb (and, on 3.13.0, every ``import pdb``). ``stdlib_pdb`` imports the
real pdb with the hijack's path entry hidden; ``prepare_process`` (for the
CLI, called before anything imports pdb) also re-executes the interpreter with
``PDBPP_HIJACK_PDB=0`` if some module already imported the hijacked pdb.

A session leaves the process as it found it: linecache entries, hooks, the
standard streams and ``__main__`` (IPython swaps it) are restored.
"""

from __future__ import annotations

import linecache
import os
import sys
import types
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from .dump import Dump

DEBUGGERS = ("pdb", "ipdb", "pudb", "pdbpp")
_HIJACK_DIR = "_pdbpp_path_hack"


class DebuggerUnavailable(RuntimeError):
    """The chosen debugger cannot run here. The message is one line for the user."""


def _hijacked(module: types.ModuleType | None) -> bool:
    return module is not None and os.path.basename(getattr(module, "__file__", "") or "") == "pdbpp.py"


def stdlib_pdb() -> types.ModuleType:
    """Import the standard library's pdb, even where pdbpp's ``.pth`` redirects ``import pdb``."""
    module = sys.modules.get("pdb")
    if _hijacked(module):
        raise DebuggerUnavailable(
            "pdbpp replaced pdb in this process; start Python with PDBPP_HIJACK_PDB=0"
        )
    if module is not None:
        return module
    saved = list(sys.path)
    sys.path[:] = [p for p in saved if not p.rstrip(os.sep).endswith(_HIJACK_DIR)]
    try:
        import pdb
    finally:
        sys.path[:] = saved
    return pdb


def prepare_process(debugger: str, argv: list[str] | None = None) -> None:
    """Make sure ``debugger`` can run in this process; call it first thing in the CLI.

    Only when another debugger than pdbpp is wanted and pdb is already the
    hijacked one (imported by something at startup) does it re-execute the
    interpreter with ``PDBPP_HIJACK_PDB=0``; otherwise it imports the real pdb
    so that later imports (IPython's) get it.
    """
    if debugger == "pdbpp":
        return
    if _hijacked(sys.modules.get("pdb")) and os.environ.get("PDBPP_HIJACK_PDB") != "0":
        command = [sys.executable, *(argv if argv is not None else _own_arguments())]
        os.execve(sys.executable, command, {**os.environ, "PDBPP_HIJACK_PDB": "0"})
    try:
        stdlib_pdb()
    except DebuggerUnavailable:
        pass  # reported when the session starts, with the debugger's name


def _own_arguments() -> list[str]:
    """The interpreter arguments that started this process (``sys.orig_argv`` is 3.10+)."""
    if hasattr(sys, "orig_argv"):
        return list(sys.orig_argv[1:])
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:
        name = spec.name[: -len(".__main__")] if spec.name.endswith(".__main__") else spec.name
        return ["-m", name, *sys.argv[1:]]
    return list(sys.argv)


def _run_pdb(exc: BaseException) -> None:
    pdb = stdlib_pdb()
    pdb.post_mortem(exc if sys.version_info >= (3, 13) else exc.__traceback__)


def _run_ipdb(exc: BaseException) -> None:
    stdlib_pdb()  # before IPython imports pdb
    import ipdb

    ipdb.post_mortem(exc)  # IPython's debugger takes an exception on every version


def _run_pudb(exc: BaseException) -> None:
    import pudb

    pudb.post_mortem(exc.__traceback__, type(exc), exc)


def _run_pdbpp(exc: BaseException) -> None:
    import pdbpp

    pdbpp.post_mortem(exc.__traceback__)


_RUNNERS: dict[str, Callable[[BaseException], None]] = {
    "pdb": _run_pdb, "ipdb": _run_ipdb, "pudb": _run_pudb, "pdbpp": _run_pdbpp,
}
_IMPORTS = {"pdb": "pdb", "ipdb": "ipdb", "pudb": "pudb", "pdbpp": "pdbpp"}


def check_available(debugger: str) -> None:
    """Import ``debugger`` now and turn any failure into one ``DebuggerUnavailable`` line."""
    if debugger not in _RUNNERS:
        raise DebuggerUnavailable(f"unknown debugger {debugger!r}; choose from {', '.join(DEBUGGERS)}")
    version = ".".join(map(str, sys.version_info[:3]))
    try:
        if debugger != "pdbpp":
            stdlib_pdb()
        __import__(_IMPORTS[debugger])
    except ModuleNotFoundError as exc:
        if exc.name != debugger:
            raise DebuggerUnavailable(f"{debugger} is broken on Python {version}: {exc}") from None
        raise DebuggerUnavailable(
            f"{debugger} is not installed (pip install 'pydumpling-hook[{debugger}]')"
        ) from None
    except DebuggerUnavailable:
        raise
    except Exception as exc:  # e.g. pdbpp on 3.13.0: "module 'pdb' has no attribute ..."
        raise DebuggerUnavailable(
            f"{debugger} does not work on Python {version}: {type(exc).__name__}: {exc}"
        ) from None


@contextmanager
def _process_state() -> Iterator[None]:
    """Put back what debuggers change in the process: hooks, streams, ``__main__``, tracing."""
    saved_sys = {name: getattr(sys, name) for name in (
        "excepthook", "displayhook", "breakpointhook", "stdin", "stdout", "stderr")}
    main = sys.modules.get("__main__")
    saved_linecache = {name: getattr(linecache, name) for name in ("checkcache", "getline", "getlines")}
    trace = sys.gettrace()
    try:
        yield
    finally:
        sys.settrace(trace)
        for name, value in saved_sys.items():
            setattr(sys, name, value)
        if main is not None:
            sys.modules["__main__"] = main
        for name, value in saved_linecache.items():
            setattr(linecache, name, value)


def debug(dump: Dump, debugger: str = "pdb", thread: str | int | None = None,
          exception_path: str | None = None) -> None:
    """Run ``debugger`` post-mortem on the dump until the user quits.

    Opens at the innermost frame of the crashing exception, or of the
    exception at ``exception_path``, or of the stack of ``thread`` (name or
    ident). Raises ``DebuggerUnavailable`` or ``dump.TargetNotFound`` with a
    one-line message before anything is shown.
    """
    check_available(debugger)
    target = dump.target(thread=thread, exception_path=exception_path)
    with _process_state(), dump.sources_in_linecache():
        _RUNNERS[debugger](target)
