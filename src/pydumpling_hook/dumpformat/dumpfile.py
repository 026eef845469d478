"""Encode and decode the dump file format (documented in ``docs/FORMAT.md``).

This module knows bytes, not processes: capture hands it a body dict and gets
bytes back; the loader hands it a path and gets the header or the body. It is
stdlib-only so that both sides can import it cheaply.

The safe body is a pickle because pickle is the fastest stdlib codec that keeps
tuples, sets, bytes, shared references and cycles. It is read with an
unpickler whose ``find_class`` knows a dozen names and nothing else, so no
``__reduce__`` trick in a file can reach a callable.
"""

from __future__ import annotations

import builtins
import io
import pickle
import struct
import zlib

from . import model

try:
    from _json import encode_basestring_ascii as _quote
except ImportError:  # pragma: no cover - interpreters without the C accelerator
    from json.encoder import encode_basestring_ascii as _quote

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable, Mapping

MAGIC = b"\x89PYDUMPLING\r\n\x1a\n\x00\x00"
FORMAT_VERSION = 3
"""The newest format this reader understands (it reads every older one)."""
PLAIN_FORMAT = 2
"""What a plain dump says (1 before redaction kinds; still read)."""
SEALED_FORMAT = 3
"""An encrypted envelope (``sealed``): a plain header around a whole encrypted dump."""
PREFIX = len(MAGIC) + 4
PICKLE_PROTOCOL = 5
MAX_HEADER = 1 << 20
MAX_SECTION = 256 << 20
ZLIB_LEVEL = 1

_SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in ("set", "frozenset", "complex", "slice", "Ellipsis", "NotImplemented")
}
"""Never ``range``: capture writes ranges as snapshots, and ``set(range(10**12))`` in a
hostile file would run for hours."""
_MODEL_MODULES = frozenset({model.__name__, "pydumpling_hook.model"})
"""Where the model types live now, and where dumps of 0.x (format 1) say they live."""
MAX_SKIP = 1 << 40
"""Longest section a reader skips over; a longer one is a corrupt length, not data."""


def _json_text(value: Any) -> str:
    """JSON for the header's flat data, without importing ``json`` (it pulls in ``re``,
    ~10 ms in a crashing process). The string escaping is json's own C function."""
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and value - value == 0:
        return float.__repr__(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_quote(str(k))}:{_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(map(_json_text, value)) + "]"
    return _quote(str(value))


class DumpError(Exception):
    """A file that is not a readable dump. The message is one line for the user."""


def _assemble(version: int, summary: dict, sections: list) -> bytes:
    """Magic, header, then each ``(name, codec, stored bytes, raw length)`` back to back."""
    table = [{"name": name, "codec": codec, "length": len(data), "raw_length": raw_length,
              "crc32": zlib.crc32(data)} for name, codec, data, raw_length in sections]
    header = _json_text({"format": version, "summary": summary, "sections": table}).encode()
    return b"".join([MAGIC, struct.pack(">I", len(header)), header,
                     *(data for _, _, data, _ in sections)])


def encode(body: dict, summary: dict, originals: dict | None = None) -> bytes:
    """Serialize a dump: header, compressed safe body, optional originals."""
    sections = [("snapshot", pickle.dumps(body, protocol=PICKLE_PROTOCOL))]
    if originals:
        sections.append(("originals", pickle.dumps(originals, protocol=PICKLE_PROTOCOL)))
    return _assemble(PLAIN_FORMAT, summary, [
        (name, "zlib", zlib.compress(raw, ZLIB_LEVEL), len(raw)) for name, raw in sections])


def encode_sealed(summary: dict, ciphertext: bytes, codec: str, raw_length: int) -> bytes:
    """An envelope: ``summary`` in clear for listings, the whole dump encrypted after it."""
    return _assemble(SEALED_FORMAT, summary, [("sealed", codec, ciphertext, raw_length)])


def header_end(start: bytes) -> int | None:
    """Where the header ends, from a file's first ``PREFIX`` bytes; None if they are not ours.

    Lets a remote listing fetch exactly the header with one or two ranged reads.
    """
    if len(start) < PREFIX or not start.startswith(MAGIC):
        return None
    return PREFIX + struct.unpack(">I", start[len(MAGIC):PREFIX])[0]


def parse_header(data: bytes, path: str) -> dict:
    """``read_header`` for bytes already in memory (the start of a remote object)."""
    return _read_header_from(io.BytesIO(data), path)


def _read_header_from(fh: Any, path: str) -> dict:
    start = fh.read(PREFIX)
    if not start:
        raise DumpError(f"{path}: empty file")
    if not start.startswith(MAGIC[: len(start)]) and not start.startswith(MAGIC):
        raise DumpError(f"{path}: not a pydumpling-hook dump (bad magic)")
    if len(start) < PREFIX:
        raise DumpError(f"{path}: truncated dump (cut inside the header)")
    (size,) = struct.unpack(">I", start[len(MAGIC):])
    if size > MAX_HEADER:
        raise DumpError(f"{path}: corrupt dump (header length {size:,} is absurd)")
    raw = fh.read(size)
    if len(raw) < size:
        raise DumpError(f"{path}: truncated dump (cut inside the header)")
    import json

    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DumpError(f"{path}: corrupt dump (header is not valid JSON)") from None
    if not isinstance(header, dict) or not isinstance(header.get("format"), int):
        raise DumpError(f"{path}: corrupt dump (header has no format version)")
    if header["format"] > FORMAT_VERSION:
        raise DumpError(
            f"{path}: dump format {header['format']} is newer than this pydumpling-hook "
            f"understands ({FORMAT_VERSION}); upgrade pydumpling-hook to open it"
        )
    if not isinstance(header.get("summary"), dict):
        header["summary"] = {}
    if not isinstance(header.get("sections"), list):
        raise DumpError(f"{path}: corrupt dump (header lists no sections)")
    return header


def _open(path: str) -> Any:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise DumpError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DumpError(f"{path}: is a directory, not a dump") from None
    except OSError as exc:
        raise DumpError(f"{path}: cannot open: {exc.strerror or exc}") from None


def read_header(path: str) -> dict:
    """Read only the header: cheap enough to list hundreds of dumps."""
    with _open(path) as fh:
        return _read_header_from(fh, path)


def _read_section(path: str, name: str) -> bytes | None:
    """Return the decompressed bytes of one section, checked against its header entry."""
    found = _stored_section(path, name)
    if found is None:
        return None
    codec, data, raw_length = found
    if codec != "zlib":
        raise DumpError(f"{path}: unsupported section codec {codec!r}")
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, raw_length)
    except zlib.error:
        raise DumpError(f"{path}: corrupt dump (section {name!r} does not decompress)")
    if len(raw) != raw_length or inflater.unconsumed_tail:
        raise DumpError(f"{path}: corrupt dump (section {name!r} has the wrong size)")
    return raw


