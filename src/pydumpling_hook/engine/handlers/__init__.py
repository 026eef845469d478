"""Per-type knowledge for the copier, one small module per family of types.

The copier knows builtins; everything it knows about a particular library or
stdlib type (what to keep of a ``deque``, a ``datetime``, an ``ndarray``)
lives in a handler module here. A handler is found once per type (the copier
caches it), and its module is imported only when such a type is met, so a
crash in a program without numpy never imports the numpy handler, and no
handler ever imports the library it knows: if a value exists, its library is
already in ``sys.modules``.

Two ways to qualify, both exact, so that a subclass or a look-alike falls
back to the generic attribute snapshot:

* ``TYPES``: the ``(module, qualname)`` of a known type;
* ``SHAPES``: a marker that a class-making library puts in the class's *own*
  ``__dict__`` (``__dataclass_fields__``, ``_member_map_``...); the handler
  module's ``for_class`` then checks the class really is what the marker says.

A handler is ``handler(copier, value, info, depth) -> copy``: it returns what
the dump holds for ``value`` (a ``model.Value`` the loader rebuilds, or an
``ObjectSnapshot``), uses the copier for every nested value (budgets, memo,
redaction), and runs no application code, only the code of the library that
owns the exact type.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable

_PATHS = ("PurePosixPath", "PosixPath", "PureWindowsPath", "WindowsPath")
_IP = ("IPv4Address", "IPv6Address", "IPv4Network", "IPv6Network", "IPv4Interface",
       "IPv6Interface")
NUMPY_SCALARS = (
    "bool", "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "longlong", "ulonglong", "float16", "float32", "float64", "float128", "longdouble",
    "complex64", "complex128", "complex256", "clongdouble", "datetime64", "timedelta64",
)
_PANDAS_INDEXES = (
    ("base", "Index"), ("range", "RangeIndex"), ("datetimes", "DatetimeIndex"),
    ("multi", "MultiIndex"), ("category", "CategoricalIndex"), ("timedeltas", "TimedeltaIndex"),
    ("period", "PeriodIndex"), ("interval", "IntervalIndex"),
)
PANDAS_INDEXES = tuple((m, n) for part, n in _PANDAS_INDEXES
                       for m in ("pandas", f"pandas.core.indexes.{part}"))
"""pandas 3 names its public classes' module ``pandas``; pandas 1 and 2 did not."""
PANDAS_SCALARS = (
    ("pandas", "Timestamp"), ("pandas._libs.tslibs.timestamps", "Timestamp"),
    ("pandas", "Timedelta"), ("pandas._libs.tslibs.timedeltas", "Timedelta"),
    ("pandas", "Period"), ("pandas._libs.tslibs.period", "Period"),
    ("pandas.api.typing", "NaTType"), ("pandas._libs.tslibs.nattype", "NaTType"),
    ("pandas.api.typing", "NAType"), ("pandas._libs.missing", "NAType"),
)
PANDAS_FRAMES = (("pandas", "DataFrame"), ("pandas.core.frame", "DataFrame"))
PANDAS_SERIES = (("pandas", "Series"), ("pandas.core.series", "Series"))

TYPES: dict[tuple[str, str], str] = {
    **{("datetime", n): "stdlib" for n in ("datetime", "date", "time", "timedelta", "timezone")},
    ("decimal", "Decimal"): "stdlib",
    ("fractions", "Fraction"): "stdlib",
    ("uuid", "UUID"): "stdlib",
    ("builtins", "range"): "stdlib",
    **{(m, n): "stdlib" for m in ("pathlib", "pathlib._local") for n in _PATHS},
    **{("ipaddress", n): "stdlib" for n in _IP},
    **{("collections", n): "stdlib"
       for n in ("OrderedDict", "defaultdict", "Counter", "deque", "ChainMap")},
    ("numpy", "ndarray"): "arrays",
    **{("numpy", n): "arrays" for n in NUMPY_SCALARS},
    **{key: "frames" for key in PANDAS_FRAMES + PANDAS_SERIES + PANDAS_INDEXES
       + PANDAS_SCALARS},
    ("torch", "Tensor"): "tensors",
    ("torch.nn.parameter", "Parameter"): "tensors",
}
"""``(module, qualname)`` of a type -> the handler module (in this package) that copies it."""

SHAPES: tuple[tuple[str, str], ...] = (
    ("__dataclass_fields__", "records"),
    ("__attrs_attrs__", "records"),
    ("__pydantic_fields__", "records"),
    ("model_fields", "records"),  # pydantic 2.0 to 2.9
    ("_fields", "records"),
    ("_member_map_", "stdlib"),
)
"""A marker in a class's own ``__dict__`` -> the handler module whose ``for_class`` decides."""


def _module(name: str) -> Any:
    full = f"{__name__}.{name}"
    found = sys.modules.get(full)
    if found is None:
        __import__(full)
        found = sys.modules[full]
    return found


def find(cls: type, module: str, qualname: str) -> Callable[..., Any] | None:
    """The handler for exactly this type, or ``None``; subclasses are not matched."""
    name = TYPES.get((module, qualname))
    if name is not None:
        return _module(name).HANDLERS.get((module, qualname))
    try:
        own = type.__getattribute__(cls, "__dict__")
    except Exception:
        return None
    for marker, name in SHAPES:
        if marker in own:
            return _module(name).for_class(cls, own)
    return None
