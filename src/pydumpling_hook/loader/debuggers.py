"""Open pdb, ipdb, pudb, pdbpp or pdbp post-mortem on a dump's rebuilt exception.

Each debugger gets what it expects: pdb on 3.13 and ipdb get the exception
itself, so that ``exceptions`` walks the chain; pudb wants the
``(tb, type, value)`` triple; older pdb, pdbpp and pdbp get the traceback. Before
3.13, stock pdb cannot walk a chain, so ``exception_path`` opens another
exception of it: ``"cause"``, ``"context"``, ``"context.cause"``,
``"members.0"``... (the same paths as in the originals section).

pdbpp hijacks ``import pdb`` through a ``.pth`` file when installed, which
breaks ipdb (and, on 3.13.0, every ``import pdb``). ``stdlib_pdb`` finds the
real pdb in any case (see there), and ipdb is imported while ``sys.modules``
maps ``pdb`` to it, so no re-exec with ``PDBPP_HIJACK_PDB=0`` is needed.
pdbp (the maintained Pdb+ fork) has no ``.pth``; importing it sets its
classes on the ``pdb`` module of the process that imports it, which is the
loader's own process here, never the user's program.

A session leaves the process as it found it: linecache entries, hooks, the
standard streams, ``sys.path`` and ``__main__`` (IPython swaps it) are restored.

A dump may come with files beside it (a bug report is a directory), and the
debuggers read configuration that runs code from the current directory: pdb
and pdbpp run ``./.pdbrc``, ipdb reads ``./setup.cfg``, ``./.ipdb`` and
``./pyproject.toml``, and IPython puts the current directory on ``sys.path``
(so a ``./pygments.py`` would be imported). None of that happens unless
``rc=True`` (``--rc``). The user's own ``~/.pdbrc`` is still read: it is theirs,
not the dump's, and whoever can write it can run code as them anyway. Source
comes from the dump only (see ``sources``).
"""

from __future__ import annotations

import inspect
import linecache
import os
import sys
import types
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, List, NamedTuple

if TYPE_CHECKING:
    from .dump import Dump

DEBUGGERS = ("pdb", "ipdb", "pudb", "pdbpp", "pdbp")
_HIJACK_DIR = "_pdbpp_path_hack"
MAX_BLOCK = 100_000
"""Characters of source ``ll`` may tokenize to find a function's end (some 2,500 lines of
real code; a hostile file's function can be megabytes, a second of tokenizing each)."""
_GETBLOCK = inspect.getblock


class DebuggerUnavailable(ImportError):
    """The chosen debugger cannot run here. The message is one line for the user.

    An ImportError, because that is what the failure is, whatever the cause.
    """


def _hijacked(module: types.ModuleType | None) -> bool:
    filename = getattr(module, "__file__", None) or ""
    return os.path.basename(filename) == "pdbpp.py"


def stdlib_pdb() -> types.ModuleType:
    """The standard library's pdb, even where pdbpp's ``.pth`` redirects ``import pdb``.

    Not imported yet: import it with the hijack's path entry hidden. Already
    hijacked: pdbpp keeps its own copy of the real module as ``pdbpp.pdb``.
    """
    module = sys.modules.get("pdb")
    if _hijacked(module):
        real = getattr(module, "pdb", None)
        if not isinstance(real, types.ModuleType) or _hijacked(real):
            raise DebuggerUnavailable("pdbpp replaced pdb in this process and hides the real one")
        return real
    if module is not None:
        return module
    saved = list(sys.path)
    sys.path[:] = [p for p in saved if not p.rstrip(os.sep).endswith(_HIJACK_DIR)]
    try:
        import pdb
    finally:
        sys.path[:] = saved
    return pdb


@contextmanager
def _stdlib_pdb_imported() -> Iterator[None]:
    """While IPython is imported, ``import pdb`` gives the real pdb (its debugger subclasses it)."""
    real = stdlib_pdb()
    previous = sys.modules.get("pdb")
    sys.modules["pdb"] = real
    try:
        yield
    finally:
        if previous is not None:
            sys.modules["pdb"] = previous


