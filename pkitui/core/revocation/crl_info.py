"""What is known of a held CRL without reading it: :class:`CrlInfo` (as ``show crypto pki crls``
prints it), where it lives, the issuer key that names its CA, and the note when a fetched CRL is
not newer than the one held. The CRLs themselves are held by :mod:`.crl_store`.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pkitui.core.clock import SYSTEM_CLOCK, Clock
from pkitui.core.records import CrlRecord

if TYPE_CHECKING:
    from cryptography import x509


class CrlLocation(enum.StrEnum):
    """Where a held CRL lives."""

    NVRAM = "nvram"  # store.crl_dir, counted in the NVRAM budget
    CACHE = "cache"  # store.cache_dir, outside the budget (fetched again if it is gone)
    MEMORY = "memory"  # query mode: this process only


class CrlVia(enum.StrEnum):
    """What a CRL's source is (``CrlRecord.via``); :attr:`label` is how messages name it."""

    CDP = "cdp"  # a URL in the certificate's CRL distribution points
    CRL_QUERY = "crl query"  # the trustpoint's crl query URL
    SCEP = "scep"  # the SCEP CA's GetCRL (source "scep URL")

    @property
    def label(self) -> str:
        """``CRL distribution point``, ``crl query``, ``SCEP GetCRL``."""
        return {"cdp": "CRL distribution point", "crl query": "crl query", "scep": "SCEP GetCRL"}[self.value]

    @classmethod
    def of(cls, via: str, source: str) -> CrlVia:
        """The kind recorded (``via``), or for a record of an older store, read from ``source``."""
        try:
            return cls(via)
        except ValueError:
            return cls.SCEP if source.startswith("scep ") else cls.CDP


@dataclass
class CrlInfo:
    """A CRL held for a trustpoint, as ``show crypto pki crls`` prints it."""

    trustpoint: str
    issuer: str
    source: str
    this_update: datetime
    next_update: datetime | None
    entries: int
    size: int
    sha256: str
    crl_number: int | None
    location: CrlLocation
    notes: list[str] = field(default_factory=list)
    clock: Clock = field(default=SYSTEM_CLOCK, repr=False, compare=False)
    via: CrlVia = CrlVia.CDP

    @property
    def where(self) -> str:
        """The source named as what it is: ``crl query URL``, ``CRL distribution point URL``,
        ``SCEP GetCRL URL``."""
        url = self.source[5:] if self.via is CrlVia.SCEP and self.source.startswith("scep ") else self.source
        return f"{self.via.label} {url}"

    @property
    def expired(self) -> bool:
        """True once nextUpdate has passed (a new CRL is downloaded before the next check)."""
        return self.next_update is not None and self.clock.now() >= self.next_update

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"trustpoint": self.trustpoint, "issuer": self.issuer, "source": self.source,
                "this_update": self.this_update.isoformat(),
                "next_update": self.next_update.isoformat() if self.next_update else None,
                "entries": self.entries, "size": self.size, "sha256": self.sha256, "crl_number": self.crl_number,
                "location": self.location, "expired": self.expired, "notes": self.notes, "via": self.via.value}


def issuer_key_id(ca: x509.Certificate) -> str:
    """``CrlRecord.issuer_key``: SHA-256 of the CA's SubjectPublicKeyInfo, upper hex."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    spki = ca.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest().upper()


def crl_info(rec: CrlRecord, clock: Clock) -> CrlInfo:
    """The :class:`CrlInfo` of a saved record (NVRAM or cache), judged by ``clock``."""
    return CrlInfo(trustpoint=rec.trustpoint, issuer=rec.issuer, source=rec.source,
                   this_update=datetime.fromisoformat(rec.this_update),
                   next_update=datetime.fromisoformat(rec.next_update) if rec.next_update else None,
                   entries=rec.entries, size=rec.size, sha256=rec.sha256, crl_number=rec.crl_number,
                   location=CrlLocation.NVRAM if rec.in_nvram else CrlLocation.CACHE, clock=clock,
                   via=CrlVia.of(rec.via, rec.source))


def older_note(fetched: CrlRecord, held: CrlRecord) -> str:
    """Why the CRL just ``fetched`` was not taken: the one ``held`` is as new or newer."""
    def label(r: CrlRecord) -> str:
        number = f"number {r.crl_number}, " if r.crl_number is not None else ""
        return f"{number}this update {r.this_update[:16].replace('T', ' ')}"

    return (f"The CRL from {fetched.source} ({label(fetched)}) is not newer than the one held "
            f"({label(held)}, from {held.source}): the held CRL is kept.")
