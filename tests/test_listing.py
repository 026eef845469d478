"""``--list``: headers only, one line per dump, unreadable files shown, fast on 200 dumps."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import CRASHES, clean_env, dumps_in, run_python

from pydumpling_hook.loader import listing


def run_open(*args: str, env: dict | None = None, cwd: Path | None = None):
    return run_python(["-m", "pydumpling_hook", *args], env=env, cwd=cwd)


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("listing")
    for script in ("readme.py", "chains.py"):
        run_python([str(CRASHES / script)], env=clean_env(PYDUMPLING_DIR=str(out)))
    broken = out / "20200101T000000.000000Z-1-MainThread-Broken.dump"
    broken.write_bytes(b"garbage")
    os.utime(broken, (1577836800, 1577836800))  # 2020: unreadable files sort by mtime
    (out / "20261125T000000.000000Z-9-MainThread-SIGSEGV.fatal").write_text(
        "Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent call first):\n"
    )
    (out / "notes.txt").write_text("not ours")
    (out / ".20261125T000000.000000Z-2-x.dump.tmp").write_bytes(b"partial")
    return out


def test_one_line_per_dump_sorted_by_time(directory: Path) -> None:
    result = run_open("--list", str(directory))
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 4  # two dumps, one broken dump, one fatal; not the .txt or temp file
    broken, *rest = lines
    assert "<unreadable: not a pydumpling-hook dump (bad magic)>" in broken  # mtime: oldest
    text = "\n".join(rest)
    assert "TypeError: unsupported operand type(s) for +: 'int' and 'str'" in text
    assert "readme.py:4 in inner" in text
    assert "IndexError: list index out of range" in text
    assert "FatalError: Fatal Python error: Segmentation fault" in text
    for line in lines:
        assert line.split()[-1].startswith(str(directory))
    dump_lines = [line for line in rest if line.rstrip().endswith(".dump")]
    assert "TypeError" in dump_lines[0] and "IndexError" in dump_lines[1]  # crash order


def test_sizes_are_shown(directory: Path) -> None:
    entries = listing.scan(str(directory))
    for entry in entries:
        assert entry.size == Path(entry.path).stat().st_size


def test_default_directory_is_pydumpling_dir(directory: Path) -> None:
    result = run_open("--list", env=clean_env(PYDUMPLING_DIR=str(directory)))
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 4


def test_default_directory_without_variable(tmp_path: Path) -> None:
    (tmp_path / "pydumpling-dumps").mkdir()
    result = run_open("--list", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""


def test_list_reads_only_headers(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydumpling_hook.dumpformat import dumpfile

    def refuse(*args, **kwargs):
        raise AssertionError("--list decoded a body")

    monkeypatch.setattr(dumpfile, "read_body", refuse)
    monkeypatch.setattr(dumpfile, "_read_section", refuse)
    assert len(listing.scan(str(directory))) == 4


def test_200_dumps_list_fast(directory: Path, tmp_path: Path) -> None:
    source = dumps_in(directory)[0]
    for i in range(200):
        shutil.copy(source, tmp_path / f"20261125T1000{i:02d}.{i:06d}Z-{i}-Main-TypeError.dump")
    started = time.perf_counter()
    result = run_open("--list", str(tmp_path))
    elapsed = time.perf_counter() - started
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 200
    assert elapsed < 5, elapsed  # generous: a shared CI machine; measured ~0.15 s
    in_process = time.perf_counter()
    listing.scan(str(tmp_path))
    assert time.perf_counter() - in_process < 1
