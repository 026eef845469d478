"""The redaction rules one by one, on the real ``Redactor`` a capture uses.

Names (a table, both ways), value shapes (each documented token shape, and
look-alikes that must stay), structure (pairs, triples, class fields) and
propagation (known secrets found inside other strings). End-to-end leaks are
in ``test_secret_leaks.py`` and, for real frameworks, ``test_secrets_web.py``.
"""

from __future__ import annotations

import pytest

from pydumpling_hook.dumpformat.model import Redacted
from pydumpling_hook.engine.redact import Redactor
from pydumpling_hook.engine.redact.names import split_words

HIDDEN_NAMES = [
    "password", "passwd", "pwd", "db_password", "DB_PASSWORD", "dbPassword", "new_password2",
    "passphrase", "secret", "client_secret", "clientSecret", "aws_secret_access_key",
    "SECRET_KEY", "token", "auth_token", "authToken", "access_token", "refresh_token",
    "csrftoken", "csrfmiddlewaretoken", "x-csrftoken", "X-Auth-Token", "api_key", "apikey",
    "X-Api-Key", "apiKey", "private_key", "privateKey", "auth", "authorization",
    "Proxy-Authorization", "HTTP_AUTHORIZATION", "HTTP_COOKIE", "cookie", "Set-Cookie",
    "sessionid", "session_id", "session_key", "_session_key", "session", "credentials",
    "creds", "jwt", "signing_key", "access_key", "b'authorization'", "smtp_pass",
]
VISIBLE_NAMES = [
    "author", "authority", "authors", "author_name", "session_count", "session_factory",
    "sessions_open", "tokens_used", "max_tokens", "tokenizer", "tokenizers", "author_id",
    "oauth_provider", "cwd", "key", "keys", "cache_key", "primary_key", "sort_key",
    "monkey", "keyboard", "passenger", "bypass", "compass", "secretary", "oauth_scope",
    "user", "username", "email", "host", "port", "headers", "request", "path", "value",
    "x-header-1", "Accept", "Content-Type", "User-Agent", "tokens", "HOME", "PATH",
]


@pytest.fixture
def redactor() -> Redactor:
    return Redactor(True, (), {})


def test_name_table_is_big_enough() -> None:
    assert len(HIDDEN_NAMES) + len(VISIBLE_NAMES) >= 80
    assert len(HIDDEN_NAMES) >= 40 and len(VISIBLE_NAMES) >= 40


@pytest.mark.parametrize("name", HIDDEN_NAMES)
def test_secret_names_are_hidden(redactor: Redactor, name: str) -> None:
    assert redactor.secret_name(name), split_words(name)
    assert redactor.secret_name(name.encode()), "bytes names follow the same rule"


@pytest.mark.parametrize("name", VISIBLE_NAMES)
def test_innocent_names_are_visible(redactor: Redactor, name: str) -> None:
    assert not redactor.secret_name(name), split_words(name)


def test_words_split_on_separators_camel_case_and_digits() -> None:
    assert split_words("X-Api-Key") == ["x", "api", "key"]
    assert split_words("HTTPAuthToken2") == ["http", "auth", "token", "2"]
    assert split_words("db.password") == ["db", "password"]
    assert split_words("aws_secret_access_key") == ["aws", "secret", "access", "key"]


def test_environment_names_also_count_key() -> None:
    redactor = Redactor(True, (), {"TENANT_KEY": "t3nant-k3y-9f8e7d", "STRIPE_KEY": "abc-123-xyz-9",
                                   "HOME": "/home/someone", "PWD": "/srv/app-123",
                                   "LANG": "en_US.UTF-8"})
    assert "t3nant-k3y-9f8e7d" in redactor.known.texts
    assert "abc-123-xyz-9" in redactor.known.texts
    assert not {"/home/someone", "/srv/app-123", "en_US.UTF-8"} & redactor.known.texts
    assert not redactor.secret_name("TENANT_KEY"), "a local called ..._key is a dict key"


