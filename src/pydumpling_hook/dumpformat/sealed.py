"""Encryption at rest: a whole dump sealed with age (X25519) for its readers' public keys.

A dump holds a crashed process's secrets, and shared storage (a bucket, a CI
artifact store) is read by more people and services than should see them. The
crashing process encrypts the complete dump before it touches the disk or the
network, for one or more public keys; only a holder of a matching identity
can open it. The envelope keeps a small plain header so that ``--list`` and
``--list --group`` work without any key: the type, time, host, crash-site
fingerprint and sizes, and nothing that holds data (no message, no locals, no
absolute paths, no thread names).

Why age through pyrage rather than libsodium sealed boxes through PyNaCl:
age is a specified file format with several audited implementations (Go
``age``, Rust ``rage``, which pyrage binds), it encrypts to several recipients
natively, and its keys (``age1…`` / ``AGE-SECRET-KEY-1…``) are the ones
``age-keygen`` makes. The encrypted section is a complete age file, so
``age -d -i team.key`` opens it without us, and an identity from
``age-keygen`` works with ``--identity``. Sealed boxes have one recipient
each and no standard key or file format, so a team would depend on our own
construction. pyrage installs from abi3 wheels on CPython 3.9-3.13.

pyrage is imported only when a dump is sealed or opened.
"""

from __future__ import annotations

import os
import time

from . import dumpfile
from .dumpfile import DumpError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Iterable

CODEC = "age"
PUBLIC_FIELDS = ("exc_type", "time", "host", "fingerprint", "crash_site", "python", "reason")
"""What an encrypted dump's header shows in clear: what ``--list --group`` needs."""
INSTALL_HINT = "pip install 'pydumpling-hook[encrypt]'"


class SealError(DumpError):
    """Encryption or decryption is impossible (no pyrage, bad key, wrong identity): one line."""


def _pyrage() -> Any:
    try:
        import pyrage
    except ImportError:
        raise SealError(f"encrypted dumps need pyrage ({INSTALL_HINT})") from None
    return pyrage


def _recipient(pyrage: Any, text: str) -> Any:
    try:
        return pyrage.x25519.Recipient.from_str(text)
    except Exception:
        shown = text if len(text) <= 20 else f"{text[:16]}…"
        raise SealError(f"not an age public key (age1…): {shown!r}") from None


def is_sealed(header: dict) -> bool:
    return header.get("format") == dumpfile.SEALED_FORMAT


def seal(dump: bytes, summary: dict, recipients: Iterable[str]) -> bytes:
    """Encrypt the complete ``dump`` for ``recipients``; keep the public fields in clear."""
    pyrage = _pyrage()
    keys = [_recipient(pyrage, text) for text in recipients]
    if not keys:
        raise SealError("no recipient to encrypt for")
    ciphertext = pyrage.encrypt(dump, keys)
    public = {key: summary[key] for key in PUBLIC_FIELDS if key in summary}
    return dumpfile.encode_sealed(public, ciphertext, CODEC, len(dump))


def read_identities(path: str) -> list:
    """The age identities in ``path``: the lines ``AGE-SECRET-KEY-1…``, as age-keygen writes."""
    pyrage = _pyrage()
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read(1 << 20).splitlines()
    except OSError as exc:
        raise SealError(f"{path}: cannot read identity: {exc.strerror or exc}") from None
    keys = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-")]
    if not keys:
        raise SealError(f"{path}: no age identity (AGE-SECRET-KEY-1…) in this file")
    try:
        return [pyrage.x25519.Identity.from_str(key) for key in keys]
    except Exception:
        raise SealError(f"{path}: malformed age identity") from None


def unseal(path: str, identity_file: str | None) -> bytes:
    """The plain dump inside the envelope at ``path``, decrypted with ``identity_file``."""
    if not identity_file:
        raise SealError(f"{path}: encrypted dump: give --identity FILE or set PYDUMPLING_IDENTITY")
    found = dumpfile.read_sealed(path)
    if found is None:
        raise DumpError(f"{path}: corrupt dump (encrypted, but holds no sealed section)")
    codec, ciphertext, raw_length = found
    if codec != CODEC:
        raise DumpError(f"{path}: unsupported encryption {codec!r}")
    identities = read_identities(identity_file)
    pyrage = _pyrage()
    try:
        plain = pyrage.decrypt(ciphertext, identities)
    except pyrage.DecryptError as exc:
        reason = str(exc) or "decryption failed"
        if "no matching keys" in reason.lower():
            reason = f"{identity_file} is not one of its recipients"
        raise SealError(f"{path}: cannot decrypt: {reason}") from None
    if len(plain) != raw_length or not plain.startswith(dumpfile.MAGIC):
        raise DumpError(f"{path}: corrupt dump (the decrypted content is not a dump)")
    return plain


def keygen(path: str) -> str:
    """Write a new identity to ``path`` (0600, never over an existing file); return its
    public key. The file is in age-keygen's format, so age and rage can use it too."""
    pyrage = _pyrage()
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    text = (f"# created: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n"
            f"# public key: {public}\n{identity}\n")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise SealError(f"{path}: already exists; not overwriting an identity") from None
    except OSError as exc:
        raise SealError(f"{path}: cannot create: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    return public
