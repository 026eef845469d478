"""Issue 9's "secrets that reach the file", each reproduced by a real crash.

Every secret is computed at run time (reversed), so the script's embedded
source cannot hold it: a hit in the file can only come from a captured value.
Each test looks at the raw file, every decompressed section, the pickled
originals, and the output of ``--json`` and ``--print --locals``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_python
from test_security import PRELUDE, hidden, leaks

from pydumpling_hook.dumpformat.model import Redacted


def outputs(dump: Path) -> str:
    """What a user of the loader sees: ``--json`` and ``--print --locals``."""
    shown = [run_python(["-m", "pydumpling_hook", *how]) for how in (
        [str(dump), "--json"], [str(dump), "--print", "--locals"], ["--list", str(dump.parent)])]
    for result in shown:
        assert result.returncode == 0, result.stderr
    json.loads(shown[0].stdout)
    return "".join(r.stdout for r in shown)


def assert_nowhere(dump: Path, secrets: list) -> None:
    assert leaks(dump, secrets) == []
    text = outputs(dump)
    assert [s for s in secrets if s in text] == []


def run(crash, source: str, env: dict | None = None, args: list = ()) -> Path:
    result, dumps = crash(PRELUDE + source, env=env, args=list(args))
    assert len(dumps) == 1, result.stderr
    return dumps[0]


def frame(data: dict, name: str) -> dict:
    return next(f for f in data["exception"]["frames"] if f["name"] == name)


ENV = {"DEPLOY_NOTE": "deploy-note-longer-than-eight", "API_TOKEN": hidden("env-api-token"),
       "PAYMENT_KEY": hidden("env-payment-key")}


def test_keyerror_of_an_environment_value(crash, body) -> None:
    """``KeyError(os.environ[...])``: the message is ``repr(v)``, header and body."""
    dump = run(crash, '''
import os
def lookup():
    table = {}
    return table[os.environ["DEPLOY_NOTE"]]
lookup()
''', env=ENV)
    assert_nowhere(dump, [ENV["DEPLOY_NOTE"]])
    assert body(dump)["exception"]["message"] == "<redacted>"


def test_notes_are_checked(crash, body) -> None:
    dump = run(crash, '''
import os
def deploy():
    err = RuntimeError("deploy failed")
    err.__notes__ = [os.environ["DEPLOY_NOTE"], "token in use: " + os.environ["API_TOKEN"]]
    raise err
deploy()
''', env=ENV)
    assert_nowhere(dump, [ENV["DEPLOY_NOTE"], ENV["API_TOKEN"]])
    notes = body(dump)["exception"]["notes"]
    assert notes == ["<redacted>", "token in use: <redacted>"]


def test_environment_values_inside_urls_dsns_and_bearer(crash, body) -> None:
    """Embedded, not whole: found by the value shapes and by propagation."""
    dump = run(crash, '''
import os
def connect():
    url = "https://bot:" + os.environ["DEPLOY_NOTE"] + "@api.example.com/v1"
    dsn = "host=db user=app password=" + os.environ["PAYMENT_KEY"] + " dbname=shop"
    header = "Bearer " + os.environ["API_TOKEN"]
    log_line = "sent key " + os.environ["PAYMENT_KEY"] + " to the gateway"
    raise ConnectionError("refused")
connect()
''', env=ENV)
    assert_nowhere(dump, [ENV["DEPLOY_NOTE"], ENV["API_TOKEN"], ENV["PAYMENT_KEY"]])
    local = frame(body(dump), "connect")["locals"]
    assert local["url"].hint == "https://bot:<redacted>@api.example.com/v1"
    assert local["dsn"].hint == "host=db user=app password=<redacted> dbname=shop"
    assert local["header"].hint == "Bearer <redacted>"
    assert local["log_line"].rule == "propagated"


def test_trusted_reprs_cut_by_the_budget(crash, body) -> None:
    """A SimpleNamespace or a partial beyond the depth budget, or after the size budget
    is spent, is shown by its repr alone: that repr must not show the secret."""
    dump = run(crash, '''
import functools, types
import pydumpling_hook
from pydumpling_hook.config import Budgets
pydumpling_hook.install(budgets=Budgets(total=4096))

def handler():
    filler = ["x" * 100 for _ in range(200)]
    deep = [[[[[[[types.SimpleNamespace(password=hidden("ns-deep"))]]]]]]]
    late = types.SimpleNamespace(db_password=hidden("ns-late"))
    call = functools.partial(print, api_key=hidden("partial-late"))
    raise RuntimeError("boom")
handler()
''')
    assert_nowhere(dump, [hidden("ns-deep"), hidden("ns-late"), hidden("partial-late")])
    local = frame(body(dump), "handler")["locals"]
    assert local["late"].repr.startswith("<types.SimpleNamespace object at 0x")


def test_bytes_keys(crash, body) -> None:
    dump = run(crash, '''
import os
def handler():
    env = os.environ
    raw = {b"authorization": b"Bearer " + hidden("bytes-key").encode(), b"accept": b"*/*"}
    raise RuntimeError("boom")
handler()
''', env={"DB_PASSWORD": hidden("environ-data")})
    assert_nowhere(dump, [hidden("bytes-key"), hidden("environ-data")])
    local = frame(body(dump), "handler")["locals"]
    assert isinstance(local["raw"][b"authorization"], Redacted) and local["raw"][b"accept"]
    data = local["env"].attrs["_data"]
    assert isinstance(data[b"DB_PASSWORD"], Redacted)


def test_originals_skip_closure_cells_and_lambda_defaults(crash, body) -> None:
    dump = run(crash, '''
def handler():
    password = hidden("closure")
    check = lambda: password
    login = lambda user, pwd=hidden("default"): (user, pwd)
    plain = [1, 2, 3]
    raise RuntimeError("boom")
handler()
''', env={"PYDUMPLING_ORIGINALS": "1"})
    assert_nowhere(dump, [hidden("closure"), hidden("default")])
    assert body(dump)["stats"]["originals"] >= 1, "plain values still have originals"


@pytest.mark.parametrize("args, secret", [
    (["db.password=" + hidden("argv-dotted")], hidden("argv-dotted")),
    (["-Password:" + hidden("argv-ps")], hidden("argv-ps")),
    (["/password:" + hidden("argv-win")], hidden("argv-win")),
    (["-H", "Authorization: Bearer " + hidden("argv-curl")], hidden("argv-curl")),
    (["--db-url", "postgresql://u:" + hidden("argv-dsn") + "@h/db"], hidden("argv-dsn")),
    (["--token", hidden("argv-token")], hidden("argv-token")),
    (["--note", "deploying " + ENV["API_TOKEN"]], ENV["API_TOKEN"]),
])
def test_argv_forms(crash, body, args: list, secret: str) -> None:
    """The last form holds a secret environment value under an innocent option:
    propagation finds it."""
    dump = run(crash, "raise RuntimeError('boom')\n", args=args, env=ENV)
    assert_nowhere(dump, [secret])
    argv = body(dump)["meta"]["argv"]
    assert any(isinstance(a, Redacted) for a in argv)
    assert "<redacted>" in repr(argv[1:])


def test_a_value_hidden_by_name_is_hidden_everywhere(crash, body) -> None:
    """In the message (body and header), in ``args``, in a local built from it, in a
    logger's message arguments and a prefixed signer key, whatever the order."""
    dump = run(crash, '''
import logging
SECRET_KEY = hidden("secret-key")

def early(password):
    return "user:" + password

def handler():
    password = hidden("password")
    built = early(password)
    signer_key = b"django.http.cookies" + SECRET_KEY.encode()
    try:
        raise ValueError(f"cannot log in with {password}", password)
    except ValueError:
        logging.getLogger("auth").error("login failed for %s", built, exc_info=True)
        raise

handler()
''')
    secrets = [hidden("password"), hidden("secret-key")]
    assert_nowhere(dump, secrets)
    data = body(dump)
    assert data["exception"]["message"] == "('cannot log in with <redacted>', '<redacted>')"
    assert data["stats"]["redacted"]["propagated"] >= 3
    local = frame(data, "handler")["locals"]
    assert local["built"].hint == "user:<redacted>"
    assert local["signer_key"].rule == "propagated"


