"""Dumps in object storage, end to end: real crashing processes, s3fs through fsspec, and a
real S3 API (moto in server mode) on 127.0.0.1, configured by the standard AWS variables."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from conftest import CRASHES, assert_same_behaviour, clean_env, need, notices, run_python
from s3server import MotoServer, hanging_server

pytestmark = pytest.mark.heavy
README = CRASHES / "readme.py"


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory):
    need("moto")
    need("s3fs")  # in the processes under test only: see s3server.Store
    server = MotoServer(tmp_path_factory.mktemp("moto") / "requests.log")
    server.start()
    yield server
    server.stop()
    # Later tests fork (pexpect): nothing of ours may leave a thread in this process.
    assert [t.name for t in threading.enumerate()] == [threading.main_thread().name]


@pytest.fixture
def bucket(moto: MotoServer, request: pytest.FixtureRequest) -> str:
    name = request.node.name.replace("_", "-")[:50].strip("-").lower()
    moto.store().mkdir(name)
    return name


@pytest.fixture
def env(moto: MotoServer, bucket: str, tmp_path: Path) -> dict:
    """A process of the fleet: dumps to s3://<bucket>/app, its own spool.

    The upload budget is raised from 2 s: on a shared 2-core machine importing s3fs
    alone can take longer, and these tests are about what arrives, not how fast
    (the budget has its own test, with a server that never answers).
    """
    return {"PYDUMPLING_DIR": f"s3://{bucket}/app", "PYDUMPLING_SPOOL": str(tmp_path / "spool"),
            "PYDUMPLING_UPLOAD_TIMEOUT": "60", **moto.env()}


def objects(moto: MotoServer, bucket: str) -> list:
    return moto.store().ls(f"{bucket}/app")


def spooled(tmp_path: Path) -> list:
    return sorted((tmp_path / "spool").glob("*/*.dump"))


def run_open(*args: str, env: dict) -> subprocess.CompletedProcess:
    return run_python(["-m", "pydumpling_hook", *args], env=clean_env(**env))


def puts(moto: MotoServer, bucket: str) -> Counter:
    return Counter(path for method, path, status in moto.requests()
                   if method == "PUT" and path.startswith(f"/{bucket}/app/") and status == 200)


def test_zero_code_crash_leaves_one_object(moto, bucket, env, tmp_path: Path) -> None:
    hooked = run_python([str(README)], env=clean_env(**env), cwd=tmp_path)
    assert_same_behaviour(hooked, run_python([str(README)], cwd=tmp_path))
    (name,) = objects(moto, bucket)
    url = f"s3://{name}"
    assert notices(hooked.stderr) == [f"pydumpling: crash dump written to {url}"]
    assert spooled(tmp_path) == []
    listing = run_open("--list", f"s3://{bucket}/app", env=moto.env())
    assert listing.returncode == 0 and listing.stderr == "", listing.stderr
    (line,) = listing.stdout.splitlines()
    assert "TypeError: unsupported operand type(s) for +: 'int' and 'str'" in line
    assert line.endswith(url)
    printed = run_open("--print", url, env=moto.env())
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.splitlines()[-1] == hooked.stderr.splitlines()[-2]  # the last line
    latest = run_open("--latest", "--print", env=dict(moto.env(), PYDUMPLING_DIR=env[
        "PYDUMPLING_DIR"], PYDUMPLING_SPOOL=env["PYDUMPLING_SPOOL"]))
    assert latest.returncode == 0 and latest.stdout == printed.stdout, latest.stderr


def test_listing_reads_headers_only_with_ranged_reads(moto, bucket, env) -> None:
    for _ in range(3):
        run_python([str(README)], env=clean_env(**env))
    before = len(moto.requests())
    for mode in (["--list"], ["--list", "--group"]):
        result = run_open(*mode, f"s3://{bucket}/app", env=moto.env())
        assert result.returncode == 0 and result.stderr == "", result.stderr
    reads = [(m, s) for m, p, s in moto.requests()[before:] if p.endswith(".dump")]
    assert reads == [("GET", 206)] * 6  # three objects, twice: one ranged read each


def test_server_down_at_crash_then_back(moto, bucket, env, tmp_path: Path) -> None:
    moto.stop()
    try:
        crashed = run_python([str(README)], env=clean_env(**env))
    finally:
        moto.start()
    assert crashed.returncode == 1 and "TypeError" in crashed.stderr
    (dump,) = spooled(tmp_path)
    (line,) = notices(crashed.stderr)
    assert line.startswith(f"pydumpling: crash dump kept in {dump}: ")
    moto.store().mkdir(bucket)  # the restarted server remembers nothing
    later = run_python(["-c", "pass"], env=clean_env(**env))
    assert (later.returncode, later.stdout, later.stderr) == (0, "", "")
    assert objects(moto, bucket) == [f"{bucket}/app/{dump.name}"]
    assert spooled(tmp_path) == []
    assert puts(moto, bucket) == {f"/{bucket}/app/{dump.name}": 1}


def test_twenty_processes_crashing_at_once(moto, bucket, env, tmp_path: Path) -> None:
    running = [subprocess.Popen([sys.executable, str(README)], env=clean_env(**env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(20)]
    outcomes = [process.communicate(timeout=300) for process in running]
    assert [process.returncode for process in running] == [1] * 20
    for _, stderr in outcomes:
        assert len(notices(stderr)) == 1, stderr
    assert len(objects(moto, bucket)) == 20
    assert spooled(tmp_path) == []
    assert sorted(puts(moto, bucket).values()) == [1] * 20  # nothing uploaded twice


def test_a_hanging_server_costs_the_budget_and_nothing_else(env, tmp_path: Path) -> None:
    with hanging_server() as endpoint:
        stuck = dict(env, AWS_ENDPOINT_URL=endpoint, PYDUMPLING_UPLOAD_TIMEOUT="1")
        hooked = run_python([str(README)], env=clean_env(**stuck), cwd=tmp_path, timeout=60)
    assert_same_behaviour(hooked, run_python([str(README)], cwd=tmp_path))
    (dump,) = spooled(tmp_path)
    (line,) = notices(hooked.stderr)
    assert line.startswith(f"pydumpling: crash dump kept in {dump}: upload to ")
    assert "did not finish within 1 s" in line


def test_ship_on_demand(moto, env, tmp_path: Path) -> None:
    missing = dict(env, PYDUMPLING_DIR="s3://created-later/app")
    crashed = run_python([str(README)], env=clean_env(**missing))
    (dump,) = spooled(tmp_path)
    assert "NoSuchBucket" in crashed.stderr or "not exist" in crashed.stderr, crashed.stderr
    moto.store().mkdir("created-later")
    shipped = run_open("--ship", env=missing)
    assert shipped.returncode == 0, shipped.stderr
    assert shipped.stdout == f"s3://created-later/app/{dump.name}\n"
    assert spooled(tmp_path) == []


def test_encrypted_dumps_in_a_bucket(moto, bucket, env, tmp_path: Path) -> None:
    need("pyrage")
    key = tmp_path / "team.key"
    recipient = run_open("--keygen", str(key), env={}).stdout.strip()
    script = tmp_path / "app.py"
    script.write_text("def pay():\n    card = 'PLANTED-4111'\n    raise KeyError(card)\npay()\n")
    for host in ("h1", "h2"):
        run_python([str(script)], env=clean_env(PYDUMPLING_RECIPIENT=recipient,
                                                PYDUMPLING_HOST=host, **env))
    names = objects(moto, bucket)
    assert len(names) == 2
    for name in names:
        assert b"PLANTED" not in moto.store().cat_file(name)
    grouped = run_open("--list", "--group", f"s3://{bucket}/app", env=moto.env())
    (line,) = grouped.stdout.splitlines()[1:]
    assert line.split()[0] == "2" and "h1,h2" in line and "KeyError at app.py:3 in pay" in line
    url = f"s3://{names[0]}"
    locked = run_open("--print", url, env=moto.env())
    assert locked.returncode == 1 and "encrypted dump" in locked.stderr
    opened = run_open("--print", url, "--identity", str(key), env=moto.env())
    assert opened.returncode == 0 and "KeyError: 'PLANTED-4111'" in opened.stdout


def test_serve_shows_a_bucket(moto, bucket, env, tmp_path: Path) -> None:
    """``--serve s3://…``: the page lists the bucket's dumps from their headers, opens a
    report (an encrypted one with --identity), and sees a dump that arrives later."""
    need("jinja2")
    need("pyrage")
    from html_support import get, rows, serving

    key = tmp_path / "team.key"
    recipient = run_open("--keygen", str(key), env={}).stdout.strip()
    run_python([str(README)], env=clean_env(**env))
    sealed = tmp_path / "sealed.py"
    sealed.write_text("def pay():\n    card = 'PLANTED-4111'\n    raise KeyError(card)\npay()\n")
    run_python([str(sealed)], env=clean_env(PYDUMPLING_RECIPIENT=recipient, **env))
    url = f"s3://{bucket}/app"
    with serving(url, "--identity", str(key), env=moto.env()) as (_, port, process):
        status, _, body = get(port, "/")
        assert status == 200 and url in body
        links = [re.search(r'href="(/dump/[^"]+)"', row).group(1) for row in rows(body, "dumps")]
        assert len(links) == 2, body
        pages = {link.rpartition("-")[2]: get(port, link) for link in links}
        assert pages["TypeError.dump"][0] == 200 and "c = a + b" in pages["TypeError.dump"][2]
        assert pages["KeyError.dump"][0] == 200 and "PLANTED-4111" in pages["KeyError.dump"][2]
        assert get(port, "/dump/missing-TypeError.dump")[0] == 404
        before = get(port, "/state")[2]
        run_python([str(README)], env=clean_env(**env))
        assert get(port, "/state")[2] != before
        assert len(rows(get(port, "/")[2], "dumps")) == 3
    assert process.returncode == 0


def test_serve_reads_a_fatal_object_by_its_head_and_names_a_missing_bucket(moto,
                                                                           bucket) -> None:
    need("jinja2")
    from html_support import get, serving

    name = "20260101T000000.000000Z-1-MainThread-FatalError.fatal"
    moto.store().pipe_file(f"{bucket}/app/{name}",
                           b"Fatal Python error: Segmentation fault\n" + b"x" * (3 << 20))
    with serving(f"s3://{bucket}/app", env=moto.env()) as (_, port, process):
        status, _, page = get(port, f"/fatal/{name}")
        assert status == 200 and "Segmentation fault" in page
        assert "only the first 1,048,576 bytes are" in page
    reads = [status for method, path, status in moto.requests()
             if method == "GET" and path.startswith(f"/{bucket}/app/{name}")]
    assert reads == [206]  # one ranged read of the first MiB, not the 3 MiB object
    with serving("s3://no-such-bucket/app", env=moto.env()) as (_, port, process):
        status, _, page = get(port, "/")
        assert status == 503 and "no such bucket" in page
    assert process.returncode == 0


def test_bad_urls_are_one_line(moto, bucket) -> None:
    moto.store().pipe_file(f"{bucket}/app/20260101T000000.000000Z-1-x-Junk.dump", b"junk")
    listing = run_open("--list", f"s3://{bucket}/app", env=moto.env())
    assert listing.returncode == 0 and "<unreadable: " in listing.stdout
    unreachable = dict(moto.env(), AWS_ENDPOINT_URL="http://127.0.0.1:9")
    for args, env, expected in [
        (["--print", f"s3://{bucket}/app/20260101T000000.000000Z-1-x-Junk.dump"], moto.env(),
         f"s3://{bucket}/app/20260101T000000.000000Z-1-x-Junk.dump: not a pydumpling-hook dump"),
        (["--print", f"s3://{bucket}/app/missing.dump"], moto.env(), "no such object"),
        (["--list", "s3://no-such-bucket/app"], moto.env(), "no such bucket"),
        (["--list", f"s3://{bucket}/app"], unreachable, "cannot list"),
    ]:
        result = run_open(*args, env=env)
        assert result.returncode == 1 and result.stdout == "", result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith("pydumpling-open: error: ") and expected in line, line


def test_a_retry_after_a_lost_answer_uploads_nothing_twice(moto, bucket, env,
                                                           tmp_path: Path) -> None:
    run_python([str(README)], env=clean_env(**env))
    (name,) = objects(moto, bucket)
    spool_dir = Path(tmp_path / "spool")
    (folder,) = spool_dir.iterdir()  # as if the process died between upload and removal
    (folder / name.rpartition("/")[2]).write_bytes(moto.store().cat_file(name))
    later = run_python(["-c", "pass"], env=clean_env(**env))
    assert later.returncode == 0 and later.stderr == ""
    assert spooled(tmp_path) == [] and objects(moto, bucket) == [name]
    assert puts(moto, bucket) == {f"/{name}": 1}


def test_pytest_plugin_writes_failing_tests_to_a_bucket(moto, bucket, env, tmp_path: Path) -> None:
    (tmp_path / "test_ci.py").write_text("def test_fails():\n    assert 1 == 2\n")
    ci = {k: v for k, v in env.items() if k != "PYDUMPLING_DIR"}
    result = run_python(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--dumpling-dir",
                         f"s3://{bucket}/ci", "test_ci.py"], env=clean_env(**ci), cwd=tmp_path)
    assert result.returncode == 1
    (name,) = moto.store().ls(f"{bucket}/ci")
    assert f"dump written to s3://{name}" in result.stdout


def test_other_fsspec_backends_get_a_temporary_name_then_a_move(tmp_path: Path) -> None:
    need("fsspec")
    target = tmp_path / "shared"
    env = {"PYDUMPLING_DIR": f"file://{target}", "PYDUMPLING_SPOOL": str(tmp_path / "spool"),
           "PYDUMPLING_UPLOAD_TIMEOUT": "60"}
    crashed = run_python([str(README)], env=clean_env(**env))
    (dump,) = target.iterdir()
    assert notices(crashed.stderr) == [f"pydumpling: crash dump written to file://{dump}"]
    listing = run_open("--list", f"file://{target}", env={})
    assert listing.returncode == 0 and listing.stdout.rstrip().endswith(f"file://{dump}")


def test_a_running_process_ships_the_spool_in_the_background(moto, env, tmp_path: Path) -> None:
    missing = dict(env, PYDUMPLING_DIR="s3://created-while-down/app")
    run_python([str(README)], env=clean_env(**missing))
    (dump,) = spooled(tmp_path)
    moto.store().mkdir("created-while-down")
    watch = (f"import os, time\nfor _ in range(600):\n    if not os.path.exists({str(dump)!r}):\n"
             "        break\n    time.sleep(0.1)\nprint(os.path.exists(" + repr(str(dump)) + "))\n")
    running = run_python(["-c", watch], env=clean_env(**missing))
    assert (running.stdout, running.stderr) == ("False\n", "")  # gone before the exit handler
    assert objects(moto, "created-while-down") == [f"created-while-down/app/{dump.name}"]
