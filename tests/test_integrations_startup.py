"""Startup cost: install() must not import what the application has not imported."""

from __future__ import annotations

from conftest import clean_env, run_python

HEAVY = ("asyncio", "logging", "multiprocessing", "concurrent.futures", "wrapt", "dill",
         "signal", "enum", "typing", "inspect", "faulthandler", "traceback",
         "pydumpling_hook.integrations.aio", "pydumpling_hook.integrations.logs",
         "pydumpling_hook.integrations.processes", "pydumpling_hook.integrations.fatal",
         "pydumpling_hook.integrations.ondemand", "pydumpling_hook.engine.snapshot")


def test_auto_install_imports_nothing_heavy(tmp_path):
    code = ("import sys; print(sys.excepthook.__module__, "
            f"sorted(m for m in {HEAVY!r} if m in sys.modules))")
    result = run_python(["-c", code], env=clean_env(PYDUMPLING_DIR=str(tmp_path)))
    assert result.stdout.strip() == "pydumpling_hook.hooks []", result.stderr


def test_patches_are_applied_on_import_and_removed_by_uninstall(tmp_path):
    code = """
import sys, logging, asyncio, multiprocessing.pool
import concurrent.futures.process as cfp
from multiprocessing import process
print(hasattr(logging.Logger.callHandlers, "__wrapped__"),
      hasattr(asyncio.base_events.BaseEventLoop.call_exception_handler, "__wrapped__"),
      hasattr(process.BaseProcess._bootstrap, "__wrapped__"),
      multiprocessing.pool.ExceptionWithTraceback.__module__,
      cfp._ExceptionWithTraceback.__qualname__)
import pydumpling_hook
pydumpling_hook.uninstall()
print(hasattr(logging.Logger.callHandlers, "__wrapped__"),
      hasattr(asyncio.base_events.BaseEventLoop.call_exception_handler, "__wrapped__"),
      hasattr(process.BaseProcess._bootstrap, "__wrapped__"),
      sys.unraisablehook is sys.__unraisablehook__,
      [f for f in sys.meta_path if "pydumpling" in type(f).__module__])
"""
    result = run_python(["-c", code], env=clean_env(PYDUMPLING_DIR=str(tmp_path)))
    assert result.stdout.splitlines() == [
        "True True True multiprocessing.pool _ExceptionWithTraceback",
        "False False False True []",
    ], result.stderr
