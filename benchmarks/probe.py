"""Read a dump back with its own tool's loader: print it, or count what it kept.

``python probe.py TOOL FILE print`` is the load step for tools that have no
``--print`` of their own (pydump, coredumpy, the floor): it loads the whole dump
with the tool's loader and prints the traceback, as ``pydumpling-open --print``
does, so the harness can time it as a whole process.

``python probe.py TOOL FILE traceback`` prints one JSON line with the seconds the
tool's loader took to turn the dump into a traceback (ours: ``load(path)`` and
``Dump.traceback()``), timed inside the process once the loader is imported.

``python probe.py TOOL FILE fidelity`` prints one JSON line: how many traceback
frames came back with locals, how many items the biggest container kept, and
the shape and dtype of the first array-like local (bigdata's ndarray), if the
loaded value still answers them. Markers that stand for left-out data (our
``Cut``, pydumpling's ``TruncatedValue``, coredumpy's unknown object) are not
counted as kept; our cut containers count their kept head and tail.

Runs under each tool's venv: standard library plus that tool, Python 3.9 syntax.
"""

from __future__ import annotations

import gzip
import json
import pickle
import sys
import time

MARKER_TYPES = {"Cut", "TruncatedValue", "_Unknown"}
CUT_TYPES = {"CutList", "CutTuple", "CutSet", "CutFrozenSet", "CutDict"}
CONTAINERS = (list, tuple, dict, set, frozenset)
MAX_DEPTH = 4


def _is_marker(value) -> bool:
    return type(value).__name__ in MARKER_TYPES


def _kept_items(container) -> int:
    """Items of a container that are real values, not cut markers."""
    if type(container).__name__ in CUT_TYPES:
        return len(container.head) + len(container.tail)
    items = container.keys() if isinstance(container, dict) else container
    return sum(1 for item in items if not _is_marker(item))


def _children(value):
    """Only builtin containers are descended into: object attributes can lead a
    proxy-based loader's values (coredumpy's) back to its whole object table."""
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, CONTAINERS) else []


def biggest_container(roots) -> int:
    """The largest kept item count of any container reachable within a few levels."""
    best, seen, level = 0, set(), list(roots)
    for _ in range(MAX_DEPTH):
        following = []
        for value in level:
            if id(value) in seen or _is_marker(value):
                continue
            seen.add(id(value))
            if isinstance(value, CONTAINERS) or type(value).__name__ in CUT_TYPES:
                best = max(best, _kept_items(value))
            following.extend(_children(value))
        level = following
    return best


def _tb_frames(tb):
    """Frames of a (fake) traceback chain, outermost first."""
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def traceback_ours(path: str):
    """Ours: the real traceback the debugger gets, rebuilt from the safe loader's records."""
    from pydumpling_hook.loader import load

    return lambda: load(path).traceback()


def frames_ours(path: str, count: int):
    """Ours: the exception's frame dicts, from the safe (non-executing) loader."""
    from pydumpling_hook.loader import load

    exc = load(path).exception
    frames = [(f.get("name", "?"), f.get("lineno"), f.get("locals") or {}) for f in exc["frames"]]
    return frames, exc.get("frames_cut", 0)


def traceback_pydumpling(path: str):
    from pydumpling import load_dumpling

    return lambda: load_dumpling(path, max_bytes=None)["traceback"]


def frames_pydumpling(path: str, count: int):
    tb = traceback_pydumpling(path)()
    return [_fake_frame(f) for f in _tb_frames(tb)], 0


def traceback_pydump(path: str):
    import pydump

    return lambda: pydump.load_dump(path)["traceback"]


def frames_pydump(path: str, count: int):
    tb = traceback_pydump(path)()
    return [_fake_frame(f) for f in _tb_frames(tb)], 0


def traceback_coredumpy(path: str):
    """coredumpy has no traceback: its loaded raising frame is what a debugger gets."""
    from coredumpy.coredumpy import Coredumpy

    return lambda: Coredumpy.load_data_from_path(path)["frame"]


def frames_coredumpy(path: str, count: int):
    """coredumpy stores the raising frame and its callers: take the traceback's share."""
    frame, frames = traceback_coredumpy(path)(), []
    while frame is not None and len(frames) < count and not _is_marker(frame):
        frames.append(_fake_frame(frame))
        frame = frame.f_back
    return frames[::-1], 0


def traceback_floor(path: str):
    """The floor has no traceback: its frame dicts are all there is to load."""
    def read():
        with gzip.open(path, "rb") as f:
            return pickle.load(f)
    return read


def frames_floor(path: str, count: int):
    return [("?", None, d) for d in traceback_floor(path)()], 0


def _fake_frame(frame):
    code = frame.f_code
    locals_ = frame.f_locals
    return getattr(code, "co_name", "?"), getattr(frame, "f_lineno", None), (
        locals_ if isinstance(locals_, dict) else {}
    )


LOADERS = {
    "ours": frames_ours,
    "pydumpling": frames_pydumpling,
    "pydump": frames_pydump,
    "coredumpy": frames_coredumpy,
    "floor": frames_floor,
}


TRACEBACKS = {
    "ours": traceback_ours,
    "pydumpling": traceback_pydumpling,
    "pydump": traceback_pydump,
    "coredumpy": traceback_coredumpy,
    "floor": traceback_floor,
}


def time_traceback(tool: str, path: str) -> dict:
    """Seconds from the dump file to a traceback, the loader already imported."""
    load = TRACEBACKS[tool](path)
    start = time.perf_counter()
    load()
    return {"seconds": time.perf_counter() - start}


def has_locals(locals_: dict) -> bool:
    return any(not _is_marker(v) for v in locals_.values())


def array_shown(values) -> str | None:
    """``"(12500000,) float64"`` for the first local that answers ``shape`` and ``dtype``."""
    for value in values:
        try:
            shape, dtype = value.shape, value.dtype
        except Exception:
            continue
        return f"{tuple(shape)} {dtype}"
    return None


def fidelity(tool: str, path: str, count: int) -> dict:
    frames, gap = LOADERS[tool](path, count)
    return {
        "frames": len(frames),
        "with_locals": sum(1 for _, _, loc in frames if has_locals(loc)),
        "biggest": biggest_container(v for _, _, loc in frames for v in loc.values()),
        "gap": gap,
        "array": array_shown(v for _, _, loc in frames for v in loc.values()),
    }


def print_traceback(tool: str, path: str, count: int) -> None:
    frames, _ = LOADERS[tool](path, count)
    lines = ["Traceback (most recent call last):"]
    lines += [f"  line {lineno}, in {name}" for name, lineno, _ in frames]
    print("\n".join(lines))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    tool, path, mode = argv[:3]
    count = int(argv[3]) if len(argv) > 3 else 10**6
    if mode == "fidelity":
        print(json.dumps(fidelity(tool, path, count)))
    elif mode == "traceback":
        print(json.dumps(time_traceback(tool, path)))
    else:
        print_traceback(tool, path, count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
