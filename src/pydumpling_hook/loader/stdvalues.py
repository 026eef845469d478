"""Real standard-library values, rebuilt from the plain data of a ``model.Value``.

``when.year``, ``total + 1``, ``str(path)`` and ``addr.is_private`` should work
in a debugger as they did in the program, so a ``datetime``, ``Decimal``,
``Path``... comes back as that very type. Each builder takes the data from
the file, checks every piece (exact types, ranges, lengths) and calls only the
stdlib constructor of the one type its kind names; a file can name no other
callable. A builder that fails raises, and ``build`` turns that into a
snapshot saying the value could not be rebuilt.

Rebuilt as the real type: datetime, date, time, timedelta, timezone (a zone
key becomes a ``ZoneInfo`` when the loader's machine knows the zone, else a
fixed offset with the key as its name), Decimal, Fraction, UUID, paths (as
``PurePosixPath`` or ``PureWindowsPath``: the loader touches no disk),
IPv4/IPv6 addresses, networks and interfaces, range, OrderedDict,
defaultdict, Counter, deque, ChainMap, and namedtuples (a tuple class with the
recorded name and fields). numpy scalars come back as Python numbers of a
small subclass that notes the dtype (``np.float64(1.5)``; arithmetic gives
plain numbers); a numpy bool is a plain ``bool``, and a scalar that is no
Python number (``longdouble``, ``datetime64``) shows numpy's repr.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import ipaddress
import keyword
import pathlib
import re
import uuid
from typing import Any, Callable, Dict

from .cuts import NotCapturedError
from .text import bounded_repr
from .values import clean_text, snapshot_class

MAX_BITS = 64 * 1024
MAX_TEXT = 100_000
MAX_FIELDS = 1000
_ZONE_KEY = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*")
_FACTORIES = {t.__name__: t for t in (list, dict, set, int, float, str, tuple, frozenset,
                                      bytes, bool, complex)}


def _int(value: Any, low: int | None = None, high: int | None = None) -> int:
    if type(value) is not int or value.bit_length() > MAX_BITS:
        raise TypeError("not an int")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError("out of range")
    return value


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    if type(value) is not str or len(value) > limit:
        raise TypeError("not a short str")
    return value


def _tuple(value: Any, size: int) -> tuple:
    if type(value) is not tuple or len(value) != size:
        raise TypeError(f"not a {size}-tuple")
    return value


def _tz(value: Any) -> datetime.tzinfo | None:
    if value is None:
        return None
    offset, name, key = _tuple(value, 3)
    if key is not None and _ZONE_KEY.fullmatch(_text(key, 100)) and ".." not in key:
        try:
            import zoneinfo

            return zoneinfo.ZoneInfo(key)
        except Exception:  # the zone is unknown on this machine: keep the offset
            name = key
    delta = datetime.timedelta(microseconds=_int(offset))
    return datetime.timezone(delta) if name is None else datetime.timezone(delta, _text(name, 100))


def _datetime(data: Any) -> datetime.datetime:
    *fields, tz, fold = _tuple(data, 9)
    return datetime.datetime(*map(_int, fields), tzinfo=_tz(tz), fold=_int(fold, 0, 1))


def _time(data: Any) -> datetime.time:
    *fields, tz, fold = _tuple(data, 6)
    return datetime.time(*map(_int, fields), tzinfo=_tz(tz), fold=_int(fold, 0, 1))


def _date(data: Any) -> datetime.date:
    return datetime.date(*map(_int, _tuple(data, 3)))


def _timedelta(data: Any) -> datetime.timedelta:
    days, seconds, micro = map(_int, _tuple(data, 3))
    return datetime.timedelta(days=days, seconds=seconds, microseconds=micro)


def _range(data: Any) -> range:
    start, stop, step = map(_int, _tuple(data, 3))
    return range(start, stop, step)


def _fraction(data: Any) -> fractions.Fraction:
    numerator, denominator = _tuple(data, 2)
    return fractions.Fraction(_int(numerator), _int(denominator, 1))


class MissingFactory:
    """A ``defaultdict`` factory of the application's: reaching it raises, rather than
    pretending that a missing key is absent."""

    __slots__ = ("shown",)

    def __init__(self, shown: str) -> None:
        self.shown = shown

    def __call__(self) -> Any:
        raise NotCapturedError(f"the default_factory {self.shown} was not captured: the value "
                               "a missing key would get is unknown")

    def __repr__(self) -> str:
        return self.shown


def _dict(value: Any) -> dict:
    if type(value) is not dict:
        raise TypeError("not a dict")
    return value


def _defaultdict(data: Any) -> collections.defaultdict:
    factory, content = _tuple(data, 2)
    if factory is None or type(factory) is str:
        made = None if factory is None else _FACTORIES[factory]
    else:
        made = MissingFactory(bounded_repr(factory, 100))
    return collections.defaultdict(made, _dict(content))


def _deque(data: Any) -> collections.deque:
    content, maxlen = _tuple(data, 2)
    if type(content) is not list:
        raise TypeError("not a list")
    return collections.deque(content, None if maxlen is None else _int(maxlen, 0, 1 << 62))


def _not_unpacked(data: Any) -> Any:
    """Reached only for packed data that ``dumpformat.packed`` could not unpack."""
    raise ValueError("packed data that does not unpack, or over the values of one dump")


def _chainmap(data: Any) -> collections.ChainMap:
    if type(data) is not list or len(data) > MAX_FIELDS:
        raise TypeError("not a list of maps")
    return collections.ChainMap(*data)


_tuple_classes: Dict[tuple, type] = {}


def _namedtuple(data: Any) -> tuple:
    module, qualname, fields, values = _tuple(data, 4)
    fields = _tuple(fields, len(fields)) if type(fields) is tuple else ()
    if len(fields) > MAX_FIELDS or not all(
            type(f) is str and f.isidentifier() and not keyword.iskeyword(f)
            and not f.startswith("_") for f in fields) or len(set(fields)) != len(fields):
        raise ValueError("bad field names")
    values = _tuple(values, len(fields))
    module_s = clean_text(module, "<unknown>")
    qualname_s = clean_text(qualname, "namedtuple")
    key = (module_s, qualname_s, fields)
    cls = _tuple_classes.get(key)
    if cls is None:
        name = qualname_s.rsplit(".", 1)[-1]
        if not name.isidentifier() or keyword.iskeyword(name):
            name = "namedtuple"
        cls = collections.namedtuple(name, fields, module=module_s)
        cls.__qualname__ = qualname_s
        _tuple_classes[key] = cls
    return cls._make(values)


class DType(str):
    """A numpy, pandas or torch dtype by its name: equal to that name, shown as numpy
    shows a dtype (``dtype('float64')``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"dtype({str.__repr__(self)})"

    @property
    def name(self) -> str:
        return str(self)


class _Dtype:
    """Notes a numpy scalar's dtype: ``x.dtype`` and a repr like numpy 2's."""

    plain: type
    dtype: DType

    def __repr__(self) -> str:
        return f"np.{self.dtype}({self.plain.__repr__(self)})"

    def item(self) -> Any:
        """The plain Python number, as numpy's ``item()`` gives it."""
        return self.plain(self)


class NumpyInt(_Dtype, int):
    plain = int


class NumpyFloat(_Dtype, float):
    plain = float


class NumpyComplex(_Dtype, complex):
    plain = complex


_NUMBER_TYPES = {int: NumpyInt, float: NumpyFloat, complex: NumpyComplex}


def _numpy_scalar(data: Any) -> Any:
    dtype, number = _tuple(data, 2)
    dtype = _text(dtype, 40)
    if type(number) is bool:
        return number
    if type(number) is str:  # numpy's own repr of a scalar that is no Python number
        return snapshot_class("numpy", dtype)(_text(number, 200))
    if type(number) is int:
        _int(number)
    made = _NUMBER_TYPES[type(number)](number)
    made.dtype = DType(dtype)
    return made


BUILDERS: Dict[str, Callable[[Any], Any]] = {
    "datetime.datetime": _datetime,
    "datetime.date": _date,
    "datetime.time": _time,
    "datetime.timedelta": _timedelta,
    "datetime.timezone": _tz,
    "decimal.Decimal": lambda d: decimal.Decimal(_text(d, 10_000)),
    "fractions.Fraction": _fraction,
    "uuid.UUID": lambda d: uuid.UUID(int=_int(d, 0, (1 << 128) - 1)),
    "pathlib.PurePosixPath": lambda d: pathlib.PurePosixPath(_text(d)),
    "pathlib.PureWindowsPath": lambda d: pathlib.PureWindowsPath(_text(d)),
    **{f"ipaddress.{n}": (lambda cls: lambda d: cls(_text(d, 200)))(getattr(ipaddress, n))
       for n in ("IPv4Address", "IPv6Address", "IPv4Network", "IPv6Network", "IPv4Interface",
                 "IPv6Interface")},
    "builtins.range": _range,
    "builtins.dict": _not_unpacked,
    "records": _not_unpacked,
    "collections.OrderedDict": lambda d: collections.OrderedDict(_dict(d)),
    "collections.Counter": lambda d: collections.Counter(_dict(d)),
    "collections.defaultdict": _defaultdict,
    "collections.deque": _deque,
    "collections.ChainMap": _chainmap,
    "namedtuple": _namedtuple,
    "numpy.scalar": _numpy_scalar,
}
"""Value kind -> builder; ``builders`` adds the library summaries' kinds."""
