"""End-to-end capture: real scripts crash in subprocesses, we read what they left."""

from __future__ import annotations

import os
import stat
import sys

import pytest
from conftest import CRASHES, clean_env, dumps_in, run_python, strip_notice, write_script

from pydumpling_hook.dumpformat.model import Cut, ObjectSnapshot, Redacted, TruncatedBytes

SIMPLE = (CRASHES / "readme.py").read_text()


def frames_by_name(exc: dict) -> dict:
    return {f["name"]: f for f in exc["frames"]}


def test_zero_code_crash_leaves_one_dump_and_same_behaviour(crash, tmp_path, body):
    result, dumps = crash(SIMPLE)
    baseline = run_python([str(tmp_path / "crash.py")], cwd=tmp_path)
    assert result.returncode == baseline.returncode == 1
    assert strip_notice(result.stderr) == baseline.stderr
    notices = [line for line in result.stderr.splitlines() if line.startswith("pydumpling:")]
    assert len(notices) == 1 and "crash dump written to" in notices[0]
    assert len(dumps) == 1
    assert dumps[0].name.endswith("-MainThread-TypeError.dump")
    data = body(dumps[0])
    exc = data["exception"]
    assert exc["type"]["qualname"] == "TypeError"
    names = [f["name"] for f in exc["frames"]]
    assert names == ["<module>", "outer", "inner"]
    inner = frames_by_name(exc)["inner"]
    assert inner["locals"] == {"a": 1, "b": "2"}
    assert inner["lineno"] == 4
    assert frames_by_name(exc)["outer"]["locals"] == {"d": 4}
    assert "c = a + b" in data["sources"][inner["filename"]]
    meta = data["meta"]
    assert meta["pid"] > 0 and meta["python"] == ".".join(map(str, sys.version_info[:3]))
    assert meta["reason"] == "excepthook" and meta["thread"] == "MainThread"


def test_permissions_and_no_temporary_files(crash, dump_dir):
    old = os.umask(0)
    try:
        result, dumps = crash(SIMPLE)
    finally:
        os.umask(old)
    assert len(dumps) == 1
    assert stat.S_IMODE(dump_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(dumps[0].stat().st_mode) == 0o600
    assert sorted(p.name for p in dump_dir.iterdir()) == [dumps[0].name]


def test_without_variable_nothing_is_imported(tmp_path):
    result = run_python(["-c", "import sys; print('pydumpling_hook' in sys.modules)"])
    assert result.stdout.strip() == "False"
    result = run_python(["-c", "import sys; print('pydumpling_hook' in sys.modules)"],
                        env=clean_env(PYDUMPLING_DIR=str(tmp_path)))
    assert result.stdout.strip() == "True"


def test_install_is_cheap_and_does_not_import_the_engine():
    code = ("import sys, pydumpling_hook; pydumpling_hook.install(); "
            "print(sorted(m for m in ('dill', 'pickle', 'zlib', 'pydumpling_hook.engine.snapshot', "
            "'pydumpling_hook.loader', 'inspect') if m in sys.modules))")
    result = run_python(["-c", code])
    assert result.stdout.strip() == "[]", result.stderr


def test_child_processes_inherit_activation(crash, dump_dir):
    result, dumps = crash("""
        import subprocess, sys
        rc = subprocess.call([sys.executable, "-c", "raise LookupError('child')"])
        print("child exit", rc)
    """)
    assert "child exit 1" in result.stdout
    assert result.returncode == 0
    assert len(dumps) == 1 and dumps[0].name.endswith("LookupError.dump")


def test_previous_hooks_are_chained_and_uninstall_restores(tmp_path, dump_dir):
    script = write_script(tmp_path, """
        import sys, threading
        def mine(t, v, tb):
            print("MY HOOK", t.__name__)
        sys.excepthook = mine
        import pydumpling_hook
        pydumpling_hook.install()
        pydumpling_hook.install()  # idempotent
        assert sys.excepthook is not mine
        pydumpling_hook.uninstall()
        assert sys.excepthook is mine
        assert threading.excepthook is not pydumpling_hook.hooks._threading_excepthook
        pydumpling_hook.install()
        raise KeyError("x")
    """)
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(dump_dir)))
    assert "MY HOOK KeyError" in result.stdout
    assert result.returncode == 1
    assert len(dumps_in(dump_dir)) == 1


