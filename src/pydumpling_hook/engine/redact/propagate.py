"""Known secrets: a value hidden once is hidden everywhere it shows up again.

A password hidden under its name comes back inside a DSN, an f-string, an
exception message, a signer key, a cached header line. So the ``Redactor``
remembers what it hid (``Known``), and once the body is pickled the writer
asks ``Known.found_in(pickle bytes)``: a few C-speed substring tests. Only
when a known secret is in there is the body walked (``sweep``) and every
string containing one replaced, then pickled again. This also solves the
order problem: a local copied before the secret was learned is caught too,
and "no known secret in the file" holds at the end whatever the order.

Ordinary values (paths, plain words, numbers, dotted module names) never
become known secrets: they would hide half the dump.
"""

from __future__ import annotations

from ...dumpformat.model import (
    PACKED_DICT,
    CutContainer,
    ObjectSnapshot,
    Redacted,
    TruncatedBytes,
    TruncatedStr,
    Value,
)
from .values import mask, merge

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable

MIN_SECRET = 8
"""Shorter values are never known secrets: they would match everywhere."""
MAX_KNOWN = 1000
MARK = "<redacted>"


def ordinary(value: Any) -> bool:
    """Whether a text is too plain to be a secret worth finding inside other texts."""
    text = value.decode("latin-1") if type(value) is bytes else value
    if len(text) < MIN_SECRET or text.isdigit() or text.isalpha():
        return True
    if any(c.isspace() for c in text):
        return True  # a sentence; its secret parts are learned on their own
    if text[0] in "/~." or text[1:3] == ":\\":
        return "@" not in text and "=" not in text  # a path
    parts = text.split(".")
    return len(parts) > 1 and not any(c.isdigit() for c in text) and all(
        p.isidentifier() for p in parts)  # a module path


class Known:
    """The known secrets of one capture, as str and as bytes."""

    __slots__ = ("texts", "blobs", "_patterns")

    def __init__(self) -> None:
        self.texts: set = set()
        self.blobs: set = set()
        self._patterns: dict = {}

    def __bool__(self) -> bool:
        return bool(self.blobs)

    def add(self, value: Any) -> None:
        """Remember ``value`` (str or bytes) unless it is ordinary."""
        if len(self.blobs) >= MAX_KNOWN or ordinary(value):
            return
        self._patterns.clear()
        if type(value) is bytes:
            self.blobs.add(value)
            try:
                self.texts.add(value.decode("utf-8"))
            except UnicodeDecodeError:
                pass
        else:
            self.texts.add(value)
            self.blobs.add(value.encode("utf-8", "surrogatepass"))

    def found_in(self, data: bytes) -> bool:
        """Whether any known secret is in ``data`` (a pickle, a header): C-speed tests."""
        return any(map(data.__contains__, self.blobs))

    def scrub(self, data: bytes) -> bytes:
        """``data`` with every known secret overwritten by as many ``*``: the last guard
        of a pickle, for a place the sweep does not walk. Lengths are kept, so every
        length prefix of the pickle stays right."""
        for blob in sorted(self.blobs, key=len, reverse=True):
            data = data.replace(blob, b"*" * len(blob))
        return data

    def spans(self, text: Any) -> list:
        """Where known secrets sit in ``text`` (str or bytes), merged.

        One alternation of every secret, longest first, searched in one pass: a
        sweep meets every string of the body, and ``re`` is already imported by
        ``pickle`` when it runs."""
        kind = type(text)
        pattern = self._patterns.get(kind)
        if pattern is None:
            import re

            secrets = self.blobs if kind is bytes else self.texts
            if not secrets:
                return []
            bar = b"|" if kind is bytes else "|"
            pattern = self._patterns[kind] = re.compile(
                bar.join(map(re.escape, sorted(secrets, key=len, reverse=True))))
        return merge([m.span() for m in pattern.finditer(text)])


