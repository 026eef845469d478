"""Opt-in pickles of the real objects, one value at a time.

The safe copies are what a dump always holds; originals are for the user who
wants the real ``DataFrame`` back and trusts the file. Each value is pickled on
its own (pickle first, dill as fallback) so one unpicklable value costs only
itself. dill is imported here, at capture time, never at install time.
"""

from __future__ import annotations

import io
import pickle

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Iterable

MAX_VALUE = 16 << 20
MAX_TOTAL = 128 << 20
_BIG_BUFFERS = (bytes, bytearray, str, memoryview)


def pickle_originals(frames: Iterable[tuple], copier: Any) -> dict[str, bytes]:
    """Map ``"<exception path>/<frame index>/<name>"`` to the pickle of each local.

    Secret-looking names are skipped, and so is every value whose safe copy
    needed a redaction inside it (``copier.tainted``). That is not enough on
    its own: the safe copy stops at its budgets (depth, items) and meets a
    shared object only once, while a pickle takes everything. So with
    redaction on, every object the pickler meets is checked too (``_Guard``)
    and a value holding a secret anywhere is left out. Values bigger than
    ``MAX_VALUE`` are skipped rather than pickled whole.
    """
    dumps = _picklers(copier)
    redactor = copier.redactor
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
            if redactor.secret_name(name) or id(value) in copier.tainted or (
                    isinstance(value, _BIG_BUFFERS) and len(value) > MAX_VALUE) or (
                    type(value) is str and redactor.text_rule(value)):
                continue
            data = _pickle_one(value, dumps)
            if data is None or len(data) > MAX_VALUE or total + len(data) > MAX_TOTAL:
                continue
            total += len(data)
            out[f"{path}/{index}/{name}"] = data
    return out


class _HoldsSecret(Exception):
    """Raised inside a pickler: the value being pickled contains a secret."""


class _Guard:
    """The pickler's ``persistent_id`` hook, which sees every object it pickles.

    It refuses dicts with a secret-looking key (instance ``__dict__``s, slot
    states and keyword arguments all pickle as dicts), namedtuples with a
    secret-looking field, and strings or bytes equal to an environment value.
    """

    def __init__(self, redactor: Any) -> None:
        self.redactor = redactor

    def __call__(self, obj: Any) -> None:
        kind = type(obj)
        redactor = self.redactor
        if kind is str or kind is bytes:
            if redactor.text_rule(obj):
                raise _HoldsSecret
        elif kind is dict:
            if redactor.any_secret_name(list(obj)) and any(map(redactor.secret_name, obj)):
                raise _HoldsSecret
        elif kind is tuple or kind is list:
            if redactor.secret_pair(obj) >= 0:
                raise _HoldsSecret
        elif isinstance(obj, tuple):
            fields = getattr(kind, "_fields", None)
            if isinstance(fields, tuple) and redactor.any_secret_name(list(fields)):
                raise _HoldsSecret
        return None


def _guarded_dumps(base: Any, guard: _Guard, **options: Any) -> Any:
    class Guarded(base):
        def persistent_id(self, obj: Any) -> None:
            return guard(obj)

    def dumps(value: Any) -> bytes:
        out = io.BytesIO()
        Guarded(out, protocol=pickle.HIGHEST_PROTOCOL, **options).dump(value)
        return out.getvalue()

    return dumps


def _picklers(copier: Any = None) -> list:
    redacting = copier is not None and copier.redactor.enabled
    if redacting:
        found = [_guarded_dumps(pickle.Pickler, _Guard(copier.redactor))]
    else:
        found = [lambda v: pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)]
    try:
        import dill
    except Exception:
        return found
    if redacting:
        found.append(_guarded_dumps(dill.Pickler, _Guard(copier.redactor), recurse=False))
    else:
        found.append(lambda v: dill.dumps(v, protocol=pickle.HIGHEST_PROTOCOL, recurse=False))
    return found


def _pickle_one(value: Any, dumps: list) -> bytes | None:
    for dump in dumps:
        try:
            return dump(value)
        except _HoldsSecret:
            return None  # dill would find the same secret
        except BaseException as exc:  # noqa: BLE001 - a pickler may raise anything
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
    return None
