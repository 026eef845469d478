"""A stand-in capture for printing tests: builds a FORMAT.md body from a crash.

Put this directory on PYTHONPATH and set FAKE_DUMP_OUT: an uncaught exception
(main thread or threading) is pickled there as a body dict, then the original
hook prints it to stderr as usual, which is the oracle the test compares with.
It reads only what ``--print`` needs, so printing is testable without the real
capture path; the end-to-end tests use the real one.
"""

import linecache
import os
import pickle
import platform
import sys
import threading


def _frame(tb):
    frame, code = tb.tb_frame, tb.tb_frame.f_code
    positions = None
    if hasattr(code, "co_positions") and tb.tb_lasti >= 0:
        positions = list(code.co_positions())[tb.tb_lasti // 2]
    return {
        "filename": code.co_filename, "name": code.co_name,
        "qualname": getattr(code, "co_qualname", code.co_name), "module": None,
        "firstlineno": code.co_firstlineno, "lineno": tb.tb_lineno, "lasti": tb.tb_lasti,
        "positions": positions, "is_module": frame.f_locals is frame.f_globals,
        "locals": {} if frame.f_locals is frame.f_globals else
        {k: v for k, v in frame.f_locals.items() if isinstance(v, (int, str, float))},
        "globals": {}, "locals_note": None,
    }


def _exc(exc, memo, sources):
    if exc is None:
        return None
    if id(exc) in memo:
        return memo[id(exc)]
    out = memo[id(exc)] = {}
    frames, tb = [], exc.__traceback__
    while tb is not None:
        frames.append(_frame(tb))
        name = frames[-1]["filename"]
        if name not in sources and linecache.getlines(name):
            sources[name] = "".join(linecache.getlines(name))
        tb = tb.tb_next
    t = type(exc)
    try:
        message = str(exc)
    except Exception:
        message = "<exception str() failed>"
    out.update({
        "type": {"module": t.__module__, "qualname": t.__qualname__,
                 "mro": [[c.__module__, c.__qualname__] for c in t.__mro__]},
        "message": message, "args": exc.args if isinstance(exc, SyntaxError) else (),
        "attrs": {}, "notes": getattr(exc, "__notes__", None), "frames": frames,
        "frames_cut": 0, "cut_at": None,
        "suppress_context": exc.__suppress_context__,
        "members": None,
    })
    out["cause"] = _exc(exc.__cause__, memo, sources)
    out["context"] = _exc(exc.__context__, memo, sources)
    if hasattr(exc, "exceptions") and isinstance(exc, BaseException) and \
            type(exc).__name__.endswith("ExceptionGroup"):
        out["members"] = [_exc(e, memo, sources) for e in exc.exceptions]
    return out


def _write(exc, reason, thread):
    sources = {}
    body = {
        "format": 1,
        "meta": {"python": platform.python_version(), "reason": reason, "thread": thread},
        "exception": _exc(exc, {}, sources), "threads": [], "sources": sources, "stats": {},
    }
    with open(os.environ["FAKE_DUMP_OUT"], "wb") as f:
        pickle.dump(body, f)


def _hook(t, v, tb, _orig=sys.excepthook):
    _write(v, "excepthook", threading.current_thread().name)
    _orig(t, v, tb)


def _thook(args, _orig=threading.excepthook):
    _write(args.exc_value, "threading", args.thread.name if args.thread else None)
    _orig(args)


if os.environ.get("FAKE_DUMP_OUT"):
    sys.excepthook = _hook
    threading.excepthook = _thook
