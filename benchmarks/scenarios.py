"""The crash scenarios and the capture adapters, run as one fresh process per measurement.

``python scenarios.py --tool TOOL --scenario NAME --out FILE [--cold]`` imports the
tool, builds the scenario's stack, lets it raise, and captures inside the
``except`` block at the top, exactly as a user of each tool would. It prints one
JSON line starting with ``RESULT `` and exits 0 even when the tool fails, so that
the harness can put the failure in a table cell instead of losing the run.

Without ``--cold`` the process first captures a tiny exception (timed apart), so
the scenario's capture is warm. With ``--cold`` the scenario's capture is the
first of the process and pays whatever the tool imports or sets up lazily: what a
user pays, since a process usually crashes once. That is only honest if this
harness has not imported those modules for the tool: it imports at the top only
what an ordinary program has anyway (``argparse`` and ``json`` bring ``re``,
``collections``, ``functools`` and ``enum``); each scenario imports what it needs
itself, and each tool's adapter imports the tool (the floor: ``pickle`` and
``gzip``) before anything is timed, as a program imports its libraries at start.

This file runs under every venv (ours, each anchor's, the bare one), so it uses
the standard library only and Python 3.9 syntax.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time

RESULT_PREFIX = "RESULT "

WEB_FRAMES = 40
BIGDATA_FRAMES = 10
BIGDATA_BYTES = 200_000_000
BIGDATA_FLOATS = 2_000_000
BIGDATA_ARRAY_BYTES = 100_000_000
UNPICKLABLE_FRAMES = 5
WIDE_FRAMES = 5
WIDE_ITEMS = 5_000

# The size of the biggest container each scenario puts among the locals, so
# that "items kept" can be shown against what there was (None: no container
# worth counting).
BIGGEST = {
    "web": 1_000,
    "deep": None,
    "bigdata": BIGDATA_FLOATS,
    "unpicklable": None,
    "wide": WIDE_ITEMS,
}


class Record:
    """An ordinary application object with 20 plain attributes (web's "user")."""

    def __init__(self, seed: int) -> None:
        for i in range(20):
            setattr(self, f"field_{i:02d}", f"{seed}-{i}" if i % 2 else seed * i)


class Item:
    """A small object, 5,000 of which fill each of wide's dicts."""

    def __init__(self, i: int) -> None:
        self.sku = f"sku-{i}"
        self.price = i * 0.25
        self.stock = i % 17


class BadRepr:
    """An object whose ``__repr__`` raises, as a half-initialised ORM object does."""

    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


class BadState:
    """An object that refuses to be pickled from ``__getstate__``."""

    def __getstate__(self):
        raise TypeError("no pickling of BadState")


def web(n: int = WEB_FRAMES):
    """40 frames of a request handler, each with about 8 locals of the usual sizes."""
    request_id = 10_000 + n
    ratio = n / 7
    path = f"/api/v1/items/{n}"
    ok = n % 2 == 0
    headers = {f"x-header-{i}": f"value-{n}-{i}" for i in range(200)}
    ids = list(range(n * 1_000, n * 1_000 + 1_000))
    user = Record(n)
    if n == 1:
        raise ValueError(f"bad item {path} ({request_id}, {ratio}, {ok}, {user})")
    return web(n - 1) or (headers, ids)


def deep(n: int = 0):
    """Recurse until the default recursion limit raises RecursionError."""
    level = n
    return deep(level + 1)


def _random_bytearray(size: int) -> bytearray:
    """Fill a bytearray in chunks so that building it never holds two copies."""
    blob = bytearray(size)
    chunk = 1 << 24
    for start in range(0, size, chunk):
        end = min(start + chunk, size)
        blob[start:end] = os.urandom(end - start)
    return blob


def _random_array(size: int):
    """A 100 MB numpy array of random floats, or None where numpy is not installed."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy.random.default_rng(0).random(size // 8)


def bigdata(n: int = BIGDATA_FRAMES):
    """10 frames; the innermost holds a 200 MB random bytearray, 2 million floats and a
    100 MB numpy array."""
    level = n
    if n == 1:
        import random

        blob = _random_bytearray(BIGDATA_BYTES)
        samples = [random.random() for _ in range(BIGDATA_FLOATS)]
        grid = _random_array(BIGDATA_ARRAY_BYTES)
        raise MemoryError(f"cannot process {len(blob)} bytes, {len(samples)} samples and "
                          f"{type(grid).__name__}")
    return bigdata(level - 1)


def unpicklable(n: int = UNPICKLABLE_FRAMES):
    """5 frames; the innermost holds the locals that break naive pickling and repr."""
    level = n
    if n > 1:
        return unpicklable(level - 1)
    import socket
    import threading

    lock = threading.Lock()
    sock = socket.socket()
    gen = (i * i for i in range(10))
    func = lambda x: x + level  # noqa: E731 - a lambda is the point
    handle = open(__file__, encoding="utf-8")
    bad_repr = BadRepr()
    bad_state = BadState()
    loop = [1, 2]
    loop.append(loop)
    module = json
    raise TypeError(f"cannot serialize {lock}, {sock}, {gen}, {func}, {handle}, {bad_state}, "
                    f"{loop}, {module}, {id(bad_repr)}")


def wide(n: int = WIDE_FRAMES):
    """5 frames, each with a dict of 5,000 small objects."""
    level = n
    catalog = {f"sku-{i}": Item(i) for i in range(WIDE_ITEMS)}
    if n == 1:
        raise KeyError(f"sku-{WIDE_ITEMS} not among {len(catalog)}")
    return wide(level - 1)


SCENARIOS = {f.__name__: f for f in (web, deep, bigdata, unpicklable, wide)}


def _innermost_tb():
    tb = sys.exc_info()[2]
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb


def _short_repr(value) -> str:
    try:
        return repr(value)[:200]
    except Exception:
        return "<repr failed>"


def _floor():
    """The floor: each frame's ``{name: repr(value)[:200]}``, pickled, gzip level 1."""
    import gzip
    import pickle

    def capture(path: str) -> str:
        frames = []
        tb = sys.exc_info()[2]
        while tb is not None:
            frames.append({k: _short_repr(v) for k, v in tb.tb_frame.f_locals.items()})
            tb = tb.tb_next
        with open(path, "wb") as f:
            f.write(gzip.compress(pickle.dumps(frames, protocol=5), compresslevel=1))
        return path

    return capture


def _ours():
    """Ours through the predecessor-compatible call, the same one pydumpling gets."""
    from pydumpling_hook import save_dumping

    def capture(path: str) -> str:
        return save_dumping(path)  # the path written (it never replaces a file)

    return capture


def _pydumpling():
    from pydumpling import save_dumping

    def capture(path: str) -> str:
        save_dumping(path)
        return path

    return capture


def _pydump():
    import pydump

    def capture(path: str) -> str:
        pydump.save_dump(path, sys.exc_info()[2])
        return path

    return capture


def _coredumpy():
    """coredumpy dumps a frame and its callers, so it gets the raising frame."""
    import coredumpy

    def capture(path: str) -> str:
        return coredumpy.dump(frame=_innermost_tb().tb_frame, path=path)

    return capture


CAPTURERS = {
    "ours": _ours,
    "floor": _floor,
    "pydumpling": _pydumpling,
    "pydump": _pydump,
    "coredumpy": _coredumpy,
}


def _status_bytes(field: str):
    """A ``/proc/self/status`` memory field in bytes, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS, so that it measures only what follows."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _tb_length() -> int:
    n, tb = 0, sys.exc_info()[2]
    while tb is not None:
        n, tb = n + 1, tb.tb_next
    return n


def measure(capture, out: str) -> dict:
    """Time and measure the capture call alone; called inside the ``except`` block."""
    result = {"tb_frames": _tb_length()}
    gc.collect()
    reset = _reset_peak()
    rss_before = _status_bytes("VmRSS")
    start = time.perf_counter()
    try:
        written = capture(out)
    except BaseException as error:  # a tool's failure is a result, not our crash
        result["error"] = f"{type(error).__name__}: {error}"[:300]
        return result
    result["capture_s"] = time.perf_counter() - start
    hwm = _status_bytes("VmHWM")
    if reset and hwm is not None and rss_before is not None:
        result["peak_extra"] = max(hwm - rss_before, 0)
    written = written if isinstance(written, str) and os.path.exists(written) else out
    if not os.path.exists(written):
        result["error"] = "no dump written"
    else:
        result["path"] = written
        result["size"] = os.path.getsize(written)
    return result


WARM_UP_SOURCE = """
def warm_up(capture, out):
    value = 1
    try:
        value / 0
    except ZeroDivisionError:
        return capture(out)
"""


def first_capture(capture, out: str) -> dict:
    """Capture a tiny exception first, timed apart, so the measured capture is warm.

    Tools import parts of themselves on the first capture (ours loads its whole
    engine lazily, to keep startup free). That cost is real but belongs to "the
    first crash of a process", not to a scenario, so it gets its own number.
    The code is compiled from a string so that no source file gets cached.
    """
    namespace: dict = {}
    exec(compile(WARM_UP_SOURCE, "<warm-up>", "exec"), namespace)
    start = time.perf_counter()
    try:
        namespace["warm_up"](capture, out)
    except BaseException as error:
        return {"first_error": f"{type(error).__name__}: {error}"[:300]}
    finally:
        if os.path.exists(out):
            os.remove(out)
    return {"first_s": time.perf_counter() - start}


def catcher(scenario, capture, out: str) -> dict:
    """The top frame of every scenario: it catches the crash and captures it."""
    where = out
    try:
        scenario()
    except Exception:
        return measure(capture, where)
    return {"error": "the scenario did not raise"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", choices=sorted(CAPTURERS), required=True)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--cold", action="store_true",
                        help="no warm-up: the scenario's capture is the process's first")
    args = parser.parse_args(argv)
    try:
        capture = CAPTURERS[args.tool]()
        first = {} if args.cold else first_capture(capture, args.out + ".warm-up")
        result = dict(catcher(SCENARIOS[args.scenario], capture, args.out), **first)
    except BaseException as error:
        import traceback

        traceback.print_exc()
        result = {"error": f"{type(error).__name__}: {error}"[:300]}
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
