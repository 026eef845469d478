"""On-demand dumps: a signal writes every thread's live stack and the program goes on."""

from __future__ import annotations

import sys

import pytest
from conftest import assert_same_behaviour

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SCRIPT = """
import os, signal, threading, time
{before}
ready = threading.Event()
release = threading.Event()
def worker(job):
    worker_note = "waiting for " + job
    ready.set()
    release.wait()
t = threading.Thread(target=worker, args=("orders",), name="orders-worker")
t.start()
ready.wait()
def main():
    main_local = 123
    os.kill(os.getpid(), signal.SIGUSR1)
    time.sleep(0.2)
    return main_local
main()
release.set()
t.join()
print("went on")
"""


def test_signal_dumps_live_stacks_and_chains(compare, body):
    before = ("signal.signal(signal.SIGUSR1,\n"
              "              lambda s, f: print('app handler', s == signal.SIGUSR1))\n"
              "import pydumpling_hook\n"
              "pydumpling_hook.install(signal='SIGUSR1')")
    hooked, plain, dumps = compare(SCRIPT.format(before=before))
    assert "app handler True\nwent on" in hooked.stdout
    assert_same_behaviour(hooked, plain)
    assert len(dumps) == 1 and dumps[0].name.endswith("-LiveStack.dump")
    data = body(dumps[0])
    assert data["exception"] is None and data["meta"]["reason"] == "signal"
    threads = {t["name"]: t for t in data["threads"]}
    main_frames = {f["name"]: f for f in threads["MainThread"]["frames"]}
    assert main_frames["main"]["locals"] == {"main_local": 123}
    worker = {f["name"]: f for f in threads["orders-worker"]["frames"]}
    assert worker["worker"]["locals"]["worker_note"] == "waiting for orders"
    assert not any("pydumpling_hook" in f["filename"] for t in data["threads"]
                   for f in t["frames"])


def test_signal_from_environment(tmp_path, dump_dir, body):
    from conftest import clean_env, dumps_in, run_python, write_script

    script = write_script(tmp_path, SCRIPT.format(before=""))
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(dump_dir),
                                                     PYDUMPLING_SIGNAL="USR1"))
    assert result.returncode == 0 and "went on" in result.stdout
    assert len(dumps_in(dump_dir)) == 1


def test_off_by_default(tmp_path, dump_dir):
    from conftest import clean_env, run_python

    code = "import signal; print(signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL)"
    result = run_python(["-c", code], env=clean_env(PYDUMPLING_DIR=str(dump_dir)))
    assert result.stdout.strip() == "True"


def test_bad_signal_is_one_warning(tmp_path, dump_dir):
    from conftest import clean_env, run_python

    result = run_python(["-c", "print('fine')"],
                        env=clean_env(PYDUMPLING_DIR=str(dump_dir), PYDUMPLING_SIGNAL="SIGNOPE"))
    assert result.returncode == 0 and result.stdout == "fine\n"
    assert result.stderr.splitlines() == ["pydumpling: unknown signal 'SIGNOPE'; no on-demand dump"]