class Sweep:
    """Walks a dump body and hides every known secret in it (the rare path).

    Values (locals, args, argv...) that contain a secret become ``Redacted``
    with a masked hint; text fields (messages, notes, sources, reprs) keep
    their place as masked text.
    """

    def __init__(self, known: Known, count: Callable[[], None]) -> None:
        self.known = known
        self.count = count
        self.seen: dict = {}

    def text(self, value: Any) -> Any:
        kind = type(value)
        if kind is TruncatedStr or kind is TruncatedBytes:
            return self._truncated(value, kind)
        if kind is not str and kind is not bytes:
            return value
        spans = self.known.spans(value)
        if not spans:
            return value
        self.count()
        return mask(value, spans, MARK if kind is str else MARK.encode())

    def _truncated(self, value: Any, kind: type) -> Any:
        """A cut text keeps a head and a tail: a secret in either is masked there."""
        head = str(value) if kind is TruncatedStr else bytes(value)
        new_head, new_tail = self.text(head), self.text(value.tail)
        if new_head is head and new_tail is value.tail:
            return value
        if kind is TruncatedStr:
            return TruncatedStr(new_head, value.omitted, new_tail)
        return TruncatedBytes(new_head, value.omitted, value.kind, new_tail)

    def value(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is bytes or kind is TruncatedStr or kind is TruncatedBytes:
            hidden = self.text(value)
            return value if hidden is value else Redacted("propagated", hidden)
        if kind is Redacted:
            if value.hint is not None:
                value.hint = self.text(value.hint)
            return value
        key = id(value)
        if key in self.seen:
            return self.seen[key]
        if kind is list:
            self.seen[key] = value
            value[:] = [self.value(v) for v in value]
        elif kind is dict:
            self.seen[key] = value
            items = [(self.value(k), self.value(v)) for k, v in value.items()]
            value.clear()
            value.update(items)
        elif kind is tuple or kind is set or kind is frozenset:
            self.seen[key] = value
            self.seen[key] = value = kind(self.value(v) for v in value)
        elif kind is ObjectSnapshot:
            self.seen[key] = value
            value.repr = self.text(value.repr)
            value.attrs = self.value(value.attrs)
            value.items = self.value(value.items)
        elif kind is CutContainer:
            self.seen[key] = value
            value.head = self.value(value.head)
            value.tail = self.value(value.tail)
        elif kind is Value and value.kind == PACKED_DICT:
            # Masked inside the packed text, a secret's entry would load as a plain str
            # that is not the value: unpacked, it becomes a ``Redacted`` like any other.
            self.seen[key] = value
            if self.known.spans(value.data):
                from ...dumpformat.packed import unpack_dict

                self.seen[key] = value = self.value(unpack_dict(value.data, len(value.data) + 1))
        elif isinstance(value, Value):  # a record table too (``RecordTable``)
            # A rebuilt type's data holding a secret may no longer rebuild: the loader
            # then shows a snapshot saying so, which is the right trade.
            self.seen[key] = value
            value.data = self.value(value.data)
        return value

    def body(self, body: dict, exceptions: Any) -> None:
        """Every place of the format where text or values can hold a secret;
        ``exceptions`` are the body's exception records."""
        meta = body.get("meta") or {}
        for key, item in list(meta.items()):
            meta[key] = self.value(item) if key in ("argv", "extra") else self.text(item)
        for thread in body.get("threads") or ():
            thread["name"] = self.text(thread.get("name"))
            self.frames(thread.get("frames") or ())
        for rec in exceptions:
            rec["message"] = self.text(rec.get("message"))
            if rec.get("notes"):
                rec["notes"] = [self.text(n) for n in rec["notes"]]
            rec["args"] = self.value(rec.get("args"))
            rec["attrs"] = self.value(rec.get("attrs"))
            self.frames(rec.get("frames") or ())
        sources = body.get("sources") or {}
        for name in list(sources):
            sources[name] = self.text(sources[name])

    def frames(self, frames: Any) -> None:
        for frame in frames:
            for key in ("filename", "name", "qualname", "locals_note"):
                frame[key] = self.text(frame.get(key))
            for key in ("locals", "globals"):
                if frame.get(key):
                    frame[key] = self.value(frame[key])
