"""Real applications from PyPI crash holding credentials; their dumps must not.

Each test runs a real framework (Django's test client, FastAPI on uvicorn,
Flask under gunicorn, requests, httpx, SQLAlchemy, boto3) in its own process
with the hook on, plants unique secrets (computed at run time, so no source
holds them) in the places the framework really keeps them, and checks that
none of them is in the file, in any section, or in the loader's output.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import clean_env, dumps_in, need
from test_secret_leaks import assert_nowhere, frame, run
from test_security import PRELUDE, hidden

from pydumpling_hook.dumpformat.model import Redacted

pytestmark = pytest.mark.heavy

TOKEN = hidden("bearer-token-0a1b2c")
COOKIE = hidden("session-cookie-3d4e5f")
SECRET_KEY = hidden("framework-secret-key-6a7b")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, deadline: float = 30) -> int:
    """GET with the planted credentials, retrying until the server listens."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Cookie": f"session={COOKIE}",
               "X-Api-Key": TOKEN}
    stop = time.monotonic() + deadline
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path, headers=headers)
            status = conn.getresponse().status
            conn.close()
            return status
        except OSError:
            if time.monotonic() > stop:
                raise
            time.sleep(0.2)


def wait_for_dump(directory: Path, deadline: float = 30) -> list:
    stop = time.monotonic() + deadline
    while not dumps_in(directory) and time.monotonic() < stop:
        time.sleep(0.2)
    time.sleep(0.5)  # the dump is renamed into place atomically; let a second one show
    return dumps_in(directory)


def test_django_secret_key_session_and_authorization(crash, body) -> None:
    need("django")
    dump = run(crash, '''
import django
from django.conf import settings
settings.configure(
    DEBUG=False, SECRET_KEY=hidden("framework-secret-key-6a7b"), ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF=__name__, INSTALLED_APPS=["django.contrib.sessions", "django.contrib.messages",
                                          "django.contrib.contenttypes"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware"],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    MESSAGE_STORAGE="django.contrib.messages.storage.cookie.CookieStorage",
    LOGGING_CONFIG=None,
)
django.setup()
from django.contrib import messages
from django.http import HttpResponse
from django.test import Client
from django.urls import path

def login(request):
    request.session["user"] = "bob"
    return HttpResponse("ok")

def crash(request):
    hdr = request.META.get("HTTP_AUTHORIZATION")
    messages.info(request, "about to fail")
    user = request.session.get("user")
    raise RuntimeError("view failed for " + str(user))

urlpatterns = [path("login", login), path("crash", crash)]
client = Client()
client.get("/login")
session_cookie = client.cookies["sessionid"].value
print("COOKIE", session_cookie)
client.get("/crash", HTTP_AUTHORIZATION="Bearer " + hidden("bearer-token-0a1b2c"))
''')
    cookie = next(line.split()[1] for line in _stdout_of(dump) if line.startswith("COOKIE"))
    assert_nowhere(dump, [SECRET_KEY, TOKEN, cookie])
    view = frame(body(dump), "crash")["locals"]
    assert view["hdr"].hint == "Bearer <redacted>"
    signer = view["request"].attrs["_messages"].attrs["signer"]
    assert isinstance(signer.attrs["key"], Redacted)


def _stdout_of(dump: Path) -> list:
    return (dump.parent.parent / "stdout.txt").read_text().splitlines()


@pytest.fixture
def crash(tmp_path: Path, dump_dir: Path):
    """As conftest's, but stdout is kept beside the dumps for the test to read."""

    def run_script(source: str, *, env: dict | None = None, args: list = ()):
        script = tmp_path / "app.py"
        script.write_text(source)
        result = subprocess.run([sys.executable, str(script), *args], env=clean_env(
            PYDUMPLING_DIR=str(dump_dir), **(env or {})), cwd=tmp_path, capture_output=True,
            text=True, timeout=120)
        (tmp_path / "stdout.txt").write_text(result.stdout)
        return result, dumps_in(dump_dir)

    return run_script


def test_fastapi_on_uvicorn(tmp_path: Path, dump_dir: Path, body) -> None:
    need("fastapi")
    need("uvicorn")
    port = free_port()
    script = tmp_path / "api.py"
    script.write_text(PRELUDE + f'''
import fastapi, uvicorn
app = fastapi.FastAPI()

@app.get("/crash")
async def crash(request: fastapi.Request):
    hdr = request.headers.get("authorization")
    raise RuntimeError("handler failed")

uvicorn.run(app, host="127.0.0.1", port={port}, log_level="error")
''')
    dumps = serve_and_crash([sys.executable, str(script)], tmp_path, dump_dir, port)
    assert len(dumps) == 1
    assert_nowhere(dumps[0], [TOKEN, COOKIE])
    assert frame(body(dumps[0]), "crash")["locals"]["hdr"].hint == "Bearer <redacted>"


