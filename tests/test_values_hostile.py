"""The loader's new value types against data a hostile file could hold.

Every factory must validate what it gets, bound its work, and turn a bad value
into a snapshot that says so, never an exception out of the unpickler or a
callable reached through the file.
"""

from __future__ import annotations

import pickle

import pytest

from pydumpling_hook.dumpformat import dumpfile, model
from pydumpling_hook.loader.builders import build
from pydumpling_hook.loader.cuts import NotCapturedError, cut_container
from pydumpling_hook.loader.factories import factories


@pytest.mark.parametrize("kind, data", [
    ("datetime.datetime", (2024, 13, 1, 0, 0, 0, 0, None, 0)),
    ("datetime.datetime", (2024, 1, 1, 0, 0, 0, 0, (10**30, None, None), 0)),
    ("datetime.datetime", ("2024",) * 9),
    ("builtins.range", (0, 2**70000, 1)),
    ("builtins.range", (0, 10, 0)),
    ("decimal.Decimal", "1" * 20_000),
    ("decimal.Decimal", "not a number"),
    ("fractions.Fraction", (1, 0)),
    ("uuid.UUID", -1),
    ("ipaddress.IPv4Address", "999.1.1.1"),
    ("pathlib.PurePosixPath", b"/bytes"),
    ("collections.deque", (model.Value("builtins.range", (0, 10**18, 1)), None)),
    ("collections.OrderedDict", [("a", 1)]),
    ("collections.defaultdict", ("eval", {})),
    ("namedtuple", ("m", "P", ("x", "import os"), (1, 2))),
    ("namedtuple", ("m", "P", ("x", "x"), (1, 2))),
    ("namedtuple", ("m", "P", ("_x",), (1,))),
    ("numpy.scalar", ("float64", [1.0])),
    ("numpy.ndarray", {"shape": (10**20,), "dtype": "float64"}),
    ("numpy.ndarray", {"shape": "(3,)", "dtype": "float64"}),
    ("pandas.DataFrame", {"shape": (1, 2), "labels": ["a"], "dtypes": [], "positions": []}),
    ("no.such.Kind", None),
])
def test_bad_values_become_snapshots_that_say_so(kind, data):
    made = build(kind, data)
    assert type(made).__mro__[1].__name__ == "Snapshot"
    assert "value" in repr(made) and len(repr(made)) < 300


@pytest.mark.parametrize("key", ["/etc", "../../etc/passwd", "No/Such_Zone", "Europe/../../x"])
def test_a_zone_key_is_a_name_not_a_path(key):
    """A key that is not a zone this machine knows keeps the recorded offset."""
    made = build("datetime.datetime", (2024, 1, 1, 0, 0, 0, 0, (3_600_000_000, None, key), 0))
    assert type(made.tzinfo).__name__ == "timezone"
    assert made.utcoffset().total_seconds() == 3600


def test_sample_and_shape_must_agree():
    made = build("numpy.ndarray", {"shape": (2, 3), "dtype": "int64", "itemsize": 8,
                                   "edge": None, "sample": [1, 2]})
    assert made.shape == (2, 3) and not made.complete
    with pytest.raises(NotCapturedError):
        made[0, 0]
    assert repr(made) == "array([...], shape=(2, 3))"


def test_a_defaultdict_factory_of_the_application_refuses_to_guess():
    made = build("collections.defaultdict", (model.ObjectSnapshot("app", "f", "<function f>"),
                                             {"a": 1}))
    assert made["a"] == 1
    with pytest.raises(NotCapturedError, match="default_factory"):
        made["b"]


def test_cut_containers_validate_their_state():
    cut = cut_container("list", 10)
    cut.__setstate__(({"not": "a list"}, [9]))
    assert (cut.head, cut.tail, len(cut)) == ([], [9], 10)
    lying = cut_container("tuple", 1)
    lying.__setstate__(([1, 2, 3], []))
    assert len(lying) == 3  # never shorter than what it holds
    odd = cut_container(["not", "a", "kind"], -5)
    assert type(odd).__name__ == "CutList" and len(odd) == 0
    assert type(cut_container("Counter", 5)).__name__ == "CutDict"


def test_no_callable_iterates_a_rebuilt_value(tmp_path):
    """``set(range(10**18))`` through the file: set is not among the allowed names."""

    class SetOf:
        def __reduce__(self):
            return (set, (model.Value("builtins.range", (0, 10**18, 1)),))

    body = {"meta": {}, "evil": SetOf()}
    path = tmp_path / "x.dump"
    path.write_bytes(dumpfile.encode(body, {"exc_type": "X"}))
    with pytest.raises(dumpfile.DumpError, match="refused to load builtins.set"):
        dumpfile.read_body(str(path), classes=factories())


def test_values_round_trip_through_the_model(tmp_path):
    """A capture-side body pickles and loads again unchanged (record_suppressed does so)."""
    cut = model.CutContainer("dict", 5000)
    cut.__setstate__(({1: 2}, {4999: 0}))
    body = {"meta": {}, "v": [model.Value("datetime.date", (2024, 1, 2)), cut,
                              model.TruncatedStr("ab", 3, "yz")]}
    again = pickle.loads(pickle.dumps(body, protocol=5))
    value, cut2, text = again["v"]
    assert (value.kind, value.data) == ("datetime.date", (2024, 1, 2))
    assert (cut2.kind, cut2.total, cut2.head, cut2.tail) == ("dict", 5000, {1: 2}, {4999: 0})
    assert (str(text), text.omitted, text.tail) == ("ab", 3, "yz")
