"""Put dump bytes on disk safely: private, atomic, unique, and within the directory caps.

A dump holds secrets, so the directory we create is 0700 and every file is
0600 whatever the umask, and we never write through a symlink, into a
directory another user owns or controls, or through another user's symlink.
A crash mid-write must not leave a partial ``.dump``: bytes go to a hidden
temporary name first, then appear under the final name in one step.
Retention deletes only files that carry our name pattern *and* our magic.
"""

from __future__ import annotations

import os
import stat
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # writer is imported at startup by the fatal-error integration
    from typing import Any

_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class WriteError(Exception):
    """Why a dump could not be written; one line, shown as the hook's warning."""


def is_dump_name(name: str) -> bool:
    """Our file name pattern: ``<stamp>-<pid>-<label>-<Type>.dump`` (or ``.fatal``).

    Parsed by hand rather than with ``re``: the fatal-error integration uses
    this module at interpreter start, where importing ``re`` would cost ~10 ms.
    """
    stem, dot, suffix = name.rpartition(".")
    if suffix not in ("dump", "fatal") or not dot:
        return False
    stamp, _, rest = stem.partition("-")
    pid, _, label = rest.partition("-")
    date, t, clock = stamp.partition("T")
    seconds, point, micro = clock.rstrip("Z").partition(".")
    return (len(date) == 8 and date.isdigit() and t == "T" and clock.endswith("Z")
            and len(seconds) == 6 and seconds.isdigit() and point == "." and len(micro) == 6
            and micro.isdigit() and pid.isdigit()
            and _LABEL_CHARS.issuperset(label.replace("-", "")))


def _part(text: Any, limit: int = 80) -> str:
    """Make ``text`` safe as one ``-``-separated field of a file name."""
    out = []
    for char in str(text)[: limit * 2]:
        safe = char if char in _LABEL_CHARS else "_"
        if not (safe == "_" and out and out[-1] == "_" and char not in _LABEL_CHARS):
            out.append(safe)
    return "".join(out)[:limit].strip("._") or "x"


def utc_stamp(when: float, compact: bool = False) -> str:
    """ISO 8601 UTC with microseconds; ``compact`` drops the separators for file names."""
    micro = int((when % 1) * 1_000_000)
    layout = "%Y%m%dT%H%M%S" if compact else "%Y-%m-%dT%H:%M:%S"
    return time.strftime(layout, time.gmtime(when)) + f".{micro:06d}Z"


def dump_name(when: float, pid: int, thread: str, kind: str, suffix: str = "dump") -> str:
    """``20261125T101112.123456Z-<pid>-<thread>-<Type>.dump``: sorts by time, says what."""
    kind = _part(kind.rsplit(".", 1)[-1])
    return f"{utc_stamp(when, compact=True)}-{pid}-{_part(thread)}-{kind}.{suffix}"


def _physical(path: str) -> str:
    """``path`` with its symlinks resolved one component at a time, each one checked.

    A symlink on the way must belong to us or to root: one planted by another user
    decides where our dumps go even when its target is a directory of ours (they
    can repoint it later). A world-writable directory on the way must be sticky:
    otherwise anyone can swap what comes after it between our check and our
    write. The part that does not exist yet is returned as it is (we create it).
    """
    uid = os.geteuid()
    pending = path.split(os.sep)[::-1]
    resolved = os.sep
    hops = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            resolved = os.path.dirname(resolved)
            continue
        candidate = os.path.join(resolved, part)
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            return os.path.normpath(os.path.join(candidate, *reversed(pending)))
        if stat.S_ISLNK(st.st_mode):
            if st.st_uid not in (uid, 0):
                raise WriteError(f"refusing {path}: {candidate} is a symlink owned by another "
                                 f"user (uid {st.st_uid})")
            hops += 1
            if hops > 40:
                raise WriteError(f"cannot use {path}: too many levels of symbolic links")
            target = os.readlink(candidate)
            resolved = os.sep if os.path.isabs(target) else resolved
            pending.extend(target.split(os.sep)[::-1])
            continue
        if pending and st.st_mode & stat.S_IWOTH and not st.st_mode & stat.S_ISVTX:
            raise WriteError(f"refusing {path}: {candidate} is writable by everyone and not "
                             "sticky, so anyone can replace what is inside")
        resolved = candidate
    return resolved


def _own(directory: str) -> str:
    return os.path.join(directory, f"pydumpling-{os.geteuid()}")


def _shared(mode: int) -> bool:
    return bool(mode & (stat.S_IWGRP | stat.S_IWOTH) and mode & stat.S_ISVTX)


