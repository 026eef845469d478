"""Which names look secret.

Plain substring tests, not a regex: they run at C speed over all the names of
a namespace joined together, which matters on every dict we copy.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Iterable

SECRET_WORDS = (
    "passw", "pwd", "secret", "token", "api_key", "api-key", "apikey", "auth", "cookie",
    "session", "csrf", "private_key", "private-key", "privatekey", "credential",
)
"""A name containing any of these, in any case, is secret (``passw`` covers password
and passwd)."""


class SecretNames:
    """Decides whether a name looks secret; ``extra`` adds the user's own words."""

    __slots__ = ("words",)

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.words = tuple(dict.fromkeys(
            [*SECRET_WORDS, *(w.lower() for w in extra if w)]))

    def search(self, text: str) -> bool:
        return any(map(text.lower().__contains__, self.words))