class Options(NamedTuple):
    """How a session runs: its streams (``--rdebug``) and whether the current directory's
    rc files count (``--rc``)."""

    stdin: IO[str] | None = None
    stdout: IO[str] | None = None
    rc: bool = False


def rc_lines(rc: bool) -> List[str]:
    """The commands pdb would read from ``~/.pdbrc`` and, with ``rc``, ``./.pdbrc``."""
    lines: List[str] = []
    seen = set()
    for path in [os.path.expanduser("~/.pdbrc"), *([".pdbrc"] if rc else [])]:
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        try:
            with open(path, encoding="utf-8") as rcfile:
                lines.extend(rcfile)
        except (OSError, UnicodeError):
            pass
    return lines


def _interact(session: Any, exc: BaseException, options: Options) -> None:
    """What ``post_mortem`` does, with the rc files chosen here (``readrc=False``)."""
    session.rcLines.extend(rc_lines(options.rc))
    session.reset()
    session.interaction(None, exc if sys.version_info >= (3, 13) else exc.__traceback__)


def _run_pdb(exc: BaseException, options: Options) -> None:
    _interact(stdlib_pdb().Pdb(stdin=options.stdin, stdout=options.stdout, readrc=False),
              exc, options)


def _run_ipdb(exc: BaseException, options: Options) -> None:
    with _stdlib_pdb_imported():
        import ipdb
        from IPython import get_ipython

    if options.rc:
        ipdb.post_mortem(exc)  # IPython's debugger takes an exception on every version
        return
    shell = get_ipython()
    if shell is None:  # what ipdb does, without the current directory on sys.path
        from IPython.terminal.ipapp import TerminalIPythonApp

        app = TerminalIPythonApp()
        app.interact = False
        app.initialize(["--no-term-title", "--ignore-cwd"])
        shell = app.shell
    context = os.environ.get("IPDB_CONTEXT_SIZE", "3")
    session = shell.debugger_cls(context=int(context) if context.isdigit() else 3,
                                 readrc=False)
    session.rcLines.extend(rc_lines(False))
    session.reset()
    session.interaction(None, exc)


def _run_pudb(exc: BaseException, options: Options) -> None:
    import pudb

    pudb.post_mortem(exc.__traceback__, type(exc), exc)


def _run_pdbpp(exc: BaseException, options: Options) -> None:
    import pdbpp

    _interact(pdbpp.Pdb(readrc=False), exc, options)


def _run_pdbp(exc: BaseException, options: Options) -> None:
    with _stdlib_pdb_imported():  # pdbp patches the pdb it imports: the real one, not pdbpp
        import pdbp

    _interact(pdbp.Pdb(readrc=False), exc, options)


_RUNNERS: dict[str, Callable[..., None]] = {
    "pdb": _run_pdb, "ipdb": _run_ipdb, "pudb": _run_pudb, "pdbpp": _run_pdbpp,
    "pdbp": _run_pdbp,
}


def check_available(debugger: str) -> None:
    """Import ``debugger`` now and turn any failure into one ``DebuggerUnavailable`` line."""
    if debugger not in _RUNNERS:
        choices = ", ".join(DEBUGGERS)
        raise DebuggerUnavailable(f"unknown debugger {debugger!r}; choose from {choices}")
    version = ".".join(map(str, sys.version_info[:3]))
    try:
        if debugger == "pdbpp":
            __import__(debugger)
        else:
            with _stdlib_pdb_imported():
                __import__(debugger)
    except ModuleNotFoundError as exc:
        if debugger == "pdbpp" and sys.version_info[:3] == (3, 13, 0):
            raise DebuggerUnavailable(
                "pdbpp 0.12.1 cannot run on Python 3.13.0: it copies pdb.itertools and "
                "pdb._colorize, which 3.13.0's pdb does not have, so the [pdbpp] extra skips "
                "3.13.0; use pdbp (the maintained fork), pdb, ipdb or pudb"
            ) from None
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


