"""Every redaction decision of one capture, behind one object.

The copier asks this object, never a word list of its own, whether a name, a
``(name, value)`` pair or a piece of text is secret, so the rules can grow
(names, structure, values, propagation) without touching the copy loop. It
also counts what it hid by rule kind (never which value) and remembers the
values it hid, because a secret hidden under one name often shows up again
under another: in a message, a header line, a signer key.

Rule kinds, as counted in ``stats.redacted``:

* ``name``: the variable, attribute or key name looks secret;
* ``structure``: the value sits under a secret header or field name in a
  pair, a list of pairs or a header object;
* ``value``: the text itself has a secret shape (or equals an environment value);
* ``propagated``: the text contains a value hidden earlier in this capture.
"""

from __future__ import annotations

from ...dumpformat.model import Redacted
from . import names

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Iterable, Mapping

MIN_SECRET = 8
"""Shorter values are never treated as known secrets: they would match everywhere."""


class Redactor:
    """One per dump. ``enabled=False`` makes every check answer "not secret"."""

    def __init__(self, enabled: bool = True, extra_names: Iterable[str] = (),
                 environ: Mapping[str, str] | None = None) -> None:
        self.enabled = enabled
        self.names = names.SecretNames(extra_names) if enabled else None
        self.counts: dict[str, int] = {}
        self.total = 0
        env = dict(environ or {}) if enabled else {}
        self.env_values = frozenset(v for v in env.values() if len(v) > MIN_SECRET)
        self.known: set = set()
        self._name_cache: dict[Any, bool] = {}
        self._names_cache: dict[tuple, bool] = {}
        self._quoted: tuple | None = None

    # -- names -----------------------------------------------------------
    def secret_name(self, name: Any) -> bool:
        """Whether a variable, attribute, key or header name looks secret (str or bytes)."""
        if self.names is None:
            return False
        hit = self._name_cache.get(name)
        if hit is None:
            kind = type(name)
            if kind is bytes:
                text = name.decode("latin-1")
            elif kind is str:
                text = name
            else:
                return False
            hit = self._name_cache[name] = self.names.search(text)
        return hit

    def any_secret_name(self, keys: list) -> bool:
        """One pass over many names; the common case (none secret) costs C time only."""
        if self.names is None:
            return False
        key = tuple(keys)
        hit = self._names_cache.get(key)
        if hit is None:
            texts = [k if type(k) is str else k.decode("latin-1") for k in keys
                     if type(k) is str or type(k) is bytes]
            hit = self._names_cache[key] = self.names.search("\n".join(texts))
        return hit

    def secret_pair(self, items: list) -> int:
        """For a 2-item pair ``(name, value)`` under a secret name: the index of the value
        to hide (1), else -1. Header lists are lists of such pairs."""
        if len(items) == 2 and self.names is not None:
            first = items[0]
            kind = type(first)
            if (kind is str or kind is bytes) and len(first) < 100 and self.secret_name(first):
                return 1
        return -1

    # -- text ------------------------------------------------------------
    def text_rule(self, text: Any) -> str | None:
        """The kind of rule that hides ``text`` (str or bytes), or ``None`` to keep it."""
        if len(text) > MIN_SECRET and text in self.env_values:
            return "value"
        return None

    def check_text(self, text: Any) -> Any:
        """``None`` when ``text`` (str or bytes) may be kept, else its counted replacement.

        Called for every string copied: the common case must stay one set lookup."""
        if len(text) <= MIN_SECRET or text not in self.env_values:
            return None
        return self.redact("value")

    def texts_clean(self, texts: list) -> bool:
        """Whether none of ``texts`` needs ``check_text``: the bulk test of the fast paths."""
        return not self.env_values or self.env_values.isdisjoint(texts)

    def quotes_secret(self, text: str) -> bool:
        """Whether a repr we did not build ourselves quotes a secret (``repr(os.environ)``)."""
        if self._quoted is None:
            self._quoted = tuple(q for v in self.env_values if type(v) is str
                                 for q in (f"'{v}'", f'"{v}"'))
        return len(text) > 10 and any(map(text.__contains__, self._quoted))

    # -- bookkeeping -----------------------------------------------------
    def redact(self, rule: str, value: Any = None) -> Redacted:
        """Count one redaction of kind ``rule``; remember ``value`` if it is text."""
        self.counts[rule] = self.counts.get(rule, 0) + 1
        self.total += 1
        kind = type(value)
        if (kind is str or kind is bytes) and len(value) >= MIN_SECRET:
            self.known.add(value)
        return Redacted(rule)
