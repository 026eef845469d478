"""Rebuilding real traceback, frame, code and exception objects from dump records, in-process.

The strongest check is a comparison: a real exception is raised from a real
file, turned into FRAME/EXC records by the real capture engine (in-process,
without the file), the file is deleted, and the rebuilt
exception must print exactly as the original did.
"""

from __future__ import annotations

import inspect
import linecache
import pickle
import sys
import textwrap
import time
import traceback
from pathlib import Path

import pytest

from pydumpling_hook import config
from pydumpling_hook.dumpformat import dumpfile, model
from pydumpling_hook.engine import snapshot
from pydumpling_hook.loader import DumpError, TargetNotFound, load
from pydumpling_hook.loader.dump import Dump
from pydumpling_hook.loader.exceptions import build_exception_graph
from pydumpling_hook.loader.factories import factories
from pydumpling_hook.loader.rebuild import build_frame, build_traceback
from pydumpling_hook.loader.sources import session_sources
from pydumpling_hook.loader.values import NOT_CAPTURED, Snapshot

# ----------------------------------------------------------------- records from live objects


def exc_record(exc: BaseException) -> dict:
    """The real engine's record of ``exc``: what a dump holds, without the file.

    Without the callers of the catching frame: here they are pytest's, still live.
    """
    snap = snapshot.Snapshot(config.Settings(), outer=False)
    record = snap.exception(exc)
    snap.fill_frames([])
    return record


def crash(tmp_path: Path, source: str, limit: int | None = None) -> tuple[BaseException, str]:
    """Run ``source`` as __main__ from a real file; return its exception and the source."""
    source = textwrap.dedent(source)
    path = tmp_path / "app.py"
    path.write_text(source)
    namespace = {"__name__": "__main__", "__file__": str(path)}
    old_limit = sys.getrecursionlimit()
    if limit:
        sys.setrecursionlimit(limit)
    try:
        exec(compile(source, str(path), "exec"), namespace)
    except BaseException as exc:  # noqa: B036 - the point is to catch what the script raised
        return exc, str(path)
    finally:
        sys.setrecursionlimit(old_limit)
    raise AssertionError("the script did not crash")


def assert_replays(tmp_path: Path, source: str, limit: int | None = None) -> BaseException:
    """The rebuilt exception prints exactly like the original, file deleted."""
    original, path = crash(tmp_path, source, limit)
    expected = "".join(traceback.format_exception(type(original), original,
                                                  original.__traceback__))
    record = exc_record(original)
    text = Path(path).read_text()
    Path(path).unlink()
    linecache.checkcache(path)
    rebuilt = build_exception_graph(record)[id(record)]
    with session_sources({path: text}):
        got = "".join(traceback.format_exception(type(rebuilt), rebuilt, rebuilt.__traceback__))
    assert got == expected
    return rebuilt


README = (Path(__file__).parent / "crashes" / "readme.py").read_text()


def innermost(tb):
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb


# ------------------------------------------------------------------ tracebacks print the same


def test_readme_crash_prints_like_the_original(tmp_path):
    exc = assert_replays(tmp_path, README)
    assert type(exc) is TypeError


def test_chained_exceptions_print_like_the_original(tmp_path):
    exc = assert_replays(tmp_path, (Path(__file__).parent / "crashes" / "chains.py").read_text())
    assert type(exc) is IndexError
    assert type(exc.__context__).__name__ == "ConfigError"
    assert repr(type(exc.__context__)) == "<class '__main__.ConfigError'>"
    assert type(exc.__context__.__cause__) is KeyError


def test_multiline_expressions_and_odd_frames_print_like_the_original(tmp_path):
    assert_replays(tmp_path, """\
        def f(x, /, y, *args, z, **kw):
            return (x
                    + y
                    + {}[z])

        class Klass:
            value = [f(1, 2, 3, z="k", w=5)
                     for _ in range(1)]
        """)


def test_deep_recursion_prints_like_the_original(tmp_path):
    rebuilt = assert_replays(tmp_path, """\
        def down(n):
            if n == 0:
                raise ValueError("bottom")
            return down(n - 1)

        down(1100)
        """, limit=2000)
    assert len(list(traceback.walk_tb(rebuilt.__traceback__))) == 1 + 1 + 1101  # crash(), module


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup and notes are 3.11+")
def test_groups_and_notes_print_like_the_original(tmp_path):
    exc = assert_replays(tmp_path, """\
        def fail(n):
            e = ValueError(n)
            e.add_note(f"note {n}")
            raise e

        errors = []
        for n in range(2):
            try:
                fail(n)
            except ValueError as e:
                errors.append(e)
        raise ExceptionGroup("many", errors)
        """)
    assert type(exc) is ExceptionGroup  # noqa: F821
    assert [e.__notes__ for e in exc.exceptions] == [["note 0"], ["note 1"]]


