"""Crash-site fingerprints and ``--list --group``: one line per site, across hosts and paths."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import CRASHES, clean_env, dumps_in, run_python, write_script

from pydumpling_hook.dumpformat import dumpfile
from pydumpling_hook.engine import fingerprint


def run_open(*args: str, env: dict | None = None):
    return run_python(["-m", "pydumpling_hook", *args], env=env)


def crash_at(directory: Path, site: str, host: str = "", script: Path = CRASHES / "sites.py",
             cwd: Path | None = None) -> dict:
    """Crash ``sites.py`` at site ``a`` or ``b``; return the new dump's header summary."""
    before = set(dumps_in(directory))
    env = clean_env(PYDUMPLING_DIR=str(directory), **({"PYDUMPLING_HOST": host} if host else {}))
    result = run_python([str(script), site], env=env, cwd=cwd)
    assert result.returncode == 1, result.stderr
    (new,) = set(dumps_in(directory)) - before
    return dumpfile.read_header(str(new))["summary"]


def test_site_is_the_application_frame_not_the_library(tmp_path: Path) -> None:
    summary = crash_at(tmp_path, "a")
    assert summary["exc_type"] == "json.decoder.JSONDecodeError"
    assert summary["site"].startswith(str(Path(sys.modules["json"].__file__).parent))
    assert summary["crash_site"] == "sites.py:6 in parse"
    assert len(summary["fingerprint"]) == 16 and int(summary["fingerprint"], 16) >= 0


def test_same_site_same_fingerprint_across_paths_hosts_and_pids(tmp_path: Path) -> None:
    elsewhere = tmp_path / "deploy" / "v2"
    elsewhere.mkdir(parents=True)
    copy = shutil.copy(CRASHES / "sites.py", elsewhere / "sites.py")
    first = crash_at(tmp_path / "one", "a", host="web-1")
    second = crash_at(tmp_path / "two", "a", host="web-2", script=Path(copy), cwd=elsewhere)
    assert first["site"] == second["site"]  # inside json: the same file on one machine
    assert (first["host"], second["host"]) == ("web-1", "web-2")
    assert first["fingerprint"] == second["fingerprint"]
    assert first["crash_site"] == second["crash_site"]
    other = crash_at(tmp_path / "one", "b")
    assert other["fingerprint"] != first["fingerprint"]
    assert other["crash_site"] == "sites.py:10 in divide"


def test_a_live_stack_dump_is_placed_at_the_dumping_thread(tmp_path: Path) -> None:
    """No exception: the summary's site and fingerprint come from the current thread's
    innermost frame, while another thread waits elsewhere."""
    script = write_script(tmp_path, """\
        import threading
        import pydumpling_hook

        def wait(event):
            event.wait()

        def report():
            return pydumpling_hook.dump_current_traceback()

        event = threading.Event()
        worker = threading.Thread(target=wait, args=(event,))
        worker.start()
        report()
        event.set()
        worker.join()
        """, name="live.py")
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(tmp_path / "dumps")))
    assert result.returncode == 0, result.stderr
    (dump,) = dumps_in(tmp_path / "dumps")
    summary = dumpfile.read_header(str(dump))["summary"]
    assert summary["exc_type"] == "LiveStack"
    assert summary["site"] == f"{script}:8 in report"
    assert summary["crash_site"] == "live.py:8 in report"
    assert len(summary["fingerprint"]) == 16


def test_package_files_are_named_from_their_package_root(tmp_path: Path) -> None:
    fingerprints = set()
    for root in ("srv-a", "opt/b/site"):
        package = tmp_path / root / "myapp"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "db.py").write_text("def get(key):\n    return {}[key]\n")
        result = run_python(["-c", "import myapp.db; myapp.db.get('k')"], cwd=tmp_path / root,
                            env=clean_env(PYDUMPLING_DIR=str(tmp_path / "dumps")))
        assert result.returncode == 1
    for dump in dumps_in(tmp_path / "dumps"):
        summary = dumpfile.read_header(str(dump))["summary"]
        assert summary["crash_site"] == "myapp/db.py:2 in get"
        fingerprints.add(summary["fingerprint"])
    assert len(fingerprints) == 1


def test_installed_libraries_give_way_to_application_frames(tmp_path: Path) -> None:
    library = tmp_path / "venv" / "lib" / "site-packages"
    library.mkdir(parents=True)
    (library / "vendor.py").write_text("def call(f):\n    return f()\n")
    script = write_script(tmp_path, """
        import vendor

        def handler():
            raise KeyError("x")

        vendor.call(handler)
    """, name="app.py")
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(tmp_path / "d"),
                                                     PYTHONPATH=str(library)))
    assert result.returncode == 1
    (dump,) = dumps_in(tmp_path / "d")
    assert dumpfile.read_header(str(dump))["summary"]["crash_site"] == "app.py:5 in handler"


def test_relative_file_rules() -> None:
    rel = fingerprint.relative_file
    assert rel("/srv/app/myapp/db.py", "myapp.db") == "myapp/db.py"
    assert rel("C:\\app\\myapp\\db.py", "myapp.db") == "myapp/db.py"
    assert rel("/srv/app/myapp/__init__.py", "myapp") == "myapp/__init__.py"
    assert rel("/home/me/tool.py", "__main__") == "tool.py"
    assert rel("/x/y/generated.py", "renamed_by_exec") == "generated.py"
    assert rel("<stdin>", None) == "<stdin>"


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5 crashes at 2 sites from 3 hosts, as a fleet's shared directory would hold them."""
    out = tmp_path_factory.mktemp("fleet")
    for site, host in [("a", "h1"), ("a", "h2"), ("b", "h3"), ("a", "h3"), ("b", "h1")]:
        crash_at(out, site, host=host)
    return out


def test_group_gives_one_line_per_site(fleet_dir: Path) -> None:
    result = run_open("--list", "--group", str(fleet_dir))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    head, *lines = result.stdout.splitlines()
    assert head.split()[:2] == ["COUNT", "FIRST"]
    assert len(lines) == 2
    first, second = lines
    assert first.split()[0] == "3" and "JSONDecodeError at sites.py:6 in parse" in first
    assert "h1,h2,h3" in first
    assert second.split()[0] == "2" and "ZeroDivisionError at sites.py:10 in divide" in second
    assert "h1,h3" in second
    python = ".".join(map(str, sys.version_info[:3]))
    assert python in first and python in second
    newest_b = max(p for p in dumps_in(fleet_dir) if p.name.endswith("ZeroDivisionError.dump"))
    assert second.endswith(str(newest_b))


def test_group_of_the_default_directory_and_of_dumps_without_fingerprint(
        fleet_dir: Path, tmp_path: Path) -> None:
    for dump in dumps_in(fleet_dir)[:2]:  # rewritten as a 0.x capture wrote them
        header = dumpfile.read_header(str(dump))
        summary = {k: v for k, v in header["summary"].items()
                   if k not in ("fingerprint", "crash_site")}
        data = dumpfile.encode(dumpfile.read_body(str(dump)), summary)
        (tmp_path / dump.name).write_bytes(data)
    (tmp_path / "20200101T000000.000000Z-1-x-Broken.dump").write_bytes(b"junk")
    result = run_open("--list", "--group", env=clean_env(PYDUMPLING_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()[1:]
    assert len(lines) == 2
    assert lines[0].split()[0] == "2" and "JSONDecodeError at decoder.py:" in lines[0]
    assert "<unreadable>" in lines[1]


def test_group_needs_list() -> None:
    result = run_open("--group")
    assert result.returncode == 2 and "--group goes with --list" in result.stderr