def dump_directory(directory: str) -> str:
    """Where ``ensure_directory(directory)`` puts dumps, found without creating anything:
    the reader's ``--list`` and ``--latest`` look there."""
    try:
        shared = _shared(os.stat(directory).st_mode)
    except OSError:
        return directory
    return _own(directory) if shared else directory


def ensure_directory(directory: str, own_subdirectory: bool = True) -> str:
    """Create the directory 0700 if needed, and refuse one that others control.

    Refused: a directory reached through another user's symlink (see
    ``_physical``), one owned by another user, and one that others may write
    into without the sticky bit (they could delete dumps or plant files).
    A shared sticky directory such as ``/tmp`` is used through our own 0700
    subdirectory ``pydumpling-<uid>``; with ``own_subdirectory=False`` (an
    explicit file name, ``save_dumping("/tmp/crash.dump")``) the file goes
    into it directly, where the sticky bit keeps others from touching it.
    """
    path = _physical(os.path.abspath(directory))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        try:
            os.makedirs(path, mode=0o700)
            os.chmod(path, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise WriteError(f"cannot create {path}: {exc.strerror or exc}") from None
        return ensure_directory(path, own_subdirectory)  # checked like any other
    except OSError as exc:
        raise WriteError(f"cannot use {path}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise WriteError(f"cannot use {path}: not a directory")
    uid = os.geteuid()
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        if not _shared(st.st_mode):
            raise WriteError(f"refusing {path}: writable by other users (mode "
                             f"{stat.S_IMODE(st.st_mode):04o}) without the sticky bit; "
                             "make it 0700 or choose another directory")
        if st.st_uid not in (uid, 0):
            raise WriteError(f"refusing {path}: a shared directory owned by another user "
                             f"(uid {st.st_uid})")
        if own_subdirectory:
            return ensure_directory(_own(path), False)
    elif st.st_uid != uid:
        raise WriteError(f"refusing {path}: owned by another user (uid {st.st_uid})")
    if not os.access(path, os.W_OK | os.X_OK):
        raise WriteError(f"cannot write to {path}: permission denied")
    return path


def write_atomic(directory: str, name: str, data: bytes, replace: bool = False) -> str:
    """Write ``data`` as ``directory/name`` (mode 0600) without ever exposing a partial file.

    A new dump never replaces anything (a name taken meanwhile gets a
    ``-N`` suffix); ``replace=True`` is for rewriting one of our own dumps.
    """
    tmp = os.path.join(directory, f".{name}.tmp-{os.urandom(4).hex()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    try:
        fd = os.open(tmp, flags, 0o600)
    except OSError as exc:
        raise WriteError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    final = os.path.join(directory, name)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, final)
            return final
        for attempt in range(100):
            candidate = final if attempt == 0 else f"{final[:-5]}-{attempt}{final[-5:]}"
            try:
                os.link(tmp, candidate)
            except FileExistsError:
                continue
            except OSError:
                if os.path.lexists(candidate):
                    continue
                os.rename(tmp, candidate)
                return candidate
            os.unlink(tmp)
            return candidate
        raise WriteError(f"cannot find a free name for {final}")
    except OSError as exc:
        _discard(tmp)
        raise WriteError(f"cannot write {final}: {exc.strerror or exc}") from None
    except BaseException:
        _discard(tmp)
        raise


def _discard(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def is_own_dump(path: str) -> bool:
    """Our name pattern and our magic (or faulthandler text for ``.fatal``): safe to delete."""
    name = os.path.basename(path)
    if not is_dump_name(name):
        return False
    if name.endswith(".fatal"):
        return True
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return False
    try:
        from ..dumpformat.dumpfile import MAGIC

        return os.read(fd, len(MAGIC)) == MAGIC
    finally:
        os.close(fd)


def prune(directory: str, max_dumps: int, max_bytes: int, keep: str = "") -> int:
    """Delete our oldest dumps beyond the count and byte caps; ``keep`` is never deleted."""
    entries = []
    try:
        with os.scandir(directory) as it:
            for entry in it:
                if is_dump_name(entry.name) and entry.is_file(follow_symlinks=False):
                    entries.append((entry.name, entry.path, entry.stat(follow_symlinks=False)))
    except OSError:
        return 0
    entries.sort()
    total = sum(st.st_size for _, _, st in entries)
    count = len(entries)
    removed = 0
    for _name, path, st in entries:
        if count <= max_dumps and total <= max_bytes:
            break
        if path == keep or not is_own_dump(path):
            continue
        try:
            os.unlink(path)
        except OSError:
            continue
        count -= 1
        total -= st.st_size
        removed += 1
    return removed