# ------------------------------------------------------------- frames, code, locals, inspect


def test_frames_are_real_and_hold_their_locals(tmp_path):
    original, path = crash(tmp_path, README)
    record = exc_record(original)
    tb = build_traceback(record["frames"])
    module_frame, outer_frame, inner_frame = [frame for frame, _ in traceback.walk_tb(tb)][-3:]
    assert inspect.istraceback(tb) and inspect.isframe(inner_frame)
    assert inner_frame.f_locals["a"] == 1 and inner_frame.f_locals["b"] == "2"
    assert "c" not in inner_frame.f_locals
    assert outer_frame.f_locals == {"d": 4}
    assert module_frame.f_globals is module_frame.f_locals
    assert module_frame.f_code.co_name == "<module>"
    assert isinstance(module_frame.f_globals["__builtins__"], type(sys))
    assert inner_frame.f_code.co_filename == path
    assert innermost(tb).tb_lineno == 4
    text = Path(path).read_text()
    Path(path).unlink()
    with session_sources({path: text}):
        lines, start = inspect.getsourcelines(inner_frame)
        assert start == 1 and lines[3] == "    c = a + b\n"
        assert inspect.getsourcelines(module_frame)[1] == 0
        assert linecache.getline(path, 4) == "    c = a + b\n"
    assert path not in linecache.cache


def _function(name="f", **fields):
    record = {"filename": "/nowhere/app.py", "name": name, "qualname": name, "module": "app",
              "firstlineno": 10, "lineno": 12, "positions": None,
              "flags": inspect.CO_OPTIMIZED | inspect.CO_NEWLOCALS, "argcount": 0,
              "posonlyargcount": 0, "kwonlyargcount": 0, "varnames": (), "is_module": False,
              "locals": {}, "globals": {}}
    record.update(fields)
    return record


def test_arguments_are_real_parameters_and_other_locals_persist():
    flags = inspect.CO_OPTIMIZED | inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
    record = _function(
        flags=flags, argcount=2, posonlyargcount=1, kwonlyargcount=1,
        varnames=("x", "y", "k", "rest", "kw", "local"),
        locals={"x": 1, "y": 2, "k": 3, "rest": (4, 5), "kw": {"x": 6}, "local": [7]},
    )
    frame = build_frame(record).tb_frame
    code = frame.f_code
    assert code.co_varnames == ("x", "y", "k", "rest", "kw")
    assert (code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount) == (2, 1, 1)
    assert code.co_flags & inspect.CO_VARARGS and code.co_flags & inspect.CO_VARKEYWORDS
    # Reading f_locals twice: before 3.13 FastToLocals refreshes the dict, which must keep
    # the non-argument local; on 3.13 it lives in the proxy's extra locals.
    assert "local" in frame.f_locals
    assert dict(frame.f_locals) == {"x": 1, "y": 2, "k": 3, "rest": (4, 5), "kw": {"x": 6},
                                    "local": [7]}
    assert eval("local[0] + x", frame.f_globals, frame.f_locals) == 8


def test_missing_and_unpassable_arguments_degrade():
    flags = inspect.CO_OPTIMIZED | inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
    record = _function(flags=flags, argcount=1, varnames=("a", "args", "kwargs"),
                       locals={"args": [1, 2], "kwargs": {1: "int key", "a": "clash", "ok": 3}})
    f_locals = build_frame(record).tb_frame.f_locals
    assert f_locals["a"] is NOT_CAPTURED
    assert f_locals["args"] == (1, 2)
    assert f_locals["kwargs"] == {"ok": 3}


def test_module_frame_with_many_lines_and_columns():
    record = {"filename": "/nowhere/m.py", "name": "<module>", "qualname": "<module>",
              "firstlineno": 1, "lineno": 9_999_999, "positions": (9_999_999, 9_999_999, 4, 9),
              "flags": 0, "is_module": True, "locals": {}, "globals": {"x": 1}}
    tb = build_frame(record)
    assert tb.tb_lineno == 9_999_999
    assert tb.tb_frame.f_globals["x"] == 1 and tb.tb_frame.f_globals is tb.tb_frame.f_locals
    if sys.version_info >= (3, 11):
        assert list(tb.tb_frame.f_code.co_positions())[tb.tb_lasti // 2] == (
            9_999_999, 9_999_999, 4, 9)


