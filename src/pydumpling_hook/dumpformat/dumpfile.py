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
import zlib

from . import model

try:  # the C pickler alone: importing pickle.py costs a crashing process ~1.5 ms
    import _pickle as pickle  # (it compiles a regex), for names that are all in _pickle
except ImportError:  # pragma: no cover - interpreters without the C accelerator
    import pickle

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
SAMPLE = 64 << 10
"""A section longer than this is compressed only if probes of it shrink enough."""
PROBES, PROBE = 4, 4 << 10
"""How many slices of a big section, spread evenly from its start, are compressed to
decide, and their size: the start of a body is its meta and first records, which
say little about the values further on."""
WORTH_IT = 0.25
"""Compressed over raw size of the probes above which a big section is stored instead."""

_SAFE_BUILTINS = {
    name: getattr(builtins, name) for name in ("complex", "slice", "Ellipsis", "NotImplemented")
}
"""No callable that iterates its argument: protocol 5 writes sets and frozensets with
their own opcodes, and ``set(x)`` over a value the loader rebuilds (a ``range`` of
10**12, see ``model.Value``) would run for hours, or hash a list's items where the
pre-walk cannot count them. Nor ``range`` itself."""
_MODEL_MODULES = frozenset({model.__name__, "pydumpling_hook.model"})
"""Where the model types live now, and where dumps of 0.x (format 1) say they live."""
_CALLABLES = {
    **{(module, name): "model" for module in _MODEL_MODULES for name in model.SAFE_TYPES},
    ("builtins", "complex"): "complex", ("builtins", "slice"): "slice",
    ("builtins", "Ellipsis"): "constant", ("builtins", "NotImplemented"): "constant",
}
"""What the pre-walk (``prewalk.walk``) lets a pickle name, and what each one is."""
MAX_SKIP = 1 << 40
"""Longest section a reader skips over; a longer one is a corrupt length, not data."""


def _quote(text: str) -> str:
    """A JSON string. Printable ASCII without quotes or backslashes, which is what a
    header holds, is quoted as it is; anything else goes through json's own C
    function, imported only then."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    try:
        from _json import encode_basestring_ascii
    except ImportError:  # pragma: no cover - interpreters without the C accelerator
        from json.encoder import encode_basestring_ascii
    return encode_basestring_ascii(text)


def _json_text(value: Any) -> str:
    """JSON for the header's flat data, without importing ``json`` (it pulls in ``re``,
    ~10 ms in a crashing process)."""
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


def pickle_body(body: dict) -> bytes:
    """The ``snapshot`` section before compression (capture checks it for secrets)."""
    return pickle.dumps(body, protocol=PICKLE_PROTOCOL)


def _assemble(version: int, summary: dict, sections: list) -> bytes:
    """Magic, header, then each ``(name, codec, stored bytes, raw length)`` back to back."""
    table = [{"name": name, "codec": codec, "length": len(data), "raw_length": raw_length,
              "crc32": zlib.crc32(data)} for name, codec, data, raw_length in sections]
    header = _json_text({"format": version, "summary": summary, "sections": table}).encode()
    return b"".join([MAGIC, len(header).to_bytes(4, "big"), header,
                     *(data for _, _, data, _ in sections)])


def encode(body: dict | bytes, summary: dict, originals: dict | None = None) -> bytes:
    """Serialize a dump: header, compressed safe body (or its ``pickle_body``), optional
    originals."""
    sections = [("snapshot", body if isinstance(body, bytes) else pickle_body(body))]
    if originals:
        sections.append(("originals", pickle.dumps(originals, protocol=PICKLE_PROTOCOL)))
    return _assemble(PLAIN_FORMAT, summary, [
        (name, "zlib", zlib.compress(raw, _level(raw)), len(raw)) for name, raw in sections])


def _level(raw: bytes) -> int:
    """zlib's fastest level, or level 0 (stored blocks) for a big section that does
    not shrink at least fourfold.

    Level 1 costs 40-80 instructions per input byte, whatever it saves: on a
    40-frame web crash (380 KB, shrinking to 39%) that was a quarter of the
    capture, more than copying the values. Sources and repetitive stacks shrink
    8-10 times, and are worth it; random or already compressed data (hashes,
    blobs) not at all. A small section costs little either way and is always
    compressed. Both levels are the same ``zlib`` codec to every reader.
    Probing costs 16 KiB of compression, about 0.1 ms, where the first 64 KiB
    took 0.4 ms and judged a body by its meta and first frames.
    """
    if len(raw) <= SAMPLE:
        return ZLIB_LEVEL
    view, step = memoryview(raw), len(raw) // PROBES
    sample = b"".join(view[i * step:i * step + PROBE] for i in range(PROBES))
    return ZLIB_LEVEL if len(zlib.compress(sample, ZLIB_LEVEL)) < WORTH_IT * len(sample) else 0


def encode_sealed(summary: dict, ciphertext: bytes, codec: str, raw_length: int) -> bytes:
    """An envelope: ``summary`` in clear for listings, the whole dump encrypted after it."""
    return _assemble(SEALED_FORMAT, summary, [("sealed", codec, ciphertext, raw_length)])


def header_end(start: bytes) -> int | None:
    """Where the header ends, from a file's first ``PREFIX`` bytes; None if they are not ours.

    Lets a remote listing fetch exactly the header with one or two ranged reads.
    """
    if len(start) < PREFIX or not start.startswith(MAGIC):
        return None
    return PREFIX + int.from_bytes(start[len(MAGIC):PREFIX], "big")


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
    size = int.from_bytes(start[len(MAGIC):], "big")
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


def expected_size(path: str) -> tuple[dict, int]:
    """The header and the file size its section table promises.

    A file shorter than that was cut (a full disk, a copy interrupted), which
    ``--list`` shows without decoding any section.
    """
    with _open(path) as fh:
        header = _read_header_from(fh, path)
        end = fh.tell()
    for entry in header["sections"]:
        length = entry.get("length") if isinstance(entry, dict) else None
        if not isinstance(length, int) or not 0 <= length <= MAX_SKIP:
            raise DumpError(f"{path}: corrupt dump (bad section table)")
        end += length
    return header, end


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


class _SafeUnpickler(pickle.Unpickler):
    """Resolves only the model types (or their loader-side stand-ins) and inert builtins."""

    def __init__(self, data: bytes, classes: Mapping[str, Callable]) -> None:
        super().__init__(io.BytesIO(data))
        self._data = data
        self._classes = classes

    def load(self) -> Any:
        from .prewalk import walk

        walk(self._data, _CALLABLES)
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
    from .packed import Unpacking

    raw = _read_section(path, "snapshot")
    if raw is None:
        if read_header(path)["format"] == SEALED_FORMAT:
            raise DumpError(f"{path}: encrypted dump: open it with an identity (--identity FILE "
                            "or PYDUMPLING_IDENTITY)")
        raise DumpError(f"{path}: corrupt dump (no snapshot section)")
    allowed = dict(model.SAFE_TYPES)
    if classes:
        allowed.update({k: v for k, v in classes.items() if k in allowed})
    allowed["Value"] = Unpacking(allowed["Value"], allowed["ObjectSnapshot"])
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
