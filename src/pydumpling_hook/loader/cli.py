"""``pydumpling-open``: open a dump in a debugger, print it, list dumps, export, serve.

This module only parses arguments, picks the file and turns every failure into
one line on stderr. The work is in ``printing``, ``listing``, ``export``,
``remote``, ``html`` and the debugger session code, each imported only when its
mode runs, so ``--list`` and ``--print`` never import a debugger (or dill), and
only ``--html`` and ``--serve`` import Jinja2.

Exit status: 0 on success, 1 for a file that cannot be opened or a failed
session, 2 for usage errors (argparse's convention), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, Any, Dict, List, NoReturn, Sequence

from .._version import __version__

PROG = "pydumpling-open"
DEBUGGERS = ("pdb", "ipdb", "pudb", "pdbpp")
EXCEPTION_STEPS = "cause, context or members.N"
RDEBUG_PORT = 4444
SERVE_PORT = 8765


class UsageError(Exception):
    """Bad command line: one line on stderr, exit 2."""


class OpenError(Exception):
    """Anything else that ends the program early: one line on stderr, exit 1."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) and an exception, not an exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {PROG} --help)")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``pydumpling-open`` (and ``python -m pydumpling_hook``)."""
    parser = _Parser(
        prog=PROG,
        description="Open a pydumpling-hook crash dump: debug it as if the crash were live, "
        "print its traceback, list or export dumps, or serve a pdb session over TCP.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="the .dump file to open")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--print", dest="print_", action="store_true",
        help="print the traceback as Python printed it, chained exceptions included",
    )
    mode.add_argument("--json", action="store_true", help="write the whole dump as JSON to stdout")
    mode.add_argument(
        "--list", nargs="?", const="", default=None, metavar="DIR",
        help="list the dumps in DIR (default: $PYDUMPLING_DIR or ./pydumpling-dumps)",
    )
    mode.add_argument(
        "--rdebug", action="store_true", help="serve one pdb session over TCP (see --host/--port)"
    )
    mode.add_argument(
        "--html", metavar="OUT",
        help="write a self-contained HTML report of the dump to OUT ('-': stdout)",
    )
    mode.add_argument(
        "--serve", nargs="?", const="", default=None, metavar="DIR",
        help="serve a read-only local web page over the dumps in DIR (default: $PYDUMPLING_DIR "
        "or ./pydumpling-dumps) on 127.0.0.1:8765",
    )
    mode.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)  # predecessor's flag
    parser.add_argument(
        "--locals", action="store_true", help="with --print: show each frame's variables"
    )
    parser.add_argument(
        "--context", type=int, default=None, metavar="N",
        help="with --html/--serve: source lines shown around each line (5)",
    )
    parser.add_argument(
        "--latest", action="store_true",
        help="open the newest dump in $PYDUMPLING_DIR (or ./pydumpling-dumps)",
    )
    parser.add_argument(
        "--debugger", choices=DEBUGGERS, default=None,
        help="debugger to open (default: $PYDUMPLING_DEBUGGER, else pdb)",
    )
    parser.add_argument("--thread", metavar="NAME", help="open this thread's stack instead")
    parser.add_argument(
        "--exception", metavar="PATH",
        help=f"open a chained exception instead: dot-separated steps, each {EXCEPTION_STEPS} "
        "(e.g. cause, context.cause, members.0); Python 3.13's pdb also has 'exceptions'",
    )
    parser.add_argument(
        "--trust", action="store_true",
        help="also restore the pickled originals (runs code from the file!)",
    )
    remote = parser.add_argument_group("servers (--rdebug, --serve)")
    remote.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    remote.add_argument(
        "--port", type=int, default=None,
        help=f"port to listen on ({RDEBUG_PORT} for --rdebug, {SERVE_PORT} for --serve; 0: any)",
    )
    remote.add_argument(
        "--timeout", type=float, default=None, metavar="S",
        help="give up if no client connects within S seconds",
    )
    remote.add_argument(
        "--allow-remote", action="store_true",
        help="allow a non-loopback --host; the client must then send the printed token first "
        "(--rdebug) or open the printed URL, which carries it (--serve)",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


# --------------------------------------------------------------------------- helpers


def _say(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


def _text_stdout() -> IO[str]:
    """stdout that cannot fail on a character the terminal's encoding lacks."""
    stream = sys.stdout
    try:
        stream.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        pass
    return stream


