"""Child processes: dumps written in the child, for every start method."""

from __future__ import annotations

import pytest
from conftest import assert_same_behaviour, strip_notice

METHODS = ["fork", "spawn", "forkserver"]


def _reasons(dumps: list, body) -> dict:
    out: dict = {}
    for path in dumps:
        data = body(path)
        out.setdefault(data["meta"]["reason"], []).append(data)
    return out


@pytest.mark.parametrize("method", METHODS)
def test_process_pool_and_executor(compare, body, method):
    hooked, plain, dumps = compare("int_processes.py", args=[method], timeout=120)
    assert_same_behaviour(hooked, plain)
    assert "exitcode 1" in hooked.stdout and "Process " in hooked.stderr
    assert "executor raised bad item 30" in hooked.stdout
    reasons = _reasons(dumps, body)
    assert sorted(reasons) == ["ProcessPoolExecutor", "multiprocessing", "multiprocessing.pool"]
    assert all(len(v) == 1 for v in reasons.values())
    child = reasons["multiprocessing"][0]
    frames = {f["name"]: f for f in child["exception"]["frames"]}
    assert frames["target"]["locals"] == {"n": 7, "child_local": 14}
    for reason in ("multiprocessing.pool", "ProcessPoolExecutor"):
        frames = {f["name"]: f for f in reasons[reason][0]["exception"]["frames"]}
        assert frames["square"]["locals"] == {"x": 3, "pool_local": 30}
    pids = {d["meta"]["pid"] for v in reasons.values() for d in v}
    assert len(pids) == 3  # each dump was written in its own worker


def test_reraised_in_parent_is_not_dumped_again(compare, body):
    hooked, plain, dumps = compare("int_processes.py", args=["fork", "uncaught"], timeout=120)
    # Not assert_same_behaviour: whether the parent's future was already done when
    # result() ran changes a stdlib line number in the traceback, with or without us.
    assert hooked.returncode == plain.returncode == 1 and hooked.stdout == plain.stdout
    assert "RemoteTraceback" in hooked.stderr
    assert strip_notice(hooked.stderr).splitlines()[-1] == plain.stderr.splitlines()[-1]
    reasons = _reasons(dumps, body)
    assert sorted(reasons) == ["ProcessPoolExecutor", "multiprocessing", "multiprocessing.pool"]


def test_subprocess_and_system_exit(compare):
    hooked, plain, dumps = compare("""
        import multiprocessing, sys
        def leave():
            sys.exit(4)
        if __name__ == "__main__":
            p = multiprocessing.get_context("spawn").Process(target=leave)
            p.start(); p.join()
            print("exitcode", p.exitcode)
    """)
    assert_same_behaviour(hooked, plain)
    assert "exitcode 4" in hooked.stdout
    assert dumps == []