def test_thousands_of_frames_are_fast_and_need_no_recursion():
    records = [_function(name=f"f{i % 7}", lineno=12 + i % 7, locals={"i": i})
               for i in range(5000)]
    started = time.perf_counter()
    tb = build_traceback(records, frames_cut=123_456, cut_at=2500)
    elapsed = time.perf_counter() - started
    entries = list(traceback.walk_tb(tb))
    assert len(entries) == 5001
    assert elapsed < 10
    assert entries[2500][0].f_code.co_filename == "<123,456 frames left out>"
    assert entries[-1][0].f_locals == {"i": 4999}


HOSTILE = [
    None, 42, "frame", [], {},
    {"filename": "a\x00b\udc80.py", "name": "n\x00\udc80", "qualname": 3, "lineno": -5},
    _function(lineno=10**12, firstlineno=10**15),
    _function(lineno=True, firstlineno=2.5, positions=("a", 1, 2, 3)),
    _function(positions=(12, 11, 5, 2)),
    _function(positions=(12, 12, 9, 2)),
    _function(positions=(12, 12, -1, 10**9)),
    _function(argcount=5, varnames=("a",)),
    _function(argcount=2, varnames=("a", "a")),
    _function(argcount=1, posonlyargcount=3, varnames=("a",)),
    _function(argcount=1, varnames=(None,)),
    _function(argcount=10**9, varnames=("a",) * 3),
    _function(flags=-1, varnames=("a", "b", "c")),
    _function(locals={1: 2, "x": 3}, globals={"__loader__": object(), "__spec__": 1,
                                               "__builtins__": {"open": None}, "__name__": 5}),
    _function(locals="not a dict", globals=["nope"]),
    _function(name="__pydumpling_frame__", globals={"__pydumpling_frame__": 1}),
    _function(flags=0, locals={"__pydumpling_frame__": 1}),
    _function(varnames=("if", "class"), argcount=2, locals={"if": 1, "class": 2}),
]


