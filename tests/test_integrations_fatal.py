"""Fatal errors: faulthandler text of all threads in a private *.fatal file."""

from __future__ import annotations

import stat
import sys

import pytest
from conftest import assert_same_behaviour, clean_env, run_python

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

THREADED = """
import threading, time, {module}
def idle():
    time.sleep(30)
threading.Thread(target=idle, name="idler", daemon=True).start()
def crash_here():
    {crash}
crash_here()
"""


def _fatal_files(directory):
    return sorted(directory.glob("*.fatal")) if directory.exists() else []


@pytest.mark.parametrize("module,crash,needle", [
    ("ctypes", "ctypes.string_at(0)", "Segmentation fault"),
    ("os", "os.abort()", "Aborted"),
], ids=["segfault", "abort"])
def test_fatal_error_leaves_faulthandler_text(compare, dump_dir, module, crash, needle):
    hooked, plain, dumps = compare(THREADED.format(module=module, crash=crash),
                                   env={"PYDUMPLING_FATAL": "1"})
    assert hooked.returncode < 0
    assert_same_behaviour(hooked, plain)
    files = _fatal_files(dump_dir)
    assert len(files) == 1 and dumps == []
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    text = files[0].read_text()
    assert f"Fatal Python error: {needle}" in text
    assert "in crash_here" in text and "in idle" in text  # all threads


def test_normal_exits_leave_no_file(tmp_path, dump_dir):
    env = clean_env(PYDUMPLING_DIR=str(dump_dir), PYDUMPLING_FATAL="1")
    for code in ("print('ok')", "raise SystemExit(3)", "import os\nif os.fork() == 0:\n"
                 "    raise SystemExit(0)\nos.wait()"):
        run_python(["-c", code], env=env)
    assert _fatal_files(dump_dir) == []


def test_off_by_default_and_install_keyword(tmp_path, dump_dir):
    run_python(["-c", "import ctypes; ctypes.string_at(0)"],
               env=clean_env(PYDUMPLING_DIR=str(dump_dir)))
    assert _fatal_files(dump_dir) == []
    code = ("import pydumpling_hook, os; pydumpling_hook.install(fatal=True); "
            "print(len(os.listdir(os.environ['PYDUMPLING_DIR']))); os.abort()")
    result = run_python(["-c", code], env=clean_env(PYDUMPLING_DIR=str(dump_dir)))
    assert result.stdout.strip() == "1"
    assert len(_fatal_files(dump_dir)) == 1


def test_listed_by_the_loader(dump_dir):
    pytest.importorskip("pydumpling_hook.loader.listing")
    run_python(["-c", "import os; os.abort()"],
               env=clean_env(PYDUMPLING_DIR=str(dump_dir), PYDUMPLING_FATAL="1"))
    result = run_python(["-m", "pydumpling_hook.loader.cli", "--list", str(dump_dir)])
    assert "FatalError" in result.stdout, result.stdout + result.stderr


def test_empty_files_of_dead_processes_are_swept(dump_dir):
    dump_dir.mkdir(mode=0o700)
    dead = dump_dir / "20260101T000000.000000Z-999999999-MainThread-FatalError.fatal"
    crashed = dump_dir / "20260101T000000.000001Z-999999998-MainThread-FatalError.fatal"
    dead.write_text("")
    crashed.write_text("Fatal Python error: Segmentation fault\n")
    result = run_python(["-c", "print('ok')"],
                        env=clean_env(PYDUMPLING_DIR=str(dump_dir), PYDUMPLING_FATAL="1"))
    assert result.stdout == "ok\n" and result.stderr == ""
    assert _fatal_files(dump_dir) == [crashed]


def test_spawned_pool_workers_leave_no_empty_files(compare, dump_dir):
    hooked, plain, dumps = compare("int_processes.py", args=["spawn"],
                                   env={"PYDUMPLING_FATAL": "1"}, timeout=120)
    assert hooked.returncode == 0
    assert _fatal_files(dump_dir) == []
