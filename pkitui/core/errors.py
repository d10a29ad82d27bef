"""Domain errors: one hierarchy under :class:`PkiError`, each with a message a person can act on."""

from __future__ import annotations


class PkiError(Exception):
    """Base of every error pkitui raises on purpose.

    ``message`` says what was wrong; ``hint`` (optional) says what to do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class ConfigError(PkiError):
    """A configuration value is invalid (bad URL, range, DN ...)."""


class IdentityError(PkiError):
    """Hostname or domain name missing or invalid."""


class KeyPairError(PkiError):
    """An RSA key pair operation failed (unknown label, exists already, bad modulus ...)."""


class TrustpointError(PkiError):
    """A trustpoint does not exist or is not ready for the operation."""


class StoreError(PkiError):
    """The NVRAM store cannot be read or written."""


class CapacityError(StoreError):
    """The NVRAM capacity is too small for what is being saved."""


class CertificateError(PkiError):
    """A certificate is missing, malformed or does not fit where it is used."""


class ScepError(PkiError):
    """A SCEP exchange failed (transport, CA refusal)."""


class VerificationError(ScepError):
    """A reply failed a security check; ``check`` names which one. Nothing was stored."""

    def __init__(self, check: str, message: str, hint: str | None = None) -> None:
        super().__init__(f"{check}: {message}", hint)
        self.check = check


class FingerprintMismatch(PkiError):
    """The CA certificate's fingerprint does not match the one configured or typed."""


class RevocationError(PkiError):
    """A revocation source (CRL, LDAP, OCSP) failed or returned something unusable."""
