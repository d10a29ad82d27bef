"""RSA key pairs: generation (general-purpose or usage keys), fingerprints and IOS-style display."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal

from pkitui.core.errors import KeyPairError
from pkitui.core.fingerprint import grouped_lines

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

Usage = Literal["general", "signature", "encryption"]
USAGES: tuple[Usage, ...] = ("general", "signature", "encryption")
MIN_MODULUS = 1024
MAX_MODULUS = 4096
DEFAULT_MODULUS = 2048


def validate_modulus(modulus: int) -> int:
    """Return ``modulus`` if pkitui accepts it (1024..4096 bits, a multiple of 8)."""
    if not MIN_MODULUS <= modulus <= MAX_MODULUS:
        raise KeyPairError(
            f"modulus {modulus} is out of range",
            f"Choose a key modulus in the range {MIN_MODULUS} to {MAX_MODULUS} bits (2048 recommended).",
        )
    if modulus % 8:
        raise KeyPairError(f"modulus {modulus} is not a multiple of 8", "Use e.g. 2048, 3072 or 4096.")
    return modulus


def public_der(public_key: rsa.RSAPublicKey) -> bytes:
    """SubjectPublicKeyInfo DER, what IOS prints as 'Key Data'."""
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_pem(public_key: rsa.RSAPublicKey) -> str:
    """SubjectPublicKeyInfo PEM."""
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def ios_hex_lines(der: bytes, words_per_line: int = 8) -> list[str]:
    """Hex in IOS's layout (:mod:`pkitui.core.fingerprint`): groups of 8 hex digits, 8 groups to a line."""
    return grouped_lines(der.hex(), words_per_line)


def key_fingerprints(der: bytes) -> dict[str, str]:
    """MD5, SHA-1 and SHA-256 of ``der`` (a public key, or a whole certificate), hex upper case."""
    return {
        "md5": hashlib.md5(der, usedforsecurity=False).hexdigest().upper(),
        "sha1": hashlib.sha1(der, usedforsecurity=False).hexdigest().upper(),
        "sha256": hashlib.sha256(der).hexdigest().upper(),
    }


@dataclass(frozen=True)
class SavedKey:
    """Where a saved key pair's private key is, and what its record already says of it: a key
    is decrypted on first use, so a command that only shows the configuration pays nothing."""

    file: str
    modulus: int
    load: Callable[[], rsa.RSAPrivateKey]


class KeyPair:
    """One RSA key pair of the device. A usage-keys label holds two: signature and encryption.

    Either ``private_key`` (generated here) or ``saved`` (read from the store, decrypted on first
    use of :attr:`private_key`) is given. ``imported``: the pair came from ``crypto ... import``
    (``created`` is then when it was imported), not generated here."""

    def __init__(self, label: str, usage: Usage, private_key: rsa.RSAPrivateKey | None = None,
                 created: str | None = None, exportable: bool = False, *, saved: SavedKey | None = None,
                 imported: bool = False) -> None:
        if private_key is None and saved is None:
            raise ValueError("a key pair needs its private key or where it is saved")
        self.label = label
        self.usage = usage
        self.created = created or datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.exportable = exportable
        self.imported = imported
        self.saved = saved
        self._private_key = private_key

    def __repr__(self) -> str:
        return f"KeyPair(label={self.label!r}, usage={self.usage!r}, created={self.created!r})"

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The private key (decrypted from the store on first use; a StoreError if it cannot be)."""
        if self._private_key is None:
            assert self.saved is not None
            self._private_key = self.saved.load()
        return self._private_key

    @property
    def key_id(self) -> str:
        """Unique name within the device: the label, plus the usage for usage keys."""
        return self.label if self.usage == "general" else f"{self.label}#{self.usage}"

    @property
    def modulus(self) -> int:
        """Key size in bits."""
        if self._private_key is None and self.saved is not None:
            return self.saved.modulus
        return self.private_key.key_size

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public half."""
        return self.private_key.public_key()

    @property
    def public_der(self) -> bytes:
        """SubjectPublicKeyInfo DER."""
        return public_der(self.public_key)

    @property
    def usage_text(self) -> str:
        """IOS's wording: 'General Purpose Key', 'Signature Key', 'Encryption Key'."""
        return {"general": "General Purpose Key", "signature": "Signature Key", "encryption": "Encryption Key"}[
            self.usage
        ]


def generate_rsa_private_key(modulus: int) -> rsa.RSAPrivateKey:
    """A fresh RSA private key (public exponent 65537)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=validate_modulus(modulus))


def generate_key_pairs(
    label: str, *, usage_keys: bool, modulus: int = DEFAULT_MODULUS, exportable: bool = False
) -> list[KeyPair]:
    """One general-purpose pair, or a signature pair and an encryption pair under ``label``."""
    validate_modulus(modulus)
    usages: tuple[Usage, ...] = ("signature", "encryption") if usage_keys else ("general",)
    return [
        KeyPair(label=label, usage=u, private_key=generate_rsa_private_key(modulus), exportable=exportable)
        for u in usages
    ]


@dataclass
class ZeroizeResult:
    """What ``crypto key zeroize rsa`` removed, and what the administrator must do next."""

    removed: list[str]
    orphaned_certificates: list[str]
    follow_ups: list[str]
    removed_certificates: list[str] = field(default_factory=list)  # SHA-256, when asked to remove them


ZEROIZE_FOLLOW_UPS = [
    "Ask the CA administrator to revoke this device's certificates at the CA; supply the "
    "challenge password you created when you obtained them with crypto pki enroll.",
    "Manually remove the device certificates from the configuration "
    "(crypto pki certificate chain NAME, then no certificate SERIAL).",
]
