"""pytest plugin: one dump per failing test, when asked for with ``--dumpling-dir``.

Registered through the ``pytest11`` entry point, so it loads in every pytest
run of an environment that has the package; it does nothing unless the
option or the ``dumpling_dir`` ini value (relative to the ini file) is given.
A test's exception never reaches a hook (pytest catches it), so we dump from
the report of each phase: a failure in setup, call or teardown leaves one
dump named after the test id, with ``extra.test_id`` and ``extra.when`` in
its metadata. A failure to dump is one line in the test's report and never
an internal error.
"""

from __future__ import annotations

import os
from typing import Any

import pytest


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("pydumpling", "crash dumps of failing tests")
    group.addoption("--dumpling-dir", dest="dumpling_dir", default=None, metavar="DIR",
                    help="write a pydumpling-hook dump of every failing test into DIR")
    parser.addini("dumpling_dir", "directory for dumps of failing tests (off when empty)",
                  default="")


def _directory(config: Any) -> Any:
    from ..config import is_remote

    option = config.getoption("dumpling_dir")
    ini = config.getini("dumpling_dir")
    if (option or ini) and is_remote(option or ini):
        return option or ini  # a bucket: dumps go through the spool, as with PYDUMPLING_DIR
    if option:
        return os.path.abspath(option)
    if not ini:
        return None
    base = getattr(config, "inipath", None)
    return os.path.join(str(base.parent) if base else str(config.rootpath), ini)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    try:
        directory = _directory(item.config)
        if directory is None or call.excinfo is None:
            return
        report = outcome.get_result()
        if report.failed:
            report.sections.append(("pydumpling", _dump(item, call, directory)))
    except Exception as error:  # never an internal error because of us
        from ..engine.points import warn

        warn(f"pytest plugin: {type(error).__name__}: {error}")


def _dump(item: Any, call: Any, directory: str) -> str:
    """Write the dump of this phase's exception; return the line for the report."""
    from .. import config
    from ..engine import points
    from ..engine.dumping import CaptureFailed, write_dump

    exc = call.excinfo.value
    earlier = points.already_dumped(exc)
    if earlier and os.path.realpath(os.path.dirname(str(earlier))) == os.path.realpath(directory):
        return f"dump already written to {earlier}"
    settings = config.current().replace(directory=directory, max_per_site=0)
    try:
        path = write_dump(settings, exc, reason="pytest", label=item.nodeid,
                          extra={"test_id": item.nodeid, "when": call.when})
    except CaptureFailed as error:
        return f"could not write dump: {error}"
    points.mark_dumped(exc, path)
    problem = getattr(path, "problem", "")  # a remote directory that did not answer in time
    return f"dump kept in {path}: {problem}" if problem else f"dump written to {path}"
