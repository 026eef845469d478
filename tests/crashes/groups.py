# ruff: noqa: F821  (ExceptionGroup is a builtin from 3.11; the script exits earlier before)
import sys


def fail(kind, n):
    if kind == "value":
        raise ValueError(f"bad value {n}")
    raise TypeError(f"bad type {n}")


def collect(n):
    errors = []
    for i in range(n):
        try:
            fail("value" if i % 2 else "type", i)
        except Exception as exc:
            exc.add_note(f"while handling item {i}")
            errors.append(exc)
    return errors


def nested():
    try:
        raise ExceptionGroup("inner", collect(2))
    except ExceptionGroup as eg:
        raise ExceptionGroup("outer", [eg, KeyError("k")] + collect(17)) from None


if sys.version_info < (3, 11):
    raise SystemExit("needs 3.11")
nested()
