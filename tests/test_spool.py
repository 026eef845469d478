"""The spool of a remote PYDUMPLING_DIR, without a server: an upload that cannot happen.

``nosuch://`` is a URL no fsspec backend serves (and on the venvs without
fsspec, fsspec itself is missing): every upload fails at once, which is what
a crash must survive. The real uploads are in test_fleet_s3.py.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import CRASHES, assert_same_behaviour, clean_env, notices, run_python

from pydumpling_hook import config
from pydumpling_hook.engine import spool

URL = "nosuch://crashes/app"
README = CRASHES / "readme.py"


@pytest.fixture
def env(tmp_path: Path) -> dict:
    """The spool in the default place: the user's cache directory."""
    return {"PYDUMPLING_DIR": URL, "XDG_CACHE_HOME": str(tmp_path / "cache")}


def spool_dir(env: dict, url: str = URL) -> Path:
    root = Path(env["XDG_CACHE_HOME"]) / "pydumpling-hook" / "spool"
    return Path(spool.directory_for(config.Settings(directory=url, spool=str(root))))


def spooled(env: dict) -> list:
    return sorted(spool_dir(env).glob("*.dump"))


def test_a_failed_upload_keeps_the_dump_in_a_private_spool(env: dict, tmp_path: Path) -> None:
    hooked = run_python([str(README)], env=clean_env(**env), cwd=tmp_path)
    assert_same_behaviour(hooked, run_python([str(README)], cwd=tmp_path))
    (line,) = notices(hooked.stderr)
    (dump,) = spooled(env)
    assert line.startswith(f"pydumpling: crash dump kept in {dump}: upload to {URL} failed: ")
    assert "pydumpling-open --ship" in line
    for folder in (dump.parent.parent, dump.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert not (tmp_path / "nosuch:").exists()  # never a local folder named after the URL
    assert "_" in dump.name.split("-")[2]  # <thread>_<random>: unique across hosts


def test_the_next_process_retries_silently_and_keeps_what_fails(env: dict) -> None:
    run_python([str(README)], env=clean_env(**env))
    (dump,) = spooled(env)
    result = run_python(["-c", "print('ok')"], env=clean_env(**env))
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", "")
    assert spooled(env) == [dump]


def test_spool_is_per_destination_and_settable(env: dict, tmp_path: Path) -> None:
    mine = dict(env, PYDUMPLING_SPOOL=str(tmp_path / "myspool"))
    run_python([str(README)], env=clean_env(**mine))
    (folder,) = (tmp_path / "myspool").iterdir()
    assert folder.name.startswith("nosuch___crashes_app-") and len(list(folder.iterdir())) == 1
    assert not Path(env["XDG_CACHE_HOME"]).exists()
    assert spool_dir(env, URL + "2") != spool_dir(env, URL)


def test_startup_with_a_remote_directory_imports_nothing_more(env: dict) -> None:
    code = ("import sys; print(sorted(m for m in ('threading', 'fsspec', 'pyrage', 'hashlib', "
            "'pydumpling_hook.engine.ship', 'pydumpling_hook.dumpformat.sealed') "
            "if m in sys.modules))")
    result = run_python(["-c", code], env=clean_env(**env))
    assert (result.stdout, result.stderr) == ("[]\n", "")


def test_ship_on_demand_reports_in_one_line(env: dict) -> None:
    run_python([str(README)], env=clean_env(**env))
    result = run_python(["-m", "pydumpling_hook", "--ship"], env=clean_env(**env))
    assert result.returncode == 1 and result.stdout == "", result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"pydumpling-open: error: {URL}: 1 dump(s) still in {spool_dir(env)}: ")
    result = run_python(["-m", "pydumpling_hook", "--ship", "/var/local/dumps"],
                        env=clean_env(**env))
    assert result.returncode == 1 and "needs a remote directory" in result.stderr


def test_fatal_errors_of_a_remote_directory_go_to_the_spool(env: dict) -> None:
    code = "import faulthandler; faulthandler._sigsegv()"
    result = run_python(["-c", code], env=clean_env(PYDUMPLING_FATAL="1", **env))
    assert result.returncode != 0
    (fatal,) = spool_dir(env).glob("*.fatal")
    assert "Segmentation fault" in fatal.read_text()