def test_extra_names_are_words_too() -> None:
    redactor = Redactor(True, ("iban", "account_no"), {})
    assert redactor.secret_name("customer_iban") and redactor.secret_name("AccountNo")
    assert not redactor.secret_name("libiban") and not redactor.secret_name("account")


SHAPES = {
    "postgresql://app:Pg-s3cret-pw@db.internal:5432/shop": "postgresql://app:<redacted>@db.internal:5432/shop",
    "redis://:r3dis-pass-word@cache:6379/0": "redis://:<redacted>@cache:6379/0",
    "Authorization: Bearer abcDEF123456ghi": "Authorization: Bearer <redacted>",
    "Basic dXNlcjpodW50ZXIyaHVudGVy": "Basic <redacted>",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXBhcnQ": "<redacted>",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----":
        "-----BEGIN RSA PRIVATE KEY-----<redacted>-----END RSA PRIVATE KEY-----",
    "key AKIAIOSFODNN7EXAMPLE here": "key <redacted> here",
    "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8": "<redacted>",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz": "<redacted>",
    "xoxb-123456789012-abcdefGHIJKL": "<redacted>",
    "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc": "<redacted>",
    "rk_live_" + "4eC39HqLyjWDarjtT1zdp7dc": "<redacted>",
    "AIza" + "SyA-1234567890abcdefghijklmnopqrstu": "<redacted>",
    "sk-proj-" + "abcdefghijklmnopqrstuvwxyz012345": "<redacted>",
    "host=db user=app password=pgpass-1234 dbname=shop":
        "host=db user=app password=<redacted> dbname=shop",
    "https://api.example.com/v1?api_key=q-s3cr3t-123&page=2":
        "https://api.example.com/v1?api_key=<redacted>&page=2",
}
KEPT = [
    "https://example.com/users/@bob", "mailto:bob@example.com", "Basic information about it",
    "the bearer of bad news", "value-40-199", "/usr/local/bin:/usr/bin", "a=1, b=2",
    "task-runner-12345678901234567890", "AKIA is an acronym", "user@example.com",
    "eyJ alone", "2026-11-29T11:00:00Z", "max_tokens=5", "sessions=3",
]


@pytest.mark.parametrize("text", sorted(SHAPES))
def test_value_shapes_keep_everything_but_the_secret(redactor: Redactor, text: str) -> None:
    hidden = redactor.check_text(text)
    assert isinstance(hidden, Redacted) and hidden.rule == "value"
    shown = "<redacted>" if hidden.hint is None else hidden.hint
    assert shown == SHAPES[text]
    assert redactor.counts == {"value": 1}


@pytest.mark.parametrize("text", KEPT)
def test_look_alikes_are_kept(redactor: Redactor, text: str) -> None:
    assert redactor.check_text(text) is None


def test_every_shape_gate_is_in_the_spelled_out_prefilter(redactor: Redactor) -> None:
    from pydumpling_hook.engine.redact.values import SHAPES

    for name, gate, needles, *_ in SHAPES:
        assert redactor.values.maybe(needles[0] + gate), name
    assert not redactor.values.maybe("plain text, no gate at all: 12:30")


def test_bulk_test_sees_a_shape_among_many(redactor: Redactor) -> None:
    texts = [f"value-{i}" for i in range(200)]
    assert redactor.texts_clean(texts)
    assert not redactor.texts_clean(texts + ["Bearer abcDEF123456ghi"])


def test_bytes_and_header_lines(redactor: Redactor) -> None:
    hidden = redactor.check_text(b"X-Api-Key: k3y-abcdef-0123\r\n")
    assert isinstance(hidden, Redacted) and hidden.hint == b"X-Api-Key: <redacted>\r\n"
    assert redactor.check_text(b"Accept: application/json\r\n") is None


