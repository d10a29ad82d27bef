"""Files named by the user (a certificate to verify or import, a script for ``pkitui exec``).

Only regular files are read: a FIFO would block the open or the read forever, a device like
/dev/zero would never end, a directory cannot be read. The file is opened with ``O_NONBLOCK``
(so opening a FIFO without a writer returns at once), the *opened* descriptor is ``fstat``-ed
(no race with a path swapped between a check and the open), and the read is bounded.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from pkitui.core.errors import PkiError


def file_kind(mode: int) -> str:
    """'a FIFO', 'a directory', 'a character device' ... for an ``st_mode``."""
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def _not_regular(shown: str, mode: int, what: str) -> str:
    return f"{shown} is {file_kind(mode)}, not a regular file: give the path of {what}"


def read_user_file(path: str | Path, what: str, max_bytes: int, *, hint: str | None = None,
                   error: type[PkiError] = PkiError) -> bytes:
    """The bytes of the regular file ``path`` (``~`` expanded), at most ``max_bytes``.

    ``what`` says what the file should be ("a certificate file"); anything else than a regular
    file, a file larger than ``max_bytes`` or one that cannot be opened raises ``error`` (a
    PkiError) saying so, with ``hint`` (default: give the path of ``what``).
    """
    shown = str(path)
    hint = hint or f"Give the path of {what}."
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(Path(path).expanduser(), flags)
    except OSError as exc:
        with contextlib.suppress(OSError):  # a socket cannot be opened at all (ENXIO): say what it is
            mode = os.stat(Path(path).expanduser()).st_mode
            if not stat.S_ISREG(mode):
                raise error(_not_regular(shown, mode, what), hint) from None
        raise error(f"Cannot read {shown}: {exc.strerror or exc}", hint) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(_not_regular(shown, info.st_mode, what), hint)
        if info.st_size > max_bytes:
            raise error(f"{shown} is larger than {max_bytes:,} bytes: not {what}", hint)
        chunks, size = [], 0
        while size <= max_bytes:  # the size may change under us: the bound holds anyway
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise error(f"Cannot read {shown}: {exc.strerror or exc}", hint) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise error(f"{shown} is larger than {max_bytes:,} bytes: not {what}", hint)
    return b"".join(chunks)
