"""Encryption at rest: a dump sealed with age for ``PYDUMPLING_RECIPIENT``, opened with an identity.

A marker is planted in a local, the exception message, the thread name and the
script's directory; none of it may be readable in the file without the key.
"""

from __future__ import annotations

import json
import os
import stat
import struct
from pathlib import Path

import pytest
from conftest import assert_same_behaviour, clean_env, dumps_in, need, run_python, write_script

from pydumpling_hook.dumpformat import dumpfile, sealed

MARKER = "PLANTED7f3a9c"
SCRIPT = f"""
import threading

def charge(card):
    note = "{MARKER}-in-a-local"
    raise ValueError("declined: " + note)

threading.current_thread().name = "worker-{MARKER}"
charge(42)
"""


def run_open(*args: str, env: dict | None = None):
    return run_python(["-m", "pydumpling_hook", *args], env=env)


def one_error_line(result, contains: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("pydumpling-open: error: ") and contains in result.stderr
    assert result.stdout == ""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict:
    need("pyrage")
    out = tmp_path_factory.mktemp("keys")
    made = {}
    for name in ("team", "other"):
        result = run_open("--keygen", str(out / f"{name}.key"))
        assert result.returncode == 0 and result.stderr == "", result.stderr
        made[name] = result.stdout.strip()
        made[f"{name}_file"] = out / f"{name}.key"
    return made


@pytest.fixture(scope="module")
def sealed_dump(tmp_path_factory: pytest.TempPathFactory, keys: dict) -> Path:
    where = tmp_path_factory.mktemp(f"app-{MARKER}")
    script = write_script(where, SCRIPT)
    env = clean_env(PYDUMPLING_DIR=str(where / "dumps"), PYDUMPLING_RECIPIENT=keys["team"])
    result = run_python([str(script)], env=env, cwd=where)
    assert result.returncode == 1 and f"ValueError: declined: {MARKER}" in result.stderr
    (dump,) = dumps_in(where / "dumps")
    return dump


def test_keygen_writes_a_private_identity_once(keys: dict) -> None:
    path = keys["team_file"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys["team"].startswith("age1") and keys["team"] in path.read_text()
    assert path.read_text().count("AGE-SECRET-KEY-1") == 1
    before = path.read_bytes()
    one_error_line(run_open("--keygen", str(path)), "already exists")
    assert path.read_bytes() == before
    one_error_line(run_open("--keygen", str(path.parent / "no" / "such.key")), "cannot create")


def test_marker_is_absent_from_the_bytes(sealed_dump: Path) -> None:
    data = sealed_dump.read_bytes()
    assert MARKER.encode() not in data and MARKER not in sealed_dump.name
    assert b"declined" not in data  # the message; the function name is the public site
    assert stat.S_IMODE(sealed_dump.stat().st_mode) == 0o600
    header = dumpfile.read_header(str(sealed_dump))
    assert header["format"] == dumpfile.SEALED_FORMAT
    assert set(header["summary"]) <= set(sealed.PUBLIC_FIELDS)
    assert header["summary"]["exc_type"] == "ValueError"
    assert header["summary"]["crash_site"] == "crash.py:6 in charge"
    assert [s["name"] for s in header["sections"]] == ["sealed"]


def test_the_sealed_section_is_a_plain_age_file(sealed_dump: Path, keys: dict) -> None:
    pyrage = need("pyrage")
    codec, ciphertext, _ = dumpfile.read_sealed(str(sealed_dump))
    assert codec == "age" and ciphertext.startswith(b"age-encryption.org/v1\n")
    identity = pyrage.x25519.Identity.from_str(keys["team_file"].read_text().split()[-1])
    inner = pyrage.decrypt(ciphertext, [identity])
    assert inner.startswith(dumpfile.MAGIC) and MARKER.encode() in inner


@pytest.mark.parametrize("mode", [["--print"], ["--json"], []])
def test_opening_without_identity_is_one_line(sealed_dump: Path, mode: list) -> None:
    one_error_line(run_open(str(sealed_dump), *mode), "encrypted dump: give --identity FILE")


def test_opening_with_the_identity_shows_the_marker(sealed_dump: Path, keys: dict) -> None:
    result = run_open(str(sealed_dump), "--print", "--locals", "--identity",
                      str(keys["team_file"]))
    assert result.returncode == 0, result.stderr
    assert f"ValueError: declined: {MARKER}-in-a-local" in result.stdout
    assert f"note = '{MARKER}-in-a-local'" in result.stdout
    env = clean_env(PYDUMPLING_IDENTITY=str(keys["team_file"]))
    result = run_open(str(sealed_dump), "--json", env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert MARKER in document["header"]["summary"]["message"]


def test_serve_lists_without_a_key_and_shows_with_one(sealed_dump: Path, keys: dict,
                                                      tmp_path: Path) -> None:
    """Reloading a report decrypts the dump once, not once per view."""
    need("jinja2")
    from html_support import get, rows, serving

    link = f"/dump/{sealed_dump.name}"
    with serving(sealed_dump.parent) as (_, port, process):
        (row,) = rows(get(port, "/")[2], "dumps")
        assert "ValueError" in row and MARKER not in row
        status, _, page = get(port, link)
        assert status == 422 and "encrypted dump: give --identity FILE" in page
        assert f"{MARKER}-in-a-local" not in page  # (the path names the marker too)
    with serving(sealed_dump.parent, "--identity", str(keys["team_file"]),
                 env={"TMPDIR": str(tmp_path)}) as (_, port, process):
        for _ in range(3):
            status, _, page = get(port, link)
            assert status == 200 and f"{MARKER}-in-a-local" in page
        assert len(list(tmp_path.glob("pydumpling-open-*/*"))) == 1
    assert list(tmp_path.iterdir()) == []  # removed at exit


def test_a_wrong_identity_is_one_line(sealed_dump: Path, keys: dict, tmp_path: Path) -> None:
    one_error_line(run_open(str(sealed_dump), "--print", "--identity", str(keys["other_file"])),
                   "is not one of its recipients")
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("hello\n")
    one_error_line(run_open(str(sealed_dump), "--identity", str(not_a_key)), "no age identity")
    one_error_line(run_open(str(sealed_dump), "--identity", str(tmp_path / "missing")),
                   "cannot read identity")


def _damaged(dump: Path, tmp: Path, fix_crc: bool) -> Path:
    data = bytearray(dump.read_bytes())
    end = dumpfile.header_end(bytes(data[:dumpfile.PREFIX]))
    data[-40] ^= 0xFF  # inside the age payload's last chunk
    if fix_crc:  # a forger who recomputes the checksum still fails age's authentication
        header = json.loads(bytes(data[dumpfile.PREFIX:end]))
        header["sections"][0]["crc32"] = __import__("zlib").crc32(bytes(data[end:]))
        raw = json.dumps(header).encode()
        data = bytearray(dumpfile.MAGIC + struct.pack(">I", len(raw)) + raw + bytes(data[end:]))
    out = tmp / f"damaged-{fix_crc}.dump"
    out.write_bytes(bytes(data))
    return out


def test_damaged_or_truncated_is_one_line(sealed_dump: Path, keys: dict, tmp_path: Path) -> None:
    key = str(keys["team_file"])
    one_error_line(run_open(str(_damaged(sealed_dump, tmp_path, False)), "--identity", key),
                   "checksum mismatch")
    one_error_line(run_open(str(_damaged(sealed_dump, tmp_path, True)), "--identity", key),
                   "cannot decrypt")
    cut = tmp_path / "cut.dump"
    cut.write_bytes(sealed_dump.read_bytes()[:-100])
    one_error_line(run_open(str(cut), "--identity", key), "truncated")


def test_listing_and_grouping_need_no_key(sealed_dump: Path) -> None:
    result = run_open("--list", str(sealed_dump.parent))
    assert result.returncode == 0, result.stderr
    assert "ValueError: (encrypted)" in result.stdout and "crash.py:6 in charge" in result.stdout
    result = run_open("--list", "--group", str(sealed_dump.parent))
    assert result.returncode == 0 and "ValueError at crash.py:6 in charge" in result.stdout


def test_install_recipients_in_code(tmp_path: Path, keys: dict) -> None:
    script = write_script(tmp_path, f"""
        import pydumpling_hook
        pydumpling_hook.install(directory={str(tmp_path / "d")!r}, recipients=[{keys["other"]!r}])
        secret_of_mine = "{MARKER}"
        1 / 0
    """)
    assert run_python([str(script)]).returncode == 1
    (dump,) = dumps_in(tmp_path / "d")
    assert MARKER.encode() not in dump.read_bytes()
    result = run_open(str(dump), "--print", "--identity", str(keys["other_file"]))
    assert result.returncode == 0 and "ZeroDivisionError" in result.stdout


def test_a_bad_recipient_writes_nothing_and_changes_nothing(compare, keys: dict) -> None:
    hooked, plain, dumps = compare(SCRIPT, env={"PYDUMPLING_RECIPIENT": "age1notakey"})
    assert_same_behaviour(hooked, plain)
    assert dumps == []
    notes = [line for line in hooked.stderr.splitlines() if line.startswith("pydumpling:")]
    assert len(notes) == 1 and "not an age public key" in notes[0], hooked.stderr


def test_private_copies_of_decrypted_dumps_are_removed(sealed_dump: Path, keys: dict,
                                                       tmp_path: Path) -> None:
    script = write_script(tmp_path, f"""
        import os, stat
        import pydumpling_hook
        from pydumpling_hook.loader import inputs

        dump = pydumpling_hook.load({str(sealed_dump)!r}, identity={str(keys["team_file"])!r})
        (folder,) = inputs._private
        (name,) = os.listdir(folder)
        print(dump.path == {str(sealed_dump)!r}, oct(stat.S_IMODE(os.stat(folder).st_mode)),
              oct(stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)))
    """, name="opener.py")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    result = run_python([str(script)], env=clean_env(TMPDIR=str(temporary)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "0o700", "0o600"]
    assert os.listdir(temporary) == []  # removed at exit