def test_messages_get_the_free_text_rules(redactor: Redactor) -> None:
    assert redactor.clean_message("login failed, Password: hunter2hunter2") == (
        "login failed, Password: <redacted>")
    environ = Redactor(True, (), {"DEPLOY_NOTE": "env-value-longer-than-eight"})
    assert environ.clean_message("'env-value-longer-than-eight'") == "<redacted>"


@pytest.mark.parametrize("items, index", [
    (("authorization", "Bearer x"), 1), ((b"cookie", b"sessionid=abc"), 1),
    (["X-Api-Key", "abc"], 1), (("Set-Cookie", "a=b"), 1),
    ((b"Authorization", b"authorization", b"Bearer x"), 2),
    (("accept", "json"), -1), (("token", "a", "b"), -1), (("author", "bob"), -1),
])
def test_header_pairs_and_triples(redactor: Redactor, items: tuple, index: int) -> None:
    assert redactor.secret_pair(list(items)) == index


def test_class_fields_for_exact_types(redactor: Redactor) -> None:
    assert redactor.class_fields("django.core.signing", "Signer") >= {"key", "fallback_keys"}
    assert not redactor.class_fields("myapp.signing", "Signer")


def test_user_value_patterns() -> None:
    redactor = Redactor(True, ("prefix:acme_live_", r"re:\bCUST-(\d{6})\b"), {})
    assert redactor.check_text("id acme_live_9f8e7d6c5b please").hint == "id <redacted> please"
    assert redactor.check_text("customer CUST-123456 ok").hint == "customer CUST-<redacted> ok"
    assert redactor.check_text("acme_test_1234567 CUST-12") is None
    assert Redactor(True, ("re:[unclosed",), {}).check_text("acme_live_12345") is None


def test_hidden_values_become_known_secrets(redactor: Redactor) -> None:
    redactor.redact("name", "Pa55-word-for-db")
    redactor.redact("structure", "Bearer tok3n-abcdefgh")
    redactor.redact("structure", "sessionid=s3ss-1d-abcdef; csrftoken=csrf-t0k-abcdef")
    redactor.redact("name", "short")
    redactor.redact("name", "/var/lib/app")
    assert {"Pa55-word-for-db", "tok3n-abcdefgh", "s3ss-1d-abcdef", "csrf-t0k-abcdef"} <= (
        redactor.known.texts)
    assert not {"short", "/var/lib/app"} & redactor.known.texts
    assert redactor.leaks(b"..." + b"prefix Pa55-word-for-db suffix" + b"...")
    assert redactor.sweep_text("f-string Pa55-word-for-db!") == "f-string <redacted>!"
    assert redactor.counts["propagated"] == 1


def test_sweep_replaces_values_and_masks_text(redactor: Redactor) -> None:
    redactor.redact("name", "Pa55-word-for-db")
    shared = ["dsn postgresql://u:Pa55-word-for-db@h/db"]
    body = {
        "meta": {"argv": ["x", "--db=Pa55-word-for-db"], "extra": {}, "cwd": "/srv"},
        "exception": None, "threads": [{"name": "t", "frames": [
            {"filename": "f.py", "name": "f", "qualname": "f", "locals_note": None,
             "locals": {"a": shared, "b": shared, "t": ("Pa55-word-for-db-x", 1)},
             "globals": {}}]}],
        "sources": {"f.py": "PASSWORD = 'Pa55-word-for-db'\n"}, "stats": {},
    }
    redactor.sweep(body, [])
    frame = body["threads"][0]["frames"][0]["locals"]
    assert frame["a"] is frame["b"] and repr(frame["a"][0]).startswith("<redacted:")
    assert repr(frame["t"][0]) == "<redacted: '<redacted>-x'>"
    assert body["sources"]["f.py"] == "PASSWORD = '<redacted>'\n"
    assert repr(body["meta"]["argv"][1]) == "<redacted: '--db=<redacted>'>"
