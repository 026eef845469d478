"""The pytest11 plugin: one dump per failing test (setup/teardown too), named after the test."""

from __future__ import annotations

import textwrap

from conftest import clean_env, dumps_in, run_python

TESTS = """
import pytest

@pytest.fixture
def broken_setup():
    setup_local = "setting up"
    raise RuntimeError(setup_local)

@pytest.fixture
def broken_teardown():
    yield
    teardown_local = "tearing down"
    raise OSError(teardown_local)

def test_passes():
    assert True

def test_fails():
    expected, got = 3, 4
    assert expected == got

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    value = 10 // (n - 1)

def test_setup_error(broken_setup):
    pass

def test_teardown_error(broken_teardown):
    pass

@pytest.mark.xfail
def test_expected_failure():
    raise ValueError("expected")

def test_skipped():
    pytest.skip("not today")
"""


def _run(tmp_path, *args, ini=None):
    (tmp_path / "test_sample.py").write_text(TESTS)
    if ini is not None:
        (tmp_path / "pytest.ini").write_text(textwrap.dedent(ini))
    return run_python(["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_sample.py", *args],
                      cwd=tmp_path, env=clean_env())


def test_one_dump_per_failing_test(tmp_path, body):
    out = tmp_path / "out"
    result = _run(tmp_path, "--dumpling-dir", str(out))
    assert result.returncode == 1, result.stdout
    assert "2 failed, 3 passed, 1 skipped, 1 xfailed, 2 errors" in result.stdout
    assert "INTERNALERROR" not in result.stdout + result.stderr
    dumps = dumps_in(out)
    by_test = {body(d)["meta"]["extra"]["test_id"]: (d, body(d)) for d in dumps}
    assert sorted(by_test) == [
        "test_sample.py::test_fails", "test_sample.py::test_param[1]",
        "test_sample.py::test_setup_error", "test_sample.py::test_teardown_error"]
    path, data = by_test["test_sample.py::test_fails"]
    assert "test_sample.py_test_fails" in path.name and data["meta"]["reason"] == "pytest"
    frames = {f["name"]: f for f in data["exception"]["frames"]}
    test_locals = frames["test_fails"]["locals"]  # plus pytest's @py_assert names
    assert (test_locals["expected"], test_locals["got"]) == (3, 4)
    assert by_test["test_sample.py::test_setup_error"][1]["meta"]["extra"]["when"] == "setup"
    teardown = by_test["test_sample.py::test_teardown_error"][1]
    assert teardown["meta"]["extra"]["when"] == "teardown"
    assert teardown["exception"]["frames"][-1]["locals"] == {"teardown_local": "tearing down"}


def test_off_unless_asked(tmp_path):
    result = _run(tmp_path)
    assert result.returncode == 1
    assert not list(tmp_path.rglob("*.dump"))


def test_ini_option(tmp_path):
    result = _run(tmp_path, ini="[pytest]\ndumpling_dir = from-ini\n")
    assert result.returncode == 1
    assert len(dumps_in(tmp_path / "from-ini")) == 4


def test_unwritable_directory_is_no_internal_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = _run(tmp_path, "--dumpling-dir", str(blocker / "sub"))
    assert result.returncode == 1
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert "could not write dump" in result.stdout
