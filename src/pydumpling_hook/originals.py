"""Opt-in pickles of the real objects, one value at a time.

The safe copies are what a dump always holds; originals are for the user who
wants the real ``DataFrame`` back and trusts the file. Each value is pickled on
its own (pickle first, dill as fallback) so one unpicklable value costs only
itself. dill is imported here, at capture time, never at install time.
"""

from __future__ import annotations

import pickle
from typing import Any, Iterable

MAX_VALUE = 16 << 20
MAX_TOTAL = 128 << 20
_BIG_BUFFERS = (bytes, bytearray, str, memoryview)


def pickle_originals(frames: Iterable[tuple], copier: Any) -> dict[str, bytes]:
    """Map ``"<exception path>/<frame index>/<name>"`` to the pickle of each local.

    Secret-looking names are skipped, and so is every value whose safe copy
    needed a redaction inside it (``copier.tainted``), so a secret never
    reaches the file through a pickle. Values bigger than ``MAX_VALUE`` are
    skipped rather than pickled whole.
    """
    dumps = _picklers()
    out: dict[str, bytes] = {}
    total = 0
    for path, index, record, frame in frames:
        if frame is None or record.get("is_module"):
            continue
        try:
            namespace = dict(frame.f_locals)
        except Exception:
            continue
        for name, value in namespace.items():
            if copier.is_secret(name) or id(value) in copier.tainted or (
                    isinstance(value, _BIG_BUFFERS) and len(value) > MAX_VALUE) or (
                    type(value) is str and value in copier.env_values):
                continue
            data = _pickle_one(value, dumps)
            if data is None or len(data) > MAX_VALUE or total + len(data) > MAX_TOTAL:
                continue
            total += len(data)
            out[f"{path}/{index}/{name}"] = data
    return out


def _picklers() -> list:
    found = [lambda v: pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)]
    try:
        import dill
    except Exception:
        return found
    found.append(lambda v: dill.dumps(v, protocol=pickle.HIGHEST_PROTOCOL, recurse=False))
    return found


def _pickle_one(value: Any, dumps: list) -> bytes | None:
    for dump in dumps:
        try:
            return dump(value)
        except BaseException as exc:  # noqa: BLE001 - a pickler may raise anything
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
    return None
