"""Every redaction decision of one capture, behind one object.

The copier asks this object, never a word list of its own, whether a name, a
``(name, value)`` pair or a piece of text is secret, so the rules can grow
without touching the copy loop. The rules live in small modules:

* ``names``: the variable, attribute, key or header name is secret, by words
  (``db_password``, ``X-Api-Key``; not ``author`` or ``max_tokens``);
* ``structure``: the value sits under a secret header or field name in a
  pair, a ``(raw, lower, value)`` triple, or a field of a known class;
* ``values``: the text itself has a secret shape (a URL's password, a bearer
  token, a JWT, a private key, a cloud token, ``password=...``) or equals an
  environment value;
* ``propagate``: the text contains a value hidden earlier in this capture,
  or the value of a secret environment variable.

These are the rule kinds counted in ``stats.redacted`` (never which value).
"""

from __future__ import annotations

from ...dumpformat.model import Redacted, TruncatedStr
from . import names, structure, values
from .argv import redact_argv
from .propagate import MARK, MIN_SECRET, Known, Sweep

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Iterable, Mapping

_NAMES: dict = {}
"""``SecretNames`` by extra words, kept for the process: their caches outlive a capture."""
_ENVIRONMENT: dict = {}
"""The last environment learned, with what was learned from it."""


def _secret_names(extra: tuple) -> names.SecretNames:
    found = _NAMES.get(extra)
    if found is None:
        found = _NAMES[extra] = names.SecretNames(extra)
    return found