@pytest.mark.parametrize("code", [
    "raise SystemExit(3)",
    "raise KeyboardInterrupt",
    "import sys; sys.exit('bye')",
])
def test_exits_and_interrupts_leave_no_dump(crash, tmp_path, code):
    result, dumps = crash(code)
    baseline = run_python([str(tmp_path / "crash.py")], cwd=tmp_path)
    assert dumps == []
    assert result.returncode == baseline.returncode != 0
    assert result.stderr == baseline.stderr


def test_skip_is_configurable(tmp_path, dump_dir):
    script = write_script(tmp_path, """
        import pydumpling_hook
        pydumpling_hook.install(skip=["ValueError"])
        raise ValueError("skipped")
    """)
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(dump_dir)))
    assert result.returncode == 1 and "ValueError: skipped" in result.stderr
    assert dumps_in(dump_dir) == []


def test_interactive_typos_are_not_dumped(dump_dir):
    result = run_python(["-i", "-q"], env=clean_env(PYDUMPLING_DIR=str(dump_dir)),
                        input="undefined_name\n1/0\n")
    assert "NameError" in result.stderr
    assert dumps_in(dump_dir) == []


def test_threads_and_main_crashing_together_leave_three_dumps(crash, body):
    result, dumps = crash("""
        import threading
        barrier = threading.Barrier(3)
        def work(n):
            local_marker = n * 10
            barrier.wait()
            raise RuntimeError(f"thread {n}")
        threads = [threading.Thread(target=work, args=(i,), name=f"worker-{i}") for i in (1, 2)]
        for t in threads:
            t.start()
        barrier.wait()
        for t in threads:
            t.join()
        print("main carries on")
        raise ValueError("main")
    """)
    assert "main carries on" in result.stdout
    assert result.returncode == 1
    assert len(dumps) == 3
    kinds = sorted(d.name.split("-", 2)[2] for d in dumps)
    assert kinds == ["MainThread-ValueError.dump", "worker_1-RuntimeError.dump",
                     "worker_2-RuntimeError.dump"]
    worker = body(next(d for d in dumps if "worker_1" in d.name))
    assert worker["meta"]["reason"] == "threading"
    work = frames_by_name(worker["exception"])["work"]
    assert work["locals"]["local_marker"] == 10
    assert any(t["name"] == "MainThread" for t in worker["threads"])


def test_recursion_error_keeps_every_frame(crash, body):
    result, dumps = crash("""
        def down(n):
            return down(n + 1)
        down(0)
    """)
    assert "RecursionError" in result.stderr and len(dumps) == 1
    exc = body(dumps[0])["exception"]
    frames = exc["frames"]
    assert len(frames) + exc["frames_cut"] >= 990
    downs = [f for f in frames if f["name"] == "down"]
    assert all("n" in f["locals"] for f in downs)
    assert downs[-1]["locals"]["n"] > 900


