"""The secret that protects private keys and challenge passwords at rest.

It comes from ``PKITUI_PASSPHRASE`` when set, else from a random key file (mode 0600) in the
store's private area, created on first use. Secrets never appear in logs or in ``repr``.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pkitui.core.errors import StoreError

PASSPHRASE_ENV = "PKITUI_PASSPHRASE"
_KEY_FILE = "master.key"
_SALT_FILE = "passphrase.salt"
_PASSPHRASE_ROUNDS = 200_000


def _read_or_create(path: Path, make: Callable[[], bytes], create: bool) -> bytes:
    """Read a small 0600 file, creating it with ``make()`` the first time."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        if not create:
            raise StoreError(f"{path} is missing", "Was the store copied without its private/ folder?") from None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return data


class SecretBox:
    """Encrypts small secrets (AES-256-GCM) and private keys (PKCS#8 PBES2) with one master secret."""

    def __init__(self, secret: bytes) -> None:
        # ``secret`` is high-entropy: a random key file, or a passphrase already stretched by
        # PBKDF2 (see for_private_dir), so PKCS#8's own 2,048 PBKDF2 rounds are no weakness.
        self._secret = secret
        self._aead_key = hashlib.sha256(b"pkitui-secretbox\0" + secret).digest()

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"

    @classmethod
    def for_private_dir(cls, private_dir: Path, *, create: bool = True) -> SecretBox:
        """The box for a store: the passphrase from the environment, else the key file."""
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase:
            salt = _read_or_create(private_dir / _SALT_FILE, lambda: os.urandom(16).hex().encode(), create)
            stretched = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, _PASSPHRASE_ROUNDS)
            return cls(base64.b64encode(stretched))
        secret = _read_or_create(private_dir / _KEY_FILE, lambda: base64.b64encode(os.urandom(32)), create)
        return cls(secret)

    def seal(self, plaintext: str) -> str:
        """Encrypt a short secret (a challenge password) to a printable token."""
        nonce = os.urandom(12)
        ct = AESGCM(self._aead_key).encrypt(nonce, plaintext.encode(), b"pkitui")
        return base64.b64encode(nonce + ct).decode()

    def open(self, token: str) -> str:
        """Decrypt a token made by :meth:`seal`."""
        raw = base64.b64decode(token)
        try:
            return AESGCM(self._aead_key).decrypt(raw[:12], raw[12:], b"pkitui").decode()
        except Exception:
            raise StoreError(
                "cannot decrypt a stored secret: wrong passphrase or key file",
                f"Set {PASSPHRASE_ENV} to the passphrase the store was saved with.",
            ) from None

    def encryption(self) -> serialization.KeySerializationEncryption:
        """PKCS#8 encryption for private keys at rest (PBES2 with AES-256-CBC)."""
        return serialization.BestAvailableEncryption(self._secret)

    @property
    def password(self) -> bytes:
        """The password for :func:`serialization.load_pem_private_key`."""
        return self._secret
