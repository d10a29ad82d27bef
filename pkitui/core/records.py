"""Plain records kept in the running configuration besides keys and trustpoints.

Each has ``to_doc``/``from_doc`` for the NVRAM store; binary values travel as base64.
"""

from __future__ import annotations

import base64
import enum
import hashlib
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, TypeVar

T = TypeVar("T")



class CertRole(enum.StrEnum):
    """What a certificate held under a trustpoint is (stored as its value)."""

    CA = "ca"
    RA_SIGNATURE = "ra-signature"
    RA_ENCRYPTION = "ra-encryption"
    RA = "ra"  # an RA certificate for both
    DEVICE = "device"  # issued to this device by enrollment
    IMPORTED = "imported"  # issued to this device, imported by hand
    # The CA's next certificate (SCEP GetNextCACert, signed by the current CA): IOS's shadow or
    # "rollover" CA certificate, switched to when the current one expires (ca_trust.switch_to_next).
    CA_NEXT = "ca-next"


RA_ROLES = (CertRole.RA, CertRole.RA_ENCRYPTION, CertRole.RA_SIGNATURE)


def key_id_parts(key_id: str | None) -> tuple[str | None, str]:
    """A key pair's id (``KeyPair.key_id``: ``LABEL`` or ``LABEL#signature|encryption``) as
    (label, usage); usage ``general`` without a ``#``. The one reading of that id."""
    if not key_id:
        return None, "general"
    label, sep, usage = key_id.partition("#")
    return label, usage if sep else "general"


class PeerKeyKind(enum.StrEnum):
    """How a peer's public key is named (``crypto key pubkey-chain rsa``)."""

    NAMED = "named"  # named-key NAME
    ADDRESSED = "addressed"  # addressed-key ADDRESS


class PeerKeyUsage(enum.StrEnum):
    """What a peer's public key is for."""

    GENERAL = "general"
    ENCRYPTION = "encryption"
    SIGNATURE = "signature"


def b64(data: bytes | None) -> str | None:
    """bytes → base64 text (None stays None)."""
    return None if data is None else base64.b64encode(data).decode()


def unb64(text: str | None) -> bytes | None:
    """base64 text → bytes (None stays None)."""
    return None if text is None else base64.b64decode(text)


class _Doc:
    """to_doc/from_doc for dataclasses whose bytes fields are named in ``_BYTES``."""

    _BYTES: tuple[str, ...] = ()

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        for name in self._BYTES:
            doc[name] = b64(doc[name])
        return doc

    @classmethod
    def from_doc(cls: type[T], doc: dict[str, Any]) -> T:
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        kw = {k: v for k, v in doc.items() if k in known}
        for name in getattr(cls, "_BYTES", ()):
            if name in kw:
                kw[name] = unb64(kw[name])
        return cls(**kw)


@dataclass
class StoredCertificate(_Doc):
    """A certificate held under a trustpoint.

    ``der`` is None when only the fingerprint is kept (NVRAM too small for a root certificate,
    or query mode): the certificate is fetched again when needed.
    """

    _BYTES = ("der",)

    trustpoint: str
    role: str
    sha256: str
    der: bytes | None = None
    key_id: str | None = None
    source: str = "scep"
    orphaned: bool = False  # a certificate of this device whose key pair is not in this store

    @property
    def key_pair_missing(self) -> str:
        """The one wording of "a device certificate without its key pair" (``orphaned``), every
        front end's: "" when not orphaned; "its key pair was zeroized" when a zeroize (or a key
        replacement) took it (the record still names the key pair); else "its key pair is not in
        this store" (restored from a running configuration or imported without its key pair)."""
        if not self.orphaned:
            return ""
        return "its key pair was zeroized" if self.key_id else "its key pair is not in this store"

    @classmethod
    def from_der(cls, trustpoint: str, role: str, der: bytes, **kw: Any) -> StoredCertificate:
        """A record for ``der`` (its SHA-256 fingerprint computed)."""
        return cls(trustpoint=trustpoint, role=role, sha256=hashlib.sha256(der).hexdigest().upper(), der=der, **kw)


class MapField(enum.StrEnum):
    """What a certificate map line compares (``crypto pki certificate map``)."""

    SUBJECT_NAME = "subject-name"
    ISSUER_NAME = "issuer-name"