@pytest.mark.parametrize("how", ["environment", "install"])
def test_extra_names_and_value_patterns(crash, body, how: str) -> None:
    """``PYDUMPLING_REDACT`` and ``install(redact=...)`` take words, ``prefix:`` and
    ``re:`` (or a compiled pattern)."""
    setup = "" if how == "environment" else '''
import re, pydumpling_hook
pydumpling_hook.install(redact=["iban", "prefix:acme_live_", re.compile(r"CUST-(\\d{6})")])
'''
    dump = run(crash, setup + '''
def pay():
    customer_iban = hidden("iban")
    note = "charged with acme_live_" + hidden("prefix") + " today"
    ref = "order for CUST-" + str(sum(map(ord, hidden("cust"))) * 1000)[:6]
    raise ValueError("declined")
pay()
''', env={"PYDUMPLING_REDACT": r"iban,prefix:acme_live_,re:CUST-(\d{6})"}
        if how == "environment" else {})
    assert_nowhere(dump, [hidden("iban"), hidden("prefix")])
    local = frame(body(dump), "pay")["locals"]
    assert isinstance(local["customer_iban"], Redacted)
    assert local["note"].hint == "charged with <redacted> today"
    assert local["ref"].hint == "order for CUST-<redacted>"


def test_stdlib_header_objects_and_cached_header_lines(crash, body) -> None:
    """``email.message`` / ``http.client.HTTPMessage`` (what ``http.server`` keeps as
    ``self.headers``), ``wsgiref`` headers, ``urllib.request.Request`` and a header
    line cached under an innocent name."""
    dump = run(crash, '''
import email.message, http.client, io, urllib.request, wsgiref.headers

def handler():
    api_key = hidden("api-key")
    raw = ("Authorization: Bearer " + hidden("bearer") + "\\r\\nCookie: sessionid="
           + hidden("cookie") + "\\r\\nX-Api-Key: " + api_key + "\\r\\nAccept: */*\\r\\n\\r\\n")
    parsed = http.client.parse_headers(io.BytesIO(raw.encode()))
    wsgi = wsgiref.headers.Headers([("Authorization", "Basic " + hidden("basic")),
                                     ("Content-Type", "text/plain")])
    request = urllib.request.Request("http://127.0.0.1/", headers={
        "Authorization": "Bearer " + hidden("urllib")})
    line = "X-Api-Key: " + api_key
    raise RuntimeError("boom")
handler()
''')
    assert_nowhere(dump, [hidden(k) for k in (
        "api-key", "bearer", "cookie", "basic", "urllib")])
    local = frame(body(dump), "handler")["locals"]
    headers = local["parsed"].attrs["_headers"]
    assert [type(v).__name__ for _, v in headers] == ["Redacted"] * 3 + ["str"]
    assert local["line"].rule == "propagated"


