"""Secrets recognised by their shape, whatever name holds them.

Each rule of ``SHAPES`` has a *gate*, a few characters that every match
contains and that ordinary data rarely holds together, and *needles*, short
substrings that every match contains. A text is searched with a rule's
regular expression only when the gate (a ``memchr`` each) and a needle are in it,
so a typical string costs a handful of C-speed ``in`` tests and ``re`` is
imported only when some text passes a prefilter (it costs ~10 ms to import in
a process that never did).

``field=value`` assignments (a libpq DSN, a query string, ``db.password=x``
on a command line) are found without ``re``: at each ``=`` the name before it
is put to the name rules. Free text (messages, notes, argv) also gets the
``Name: value`` form (a header line, ``-Password:x``).

A rule returns the spans to hide; the caller keeps the rest, so a URL keeps
its scheme, user, host and path and loses only the password.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Iterable

_TOKEN68 = r"[A-Za-z0-9\-._~+/]+=*"

SHAPES = (
    # name, gate, needles, pattern, group to hide (0: the whole match), check
    # The first character of every gate is tested in ValueRules.maybe, spelled out:
    # chained ``in`` tests cost a third of ``any(map(...))``.
    ("url password", "@:", ("://",),
     r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@'\"]*:(\S+)@", 1, None),
    ("bearer", "Br", ("Bearer ",), r"\bBearer\s+(" + _TOKEN68 + ")", 1, "credential"),
    ("basic", "Bc", ("Basic ",), r"\bBasic\s+([A-Za-z0-9+/]+=*)", 1, "basic"),
    ("jwt", "Jy", ("eyJ",), r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*", 0,
     None),
    ("pem private key", "BG", ("-----BEGIN",),
     r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----([\s\S]*?)(?:-----END|\Z)", 1, None),
    ("aws access key id", "IA", ("AKIA", "ASIA"), r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", 0, None),
    ("google api key", "Iz", ("AIza",), r"\bAIza[0-9A-Za-z_\-]{30,}", 0, None),
    ("github token", "_h", ("ghp_", "gho_", "ghs_", "github_pat_"),
     r"\b(?:gh[pos]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})", 0, None),
    ("slack token", "xo", ("xox",), r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", 0, None),
    ("stripe key", "_v", ("_live_",), r"\b[rs]k_live_[A-Za-z0-9]{10,}", 0, None),
    ("api key sk-", "k-", ("sk-",), r"\bsk-[A-Za-z0-9_\-]{20,}", 0, None),
)
"""The documented table of value rules (README, Security). Every character of ``gate``
and one of ``needles`` are in each match; ``check`` names an extra test of the hidden
part: ``credential`` refuses a plain word (``Bearer instrument``), ``basic`` wants
base64 of ``user:password``."""

STOP = " \t\r\n\"',;&<>)]}"
"""Where the value of a ``name=value`` assignment ends."""


def _credential(part: str) -> bool:
    return len(part) >= 8 and not (part.isalpha() and part.islower())


def _basic(part: str) -> bool:
    import binascii

    try:
        return b":" in binascii.a2b_base64(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return False


CHECKS = {"credential": _credential, "basic": _basic}


class ValueRules:
    """The shapes plus the user's own value patterns; one per ``Redactor``.

    ``extra`` entries: ``prefix:TEXT`` hides any word starting with ``TEXT``
    (``prefix:acme_live_``); ``re:PATTERN`` (or a compiled pattern) hides each
    match, or its first group. A ``re:`` rule has no prefilter: it runs on
    every string, so it costs what it says.
    """

    def __init__(self, names: Any, extra: Iterable = ()) -> None:
        self.names = names
        shapes = list(SHAPES)
        self.patterns: list = []
        for item in extra:
            if isinstance(item, str) and item.startswith("prefix:") and len(item) > 7:
                text = item[7:]
                shapes.append((item, text[:1], (text,), _escape(text) + r"[^\s\"',;&]*", 0, None))
            elif isinstance(item, str) and item.startswith("re:"):
                import re

                try:
                    self.patterns.append(re.compile(item[3:]))
                except re.error:
                    pass  # a broken pattern of the user's must not cost the dump
            elif hasattr(item, "finditer"):
                self.patterns.append(item)
        self.shapes = tuple(shapes)
        self.needles = tuple({needle for shape in shapes for needle in shape[2]})
        self.user_gates = tuple(s[1] for s in shapes[len(SHAPES):])
        self.compiled: dict = {}

    # -- prefilter -------------------------------------------------------
    def maybe(self, text: str, loose: bool = False) -> bool:
        """Whether ``text`` may hold a secret shape: eight ``memchr`` in the common case."""
        if self.patterns:
            return True
        if ("@" in text or "B" in text or "J" in text or "I" in text or "_" in text
                or "x" in text or "k" in text or "=" in text) or self.user_gates and any(
                map(text.__contains__, self.user_gates)):
            if "=" in text:
                return True
            # Common letters open the gate ("sku-12" has a "k"): one C-speed pass over
            # every needle then spares the shape-by-shape tests.
            if not any(map(text.__contains__, self.needles)):
                return loose and ":" in text
            for shape in self.shapes:
                if _all_in(shape[1], text) and any(map(text.__contains__, shape[2])):
                    return True
        return loose and ":" in text

    # -- search ----------------------------------------------------------
    def spans(self, text: str, loose: bool = False) -> list:
        """The ``(start, end)`` spans of ``text`` to hide, sorted and merged; often ``[]``."""
        found: list = []
        for shape in self.shapes:
            name, gate, needles, _, group, check = shape
            if _all_in(gate, text) and any(map(text.__contains__, needles)):
                test = CHECKS.get(check)
                for match in self._compiled(shape).finditer(text):
                    if test is None or test(match.group(group)):
                        found.append(match.span(group))
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                found.append(match.span(1 if match.re.groups else 0))
        if "=" in text:
            found.extend(self._assignments(text, "="))
        if loose and ":" in text:
            found.extend(self._assignments(text, ":"))
        return merge(found)

    def _compiled(self, shape: tuple) -> Any:
        pattern = self.compiled.get(shape[0])
        if pattern is None:
            import re

            pattern = self.compiled[shape[0]] = re.compile(shape[3])
        return pattern

    def _assignments(self, text: str, sep: str) -> Iterable[tuple]:
        """Spans of the values in ``name=value`` (or ``name: value``) where the name is
        secret: ``password=x``, ``db.password=x``, ``"token": "x"``, ``Cookie: a=b``."""
        search = self.names.search
        at = text.find(sep)
        while at > 0:
            start = at
            while start > 0 and text[start - 1] == " ":
                start -= 1
            if start > 0 and text[start - 1] in "\"'":
                start -= 1
            name_end = start
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-."):
                start -= 1
            name = text[start:name_end]
            end = at + 1
            if name and search(name):
                while end < len(text) and text[end] in " \"'":
                    end += 1
                stop = end
                while stop < len(text) and text[stop] not in STOP:
                    stop += 1
                if sep == ":" and name.lower() in ("authorization", "cookie", "set-cookie",
                                                   "proxy-authorization"):
                    stop = _line_end(text, stop)
                if stop > end:
                    yield end, stop
                end = stop
            at = text.find(sep, max(end, at + 1))


def _all_in(chars: str, text: str) -> bool:
    for char in chars:
        if char not in text:
            return False
    return True


def _line_end(text: str, at: int) -> int:
    """A header's value runs to the end of its line."""
    ends = [i for i in (text.find("\n", at), text.find("\r", at), text.find("'", at),
                        text.find('"', at)) if i >= 0]
    return min(ends, default=len(text))


def _escape(text: str) -> str:
    return "".join("\\" + c if not c.isalnum() and c != "_" else c for c in text)


def merge(spans: list) -> list:
    if len(spans) < 2:
        return spans
    spans.sort()
    out = [spans[0]]
    for start, end in spans[1:]:
        if start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def mask(text: Any, spans: list, marker: Any) -> Any:
    """``text`` with each span replaced by ``marker`` (str or bytes, as ``text``)."""
    parts = []
    at = 0
    for start, end in spans:
        parts.append(text[at:start])
        parts.append(marker)
        at = end
    parts.append(text[at:])
    return text[:0].join(parts)

