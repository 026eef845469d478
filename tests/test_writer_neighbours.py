"""The dump directory against a hostile neighbour on the same host (issue 9, item 7).

The neighbour is another uid: the tests run as root, so they plant what a
neighbour would (a symlink, a directory, a loose mode) and ``chown`` it to
``OTHER``. Each case crashes a real program with the hook on and checks what
the issue asks: no dump where the neighbour could reach it, exactly one
warning line added to the program's own output, the exit code unchanged, and
no code of the neighbour's running.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import LIMIT_SECONDS, clean_env, dumps_in, notices, run_bounded, write_script

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="planting another uid's files "
                                "needs root")

OTHER = 4242
CRASH = """
import sys
secret_password = "hunter2"
raise ValueError("crash with a secret nearby")
"""


def crash_into(tmp_path: Path, directory: Path) -> tuple:
    """Crash the script with ``PYDUMPLING_DIR=directory``; return (result, warning lines)."""
    script = write_script(tmp_path, CRASH)
    result = run_bounded([str(script)], env=clean_env(PYDUMPLING_DIR=str(directory)),
                         cwd=tmp_path)
    assert result.rc == 1 and "ValueError: crash with a secret nearby" in result.stderr
    assert result.within_bounds(), result
    assert "Traceback" in result.stderr  # the program's own traceback, unchanged
    return result, notices(result.stderr)


def refused(tmp_path: Path, directory: Path, words: str) -> None:
    result, lines = crash_into(tmp_path, directory)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pydumpling: ") and "could not write crash dump" in lines[0]
    assert words in lines[0], lines[0]


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700)
    os.chmod(path, 0o700)
    return path


def test_a_neighbours_symlink_to_our_own_directory_is_refused(tmp_path: Path) -> None:
    ours = private_dir(tmp_path / "ours")
    link = tmp_path / "dumps"
    link.symlink_to(ours)
    os.lchown(link, OTHER, OTHER)
    refused(tmp_path, link, "is a symlink owned by another user (uid 4242)")
    assert dumps_in(ours) == []


def test_a_neighbours_symlink_earlier_in_the_path_is_refused(tmp_path: Path) -> None:
    ours = private_dir(tmp_path / "ours")
    link = tmp_path / "via"
    link.symlink_to(ours)
    os.lchown(link, OTHER, OTHER)
    refused(tmp_path, link / "dumps", "is a symlink owned by another user")
    assert not (ours / "dumps").exists()


def test_our_own_symlink_is_followed(tmp_path: Path) -> None:
    ours = private_dir(tmp_path / "ours")
    (tmp_path / "dumps").symlink_to(ours)
    result, lines = crash_into(tmp_path, tmp_path / "dumps")
    assert len(dumps_in(ours)) == 1 and len(lines) == 1 and "written to" in lines[0]


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_a_directory_others_may_write_is_refused(tmp_path: Path, mode: int) -> None:
    loose = tmp_path / "dumps"
    loose.mkdir()
    os.chmod(loose, mode)
    refused(tmp_path, loose, f"writable by other users (mode 0{mode:o}) without the sticky bit")
    assert dumps_in(loose) == []


def test_a_world_writable_parent_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "shared"
    parent.mkdir()
    os.chmod(parent, 0o777)
    refused(tmp_path, parent / "dumps", "writable by everyone and not sticky")
    assert not (parent / "dumps").exists()


def test_a_sticky_shared_directory_gets_our_own_subdirectory(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    result, lines = crash_into(tmp_path, shared)
    own = shared / f"pydumpling-{os.geteuid()}"
    assert len(lines) == 1 and str(own) in lines[0], lines
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    assert len(dumps_in(own)) == 1 and dumps_in(shared) == []
    listing = run_bounded(["-m", "pydumpling_hook", "--list"],
                          env=clean_env(PYDUMPLING_DIR=str(shared)))
    assert listing.rc == 0 and "ValueError" in listing.stdout, listing


@pytest.mark.parametrize("plant", ["directory", "symlink"])
def test_a_subdirectory_planted_by_a_neighbour_is_refused(tmp_path: Path, plant: str) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o777)
    own = shared / f"pydumpling-{os.geteuid()}"
    if plant == "directory":
        own.mkdir(mode=0o700)
        os.chown(own, OTHER, OTHER)
    else:
        own.symlink_to(theirs)
        os.lchown(own, OTHER, OTHER)
    refused(tmp_path, shared, "another user")
    assert dumps_in(theirs) == [] and dumps_in(own) == []


def test_a_shared_directory_of_a_neighbour_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    os.chown(shared, OTHER, OTHER)
    refused(tmp_path, shared, "a shared directory owned by another user (uid 4242)")


def test_an_explicit_file_in_a_sticky_directory_is_written_there(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    target = shared / "crash.dump"
    script = write_script(tmp_path, f"""
import pydumpling_hook
try:
    1 / 0
except ZeroDivisionError:
    print(pydumpling_hook.save_dumping({str(target)!r}))
""")
    result = run_bounded([str(script)], cwd=tmp_path)
    assert result.rc == 0 and result.stdout.strip() == str(target), result
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert result.seconds < LIMIT_SECONDS
