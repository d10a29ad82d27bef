"""Deployment's file writes: each file written atomically (a temp file in the same folder, its mode
and owner set, then a rename) and only when its bytes change; an encrypted key compared decrypted
(its encryption is salted); ``deploy owner USER[:GROUP]`` resolved; a failed write worded.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from pkitui.core.errors import PkiError
from pkitui.core.store import fsync_dir

if TYPE_CHECKING:
    from pathlib import Path

    from pkitui.core.trustpoints import Trustpoint


def same_key(path: Path, data: bytes, password: str) -> bool:
    """True when the encrypted key at ``path`` holds the same key as ``data`` (encryption is
    salted: the bytes differ at every write, so the keys are compared decrypted)."""
    from cryptography.hazmat.primitives import serialization

    try:
        old = serialization.load_pem_private_key(path.read_bytes(), password.encode())
        new = serialization.load_pem_private_key(data, password.encode())
    except (OSError, ValueError, TypeError):
        return False
    plain = (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return bool(old.private_bytes(*plain) == new.private_bytes(*plain))


PUBLIC_FOLDER_MODE = 0o755  # a folder holding certificates, a chain, a CA certificate or a CRL
KEY_FOLDER_MODE = 0o700  # a folder holding only the private key (swanctl's private/)


def make_folder(folder: Path, mode: int) -> None:
    """Create ``folder`` and its missing parents: ``folder`` with ``mode``, a parent with
    PUBLIC_FOLDER_MODE (the daemon must traverse it). Each is created 0700 then given its mode
    with chmod, so neither the umask (0077 in the agent's unit) nor a moment of wider access
    decides it. A folder that exists is left as it is (the administrator's)."""
    missing = []
    at = folder
    while not at.exists():
        missing.append(at)
        at = at.parent
    for made in reversed(missing):
        try:
            os.mkdir(made, 0o700)
        except FileExistsError:
            continue
        os.chmod(made, mode if made == folder else PUBLIC_FOLDER_MODE)


def write_file(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None, same: bool | None,
               folder_mode: int = PUBLIC_FOLDER_MODE) -> bool:
    """Write ``data`` to ``path`` atomically unless it holds it already (``same``: that judgement
    made by the caller); mode and owner are set on the temp file before the rename, and put right
    on an unchanged file; a missing folder is created with ``folder_mode`` (:func:`make_folder`).
    True when the content changed."""
    try:
        unchanged = same if same is not None else path.read_bytes() == data
    except FileNotFoundError:
        unchanged = False
    if unchanged:
        info = path.stat()
        if info.st_mode & 0o7777 != mode:
            os.chmod(path, mode)
        if owner is not None and (info.st_uid != owner[0] or (owner[1] != -1 and info.st_gid != owner[1])):
            os.chown(path, *owner)
        return False
    make_folder(path.parent, folder_mode)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        try:
            os.fchmod(fd, mode)
            if owner is not None:
                os.fchown(fd, *owner)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return True


def write_error(exc: OSError | PkiError, tp: Trustpoint) -> str:
    """What a failed write says: the file, why, and what to do."""
    if isinstance(exc, PkiError):
        return str(exc)
    where = f" {exc.filename}" if exc.filename else ""
    hint = ("run as a user that may write there (and chown: deploy owner needs root)"
            if isinstance(exc, PermissionError) else "check the deploy paths of trustpoint " + tp.name)
    return f"cannot write{where}: {exc.strerror or exc}; {hint}; it is written at the next deployment"