def _block(lines: List[str]) -> List[str]:
    """``inspect.getblock`` for a session: what ``ll`` tokenizes is bounded, and source
    that does not tokenize (an unclosed bracket) gives its first line instead of an error
    that would end the session."""
    size, count = 0, len(lines)
    for index, row in enumerate(lines):
        size += len(row)
        if size > MAX_BLOCK:
            count = max(index, 1)
            break
    try:
        return _GETBLOCK(lines[:count])
    except Exception:  # tokenize.TokenError, SyntaxError, IndentationError
        return lines[:1]


@contextmanager
def _process_state() -> Iterator[None]:
    """Put back what debuggers change in the process: hooks, streams, ``__main__``, tracing,
    ``sys.path``; and give ``inspect`` the bounded ``_block`` for the session."""
    saved_sys = {name: getattr(sys, name) for name in (
        "excepthook", "displayhook", "breakpointhook", "stdin", "stdout", "stderr")}
    main = sys.modules.get("__main__")
    saved_linecache = {name: getattr(linecache, name)
                       for name in ("checkcache", "getline", "getlines")}
    path = list(sys.path)
    trace = sys.gettrace()
    inspect.getblock = _block
    try:
        yield
    finally:
        inspect.getblock = _GETBLOCK
        sys.settrace(trace)
        sys.path[:] = path
        for name, value in saved_sys.items():
            setattr(sys, name, value)
        if main is not None:
            sys.modules["__main__"] = main
        for name, value in saved_linecache.items():
            setattr(linecache, name, value)


def _filenames(exc: BaseException) -> Iterator[str]:
    """The file of every frame a session can reach from ``exc``: its chain and groups."""
    seen: set = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen or not isinstance(current, BaseException):
            continue
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            yield tb.tb_frame.f_code.co_filename
            tb = tb.tb_next
        pending.extend((current.__cause__, current.__context__,
                        *getattr(current, "exceptions", ())))


def banner(dump: Dump) -> str:
    """One line saying what crashed, where, when, on which host and why it was dumped,
    from the header's summary, so a session starts with the dump's identity in view."""
    from .text import as_text, exception_line, one_line, printable

    summary = dump.header.get("summary")
    summary = summary if isinstance(summary, dict) else {}

    def field(name: str, default: str = "?") -> str:
        value = summary.get(name)
        return default if value is None else as_text(value, 200)

    what = exception_line(field("exc_type"), field("message", ""))
    when = field("time").replace("T", " ")[:19]
    text = (f"{what} at {field('site', 'an unknown place')}, {when}Z on {field('host')} "
            f"(pid {field('pid')}, {field('reason')})")
    return "pydumpling: " + one_line(printable(text), 300)


def debug(dump: Dump, debugger: str = "pdb", thread: str | int | None = None,
          exception_path: str | None = None, stdin: IO[str] | None = None,
          stdout: IO[str] | None = None, *, rc: bool = False,
          local_source: bool = False) -> None:
    """Run ``debugger`` post-mortem on the dump until the user quits.

    Opens at the innermost frame of the crashing exception, or of the
    exception at ``exception_path``, or of the stack of ``thread`` (name or
    ident). ``stdin``/``stdout`` (pdb only) serve the session over other
    streams. ``rc`` also reads the rc files of the current directory;
    ``local_source`` reads source the dump lacks from this machine's disk.
    Raises ``DebuggerUnavailable`` or ``dump.TargetNotFound`` with a
    one-line message before anything is shown.
    """
    check_available(debugger)
    if (stdin is not None or stdout is not None) and debugger != "pdb":
        raise DebuggerUnavailable(f"{debugger} cannot run over a stream; only pdb can")
    target = dump.target(thread=thread, exception_path=exception_path)
    out = stdout or sys.stdout
    out.write(banner(dump) + "\n")
    out.flush()
    with _process_state(), dump.sources_in_linecache(set(_filenames(target)), local_source):
        _RUNNERS[debugger](target, Options(stdin, stdout, rc))
