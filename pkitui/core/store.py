"""The NVRAM store: a directory holding the saved ("startup") configuration.

Layout of the store directory::

    nvram.json     TinyDB file, replaced atomically on every save
    private/       0700; encrypted PKCS#8 key files (0600) and master.key (0600)
    crl/           CRL files counted in NVRAM (referenced from nvram.json)
    cache/         CRLs kept outside the NVRAM budget (a router would hold them in RAM)
    pending/       the journal of pending SCEP transactions (pkitui.core.journal)

Every file is written as temp file + fsync + ``os.replace`` + fsync of the directory, so a
process killed at any moment leaves either the old or the new content. Key and CRL files are
named after their content and written before the ``nvram.json`` that references them; a file is
removed only after a save that no longer references it, by the session that removed its object
(see :mod:`pkitui.core.merge`), so the saved configuration never points at a missing file and one
writer never deletes another's keys.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from pkitui.core.errors import StoreError

NVRAM_FILE = "nvram.json"
AREAS = ("private", "crl", "cache", "pending")
# File names the store itself writes: no separators, no leading dot, nothing to escape the area.
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$")


def is_plain_name(name: str) -> bool:
    """True for a file name the store writes: nothing to leave its folder or hide as a temp file."""
    return bool(_PLAIN_NAME.match(name))
TMP_SUFFIX = ".tmp"


def fsync_dir(path: Path) -> None:
    """fsync a directory so that a rename in it is durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, data: bytes, mode: int) -> Path:
    """Write ``data`` to a durable temp file next to ``path`` (named after our pid)."""
    # pid (so a later open can tell a dead writer's leftovers) and thread (console workers).
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}{TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # O_CREAT's mode is filtered by the umask; this is exact
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a mix."""
    tmp = _write_temp(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_create(path: Path, data: bytes, mode: int = 0o600) -> bytes:
    """Create ``path`` with ``data`` unless it exists; return the content that is there now.

    The file appears complete or not at all (temp file + ``os.link``, which never overwrites),
    so a kill cannot leave an empty key file, and of two racing creators the first one wins.
    """
    tmp = _write_temp(path, data, mode)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return path.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return data


_TEMP_PID = re.compile(r"\.(\d+)(?:-\d+)?" + re.escape(TMP_SUFFIX) + "$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files(directory: Path) -> None:
    """Remove temp files a killed writer left behind (not those of a writer still running)."""
    if directory.is_dir():
        for stale in directory.glob(f".*{TMP_SUFFIX}"):
            match = _TEMP_PID.search(stale.name)
            if match and _pid_alive(int(match.group(1))):  # ours or another live writer's
                continue
            stale.unlink(missing_ok=True)


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces its file atomically (TinyDB's JSONStorage rewrites in place)."""

    def __init__(self, path: str | Path, **_: Any) -> None:
        self.path = Path(path)
        remove_stale_temp_files(self.path.parent)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read the NVRAM file {self.path}: {exc}",
                             "Check its permissions, or restore it from a backup.") from None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StoreError(f"the NVRAM file {self.path} is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise StoreError(f"the NVRAM file {self.path} does not hold a table map")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        # f.write(json.dumps(...)) rather than json.dump(): the latter is the slow path.
        atomic_write(self.path, json.dumps(data, sort_keys=True, indent=1).encode(), 0o600)

    def close(self) -> None:
        pass


class Store:
    """The store directory: the saved configuration's tables plus its private and CRL areas."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            os.chmod(self.root, 0o700)
            for sub in AREAS:
                (self.root / sub).mkdir(mode=0o700, exist_ok=True)
                os.chmod(self.root / sub, 0o700)
        except OSError as exc:
            raise StoreError(f"cannot use store directory {self.root}: {exc.strerror}",
                             "Pick a writable directory with --store DIR or PKITUI_STORE.") from None
        for sub in AREAS:
            remove_stale_temp_files(self.root / sub)
        self.db = TinyDB(self.root / NVRAM_FILE, storage=AtomicJSONStorage)

    @property
    def private_dir(self) -> Path:
        """The private key area (0700)."""
        return self.root / "private"

    @property
    def crl_dir(self) -> Path:
        """CRL files counted in the NVRAM budget."""
        return self.root / "crl"

    @property
    def cache_dir(self) -> Path:
        """CRLs kept outside the NVRAM budget."""
        return self.root / "cache"

    def read_tables(self) -> dict[str, dict[str, Any]]:
        """The saved configuration: ``{table: {doc_id: doc}}`` (empty for a new store)."""
        return self.db.storage.read() or {}

    def stamp(self) -> tuple[int, int, int] | None:
        """Identity of the saved configuration's file (inode, mtime, size): it changes with every
        save, since a save replaces the file; None when nothing is saved yet."""
        try:
            st = (self.root / NVRAM_FILE).stat()
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def write_tables(self, tables: dict[str, dict[str, Any]]) -> None:
        """Replace the saved configuration in one atomic write."""
        self.db.storage.write(tables)
        self.db.clear_cache()

    @property
    def pending_dir(self) -> Path:
        """The journal of pending enrollments."""
        return self.root / "pending"

    def area_file(self, area: str, name: str) -> Path:
        """``name`` inside ``area``, refused (StoreError) unless it is a plain file name there."""
        if area not in AREAS or not is_plain_name(name):
            raise StoreError(f"the store names a file {name!r} in {area}/, which is not a plain file name",
                             "The store was edited by hand or damaged; restore it from a backup.")
        return self.root / area / name

    def has_private(self, name: str) -> bool:
        """True if the private area holds a file called ``name``."""
        return self.area_file("private", name).is_file()

    def write_private(self, name: str, data: bytes) -> None:
        """Write a private file (0600), atomically; content-named, so an existing one is kept."""
        atomic_create(self.area_file("private", name), data, 0o600)

    def read_private(self, name: str) -> bytes:
        """Read a private file."""
        try:
            path = self.area_file("private", name)
            if not path.is_file():
                raise FileNotFoundError(name)
            return path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"private key file {name} is missing from {self.private_dir}",
                             "Restore private/ from the same backup as nvram.json.") from None
        except OSError as exc:
            raise StoreError(f"cannot read private key file {name}: {exc.strerror}") from None

    def remove_files(self, files: set[tuple[str, str]]) -> None:
        """Remove ``(area, name)`` files; names that are not plain file names are left alone."""
        for area, name in files:
            try:
                self.area_file(area, name).unlink(missing_ok=True)
            except StoreError:
                continue

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's save lock (``flock`` on ``.lock``): one save at a time across processes,
        so one writer's garbage collection never removes another's freshly written key files."""
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