class MapOperator(enum.StrEnum):
    """How a certificate map line compares, in IOS's words."""

    CONTAINS = "co"
    EQUAL = "eq"
    NOT_CONTAINS = "nc"
    NOT_EQUAL = "ne"


@dataclass
class CertificateMapEntry(_Doc):
    """One sequence of a certificate map (``crypto pki certificate map LABEL SEQ``): its lines,
    each ``[field, operator, value]`` (a MapField, a MapOperator, the text compared)."""

    label: str
    seq: int
    rules: list[list[str]] = field(default_factory=list)


@dataclass
class PeerKey(_Doc):
    """A peer's RSA public key from ``crypto key pubkey-chain rsa`` (named-key or addressed-key)."""

    _BYTES = ("der",)

    kind: str  # a PeerKeyKind
    name: str
    usage: str = PeerKeyUsage.GENERAL  # a PeerKeyUsage
    der: bytes | None = None


@dataclass
class CrlRecord(_Doc):
    """A CRL held for a trustpoint. The DER lives in a file (never inline in the TinyDB store) named
    by its SHA-256, so trustpoints holding the same CRL share one file (counted once in NVRAM).

    One record per trustpoint, issuer and scope (:meth:`key`), whatever URL the CRL came from: a
    newer CRL of the same issuer and scope (:meth:`newer_than`) replaces the record.
    """

    trustpoint: str
    issuer: str
    source: str
    file: str
    sha256: str
    size: int
    this_update: str
    next_update: str | None = None
    entries: int = 0
    in_nvram: bool = True
    crl_number: int | None = None
    # What the CRL covers: "" the whole issuer, "idp:..." the partition its Issuing Distribution
    # Point names; None in stores saved before scopes were recorded (identified by source then).
    scope: str | None = None
    # SHA-256 (upper hex) of the SubjectPublicKeyInfo of the CA the CRL was verified with.
    issuer_key: str = ""
    # When it was fetched (ISO 8601), for ``crl cache delete-after MINUTES``; "" in older stores.
    fetched: str = ""
    # What ``source`` is (revocation.crl_info.CrlVia: "cdp", "crl query", "scep"); "" in older
    # stores (then a "scep ..." source is SCEP GetCRL, anything else a CRL distribution point).
    via: str = ""

    def key(self) -> str:
        """The record's identity: ``trustpoint|issuer|scope`` (two records with one key are one CRL
        held twice; the newer one is kept)."""
        scope = self.scope if self.scope is not None else f"source:{self.source}"
        return f"{self.trustpoint}|{self.issuer}|{scope}"

    def newer_than(self, other: CrlRecord) -> bool:
        """True when this CRL supersedes ``other`` (same issuer and scope): a higher CRL number,
        or, when either has none or the numbers are equal, a later thisUpdate."""
        if self.crl_number is not None and other.crl_number is not None and self.crl_number != other.crl_number:
            return self.crl_number > other.crl_number
        return _instant(self.this_update) > _instant(other.this_update)


def _instant(text: str) -> datetime:
    """An ISO time of a record (UTC when it names no zone; the earliest time when unreadable)."""
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=timezone.utc)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass
class PendingEnrollment(_Doc):
    """A SCEP request the CA answered PENDING; saved so a restarted process resumes polling."""

    _BYTES = ("signer_der",)

    trustpoint: str
    key_id: str
    transaction_id: str
    signer_der: bytes | None = None
    message_type: str = "PKCSReq"
    started: str = ""
    polls_done: int = 0
    next_poll: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class OwnRevocation(enum.StrEnum):
    """What the CRL held of its issuer says of one of this device's own certificates (nothing is
    fetched to say it: ``crypto pki crl request`` or a verify brings a newer CRL)."""

    NOT_REVOKED = "not revoked"  # not on the newest CRL held (which may be past its nextUpdate: see the note)
    REVOKED = "revoked"  # listed on the CRL held
    NO_CRL = "no CRL held"  # no CRL of its issuer is held
    NOT_CHECKED = "not checked"  # not one of our certificates, or the CA certificate is not held


OWN_ROLES = ("device", "imported")
"""The roles of this device's own certificates (the others are the CA's and RA's)."""