def read_sealed(path: str) -> tuple[str, bytes, int] | None:
    """``(codec, ciphertext, plaintext length)`` of an encrypted dump; None for a plain one."""
    return _stored_section(path, "sealed")


def _stored_section(path: str, name: str) -> tuple[str, bytes, int] | None:
    """``(codec, stored bytes, raw length)`` of one section, its length and crc checked."""
    with _open(path) as fh:
        header = _read_header_from(fh, path)
        offset = 0
        for entry in header["sections"]:
            try:
                length = int(entry["length"])
                raw_length = int(entry["raw_length"])
                crc = int(entry["crc32"])
                codec = entry["codec"]
                this = entry["name"]
            except (TypeError, KeyError, ValueError, OverflowError):  # e.g. 1e999 → inf
                raise DumpError(f"{path}: corrupt dump (bad section table)") from None
            if length < 0 or raw_length < 0:
                raise DumpError(f"{path}: corrupt dump (negative section length)")
            if length > MAX_SKIP:
                raise DumpError(f"{path}: corrupt dump (section length {length} is absurd)")
            if this != name:
                offset += length
                continue
            if raw_length > MAX_SECTION or length > MAX_SECTION:
                raise DumpError(
                    f"{path}: section {name!r} claims {raw_length:,} bytes, over the "
                    f"{MAX_SECTION:,}-byte limit"
                )
            fh.seek(offset, io.SEEK_CUR)
            data = fh.read(length)
            if len(data) < length:
                raise DumpError(f"{path}: truncated dump (section {name!r} is cut short)")
            if zlib.crc32(data) != crc:
                raise DumpError(f"{path}: corrupt dump (checksum mismatch in {name!r})")
            return codec, data, raw_length
    return None


_OPCODES: list | None = None
# How an opcode's argument is found, for check_opcodes (>= 0: a fixed size).
(_LINE, _LINE2, _COUNT1, _COUNT4, _COUNT4S, _COUNT8,
 _MEMOIZE, _BINPUT, _LONG_BINPUT, _PUT, _STOP) = range(-1, -12, -1)


def _opcode_table() -> list:
    """For each byte: ``None`` (not an opcode), the size of a fixed argument, or one of
    the negative kinds above. Built once from ``pickletools``."""
    global _OPCODES
    if _OPCODES is None:
        import pickletools

        kinds = {pickletools.UP_TO_NEWLINE: _LINE, pickletools.TAKEN_FROM_ARGUMENT1: _COUNT1,
                 pickletools.TAKEN_FROM_ARGUMENT4: _COUNT4S,
                 pickletools.TAKEN_FROM_ARGUMENT4U: _COUNT4,
                 pickletools.TAKEN_FROM_ARGUMENT8U: _COUNT8}
        table: list = [None] * 256
        for op in pickletools.opcodes:
            arg = op.arg
            table[ord(op.code)] = 0 if arg is None else kinds.get(arg.n, arg.n)
        special = {"c": _LINE2, "i": _LINE2, "\x94": _MEMOIZE, "q": _BINPUT,
                   "r": _LONG_BINPUT, "p": _PUT, ".": _STOP}
        for code, kind in special.items():
            table[ord(code)] = kind
        _OPCODES = table
    return _OPCODES


