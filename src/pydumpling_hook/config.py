"""Settings for capture: keyword arguments of ``install()`` over environment variables.

Every knob has one environment variable so that zero-code activation (the
``.pth`` file) can be tuned without touching the application. The defaults are
what a production service should run with; see the README's table.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at every interpreter start
    from typing import Any

DEFAULT_DIR = "pydumpling-dumps"
DEFAULT_SKIP = ("SystemExit", "KeyboardInterrupt", "GeneratorExit")
_FALSE = {"0", "false", "no", "off", ""}


class _Record:
    """A frozen bag of defaults. Not a dataclass: ``dataclasses`` imports ``inspect``,
    which would cost milliseconds at every interpreter start when auto-installed."""

    __slots__ = ()
    _defaults: dict = {}

    def __init__(self, **values: Any) -> None:
        for name, default in self._defaults.items():
            object.__setattr__(self, name, values.pop(name, default))
        if values:
            raise TypeError(f"unknown setting(s): {', '.join(sorted(values))}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use replace()")

    def replace(self, **values: Any) -> Any:
        return type(self)(**{**{n: getattr(self, n) for n in self._defaults}, **values})

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._defaults)
        return f"{type(self).__name__}({inner})"


class Budgets(_Record):
    """Bounds on what one dump may hold. A value over a bound is cut visibly, not dropped.

    ``total`` is in approximate bytes of copied data. It is shared fairly: each
    frame may spend its share of what is left, innermost frame first, and what
    it does not spend passes on to the frames further out. Scalars and short
    strings are always kept, so every frame keeps its locals however the
    budget goes.
    """

    _defaults = {
        "depth": 6,
        "items": 1000,
        "string": 10_000,
        "bytes": 8_192,
        "repr": 300,
        "total": 24 << 20,
        "frames": 2000,
        "source_file": 2 << 20,
        "sources_total": 16 << 20,
        "threads": 100,
    }
    __slots__ = tuple(_defaults)


class Settings(_Record):
    """Everything capture needs to know; immutable so hooks can share one safely."""

    _defaults = {
        "directory": DEFAULT_DIR,
        "originals": False,
        "skip": DEFAULT_SKIP,
        "interactive": False,
        "quiet": False,
        "redact": True,
        "redact_names": (),
        "max_per_site": 3,
        "max_dumps": 100,
        "max_bytes": 1 << 30,
        "logging": True,
        "signal": None,
        "fatal": False,
        "recipients": (),
        "spool": None,
        "upload_timeout": 2.0,
        "budgets": Budgets(),
    }
    __slots__ = tuple(_defaults)


_current: list = [None]


def current() -> Settings:
    """The settings ``install()`` chose, or fresh ones from the environment."""
    return _current[0] or from_environment()


def set_current(settings: Settings | None) -> None:
    _current[0] = settings


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() not in _FALSE


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    return parse_size(raw, default)


def parse_size(raw: str, default: int) -> int:
    """Parse ``100``, ``64k``, ``1MiB``, ``1GiB``; a malformed value keeps the default."""
    text = raw.strip().lower().replace("ib", "").replace("b", "")
    scale = 1
    for suffix, factor in (("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40)):
        if text.endswith(suffix):
            text, scale = text[:-1], factor
            break
    try:
        return max(0, int(float(text) * scale))
    except ValueError:
        return default


def _names(raw: str) -> tuple:
    return tuple(n.strip() for n in raw.split(",") if n.strip())


def _seconds(name: str, default: float) -> float:
    try:
        return max(0.0, float(os.environ.get(name, "").strip() or default))
    except ValueError:
        return default


def is_remote(directory: str) -> bool:
    """An fsspec URL (``s3://…``, ``gs://…``): dumps are spooled locally, then uploaded."""
    scheme, sep, _ = directory.partition("://")
    return bool(sep) and scheme.replace("+", "").replace("-", "").isalnum()


def from_environment(**overrides: Any) -> Settings:
    """Build settings from ``PYDUMPLING_*`` variables, then apply ``install()`` arguments."""
    redact_env = os.environ.get("PYDUMPLING_REDACT", "")
    switch = redact_env.strip().lower()
    redact_on = switch not in {"0", "false", "no", "off"}
    if switch in {"1", "true", "yes", "on"}:
        redact_env = ""  # a switch, not a list of extra names
    env = Settings(
        directory=os.environ.get("PYDUMPLING_DIR") or DEFAULT_DIR,
        originals=_flag("PYDUMPLING_ORIGINALS", False),
        interactive=_flag("PYDUMPLING_INTERACTIVE", False),
        quiet=_flag("PYDUMPLING_QUIET", False),
        redact=redact_on,
        redact_names=_names(redact_env) if redact_on else (),
        max_per_site=_int("PYDUMPLING_MAX_PER_SITE", 3),
        max_dumps=_int("PYDUMPLING_MAX_DUMPS", 100),
        max_bytes=_int("PYDUMPLING_MAX_BYTES", 1 << 30),
        logging=_flag("PYDUMPLING_LOGGING", True),
        signal=os.environ.get("PYDUMPLING_SIGNAL") or None,
        fatal=_flag("PYDUMPLING_FATAL", False),
        recipients=tuple(os.environ.get("PYDUMPLING_RECIPIENT", "").replace(",", " ").split()),
        spool=os.environ.get("PYDUMPLING_SPOOL") or None,
        upload_timeout=_seconds("PYDUMPLING_UPLOAD_TIMEOUT", 2.0),
    )
    given = {k: v for k, v in overrides.items() if v is not None}
    if "directory" in given:
        given["directory"] = os.fspath(given["directory"])
    if "redact" in given and not isinstance(given["redact"], bool):
        given["redact_names"] = env.redact_names + tuple(given["redact"])
        given["redact"] = True
    if isinstance(given.get("recipients"), str):  # one key, or several separated by spaces
        given["recipients"] = given["recipients"].replace(",", " ").split()
    if "recipients" in given:
        given["recipients"] = tuple(given["recipients"])
    if "spool" in given:
        given["spool"] = os.fspath(given["spool"])
    if "skip" in given:
        given["skip"] = tuple(
            s if isinstance(s, str) else s.__name__ for s in given["skip"]
        )
    return env.replace(**given)
