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

from typing import TYPE_CHECKING

from pkitui.core.errors import StoreError
from pkitui.core.store import atomic_create

if TYPE_CHECKING:
    from cryptography.hazmat.primitives import serialization

PASSPHRASE_ENV = "PKITUI_PASSPHRASE"
_KEY_FILE = "master.key"
_SALT_FILE = "passphrase.salt"
_PASSPHRASE_ROUNDS = 200_000
_CHECK = "pkitui secret check"


def _read_or_create(path: Path, make: Callable[[], bytes], create: bool, valid: Callable[[bytes], bool]) -> bytes:
    """Read a small 0600 file, creating it atomically with ``make()`` the first time."""
    try:
        data = path.read_bytes().strip()
    except FileNotFoundError:
        if not create:
            raise StoreError(f"{path} is missing", "Was the store copied without its private/ folder?") from None
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = atomic_create(path, make(), 0o600).strip()
    if not valid(data):
        raise StoreError(f"{path} is damaged", "Restore the store's private/ folder from a backup.")
    return data


def _is_master_key(data: bytes) -> bool:
    try:
        return len(base64.b64decode(data, validate=True)) == 32
    except ValueError:
        return False


def _is_salt(data: bytes) -> bool:
    return len(data) == 32 and all(c in b"0123456789abcdef" for c in data)


class SecretBox:
    """Encrypts small secrets (AES-256-GCM) and private keys (PKCS#8 PBES2) with one master secret."""

    def __init__(self, secret: bytes, mode: str = "keyfile") -> None:
        # ``secret`` is high-entropy: a random key file, or a passphrase already stretched by
        # PBKDF2 (see for_private_dir), so PKCS#8's own 2,048 PBKDF2 rounds are no weakness.
        self._secret = secret
        self._aead_key = hashlib.sha256(b"pkitui-secretbox\0" + secret).digest()
        self.mode = mode  # "keyfile" (private/master.key) or "passphrase" (PKITUI_PASSPHRASE)

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"

    @classmethod
    def for_private_dir(cls, private_dir: Path, *, create: bool = True) -> SecretBox:
        """The box for a store: the passphrase from the environment, else the key file.

        The passphrase is stretched with PBKDF2-SHA256 (200,000 rounds, ~40 ms) and a per-store
        salt (private/passphrase.salt); the key file holds 32 random bytes. Either file is created
        atomically on first use when ``create`` is true.
        """
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase:
            salt = _read_or_create(
                private_dir / _SALT_FILE, lambda: os.urandom(16).hex().encode(), create, _is_salt
            )
            stretched = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, _PASSPHRASE_ROUNDS)
            return cls(base64.b64encode(stretched), "passphrase")
        secret = _read_or_create(
            private_dir / _KEY_FILE, lambda: base64.b64encode(os.urandom(32)), create, _is_master_key
        )
        return cls(secret, "keyfile")

    def check_token(self) -> str:
        """A sealed constant saved with the store, so a wrong passphrase is caught at open."""
        return self.seal(_CHECK)

    def verify(self, token: str) -> None:
        """Raise StoreError unless ``token`` (from :meth:`check_token`) was sealed by this secret."""
        if self.open(token) != _CHECK:
            raise StoreError("the store's secret check does not match", f"Check {PASSPHRASE_ENV}.")

    def seal(self, plaintext: str) -> str:
        """Encrypt a short secret (a challenge password) to a printable token."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # ~8 ms: not imported by a new store's open

        nonce = os.urandom(12)
        ct = AESGCM(self._aead_key).encrypt(nonce, plaintext.encode(), b"pkitui")
        return base64.b64encode(nonce + ct).decode()

    def open(self, token: str) -> str:
        """Decrypt a token made by :meth:`seal`."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            raw = base64.b64decode(token, validate=True)
            return AESGCM(self._aead_key).decrypt(raw[:12], raw[12:], b"pkitui").decode()
        except Exception:
            if self.mode == "passphrase":
                raise StoreError(
                    f"cannot decrypt the store: wrong passphrase in {PASSPHRASE_ENV}",
                    f"Set {PASSPHRASE_ENV} to the passphrase the store was saved with.",
                ) from None
            raise StoreError(
                "cannot decrypt a stored secret: private/master.key does not match the store",
                "Restore the store's private/ folder (with master.key) from the same backup.",
            ) from None

    def encryption(self) -> serialization.KeySerializationEncryption:
        """PKCS#8 encryption for private keys at rest (PBES2 with AES-256-CBC)."""
        from cryptography.hazmat.primitives import serialization

        return serialization.BestAvailableEncryption(self._secret)

    @property
    def password(self) -> bytes:
        """The password for :func:`serialization.load_pem_private_key`."""
        return self._secret
