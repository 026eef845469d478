"""pytest plugin: one dump per failing test, when asked for with ``--dumpling-dir``.

Registered through the ``pytest11`` entry point, so it loads in every pytest
run of an environment that has the package; it does nothing unless the option
or the ``dumpling_dir`` ini value is given. A failure to dump is reported as a
warning line and never turns a test failure into an internal error.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("pydumpling", "crash dumps of failing tests")
    group.addoption("--dumpling-dir", dest="dumpling_dir", default=None,
                    help="write a pydumpling-hook dump of every failing test into DIR")
    parser.addini("dumpling_dir", "directory for dumps of failing tests (off when empty)",
                  default="")


def _directory(config: Any) -> Any:
    return config.getoption("dumpling_dir") or config.getini("dumpling_dir") or None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    directory = _directory(item.config)
    if directory is None or call.excinfo is None:
        return
    report = outcome.get_result()
    if not report.failed or call.excinfo.errisinstance(pytest.skip.Exception):
        return
    try:
        from . import hooks
        from .dumping import CaptureFailed, write_dump

        settings = hooks.current_settings().replace(directory=str(directory), max_per_site=0)
        path = write_dump(settings, call.excinfo.value, reason="pytest", label=item.nodeid,
                          extra={"test_id": item.nodeid, "when": call.when})
    except CaptureFailed as error:
        report.sections.append(("pydumpling", f"could not write dump: {error}"))
        return
    except Exception as error:  # never an internal error because of us
        report.sections.append(("pydumpling", f"dump failed: {type(error).__name__}: {error}"))
        return
    hooks._mark(call.excinfo.value, path)
    report.sections.append(("pydumpling", f"dump written to {path}"))