def _debugger(args: argparse.Namespace) -> str:
    if args.debugger:
        return args.debugger
    chosen = os.environ.get("PYDUMPLING_DEBUGGER", "").strip() or "pdb"
    if chosen not in DEBUGGERS:
        raise UsageError(
            f"PYDUMPLING_DEBUGGER={chosen!r} is not a known debugger "
            f"(choose from {', '.join(DEBUGGERS)})"
        )
    return chosen


def _directory(path: str) -> str:
    from .listing import default_directory

    directory = path or default_directory()
    if not os.path.exists(directory):
        raise OpenError(f"{directory}: no such directory")
    if not os.path.isdir(directory):
        raise OpenError(f"{directory}: not a directory")
    return directory


def _dump_path(args: argparse.Namespace) -> str:
    if args.latest:
        if args.file:
            raise UsageError(f"give either FILE or --latest, not both (see {PROG} --help)")
        from .listing import latest

        directory = _directory("")
        path = latest(directory)
        if path is None:
            raise OpenError(f"{directory}: no dumps in this directory")
        return path
    if not args.file:
        raise UsageError(f"give a dump FILE, --latest or --list (see {PROG} --help)")
    return str(args.file)


def _check_combinations(args: argparse.Namespace) -> None:
    web = args.html is not None or args.serve is not None
    if args.list is not None and (args.file or args.latest):
        raise UsageError(f"--list takes a directory, not a dump FILE (see {PROG} --help)")
    if args.serve is not None and (args.file or args.latest):
        raise UsageError(f"--serve takes a directory, not a dump FILE (see {PROG} --help)")
    if args.locals and (args.json or args.rdebug or args.list is not None or web):
        raise UsageError(f"--locals goes with --print (see {PROG} --help)")
    if web and (args.thread or args.exception):
        raise UsageError(f"--html and --serve show every thread and exception; --thread and "
                         f"--exception go with a debugger or --print (see {PROG} --help)")
    if args.serve is not None and args.trust:
        raise UsageError("--serve never runs code from a dump on a request; open one dump with "
                         f"--trust instead (see {PROG} --help)")
    if web and args.debugger:
        raise UsageError(f"--debugger goes with a debugger session (see {PROG} --help)")
    if args.context is not None and not web:
        raise UsageError(f"--context goes with --html or --serve (see {PROG} --help)")
    if args.rdebug and args.debugger not in (None, "pdb"):
        raise UsageError(f"--rdebug serves pdb only (see {PROG} --help)")
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535 (see {PROG} --help)")
    if args.context is not None:
        from .html import MAX_CONTEXT

        if not 0 <= args.context <= MAX_CONTEXT:
            raise UsageError(f"--context must be between 0 and {MAX_CONTEXT} (see {PROG} --help)")


# --------------------------------------------------------------------------- modes


def _print(args: argparse.Namespace, path: str) -> int:
    from .printing import print_body

    dump = _load(args, path)
    exception = thread = None
    if args.thread or dump.exception is None:
        if args.exception:
            raise UsageError(f"give either --thread or --exception, not both (see {PROG} --help)")
        thread = dump.thread(args.thread)
    else:
        exception = dump.exception_record(args.exception)
    try:
        print_body(dump.body, _text_stdout(), args.locals, exception, thread)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError) as exc:
        raise OpenError(f"{path}: corrupt dump (cannot print it: {type(exc).__name__})") from None
    return 0


def _json(path: str) -> int:
    from ..dumpformat.dumpfile import read_body, read_header
    from .export import write_json

    write_json(read_header(path), read_body(path), _text_stdout())
    return 0


def _list(args: argparse.Namespace) -> int:
    from .listing import print_listing

    directory = _directory(args.list)
    try:
        print_listing(directory, _text_stdout())
    except PermissionError:
        raise OpenError(f"{directory}: permission denied") from None
    return 0


def _session_options(args: argparse.Namespace) -> Dict[str, Any]:
    return {"thread": args.thread, "exception_path": args.exception}


def _load(args: argparse.Namespace, path: str) -> Any:
    from . import load

    return load(path, trust=args.trust)


def _debug(args: argparse.Namespace, path: str) -> int:
    debugger = _debugger(args)
    dump = _load(args, path)
    dump.debug(debugger, **_session_options(args))
    return 0