@pytest.mark.parametrize("record", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_frame_records_never_crash(record):
    tb = build_frame(record)
    assert inspect.istraceback(tb)
    frame = tb.tb_frame
    assert "__loader__" not in frame.f_globals and "__spec__" not in frame.f_globals
    assert isinstance(frame.f_globals["__builtins__"], type(sys))
    text = "".join(traceback.format_tb(tb))
    assert "File " in text
    text.encode("utf-8")  # printable: no lone surrogates


def test_hostile_record_details():
    tb = build_frame(HOSTILE[5])
    assert tb.tb_frame.f_code.co_filename == "a\\x00b\\udc80.py"
    assert build_frame(HOSTILE[6]).tb_lineno == 1  # absurd lines are ignored
    assert build_frame(HOSTILE[11]).tb_frame.f_code.co_filename.startswith("<unreadable")
    assert build_frame(None).tb_frame.f_code.co_filename.startswith("<unreadable")
    assert build_frame(HOSTILE[17]).tb_frame.f_locals == {"x": 3}
    assert build_frame(HOSTILE[-1]).tb_frame.f_locals == {"if": 1, "class": 2}
    assert build_traceback("nope") is None and build_traceback([]) is None


# ----------------------------------------------------------------------------- exceptions


def _exc(qualname="Boom", module="app", mro=(("builtins", "Exception"),), **fields):
    record = {"type": {"module": module, "qualname": qualname,
                       "mro": [[module, qualname], *map(list, mro)]},
              "message": "it broke", "args": ("it broke",), "attrs": {}, "notes": None,
              "frames": [_function()], "frames_cut": 0, "cut_at": None, "cause": None,
              "context": None, "suppress_context": False, "members": None}
    record.update(fields)
    return record


def test_custom_exception_classes_keep_name_base_message_and_attributes():
    record = _exc("Outer.DbError", "app.db", mro=[("app.db", "Base"), ("builtins", "OSError"),
                                                   ("builtins", "Exception")],
                  args=(5, "x", object), message="[Errno 5] db down",
                  attrs={"code": 5, "__class__": "evil", "errno": 7})
    exc = build_exception_graph(record)[id(record)]
    assert isinstance(exc, OSError) and type(exc).__name__ == "DbError"
    assert repr(type(exc)) == "<class 'app.db.Outer.DbError'>"
    assert str(exc) == "[Errno 5] db down" and exc.code == 5
    assert traceback.format_exception_only(type(exc), exc) == ["app.db.Outer.DbError: "
                                                              "[Errno 5] db down\n"]


def test_builtin_exceptions_are_the_builtin_class_when_possible():
    ok = _exc("KeyError", "builtins", mro=[], args=("k",), message="'k'")
    bad = _exc("UnicodeDecodeError", "builtins", mro=[("builtins", "ValueError")],
               args=("nonsense",), message="cannot decode")
    assert type(build_exception_graph(ok)[id(ok)]) is KeyError
    exc = build_exception_graph(bad)[id(bad)]
    assert isinstance(exc, UnicodeDecodeError) and str(exc) == "cannot decode"


def test_chains_are_shared_by_identity_and_cycles_are_fine():
    cause = _exc("KeyError", "builtins", mro=[], args=("k",))
    root = _exc(cause=cause, context=cause, suppress_context=True, notes=["n1", 2])
    cause["context"] = root  # a cycle, as a hostile file could make
    built = build_exception_graph(root)
    exc = built[id(root)]
    assert exc.__cause__ is exc.__context__ is built[id(cause)]
    assert exc.__suppress_context__ is True and exc.__notes__ == ["n1"]
    assert exc.__cause__.__context__ is exc
    assert inspect.istraceback(exc.__traceback__)
    "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def test_long_chains_need_no_recursion():
    root = current = _exc()
    for _ in range(3000):
        current["context"] = current = _exc(frames=[])
    built = build_exception_graph(root)
    assert len(built) == 3001


def test_groups_members_and_member_cycles():
    a, b = _exc("A"), _exc("B")
    group = _exc("ExceptionGroup", "builtins", mro=[("builtins", "BaseExceptionGroup")],
                 args=("many", []), message="many (2 sub-exceptions)", members=[a, b])
    b["members"] = [group]  # a member cycle: b cannot contain its own group
    exc = build_exception_graph(group)[id(group)]
    members = list(exc.exceptions)
    assert [type(m).__name__ for m in members] == ["A", "B"]
    if sys.version_info >= (3, 11):
        assert type(exc) is ExceptionGroup  # noqa: F821


def test_odd_exception_records_degrade():
    for record in [{}, {"type": 5}, _exc(args="x", message=None, attrs=[1], notes="n",
                                         frames="f", members=[1, None]),
                   _exc("", "\x00", type={"mro": None}),
                   _exc("Base", mro=[("builtins", "KeyboardInterrupt")])]:
        exc = build_exception_graph(record)[id(record)]
        assert isinstance(exc, BaseException)
        assert isinstance(str(exc), str) and isinstance(repr(exc), str)
    assert build_exception_graph(None) == {}


# ------------------------------------------------------------------------- values and load


FACTORIES = factories()


def test_snapshots_look_like_the_original_type():
    order = FACTORIES["ObjectSnapshot"]("shop.models", "Order", "<Order #7>")
    order.__setstate__(({"total": 12, 3: "x"}, [1, 2], "depth budget ran out"))
    again = FACTORIES["ObjectSnapshot"]("shop.models", "Order", "<Order #8>")
    assert type(again) is type(FACTORIES["ObjectSnapshot"]("shop.models", "Order", "<Order>"))
    assert isinstance(order, type(again)) and isinstance(order, Snapshot)  # + its items
    assert repr(type(order)) == "<class 'shop.models.Order'>" and type(order).__name__ == "Order"
    assert repr(order) == "<Order #7>" and order.total == 12
    assert vars(order) == {"total": 12}
    assert len(order) == 2 and list(order) == [1, 2] and order[0] == 1 and 2 in order
    with pytest.raises(AttributeError, match="'Order' object has no attribute 'missing'") as info:
        _ = order.missing
    assert str(info.traceback[-1].path) == __file__  # no frame of the loader
    plain = FACTORIES["ObjectSnapshot"]("m", "Plain", "<Plain>")
    assert bool(plain) is True
    with pytest.raises(TypeError, match="has no len"):
        len(plain)
    odd = FACTORIES["ObjectSnapshot"]("\x00\udc80", "a.b.class", None)
    assert type(odd).__name__ == "UnknownType" and repr(odd) == "<\\x00\\udc80.a.b.class object>"


def test_cut_markers_show_what_was_left_out():
    assert repr(FACTORIES["Cut"](1_999_000)) == "<… 1,999,000 more items>"
    assert repr(FACTORIES["Cut"]("many", None)) == "<… 0 more items>"
    assert repr(FACTORIES["Redacted"]()) == "<redacted>"
    assert repr(FACTORIES["TruncatedStr"]("abc", 10)) == "'abc'<… 10 more characters>"
    assert repr(FACTORIES["TruncatedBytes"](b"ab", 5, "bytearray")).startswith("bytearray(b'ab')")


def _write(tmp_path, body, originals=None) -> str:
    path = tmp_path / "x.dump"
    path.write_bytes(dumpfile.encode(body, {"exc_type": "X"}, originals))
    return str(path)


def _body(exception=None, **fields):
    body = {"format": 1, "meta": {"python": "3.x"}, "exception": exception, "threads": [],
            "sources": {}, "stats": {}}
    body.update(fields)
    return body


def test_load_maps_model_types_and_rebuilds_the_exception(tmp_path):
    snap = model.ObjectSnapshot("shop", "Order", "<Order>")
    snap.attrs, snap.items, snap.note = {"total": 3}, None, None
    record = _exc(frames=[_function(locals={"order": snap, "big": [1, model.Cut(99)]})])
    dump = load(_write(tmp_path, _body(record)))
    frame = innermost(dump.traceback()).tb_frame
    assert type(frame.f_locals["order"]).__name__ == "Order"
    assert frame.f_locals["order"].total == 3
    assert repr(frame.f_locals["big"]) == "[1, <… 99 more items>]"
    assert dump.exception_object() is dump.exception_object()


def test_load_with_trust_substitutes_originals(tmp_path):
    record = _exc(frames=[_function(locals={"when": "safe copy", "x": 1})],
                  cause=_exc(frames=[_function(locals={"y": "safe"})]))
    originals = {"/0/when": pickle.dumps(complex(1, 2)), "cause/0/y": pickle.dumps({"real"}),
                 "/0/x": b"not a pickle", "nope/0/x": pickle.dumps(1)}
    path = _write(tmp_path, _body(record), originals)
    safe = load(path)
    assert innermost(safe.traceback()).tb_frame.f_locals["when"] == "safe copy"
    trusted = load(path, trust=True)
    assert innermost(trusted.traceback()).tb_frame.f_locals["when"] == complex(1, 2)
    assert innermost(trusted.traceback("cause")).tb_frame.f_locals["y"] == {"real"}
    assert set(trusted.originals_errors) == {"/0/x", "nope/0/x"}


def test_targets_threads_and_paths(tmp_path):
    member = _exc("M")
    record = _exc(context=_exc("Ctx", cause=_exc("Deep")), members=[member])
    thread = {"ident": 7, "name": "Worker", "daemon": False, "current": False,
              "frames": [_function(name="work")]}
    dump = load(_write(tmp_path, _body(record, threads=[thread])))
    assert type(dump.exception_object("context.cause")).__name__ == "Deep"
    assert dump.exception_record("0") is dump.exception_record("members.0")
    with pytest.raises(TargetNotFound, match="no cause"):
        dump.target(exception_path="cause")
    with pytest.raises(TargetNotFound, match="bad exception path"):
        dump.target(exception_path="sideways")
    stack = dump.target(thread="Worker")
    assert innermost(stack.__traceback__).tb_frame.f_code.co_name == "work"
    assert dump.target(thread="7").__traceback__ is not None
    with pytest.raises(TargetNotFound, match="no thread 'Nope'.*Worker"):
        dump.target(thread="Nope")
    no_exception = load(_write(tmp_path, _body(None, threads=[thread])))
    assert "Worker" in str(no_exception.target())


@pytest.mark.parametrize("content", [b"", b"garbage", dumpfile.MAGIC + b"\x00\x00\x00\x05{}"])
def test_bad_files_raise_one_line_dump_errors(tmp_path, content):
    path = tmp_path / "bad.dump"
    path.write_bytes(content)
    with pytest.raises(DumpError) as info:
        load(str(path))
    assert "\n" not in str(info.value)


def test_odd_bodies_still_load(tmp_path):
    dump = load(_write(tmp_path, {"meta": {}, "exception": "x", "threads": 5, "sources": [],
                                  "stats": None}))
    assert dump.exception is None and dump.threads == [] and dump.sources == {}
    with pytest.raises(TargetNotFound):
        dump.target()
    assert isinstance(Dump({}, {"meta": {}}), Dump)


def test_embedded_sources_restore_linecache():
    linecache.cache["/x/known.py"] = (1, 1.0, ["old\n"], "/x/known.py")
    try:
        with session_sources({"/x/known.py": "new", "/x/new.py": "a\r\nb", 3: "x", "y": 4}):
            assert linecache.getlines("/x/known.py") == ["new\n"]
            assert linecache.getlines("/x/new.py") == ["a\n", "b\n"]
            linecache.checkcache()
            assert "/x/new.py" in linecache.cache
        assert linecache.cache["/x/known.py"][2] == ["old\n"]
        assert "/x/new.py" not in linecache.cache
    finally:
        linecache.cache.pop("/x/known.py", None)