class Redactor:
    """One per dump. ``enabled=False`` makes every check answer "not secret".

    ``extra`` holds the user's rules (``PYDUMPLING_REDACT``, ``install(redact=)``):
    words are secret names, ``prefix:...`` and ``re:...`` value patterns (see
    ``values.ValueRules``). ``scan_limit`` is the longest text kept whole:
    longer ones are searched only as far as a copy keeps them.
    """

    def __init__(self, enabled: bool = True, extra: Iterable = (),
                 environ: Mapping | None = None, scan_limit: int = 10_000) -> None:
        self.enabled = enabled
        extra = tuple(extra)
        words = tuple(e for e in extra if isinstance(e, str) and not e.startswith(
            ("prefix:", "re:")))
        self.names = _secret_names(words) if enabled else None
        self.values = values.ValueRules(self.names, [e for e in extra if e not in words])
        self.scan_limit = scan_limit
        self.counts: dict[str, int] = {}
        self.total = 0
        self.known = Known()
        self._names_cache: dict[tuple, list] = {}
        self._last_keys: tuple | None = None
        self._quoted: tuple | None = None
        self.env_values: frozenset = frozenset()
        if enabled and environ:
            self._learn_environment(environ, extra)

    def _learn_environment(self, environ: Mapping, extra: tuple) -> None:
        """Whole-value matches for every long value; known secrets for those whose name is
        secret (a ``KEY`` word counts) or whose value has a secret shape.

        The result is kept for the next capture of the process: the environment
        rarely changes, and learning it costs more than comparing it."""
        key = (extra, frozenset(environ.items()))
        cached = _ENVIRONMENT.get(key)
        if cached is None:
            self.env_values = frozenset(v for v in environ.values() if len(v) > MIN_SECRET)
            for name, value in environ.items():
                text = name.decode("latin-1") if type(name) is bytes else name
                if len(value) < MIN_SECRET or type(text) is not str:
                    continue
                if self.names.search_env(text):
                    self.learn(value)
                else:
                    self._scan(value, False)  # learns the secret parts
            self.counts.clear()
            self.total = 0
            _ENVIRONMENT.clear()
            cached = _ENVIRONMENT[key] = (self.env_values, frozenset(self.known.texts),
                                          frozenset(self.known.blobs))
        self.env_values = cached[0]
        self.known.texts.update(cached[1])
        self.known.blobs.update(cached[2])

    # -- names -----------------------------------------------------------
    def secret_name(self, name: Any) -> bool:
        """Whether a variable, attribute, key or header name looks secret (str or bytes)."""
        if self.names is None:
            return False
        kind = type(name)
        if kind is str:
            return self.names.search(name)
        if kind is bytes:
            return self.names.search(name.decode("latin-1"))
        return False

    def any_secret_name(self, keys: list) -> bool:
        """One verdict for many names, cached by the names: a dict's keys recur in
        every frame, and the common case (none secret) costs a few C-speed tests."""
        if self.names is None:
            return False
        key = tuple(keys)
        entry = self._names_cache.get(key)
        if entry is None:
            texts = [k if type(k) is str else k.decode("latin-1") for k in keys
                     if type(k) is str or type(k) is bytes]
            hit = self.names.maybe_any("\n".join(texts).lower()) and any(
                map(self.names.search, texts))
            entry = self._names_cache[key] = [hit, None]
        self._last_keys = (keys, entry)
        return entry[0]

    def secret_pair(self, items: list) -> int:
        """For a header-shaped sequence (a ``(name, value)`` pair, a ``(raw, lower,
        value)`` triple) under a secret name: the index of the value to hide, else -1."""
        if self.names is None:
            return -1
        return structure.secret_slot(items, self.secret_name)

    def class_fields(self, module: str, qualname: str) -> frozenset:
        """Attributes to hide for this exact type, whatever their names."""
        return structure.class_fields(module, qualname) if self.enabled else structure.NO_FIELDS

    # -- text ------------------------------------------------------------
    def text_rule(self, text: Any) -> str | None:
        """The kind of rule that hides ``text`` (str or bytes), or ``None``; counts nothing."""
        if not self.enabled or len(text) <= MIN_SECRET:
            return None
        if text in self.env_values:
            return "value"
        probe = text.decode("latin-1") if type(text) is bytes else text
        if self.values.maybe(probe) and self.values.spans(probe):
            return "value"
        return None

    def check_text(self, text: Any, loose: bool = False) -> Any:
        """``None`` when ``text`` (str or bytes) may be kept, else its counted replacement:
        ``Redacted("value")``, with a masked hint when only part of it was secret.

        Called for every string copied: the common case is a set lookup and a few
        ``memchr``."""
        if len(text) <= MIN_SECRET or not self.enabled:
            return None
        if text in self.env_values:
            return self.redact("value")
        if type(text) is bytes:
            return self._scan(text, True)  # header lines (``b"X-Api-Key: ..."``) are bytes
        limit = self.scan_limit
        # A cut string keeps its head and its tail (a tenth of the budget): scan both.
        if self.values.maybe(text if len(text) <= limit else
                             f"{text[:limit]}\n{text[-(limit // 10 or 1):]}", loose):
            return self._scan(text, loose)
        return None

    def texts_clean(self, texts: list) -> bool:
        """Whether none of ``texts`` (all str) needs ``check_text``: the bulk test of the
        copier's fast paths, one joined text and a few ``memchr``.

        A dict's keys were just given to ``any_secret_name`` as this very list: their
        verdict is kept with the names', since the same keys come back in every frame."""
        if not self.enabled:
            return True
        last = self._last_keys
        if last is not None and last[0] is texts:
            entry = last[1]
            if entry[1] is None:
                entry[1] = self._texts_clean(texts)
            return entry[1]
        return self._texts_clean(texts)

    def _texts_clean(self, texts: list) -> bool:
        if self.env_values and not self.env_values.isdisjoint(texts):
            return False
        return not self.values.maybe("\n".join(texts))

    def clean_message(self, text: str) -> str:
        """An exception message or note, with secret parts masked (counted ``value``).

        Free text also gets the ``Name: value`` rule, and a message that is an
        environment value in quotes (``KeyError(os.environ[...])``) is hidden whole.
        """
        if not self.enabled or len(text) <= MIN_SECRET:
            return text
        if text in self.env_values or (text[:1] in "'\"" and text[1:-1] in self.env_values):
            self.redact("value")
            return MARK
        probe = text[:self.scan_limit]
        spans = self.values.spans(probe, True) if self.values.maybe(probe, True) else []
        if not spans:
            return text
        self._learn_spans(probe, spans)
        self.redact("value")
        return values.mask(probe, spans, MARK) + text[self.scan_limit:]

    def argv(self, argv: Any, copy: Any) -> list:
        """A copy of ``sys.argv`` with secret options hidden (see ``argv``)."""
        return redact_argv(self, argv, copy)

    def repr_secret(self, text: str) -> bool:
        """Whether a repr we did not build ourselves shows a secret: a quoted environment
        value, a secret name (``SimpleNamespace(password=...)``, whose attributes the
        budget may stop us from seeing) or a secret shape."""
        if not self.enabled or len(text) <= 10:
            return False
        text = text[:self.scan_limit]  # more than a copy ever shows of a repr
        if self._quoted is None:
            self._quoted = tuple(q for v in self.env_values if type(v) is str
                                 for q in (f"'{v}'", f'"{v}"'))
        return any(map(text.__contains__, self._quoted)) or self.names.in_text(text) or (
            self.values.maybe(text, True) and bool(self.values.spans(text, True)))

    def _scan(self, text: Any, loose: bool) -> Any:
        """Search ``text`` for secret shapes; learn and count what is found."""
        probe = text.decode("latin-1") if type(text) is bytes else text
        cut = len(probe) > self.scan_limit
        if cut:
            probe = probe[:self.scan_limit]
        spans = self.values.spans(probe, loose) if self.values.maybe(probe, loose) else []
        if not spans:
            return None
        self._learn_spans(probe, spans)
        hint = values.mask(probe, spans, MARK)
        if cut:
            hint = TruncatedStr(hint, len(text) - self.scan_limit)
        elif type(text) is bytes:
            hint = hint.encode("latin-1", "replace")
        if hint in ("<redacted>", b"<redacted>"):
            hint = None
        return self.redact("value", hint=hint)

    # -- bookkeeping -----------------------------------------------------
    def redact(self, rule: str, value: Any = None, hint: Any = None) -> Redacted:
        """Count one redaction of kind ``rule``; learn ``value`` as a known secret."""
        self.counts[rule] = self.counts.get(rule, 0) + 1
        self.total += 1
        if value is not None:
            self.learn(value)
        return Redacted(rule, hint)

    def learn(self, value: Any, depth: int = 0) -> None:
        """Remember a hidden value, and the secret parts inside it (the token of a
        ``Bearer ...``, the values of a cookie header), for propagation."""
        kind = type(value)
        if not self.enabled:
            return
        if kind is str or kind is bytes:
            if len(value) < MIN_SECRET:
                return
            self.known.add(value)
            probe = value.decode("latin-1") if kind is bytes else value
            probe = probe[:self.scan_limit]
            if self.values.maybe(probe, True):
                self._learn_spans(probe, self.values.spans(probe, True))
        elif depth < 3 and (kind is tuple or kind is list):
            for item in value[:100]:
                self.learn(item, depth + 1)
        elif depth < 3 and kind is dict:
            for item in list(value.values())[:100]:
                self.learn(item, depth + 1)

    def _learn_spans(self, text: str, spans: list) -> None:
        for start, end in spans:
            if end - start >= MIN_SECRET:
                self.known.add(text[start:end])

    # -- propagation -----------------------------------------------------
    def leaks(self, data: bytes) -> bool:
        """Whether a known secret is in ``data`` (the pickled body, a header)."""
        return self.enabled and bool(self.known) and self.known.found_in(data)

    def sweep(self, body: dict, exceptions: Any) -> None:
        """Hide every known secret left in ``body`` (the rare path; see ``propagate``)."""
        Sweep(self.known, self._count_propagated).body(body, exceptions)

    def scrub(self, data: bytes) -> bytes:
        """``data`` (a pickled body) with any known secret left in it overwritten: "no
        known secret in the file" holds whatever the sweep missed. Not counted: the
        body's stats are already pickled."""
        return self.known.scrub(data)

    def sweep_text(self, text: Any) -> Any:
        """``text`` with known secrets masked (counted)."""
        return Sweep(self.known, self._count_propagated).text(text)

    def _count_propagated(self) -> None:
        self.counts["propagated"] = self.counts.get("propagated", 0) + 1
        self.total += 1

