"""Crash storms, retention and many writers: the dump directory stays bounded."""

from __future__ import annotations

import os

from conftest import clean_env, dumps_in, run_python, write_script

from pydumpling_hook.dumpformat import dumpfile


def test_identical_thread_crashes_are_capped_and_counted(crash, body):
    result, dumps = crash("""
        import threading
        def worker(n):
            raise RuntimeError("respawning worker died")
        for i in range(200):
            t = threading.Thread(target=worker, args=(i,))
            t.start()
            t.join()
        print("survived")
    """, env={"PYDUMPLING_QUIET": "1"}, timeout=120)
    assert "survived" in result.stdout
    assert result.stderr.count("RuntimeError: respawning worker died") == 200
    assert len(dumps) == 3
    last = body(dumps[-1])
    assert last["stats"]["suppressed"] == 197
    assert dumpfile.read_header(str(dumps[-1]))["summary"]["suppressed"] == 197


def test_directory_cap_holds_over_many_distinct_crashes(tmp_path, dump_dir):
    dump_dir.mkdir(mode=0o700)
    foreign = dump_dir / "notes.txt"
    foreign.write_text("keep me")
    lookalike = dump_dir / "20200101T000000.000000Z-1-MainThread-Fake.dump"
    lookalike.write_bytes(b"not ours, only named like ours")
    script = write_script(tmp_path, """
        import sys
        raise ValueError("crash %s" % sys.argv[1])
    """)
    env = clean_env(PYDUMPLING_DIR=str(dump_dir), PYDUMPLING_MAX_DUMPS="10")
    for i in range(40):
        run_python([str(script), str(i)], env=env)
    ours = [p for p in dumps_in(dump_dir) if p != lookalike]
    assert len(ours) <= 10
    assert foreign.read_text() == "keep me" and lookalike.exists()
    messages = sorted(int(dumpfile.read_header(str(p))["summary"]["message"].split()[1])
                      for p in ours)
    assert messages[-1] == 39 and messages[0] >= 29


def test_byte_cap(tmp_path, dump_dir):
    script = write_script(tmp_path, """
        import sys
        payload = [str(i) * 50 for i in range(1000)]
        raise ValueError(sys.argv[1])
    """)
    env = clean_env(PYDUMPLING_DIR=str(dump_dir), PYDUMPLING_MAX_BYTES="40k")
    for i in range(8):
        run_python([str(script), str(i)], env=env)
    sizes = [p.stat().st_size for p in dumps_in(dump_dir)]
    assert sum(sizes) <= 40 * 1024 or len(sizes) == 1


def test_many_processes_at_once_into_one_directory(tmp_path, dump_dir):
    import subprocess
    import sys

    script = write_script(tmp_path, "raise ValueError('together')\n")
    env = clean_env(PYDUMPLING_DIR=str(dump_dir))
    procs = [subprocess.Popen([sys.executable, str(script)], env=env, stderr=subprocess.DEVNULL)
             for _ in range(12)]
    assert all(p.wait(timeout=120) == 1 for p in procs)
    dumps = dumps_in(dump_dir)
    assert len(dumps) == 12
    assert len({p.name for p in dumps}) == 12
    assert sorted(os.listdir(dump_dir)) == sorted(p.name for p in dumps)
    for p in dumps:
        dumpfile.read_body(str(p))


def test_symlinked_dump_name_is_never_written_through(tmp_path):
    from pydumpling_hook.engine import writer

    target = tmp_path / "victim"
    target.write_text("precious")
    directory = tmp_path / "d"
    directory.mkdir(mode=0o700)
    (directory / "x.dump").symlink_to(target)
    path = writer.write_atomic(str(directory), "x.dump", b"data")
    assert target.read_text() == "precious"
    assert path != str(directory / "x.dump") and open(path, "rb").read() == b"data"


def test_bounded_capture_under_pressure(crash, body):
    result, dumps = crash("""
        import threading, sys
        sys.setrecursionlimit(5000)
        stop = threading.Event()
        def idle(n):
            mine = list(range(10_000))
            stop.wait()
        threads = [threading.Thread(target=idle, args=(i,), daemon=True) for i in range(50)]
        for t in threads:
            t.start()
        def deep(n, big, table):
            if n == 0:
                raise MemoryError("pretend")
            return deep(n - 1, big, table)
        big = bytearray(1024 * 1024 * 1024)
        table = {i: str(i) for i in range(1_000_000)}
        deep(1000, big, table)
    """, timeout=300)
    assert "MemoryError: pretend" in result.stderr
    assert len(dumps) == 1
    assert dumps[0].stat().st_size < 50 * 1024 * 1024
    data = body(dumps[0])
    frames = data["exception"]["frames"]
    assert len(frames) >= 1000
    assert len(data["threads"]) >= 51
    assert data["stats"]["capture_seconds"] > 0