def check_opcodes(raw: bytes) -> None:
    """Walk a pickle's opcodes, without running any, before the C unpickler sees it.

    The C unpickler trusts two things a hostile file controls: a memo index
    (``LONG_BINPUT 2**27`` makes it allocate and zero 2 GiB for an 8-byte
    pickle) and a declared length (``BINBYTES8`` allocates what it claims
    before reading). A pickler numbers its memo entries 0, 1, 2..., and every
    length must fit in the data, so anything else is refused here, in time
    linear in the number of opcodes. Raises ``pickle.UnpicklingError``.
    """
    table = _opcode_table()
    end = len(raw)
    pos = stores = 0
    from_bytes = int.from_bytes
    while pos < end:
        kind = table[raw[pos]]
        pos += 1
        if kind == 0:
            continue
        if kind is None:
            raise pickle.UnpicklingError(f"invalid opcode {raw[pos - 1]:#04x} at {pos - 1}")
        if kind > 0:
            pos += kind
        elif kind == _COUNT1:
            pos += 1 + raw[pos] if pos < end else 1
        elif kind == _MEMOIZE:
            stores += 1
        elif kind == _COUNT4 or kind == _COUNT4S or kind == _COUNT8:
            width = 8 if kind == _COUNT8 else 4
            size = from_bytes(raw[pos:pos + width], "little", signed=kind == _COUNT4S)
            pos += width + abs(size)
        elif kind == _LINE or kind == _LINE2 or kind == _PUT:
            for _ in range(2 if kind == _LINE2 else 1):
                newline = raw.find(b"\n", pos)
                if newline < 0:
                    break
                if kind == _PUT and (newline - pos > 18 or int(raw[pos:newline] or b"0") > stores):
                    raise pickle.UnpicklingError(f"memo index out of order at {pos - 1}")
                pos = newline + 1
            else:
                stores += kind == _PUT
                continue
            break
        elif kind == _BINPUT or kind == _LONG_BINPUT:
            width = 1 if kind == _BINPUT else 4
            if from_bytes(raw[pos:pos + width], "little") > stores:
                raise pickle.UnpicklingError(f"memo index out of order at {pos - 1}")
            pos += width
            stores += 1
        elif kind == _STOP:
            return
    raise pickle.UnpicklingError("pickle data was truncated")


class _SafeUnpickler(pickle.Unpickler):
    """Resolves only the model types (or their loader-side stand-ins) and inert builtins."""

    def __init__(self, data: bytes, classes: Mapping[str, Callable]) -> None:
        super().__init__(io.BytesIO(data))
        self._data = data
        self._classes = classes

    def load(self) -> Any:
        check_opcodes(self._data)
        return super().load()

    def find_class(self, module: str, name: str) -> Any:
        if module in _MODEL_MODULES and name in self._classes:
            return self._classes[name]
        if module == "builtins" and name in _SAFE_BUILTINS:
            return _SAFE_BUILTINS[name]
        raise pickle.UnpicklingError(f"refused to load {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not part of the format")


def read_body(path: str, classes: Mapping[str, Callable] | None = None) -> dict:
    """Load the safe body. ``classes`` replaces model types by loader factories."""
    raw = _read_section(path, "snapshot")
    if raw is None:
        if read_header(path)["format"] == SEALED_FORMAT:
            raise DumpError(f"{path}: encrypted dump: open it with an identity (--identity FILE "
                            "or PYDUMPLING_IDENTITY)")
        raise DumpError(f"{path}: corrupt dump (no snapshot section)")
    allowed = dict(model.SAFE_TYPES)
    if classes:
        allowed.update({k: v for k, v in classes.items() if k in allowed})
    try:
        body = _SafeUnpickler(raw, allowed).load()
    except MemoryError:
        raise DumpError(f"{path}: corrupt dump (body needs too much memory)") from None
    except RecursionError:
        raise DumpError(f"{path}: corrupt dump (body is nested too deeply)") from None
    except Exception as exc:  # any unpickling failure means a damaged or hostile file
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DumpError(f"{path}: corrupt dump ({reason})") from None
    if not isinstance(body, dict) or not isinstance(body.get("meta"), dict):
        raise DumpError(f"{path}: corrupt dump (body is not a dump)")
    return body


def read_originals(path: str) -> dict[str, bytes]:
    """Return the raw per-value pickles. Unpickling them executes code: trust only."""
    raw = _read_section(path, "originals")
    if raw is None:
        return {}
    try:
        table = _SafeUnpickler(raw, {}).load()
    except Exception as exc:
        raise DumpError(f"{path}: corrupt dump (originals: {exc})") from None
    if not isinstance(table, dict):
        raise DumpError(f"{path}: corrupt dump (originals is not a table)")
    return {k: v for k, v in table.items() if isinstance(k, str) and isinstance(v, bytes)}