def test_flask_under_gunicorn_with_two_workers(tmp_path: Path, dump_dir: Path) -> None:
    need("flask")
    need("gunicorn")
    port = free_port()
    (tmp_path / "webapp.py").write_text(PRELUDE + '''
import flask
app = flask.Flask(__name__)
app.secret_key = hidden("framework-secret-key-6a7b")

@app.route("/crash")
def crash():
    auth = flask.request.headers
    raise RuntimeError("view failed")
''')
    dumps = serve_and_crash(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "webapp:app"],
        tmp_path, dump_dir, port)
    assert len(dumps) == 1
    assert_nowhere(dumps[0], [TOKEN, COOKIE, SECRET_KEY])


def serve_and_crash(command: list, cwd: Path, dump_dir: Path, port: int) -> list:
    """Start a server with the hook on, send it one crashing request with the planted
    credentials, stop it (SIGTERM, then SIGKILL); return the dumps it left."""
    server = subprocess.Popen(command, env=clean_env(PYDUMPLING_DIR=str(dump_dir)), cwd=cwd,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert get(port, "/crash") == 500
        return wait_for_dump(dump_dir)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_http_client_with_authorization_that_fails(crash, body, client: str) -> None:
    need(client)
    dump = run(crash, f'''
import socket, {client}
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
headers = {{"Authorization": "Bearer " + hidden("bearer-token-0a1b2c"), "Accept": "*/*"}}
def fetch():
    return {client}.get(f"http://127.0.0.1:{{port}}/api", headers=headers, timeout=5)
fetch()
''')
    assert_nowhere(dump, [TOKEN])


def test_sqlalchemy_engine_with_a_dsn_password(crash, body) -> None:
    need("sqlalchemy")
    password = hidden("dsn-password-9z8y")
    dump = run(crash, '''
import socket, sqlalchemy
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
def connect():
    dsn = f"postgresql://shop:{hidden('dsn-password-9z8y')}@127.0.0.1:{port}/shop"
    engine = sqlalchemy.create_engine(dsn)
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text("select 1"))
connect()
''')
    assert_nowhere(dump, [password])
    local = frame(body(dump), "connect")["locals"]
    assert isinstance(local["dsn"], Redacted)
    assert local["dsn"].hint.startswith("postgresql://shop:<redacted>@127.0.0.1:")


def test_boto3_client_with_static_credentials(crash, body) -> None:
    need("boto3")
    access_key = "AKIA" + "".join(reversed("QRSTUVWXYZ234567"))
    secret_key = hidden("aws-secret-access-key-0123456789")
    dump = run(crash, '''
import boto3
def upload():
    client = boto3.client(
        "s3", region_name="us-east-1",
        aws_access_key_id="AKIA" + "".join(reversed("QRSTUVWXYZ234567")),
        aws_secret_access_key=hidden("aws-secret-access-key-0123456789"))
    client.put_object(Bucket=12345, Key="k", Body=b"data")
upload()
''', env={"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    assert_nowhere(dump, [access_key, secret_key])


def test_framework_header_objects(crash, body) -> None:
    """Header objects of Starlette, Werkzeug, httpx, requests and Django, built as the
    frameworks build them, under innocent names."""
    for module in ("starlette", "werkzeug", "httpx", "requests", "django"):
        need(module)
    dump = run(crash, '''
import django
from django.conf import settings
settings.configure()
from django.http.request import HttpHeaders
import httpx, requests.structures, starlette.datastructures, werkzeug.datastructures

def handler():
    hdr = "Bearer " + hidden("bearer-token-0a1b2c")
    pairs = [("Authorization", hdr), ("Cookie", "session=" + hidden("session-cookie-3d4e5f")),
             ("X-Api-Key", hidden("framework-secret-key-6a7b")), ("Accept", "*/*")]
    star = starlette.datastructures.Headers(raw=[(k.lower().encode(), v.encode())
                                                 for k, v in pairs])
    werk = werkzeug.datastructures.Headers(pairs)
    environ = werkzeug.datastructures.EnvironHeaders(
        {"HTTP_" + k.upper().replace("-", "_"): v for k, v in pairs})
    hx = httpx.Headers(pairs)
    rq = requests.structures.CaseInsensitiveDict(pairs)
    dj = HttpHeaders({"HTTP_" + k.upper().replace("-", "_"): v for k, v in pairs})
    raise RuntimeError("boom")
handler()
''')
    assert_nowhere(dump, [TOKEN, COOKIE, SECRET_KEY])
    local = frame(body(dump), "handler")["locals"]
    assert local["hdr"].hint == "Bearer <redacted>"