def test_chained_exceptions_and_notes(crash, body):
    result, dumps = crash("""
        def low():
            secret_value = 1
            raise KeyError("low")
        def mid():
            try:
                low()
            except KeyError as e:
                raise ValueError("mid") from e
        def top():
            try:
                mid()
            except ValueError:
                err = RuntimeError("top")
                if hasattr(err, "add_note"):
                    err.add_note("a note")
                raise err
        top()
    """)
    exc = body(dumps[0])["exception"]
    assert exc["type"]["qualname"] == "RuntimeError"
    context = exc["context"]
    assert context["type"]["qualname"] == "ValueError"
    assert context["cause"]["type"]["qualname"] == "KeyError"
    assert context["suppress_context"] is True
    assert frames_by_name(context["cause"])["low"]["name"] == "low"
    if sys.version_info >= (3, 11):
        assert exc["notes"] == ["a note"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is 3.11+")
def test_exception_groups(crash, body):
    result, dumps = crash((CRASHES / "groups.py").read_text())
    exc = body(dumps[0])["exception"]
    assert exc["type"]["qualname"] == "ExceptionGroup" and exc["message"].startswith("outer")
    inner, key_error, *rest = exc["members"]
    assert inner["message"].startswith("inner") and len(inner["members"]) == 2
    assert key_error["type"]["qualname"] == "KeyError" and len(rest) == 17
    first = inner["members"][0]
    assert first["notes"] == ["while handling item 0"]
    assert frames_by_name(first)["fail"]["locals"] == {"kind": "type", "n": 0}


NASTY = """
import socket, threading, sys, os, time

class BadRepr:
    def __repr__(self):
        raise RuntimeError("repr")

class HangingRepr:
    def __repr__(self):
        time.sleep(120)
        return "never"

class BadGetattr:
    def __init__(self):
        self.visible = 1
    def __getattr__(self, name):
        raise RuntimeError("getattr " + name)

class BadPickle:
    def __getstate__(self):
        raise RuntimeError("getstate")
    def __reduce__(self):
        raise RuntimeError("reduce")

class Prop:
    @property
    def boom(self):
        raise RuntimeError("property ran")

class Slotted:
    __slots__ = ("x", "__hidden")
    def __init__(self):
        self.x = 5

def gen():
    yield 1

def crash():
    lock = threading.Lock()
    sock = socket.socket()
    g = gen()
    fn = lambda x: x
    module = os
    rec = [1, 2]
    rec.append(rec)
    bad_repr = BadRepr()
    hanging = HangingRepr()
    bad_getattr = BadGetattr()
    bad_pickle = BadPickle()
    prop = Prop()
    slotted = Slotted()
    fh = open(__file__)
    huge = bytearray(300 * 1024 * 1024)
    many = list(range(2_000_000))
    text = "x" * 5_000_000
    nested = [[[[[[[[[[1]]]]]]]]]]
    proxy_locals = sys._getframe().f_locals
    raise RuntimeError("nasty")

crash()
"""


def test_nasty_locals_survive(crash, body):
    result, dumps = crash(NASTY, timeout=60)
    assert result.returncode == 1 and "RuntimeError: nasty" in result.stderr
    assert "Traceback" in result.stderr and result.stderr.count("Traceback") == 1
    assert len(dumps) == 1
    assert dumps[0].stat().st_size < 5 * 1024 * 1024
    data = body(dumps[0])
    local = frames_by_name(data["exception"])["crash"]["locals"]
    assert set(local) >= {"lock", "sock", "g", "fn", "module", "rec", "bad_repr", "hanging",
                          "bad_getattr", "bad_pickle", "prop", "slotted", "fh", "huge",
                          "many", "text", "nested", "proxy_locals"}
    assert local["rec"][2] is local["rec"]
    assert isinstance(local["huge"], TruncatedBytes) and local["huge"].kind == "bytearray"
    assert local["huge"].omitted > 300 * 1024 * 1024 - 10_000
    assert isinstance(local["many"][-1], Cut) and local["many"][-1].count == 1_999_000
    assert len(local["many"]) == 1001
    assert local["text"].omitted > 4_000_000
    assert isinstance(local["bad_getattr"], ObjectSnapshot)
    assert local["bad_getattr"].attrs == {"visible": 1}
    assert local["hanging"].repr.startswith("<__main__.HangingRepr object at 0x")
    assert local["slotted"].attrs["x"] == 5
    assert "lock" in local["lock"].repr
    assert data["stats"]["capture_seconds"] < 10


def test_unwritable_directory_costs_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    script = write_script(tmp_path, SIMPLE)
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(blocker / "sub")))
    baseline = run_python([str(script)])
    assert result.returncode == baseline.returncode == 1
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("pydumpling:")]
    assert len(warnings) == 1 and "could not write crash dump" in warnings[0]
    assert strip_notice(result.stderr) == baseline.stderr
    assert blocker.read_text() == "not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any mode")
def test_read_only_directory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    script = write_script(tmp_path, SIMPLE)
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(ro)))
    assert result.returncode == 1
    assert sum(ln.startswith("pydumpling:") for ln in result.stderr.splitlines()) == 1


def test_predecessor_api(tmp_path, body):
    script = write_script(tmp_path, """
        import sys, pydumpling_hook
        from pydumpling_hook import save_dumping, dump_current_traceback, dump
        def inner():
            a = 1
            b = "2"
            return a + b
        try:
            inner()
        except Exception:
            save_dumping("explicit.dump")
            print("SAVED", save_dumping("explicit.dump"))
            print("DUMPED", dump())
        def live():
            here = "live"
            print("LIVE", dump_current_traceback("live.dump"))
        live()
        print("NONE", dump())
        pydumpling_hook.catch_any_exception()
        print("still running")
    """)
    result = run_python([str(script)], cwd=tmp_path,
                        env=clean_env(PYDUMPLING_DIR=str(tmp_path / "d")))
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    saved = body(lines["SAVED"])
    assert saved["exception"]["frames"][-1]["locals"] == {"a": 1, "b": "2"}
    assert lines["SAVED"] == str(tmp_path / "explicit.dump")  # replaced, not explicit-1
    assert os.path.dirname(lines["DUMPED"]) == str(tmp_path / "d")
    live = body(lines["LIVE"])
    assert live["exception"] is None
    main = next(t for t in live["threads"] if t["current"])
    assert main["frames"][-1]["name"] == "live"
    assert main["frames"][-1]["locals"]["here"] == "live"
    assert body(lines["NONE"])["exception"] is None


