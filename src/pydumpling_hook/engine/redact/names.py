"""Which names look secret: whole words, not substrings.

A name is split into words on ``_``, ``-``, ``.``, spaces, camelCase and
digits (``X-Api-Key`` -> ``x api key``, ``HTTPAuthToken`` -> ``http auth
token``). It is secret when one word is a secret word (``password``,
``token``, ``cookie``...), when one word *contains* ``passw`` or *ends with*
``token``, ``secret`` or ``pwd`` (``csrftoken``, ``dbpassword``), or when two
neighbouring words form a known compound (``api key``, ``private key``,
``session id``). So ``author``, ``session_count``, ``max_tokens``,
``tokenizer`` and ``cwd`` stay visible: substring rules hid them. A few
words are secret only as a whole name (``session``, not ``session_count``).

Environment variable names also count a ``KEY`` word (``STRIPE_KEY``): in
the environment a key is a credential, while a local called ``key`` is a
dict key.

Splitting costs Python time, so every check first looks for a few stems in
the lowered text at C speed, and each name's verdict is cached for the life
of the process.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Iterable

WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "passphrase", "secret", "secrets", "token",
    "auth", "authorization", "cookie", "cookies", "csrf", "xsrf", "credential",
    "credentials", "creds", "jwt", "bearer", "apikey", "privatekey", "secretkey",
    "accesskey", "signingkey", "encryptionkey", "masterkey", "sessionid", "sessionkey",
    "csrfmiddlewaretoken",
})
"""A name holding one of these words is secret (compounds match written as one word)."""

ALONE = frozenset({"session"})
"""Secret only as the whole name: a ``session`` holds a web session's data, while
``session_count`` or ``session_factory`` do not."""

SUFFIXES = ("token", "secret", "pwd", "passwd")
"""A word ending with one of these is secret: ``csrftoken``, ``clientsecret``, ``dbpwd``."""

COMPOUNDS = frozenset({
    ("api", "key"), ("private", "key"), ("secret", "key"), ("access", "key"),
    ("signing", "key"), ("encryption", "key"), ("master", "key"), ("session", "id"),
    ("session", "key"), ("set", "cookie"),
})
"""Two neighbouring words that are secret together, though neither is alone."""

STEMS = ("pass", "pwd", "secret", "token", "key", "auth", "cookie", "sess", "csrf", "xsrf",
         "cred", "jwt", "bearer")
"""Every default secret name contains one of these: the C-speed prefilter."""

ENV_ORDINARY = frozenset({"pwd", "oldpwd"})
"""Environment names that look secret but hold the working directory."""

MAX_NAME = 200
"""Longer keys are text, not names."""


def split_words(name: str) -> list:
    """``"X-Api-Key"`` -> ``["x", "api", "key"]``; ``"HTTPAuthToken2"`` -> ``["http",
    "auth", "token", "2"]``."""
    out: list = []
    word = ""
    prev = ""
    for ch in name:
        if ch.isdigit():
            kind = "d"
        elif ch.isalpha():
            kind = "u" if ch.isupper() else "l"
        else:
            if word:
                out.append(word)
            word, prev = "", ""
            continue
        if word:
            if kind != prev and (kind == "d" or prev == "d" or (kind == "u" and prev == "l")):
                out.append(word)
                word = ""
            elif kind == "l" and prev == "u" and len(word) > 1:
                out.append(word[:-1])  # "HTTPAuth": the last capital starts the next word
                word = word[-1]
        word += ch
        prev = kind
    if word:
        out.append(word)
    return [w.lower() for w in out]


class SecretNames:
    """Decides whether a name looks secret; ``extra`` adds the user's own words.

    An extra entry is split like a name (``account_no`` -> ``account no``) and
    matches those words in a row.
    """

    __slots__ = ("extra", "stems", "cache", "env_cache")

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.extra = tuple(tuple(words) for words in map(split_words, extra) if words)
        self.stems = tuple(dict.fromkeys([*STEMS, *(words[0] for words in self.extra)]))
        self.cache: dict = {}
        self.env_cache: dict = {}

    def search(self, name: str) -> bool:
        """Whether ``name`` (a variable, attribute, key or header name) is secret."""
        hit = self.cache.get(name)
        if hit is None:
            if len(self.cache) > 50_000:
                self.cache.clear()
            hit = self.cache[name] = self._decide(name, False)
        return hit

    def search_env(self, name: str) -> bool:
        """Whether an environment variable's name is secret: a ``KEY`` word counts too."""
        hit = self.env_cache.get(name)
        if hit is None:
            hit = self.env_cache[name] = self._decide(name, True)
        return hit

    def maybe_any(self, joined_lower: str) -> bool:
        """The prefilter: whether a lowered text may hold a secret name at all."""
        return any(map(joined_lower.__contains__, self.stems))

    def in_text(self, text: str) -> bool:
        """Whether any identifier-like token of ``text`` (a repr) is a secret name."""
        if not self.maybe_any(text.lower()):
            return False
        token = []
        for ch in text + " ":
            if ch.isalnum() or ch in "_-":
                token.append(ch)
            elif token:
                if self.search("".join(token)):
                    return True
                token = []
        return False

    def _decide(self, name: str, env: bool) -> bool:
        if len(name) > MAX_NAME or not self.maybe_any(name.lower()):
            return False
        words = split_words(name)
        if env:
            if name.lower() in ENV_ORDINARY:
                return False
            if "key" in words:
                return True
        if len(words) == 1 and words[0] in ALONE:
            return True
        for word in words:
            if word in WORDS or "passw" in word or word.endswith(SUFFIXES):
                return True
        for pair in zip(words, words[1:]):
            if pair in COMPOUNDS or pair[0] + pair[1] in WORDS:
                return True
        for extra in self.extra:
            size = len(extra)
            if any(tuple(words[i:i + size]) == extra for i in range(len(words) - size + 1)):
                return True
        return False