def _rdebug(args: argparse.Namespace, path: str) -> int:
    from .remote import RemoteError, is_loopback, pdb_session, serve

    if not args.allow_remote and not is_loopback(args.host):
        raise UsageError(
            f"refusing --host {args.host}: not a loopback address, and the session runs any "
            "Python a client sends; add --allow-remote (a token is then required)"
        )
    dump = _load(args, path)
    options = _session_options(args)
    dump.target(**options)  # a bad --thread/--exception fails now, not after a client connects

    def session(stdin: IO[str], stdout: IO[str]) -> None:
        pdb_session(dump, stdin, stdout, **options)

    try:
        return serve(
            session, host=args.host, port=RDEBUG_PORT if args.port is None else args.port,
            timeout=args.timeout,
            allow_remote=args.allow_remote, announce=_say,
        )
    except RemoteError as exc:
        raise OpenError(str(exc)) from None


def _need_jinja() -> None:
    try:
        import jinja2  # noqa: F401
    except ImportError:
        raise OpenError("--html and --serve need Jinja2: pip install 'pydumpling-hook[html]'"
                        ) from None


def _write_new(out: str, text: str) -> None:
    """Write ``text`` to ``out``; a new file is 0600, as a dump is: it holds the same secrets."""
    if out == "-":
        _text_stdout().write(text)
        return
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
    except OSError as exc:
        raise OpenError(f"{out}: cannot write the report: {exc.strerror or exc}") from None


def _html(args: argparse.Namespace, path: str) -> int:
    _need_jinja()
    from .html import DEFAULT_CONTEXT, report_html

    dump = _load(args, path)
    try:
        text = report_html(dump, DEFAULT_CONTEXT if args.context is None else args.context)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError) as exc:
        raise OpenError(f"{path}: corrupt dump (cannot show it: {type(exc).__name__})") from None
    _write_new(args.html, text)
    if args.html != "-":
        _say(f"report written to {args.html}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    _need_jinja()
    from .html import DEFAULT_CONTEXT
    from .html.server import ServeError, serve
    from .remote import is_loopback

    if not args.allow_remote and not is_loopback(args.host):
        raise UsageError(
            f"refusing --host {args.host}: not a loopback address, and the pages show every "
            "dump's secrets; add --allow-remote (a token is then required)"
        )
    try:
        return serve(
            _directory(args.serve), host=args.host,
            port=SERVE_PORT if args.port is None else args.port,
            context=DEFAULT_CONTEXT if args.context is None else args.context,
            allow_remote=args.allow_remote, announce=_say,
        )
    except ServeError as exc:
        raise OpenError(str(exc)) from None


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    _check_combinations(args)
    if args.list is not None:
        return _list(args)
    if args.serve is not None:
        return _serve(args)
    path = _dump_path(args)
    from ..dumpformat.dumpfile import read_header

    read_header(path)  # a bad file fails here, in one line, before any import of a debugger
    if args.print_ or args.locals:
        return _print(args, path)
    if args.json:
        return _json(path)
    if args.html is not None:
        return _html(args, path)
    if args.rdebug:
        return _rdebug(args, path)
    return _debug(args, path)


def _silence_stdout() -> None:
    """After EPIPE (``| head``), point stdout at /dev/null so the exit flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: List[str] | None = None) -> int:
    """Run the program; return the exit status instead of raising.

    Every failure, including a bug of ours, becomes one ``pydumpling-open:
    error: ...`` line; ``PYDUMPLING_TRACEBACK=1`` shows the traceback of an
    unexpected one.
    """
    from ..dumpformat.dumpfile import DumpError
    from .debuggers import DebuggerUnavailable

    try:
        return _run(argv)
    except UsageError as exc:
        _say(f"error: {exc}")
        return 2
    except (DumpError, OpenError, LookupError) as exc:
        # LookupError: the loader's TargetNotFound (no such thread or exception)
        _say(f"error: {exc}")
        return 1
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except DebuggerUnavailable as exc:  # e.g. pdbpp on 3.13, or not installed
        _say(f"error: {exc}")
        return 1
    except Exception as exc:
        if os.environ.get("PYDUMPLING_TRACEBACK"):
            import traceback

            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else ""
        _say(f"error: internal error: {type(exc).__name__}: {first} "
             "(set PYDUMPLING_TRACEBACK=1 to see where)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