def test_originals_are_opt_in(tmp_path, dump_dir):
    from pydumpling_hook.dumpformat import dumpfile

    source = """
        import collections
        def f():
            point = collections.OrderedDict(x=1)
            api_key = "abcdef123456"
            raise ValueError(point)
        f()
    """
    script = write_script(tmp_path, source)
    run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(dump_dir)))
    assert dumpfile.read_originals(str(dumps_in(dump_dir)[0])) == {}
    for old in dumps_in(dump_dir):
        old.unlink()
    run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(dump_dir),
                                            PYDUMPLING_ORIGINALS="1"))
    table = dumpfile.read_originals(str(dumps_in(dump_dir)[0]))
    assert "/1/point" in table and not any(k.endswith("api_key") for k in table)
    import pickle

    assert pickle.loads(table["/1/point"]) == {"x": 1}


def test_secrets_are_redacted(crash, body):
    result, dumps = crash("""
        class Creds:
            def __init__(self):
                self.secret = "s3cr3t-attr"
                self.user = "bob"
        def f():
            password = "hunter2-password"
            db_password = "pw-value-2"
            headers = {"X-Api-Key": "key-value-3", "Accept": "json"}
            creds = Creds()
            raise RuntimeError("boom")
        f()
    """)
    raw = dumps[0].read_bytes()
    data = body(dumps[0])
    local = frames_by_name(data["exception"])["f"]["locals"]
    assert isinstance(local["password"], Redacted)
    assert isinstance(local["db_password"], Redacted)
    assert isinstance(local["headers"]["X-Api-Key"], Redacted)
    assert local["headers"]["Accept"] == "json"
    assert isinstance(local["creds"].attrs["secret"], Redacted)
    assert sum(data["stats"]["redacted"].values()) == 4
    for secret in (b"hunter2-password", b"pw-value-2", b"key-value-3", b"s3cr3t-attr"):
        assert secret not in raw


def test_forty_frame_crash_keeps_every_frames_locals(crash, body):
    result, dumps = crash("""
        class Obj:
            def __init__(self):
                for i in range(20):
                    setattr(self, f"attr{i}", i)
        def level(n):
            count = n
            name = f"level-{n}"
            ratio = n / 3
            flag = n % 2 == 0
            mapping = {f"k{i}": f"v{i}" for i in range(200)}
            numbers = list(range(1000))
            obj = Obj()
            if n == 0:
                raise ValueError("bottom")
            return level(n - 1)
        level(39)
    """)
    exc = body(dumps[0])["exception"]
    levels = [f for f in exc["frames"] if f["name"] == "level"]
    assert len(levels) == 40
    for frame in levels:
        assert len(frame["locals"]["numbers"]) == 1000
        assert len(frame["locals"]["mapping"]) == 200
        assert frame["locals"]["obj"].attrs["attr19"] == 19


def test_sitecustomize_example(tmp_path, dump_dir):
    """Run under the bare base interpreter: no .pth there, only the example's sitecustomize."""
    from pathlib import Path

    root = Path(__file__).parent.parent
    base = Path(sys.base_prefix) / "bin" / "python3"
    script = write_script(tmp_path, SIMPLE)
    env = clean_env(PYTHONPATH=os.pathsep.join([str(root / "sitecustomize_example"),
                                                str(root / "src")]),
                    PYDUMPLING_DIR=str(dump_dir))
    import subprocess

    probe = subprocess.run([str(base), "-c", "import sys; print('pydumpling_hook' in sys.modules)"],
                           env=clean_env(PYDUMPLING_DIR=str(dump_dir)), capture_output=True,
                           text=True)
    assert probe.stdout.strip() == "False", "the base interpreter must not have the .pth"
    result = subprocess.run([str(base), str(script)], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "crash dump written" in result.stderr
    assert len(dumps_in(dump_dir)) == 1
