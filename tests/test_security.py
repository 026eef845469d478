"""Redaction end to end: real processes crash holding secrets; the dumps must not.

A secret must not be anywhere in the file: not in its bytes, not in any
section once decompressed, not in the pickled originals. The values are
built at run time (reversed), so that the scripts' embedded source cannot
contain them and a hit can only come from a captured value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import clean_env, run_python, write_script

from pydumpling_hook.dumpformat import dumpfile
from pydumpling_hook.dumpformat.model import Redacted

WORDS = ("password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "auth",
         "authorization", "cookie", "session", "csrf", "private_key", "credential",
         "db_password", "X-Api-Key")
"""The names issue 5 lists, and two that only contain one."""

ENV_VALUE = "env-value-longer-than-eight"


def hidden(label: str) -> str:
    """The secret for ``label``; the scripts compute the same, never spelling it out."""
    return "".join(reversed(f"{label}-s3cr3t-v4lue"))


PRELUDE = '''
def hidden(label):
    return "".join(reversed(label + "-s3cr3t-v4lue"))
'''

LEAKY = PRELUDE + f"WORDS = {WORDS!r}\n" + '''
import collections, functools, os, threading, types

API_KEY = hidden("global")
Login = collections.namedtuple("Login", "user password")

class Creds:
    def __init__(self):
        self.secret = hidden("attr")
        self.user = "bob"

class Slotted:
    __slots__ = ("token", "name")
    def __init__(self):
        self.token = hidden("slot")
        self.name = "slotted"

def bystander(ready, done):
    password = hidden("thread-local")
    ready.set()
    done.wait()

def handler(**kwargs):
    password = hidden("password")
    api_key = hidden("api_key")
    db_password = hidden("db_password")
    payload = {"user": "bob", "token": hidden("dict-token")}
    headers = {"X-Api-Key": hidden("header"), "Accept": "json"}
    creds = Creds()
    slotted = Slotted()
    rows = [{"id": 1}, [{"private_key": hidden("nested")}]]
    objects = [Creds()]
    note = os.environ["DEPLOY_NOTE"]
    notes = {"where": [note]}
    login = Login("bob", hidden("namedtuple"))
    namespace = types.SimpleNamespace(session=hidden("namespace"))
    call = functools.partial(print, auth=hidden("partial"))
    holder = [{"csrf": hidden("shared")}]
    shared = holder[0]
    deep = [[[[[[[[{"credential": hidden("deep")}]]]]]]]]
    wide = [0] * 5000 + [{"cookie": hidden("wide")}]
    words = {word: hidden("word-" + word) for word in WORDS}
    key_length = len(API_KEY)
    plain = {"user": "bob", "amount": 12}
    error = RuntimeError("login failed")
    error.password = hidden("exception-attr")
    raise error

ready, done = threading.Event(), threading.Event()
threading.Thread(target=bystander, args=(ready, done), daemon=True).start()
ready.wait()
handler(session_cookie=hidden("kwarg"))
'''

SECRETS = [hidden(label) for label in (
    "global", "attr", "slot", "thread-local", "password", "api_key", "db_password",
    "dict-token", "header", "nested", "namedtuple", "namespace", "partial", "shared", "deep",
    "wide", "exception-attr", "kwarg", *(f"word-{w}" for w in WORDS))]
ARGV = ["--password=argv-s3cr3t-one", "--token", "argv-s3cr3t-two"]


def blobs(path: Path) -> dict:
    """Every byte string a reader of ``path`` could get at: the file, each section
    decompressed (zlib, by the reader), each pickled original."""
    data = path.read_bytes()
    found = {"file": data}
    for entry in dumpfile.read_header(str(path))["sections"]:
        found[entry["name"]] = dumpfile._read_section(str(path), entry["name"])
    found.update({f"original {k}": v for k, v in dumpfile.read_originals(str(path)).items()})
    return found


def leaks(path: Path, secrets: list) -> list:
    return [(where, secret) for where, blob in blobs(path).items() for secret in secrets
            if secret.encode() in blob]


def run_leaky(crash, **env: str):
    result, dumps = crash(LEAKY, env={"DEPLOY_NOTE": ENV_VALUE, **env}, args=ARGV)
    assert result.returncode == 1 and "RuntimeError: login failed" in result.stderr
    assert len(dumps) == 1, result.stderr
    return dumps[0]


def frame(data: dict, name: str) -> dict:
    return next(f for f in data["exception"]["frames"] if f["name"] == name)


@pytest.mark.parametrize("originals", ["0", "1"])
def test_no_secret_anywhere_in_the_file(crash, originals: str) -> None:
    dump = run_leaky(crash, PYDUMPLING_ORIGINALS=originals)
    secrets = [*SECRETS, ENV_VALUE, "argv-s3cr3t-one", "argv-s3cr3t-two"]
    assert leaks(dump, secrets) == []
    sections = blobs(dump)
    assert ("originals" in sections) == (originals == "1")
    if originals == "1":
        # Values without secrets do have originals: the check above was not vacuous.
        assert "original /1/plain" in sections
        assert not [k for k in sections if k.endswith(("/kwargs", "/shared", "/deep", "/wide"))]


def test_redacted_values_are_marked_and_counted(crash, body) -> None:
    data = body(run_leaky(crash))
    local = frame(data, "handler")["locals"]
    for name in ("password", "api_key", "db_password", "kwargs"):
        assert name in local
    assert isinstance(local["password"], Redacted)
    assert isinstance(local["payload"]["token"], Redacted) and local["payload"]["user"] == "bob"
    assert isinstance(local["headers"]["X-Api-Key"], Redacted)
    assert isinstance(local["kwargs"]["session_cookie"], Redacted)
    assert isinstance(local["creds"].attrs["secret"], Redacted)
    assert isinstance(local["slotted"].attrs["token"], Redacted)
    assert isinstance(local["rows"][1][0]["private_key"], Redacted)
    assert isinstance(local["note"], Redacted)
    assert isinstance(local["login"].items[1], Redacted) and local["login"].items[0] == "bob"
    assert all(isinstance(v, Redacted) for v in local["words"].values())
    assert isinstance(frame(data, "handler")["globals"]["API_KEY"], Redacted)
    assert isinstance(data["exception"]["attrs"]["password"], Redacted)
    bystander = next(f for t in data["threads"] for f in t["frames"] if f["name"] == "bystander")
    assert isinstance(bystander["locals"]["password"], Redacted)
    assert data["meta"]["argv"][1:] == ["--password=<redacted>", "--token", "<redacted>"]
    assert sum(data["stats"]["redacted"].values()) >= len(SECRETS) + 3


def test_the_loader_shows_redacted(crash) -> None:
    dump = run_leaky(crash)
    shown = run_python(["-m", "pydumpling_hook", str(dump), "--print", "--locals"])
    assert shown.returncode == 0, shown.stderr
    assert "password = <redacted>" in shown.stdout
    assert "'X-Api-Key': <redacted>" in shown.stdout
    assert not [s for s in SECRETS if s in shown.stdout]
    from pydumpling_hook.loader import load

    loaded = load(str(dump))
    inner = loaded.exception["frames"][-1]["locals"]
    assert repr(inner["api_key"]) == "<redacted>"


def test_redaction_can_be_switched_off(crash, body) -> None:
    """``PYDUMPLING_REDACT=0``: the documented switch; then the values are there."""
    dump = run_leaky(crash, PYDUMPLING_REDACT="0")
    snapshot = blobs(dump)["snapshot"]
    for secret in (hidden("password"), hidden("dict-token"), hidden("attr"), ENV_VALUE):
        assert secret.encode() in snapshot
    data = body(dump)
    assert sum(data["stats"]["redacted"].values()) == 0
    assert frame(data, "handler")["locals"]["password"] == hidden("password")


EXTRA = PRELUDE + '''
import sys
if len(sys.argv) > 1:
    import pydumpling_hook
    pydumpling_hook.install(redact=sys.argv[1].split(","))

def pay():
    customer_iban = hidden("iban")
    ssn_number = hidden("ssn")
    password = hidden("password")
    amount = 12
    raise ValueError("declined")

pay()
'''


@pytest.mark.parametrize("how", ["environment", "install"])
def test_extra_names(crash, body, how: str) -> None:
    env, args = ({"PYDUMPLING_REDACT": "iban,SSN"}, []) if how == "environment" else ({}, [
        "iban,SSN"])
    result, dumps = crash(EXTRA, env=env, args=args)
    assert len(dumps) == 1, result.stderr
    data = body(dumps[0])
    local = frame(data, "pay")["locals"]
    assert [name for name, value in sorted(local.items()) if isinstance(value, Redacted)] == [
        "customer_iban", "password", "ssn_number"]
    assert local["amount"] == 12
    assert sum(data["stats"]["redacted"].values()) == 3
    assert leaks(dumps[0], [hidden("iban"), hidden("ssn"), hidden("password")]) == []


def test_without_extra_names_only_the_defaults(crash, body) -> None:
    """The control for ``test_extra_names``: ``iban`` is not a secret word by default."""
    result, dumps = crash(EXTRA)
    local = frame(body(dumps[0]), "pay")["locals"]
    assert local["customer_iban"] == hidden("iban")
    assert isinstance(local["password"], Redacted)


def test_capture_in_process_counts_without_naming(tmp_path: Path) -> None:
    """The metadata says how many values were hidden, never which: no name, no value."""
    script = write_script(tmp_path, PRELUDE + '''
import pydumpling_hook
def f():
    password = hidden("a")
    token = hidden("b")
    try:
        1 / 0
    except ZeroDivisionError:
        print(pydumpling_hook.save_dumping())
f()
''')
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(tmp_path / "d")))
    path = Path(result.stdout.strip())
    data = dumpfile.read_body(str(path))
    assert sum(data["stats"]["redacted"].values()) == 2
    assert "password" not in repr(data["stats"]) and "token" not in repr(data["stats"])
    assert "password" not in repr(dumpfile.read_header(str(path)))
