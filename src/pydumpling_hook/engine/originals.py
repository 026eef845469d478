"""Opt-in pickles of the real objects, one value at a time.

The safe copies are what a dump always holds; originals are for the user who
wants the real ``DataFrame`` back and trusts the file. Each value is pickled on
its own (pickle first, dill as fallback) so one unpicklable value costs only
itself. dill is imported here, at capture time, never at install time.

A big value must never blow up the dying process (an 800 MB array pickled
whole into memory). So each value's size is estimated first from what costs
nothing and runs no application code (``len``, an array's ``nbytes``, a
frame's shape: each a lower bound of its pickle's size), and the pickler
writes into a buffer that stops it with ``_TooBig`` as soon as it passes the
limit, before a large buffer is even copied. ``sys.getsizeof`` is no hint:
it calls ``__sizeof__``, which is the application's code for its classes
(and a deep scan of every string for a pandas frame), and it over-counts
containers. Every value left out is named, with why, in ``stats``.
"""

from __future__ import annotations

import pickle
from types import FunctionType

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable, Iterable

MAX_VALUE = 16 << 20
MAX_TOTAL = 128 << 20
MAX_NAMED = 100
"""Skipped originals named in ``stats`` (the count is always exact)."""
_SIZED = frozenset({str, bytes, bytearray, list, tuple, dict, set, frozenset})


def _tensor_bytes(value: Any) -> int:
    return value.numel() * value.element_size()


def _cells(value: Any) -> int:
    rows, columns = value.shape
    return rows * columns


_HINTS: dict[tuple[str, str], Callable[[Any], int]] = {
    ("numpy", "ndarray"): lambda value: value.nbytes,
    ("torch", "Tensor"): _tensor_bytes,
    ("torch.nn.parameter", "Parameter"): _tensor_bytes,
    **{(module, "DataFrame"): _cells for module in ("pandas", "pandas.core.frame")},
    **{(module, "Series"): len for module in ("pandas", "pandas.core.series")},
}
"""Exact library types -> a lower bound of their pickle's size, from the library's own
code (a frame: one byte per cell at least)."""


def size_hint(value: Any) -> int:
    """A lower bound of the size of ``value``'s pickle, without running application code."""
    kind = type(value)
    if kind in _SIZED:
        return len(value)
    if kind is memoryview:
        return value.nbytes
    try:
        hint = _HINTS.get((type.__getattribute__(kind, "__module__"),
                           type.__getattribute__(kind, "__qualname__")))
        return hint(value) if hint is not None else 0
    except Exception:
        return 0


class _TooBig(Exception):
    """Raised inside a pickler: its output passed the limit."""


class _HoldsSecret(Exception):
    """Raised inside a pickler: the value being pickled contains a secret."""


class _Bounded:
    """The file a pickler writes into: it refuses to grow past ``limit`` bytes, and it is
    told about a large buffer before copying it (pickle hands those over whole)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.parts: list = []

    def write(self, data: Any) -> int:
        size = memoryview(data).nbytes
        self.size += size
        if self.size > self.limit:
            raise _TooBig
        self.parts.append(bytes(data))
        return size


def pickle_originals(frames: Iterable[tuple], copier: Any) -> tuple[dict[str, bytes], dict]:
    """Map ``"<exception path>/<frame index>/<name>"`` to the pickle of each local; also
    ``{"count": n, "named": {key: why}}`` for the locals left out (at most ``MAX_NAMED``
    named), which goes into ``stats["originals_skipped"]``.

    Secret-looking names are skipped, and so is every value whose safe copy
    needed a redaction inside it (``copier.tainted``). That is not enough on
    its own: the safe copy stops at its budgets (depth, items) and meets a
    shared object only once, while a pickle takes everything. So with
    redaction on, every object the pickler meets is checked too (``_Guard``)
    and a value holding a secret anywhere is left out, as is a pickle that
    holds a known secret (``Redactor.leaks``).
    """
    dumps = _picklers(copier)
    redactor = copier.redactor
    out: dict[str, bytes] = {}
    skipped: dict[str, str] = {}
    count = 0
    total = 0
    for path, index, record, frame in frames:
        if frame is None or record.get("is_module"):
            continue
        try:
            namespace = dict(frame.f_locals)
        except Exception:
            continue
        for name, value in namespace.items():
            key = f"{path}/{index}/{name}"
            if redactor.secret_name(name) or id(value) in copier.tainted or (
                    type(value) is str and redactor.text_rule(value)):
                why = "redacted"
            else:
                limit = min(MAX_VALUE, MAX_TOTAL - total)
                why, data = _pickle_one(value, dumps, limit)
                if data is not None and redactor.leaks(data):
                    redactor.redact("propagated")
                    why, data = "redacted", None
                if data is not None:
                    total += len(data)
                    out[key] = data
                    continue
            count += 1
            if len(skipped) < MAX_NAMED:
                skipped[key] = why
    return out, {"count": count, "named": skipped}


def _limit_text(limit: int) -> str:
    return f"over {limit >> 20} MB" if limit == MAX_VALUE else \
        f"over the {MAX_TOTAL >> 20} MB of all originals"


class _Guard:
    """The pickler's ``persistent_id`` hook, which sees every object it pickles.

    It refuses dicts with a secret-looking key (instance ``__dict__``s, slot
    states and keyword arguments all pickle as dicts), header pairs,
    namedtuples with a secret-looking field, strings or bytes with a secret
    shape, and functions whose closure cells or defaults belong to a secret
    name (dill pickles those cells and defaults without their names).
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
        elif kind is FunctionType and _function_secret(obj, redactor):
            raise _HoldsSecret
        return None


def _function_secret(func: Any, redactor: Any) -> bool:
    """Whether a function carries a value under a secret name: a closure cell
    (``co_freevars``) or a default (the last parameters)."""
    code = func.__code__
    named = list(code.co_freevars) if func.__closure__ else []
    if func.__defaults__:
        positional = code.co_varnames[:code.co_argcount]
        named.extend(positional[len(positional) - len(func.__defaults__):])
    return bool(named) and any(map(redactor.secret_name, named))


def _pickler(base: Any, guard: _Guard | None, **options: Any) -> Callable[[Any, int], bytes]:
    if guard is None:
        cls = base
    else:
        class cls(base):  # noqa: N801 - a local subclass, named like its base's role
            def persistent_id(self, obj: Any) -> None:
                return guard(obj)

    def dumps(value: Any, limit: int) -> bytes:
        out = _Bounded(limit)
        cls(out, protocol=pickle.HIGHEST_PROTOCOL, **options).dump(value)
        return b"".join(out.parts)

    return dumps


def _picklers(copier: Any = None) -> list:
    guard = _Guard(copier.redactor) if copier is not None and copier.redactor.enabled else None
    found = [_pickler(pickle.Pickler, guard)]
    try:
        import dill
    except Exception:
        return found
    found.append(_pickler(dill.Pickler, guard, recurse=False))
    return found


def _pickle_one(value: Any, dumps: list, limit: int) -> tuple[str, bytes | None]:
    """``("", pickle)``, or why there is none and ``None``."""
    if size_hint(value) > limit:
        return _limit_text(limit), None
    why = "not picklable"
    for dump in dumps:
        try:
            return "", dump(value, limit)
        except _HoldsSecret:
            return "redacted", None  # dill would find the same secret
        except _TooBig:
            return _limit_text(limit), None  # and so would dill
        except BaseException as exc:  # noqa: BLE001 - a pickler may raise anything
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            why = f"not picklable ({type(exc).__name__})"
    return why, None