def test_a_known_secret_inside_cut_and_rebuilt_values(crash, body) -> None:
    """A secret learned in a later frame, already copied into a cut list's head, a cut
    string's tail and a deque (a rebuilt value) of an earlier one."""
    dump = run(crash, '''
import collections

def inner(rows, long_text, queue):
    password = hidden("password")
    raise ValueError("login failed")

def outer():
    rows = [f"row {i}" for i in range(2000)]
    rows[5] = "note: " + hidden("password") + " in here"
    long_text = "x" * 20000 + " then " + hidden("password")
    queue = collections.deque([hidden("password") + " and more"])
    inner(rows, long_text, queue)

outer()
''')
    assert_nowhere(dump, [hidden("password")])
    local = frame(body(dump), "outer")["locals"]
    assert local["rows"].head[5].hint == "note: <redacted> in here"
    assert local["long_text"].hint.tail.endswith("then <redacted>")
    assert local["rows"].total == 2000


def test_a_known_secret_where_the_sweep_does_not_walk_is_overwritten() -> None:
    """The last guard: whatever the sweep misses, the pickle keeps no known secret."""
    from pydumpling_hook.engine.dumping import sealed
    from pydumpling_hook.engine.redact import Redactor

    redactor = Redactor()
    secret = hidden("password")
    redactor.redact("name", secret)
    body = {"meta": {"odd": {"nested": f"<{secret}>"}}, "stats": {}, "exception": None}
    raw = sealed(body, {}, redactor)
    assert secret.encode() not in raw
    assert b"<" + b"*" * len(secret) + b">" in raw
