"""Files next to a dump run nothing (issue 9, item 2).

A bug report is a directory: ``crash.dump`` and whatever else its sender put
there. Opening the dump from that directory must not run their ``.pdbrc``,
feed a debugger their config, or import their modules, unless the user says
``--rc``. The user's own ``~/.pdbrc`` is still read (it is theirs).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import clean_env, open_dump

PDBPP = pytest.param("pdbpp", marks=pytest.mark.skipif(
    sys.version_info >= (3, 13), reason="pdbpp 0.12 cannot import on Python 3.13"))


@pytest.fixture
def report(readme_dump: Path, tmp_path: Path) -> Path:
    """A bug-report directory: the dump and hostile neighbours, each creating MARKER."""
    directory = tmp_path / "report"
    directory.mkdir()
    shutil.copy(readme_dump, directory / "crash.dump")
    marker = directory / "MARKER"
    touch = f"open({str(marker)!r}, 'a').write('ran')"
    (directory / ".pdbrc").write_text(f"!{touch}\n")
    (directory / "setup.cfg").write_text("[ipdb]\ncontext = not-a-number\n")
    (directory / ".ipdb").write_text("context = also-bad\n")
    for module in ("pdb", "ipdb", "pudb", "pdbpp", "readline", "pygments", "jedi"):
        (directory / f"{module}.py").write_text(f"{touch}\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".pdbrc").write_text("p 'from the home rc'\n")
    return directory


def env(report: Path) -> dict:
    home = report.parent / "home"
    return clean_env(HOME=str(home), IPYTHONDIR=str(home / "ipython"),
                     XDG_CONFIG_HOME=str(home / "config"), IPY_TEST_SIMPLE_PROMPT="1")


@pytest.mark.parametrize("debugger", ["pdb", "ipdb", PDBPP])
def test_nothing_from_the_current_directory_runs(report: Path, debugger: str) -> None:
    result = open_dump("crash.dump", "--debugger", debugger, cwd=report, env=env(report),
                       input="p a\nll\nq\n")
    assert result.rc == 0 and result.stderr == "", result
    assert result.within_bounds(), result
    assert "1" in result.stdout
    assert not (report / "MARKER").exists()


def test_the_home_rc_is_read(report: Path) -> None:
    result = open_dump("crash.dump", cwd=report, env=env(report), input="q\n")
    assert "'from the home rc'" in result.stdout, result
    assert not (report / "MARKER").exists()


def test_rc_opts_in(report: Path) -> None:
    """The control: the same ``.pdbrc`` does run with ``--rc``, so the absence of the
    marker above means it was not read."""
    result = open_dump("crash.dump", "--rc", cwd=report, env=env(report), input="q\n")
    assert result.rc == 0, result
    assert (report / "MARKER").read_text() == "ran"


def test_rdebug_reads_no_rc_file_either(report: Path) -> None:
    from test_remote import Server

    server = Server(Path("crash.dump"), env=env(report), cwd=report)
    with server.login() as conn:
        conn.sendall(b"q\n")
    assert server.wait() == 0
    assert "from the home rc" in server.greeting.decode()
    assert not (report / "MARKER").exists()
