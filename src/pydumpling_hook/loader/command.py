"""What every mode of ``pydumpling-open`` shares: its two failures, its one-line
messages, its streams, and finding and loading the dump or directory it was given."""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, Any, Dict, List

from ..config import is_remote

PROG = "pydumpling-open"
RDEBUG_PORT = 4444
SERVE_PORT = 8765


class UsageError(Exception):
    """Bad command line: one line on stderr, exit 2."""


class OpenError(Exception):
    """Anything else that ends the program early: one line on stderr, exit 1."""


def say(message: str) -> None:
    """One line on stderr. Messages quote names from files: escaped, it stays one line."""
    from .text import terminal

    sys.stderr.write(f"{PROG}: {terminal(message)}\n")
    sys.stderr.flush()


def text_stdout() -> IO[str]:
    """stdout that cannot fail on a character the terminal's encoding lacks."""
    stream = sys.stdout
    try:
        stream.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        pass
    return stream


def find_directory(path: str) -> str:
    from .listing import default_directory

    directory = path or default_directory()
    if is_remote(directory):
        return directory  # checked by the listing itself, in one request
    if not os.path.exists(directory):
        raise OpenError(f"{directory}: no such directory")
    if not os.path.isdir(directory):
        raise OpenError(f"{directory}: not a directory")
    return directory


def load_dump(args: argparse.Namespace, path: str) -> Any:
    from . import load

    dump = load(path, trust=args.trust)
    if args.trust:
        say(dump.originals_line())
    return dump


def session_options(args: argparse.Namespace) -> Dict[str, Any]:
    return {"thread": args.thread, "exception_path": args.exception, "rc": args.rc,
            "local_source": args.local_source}


def frame_files(record: Any) -> List[str]:
    """The file names of the frames ``--print`` shows for an EXC or THREAD record."""
    from .printing import chain_records
    from .records import stack

    names = []
    for item in chain_records(record):
        names.extend(f.get("filename") for f in stack(item)[0] if isinstance(f, dict))
    return [n for n in names if isinstance(n, str)]


def need_jinja() -> None:
    try:
        import jinja2  # noqa: F401
    except ImportError:
        raise OpenError("--html and --serve need Jinja2: pip install 'pydumpling-hook[html]'"
                        ) from None
