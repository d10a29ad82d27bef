"""Certificates as held under a trustpoint, without parsing them: IOS's order (device, RA, CA),
serial numbers read from the DER's shape, and the DER a save dropped from NVRAM (query mode, a
small NVRAM) kept in memory for this session. ``show running-config`` needs no more, so it does
not import cryptography's X.509 layer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pkitui.core.der import serial_number
from pkitui.core.records import StoredCertificate

def serial_hex(serial: int) -> str:
    """IOS's serial layout: upper-case hex, an even number of digits."""
    text = format(serial, "X")
    return text if len(text) % 2 == 0 else "0" + text


ROLE_ORDER = {"device": 0, "imported": 1, "ra-signature": 2, "ra-encryption": 3, "ra": 4, "ca": 5, "ca-next": 6}


def ordered(records: Iterable[StoredCertificate], tp: str | None = None) -> list[StoredCertificate]:
    """``records`` (of trustpoint ``tp``) by trustpoint, then device, imported, RA, CA."""
    kept = [c for c in records if tp is None or c.trustpoint == tp]
    return sorted(kept, key=lambda c: (c.trustpoint, ROLE_ORDER.get(c.role, 9)))


class HeldDer:
    """DER of certificates whose record keeps only the fingerprint: held in memory only."""

    def __init__(self) -> None:
        self._memory: dict[str, bytes] = {}

    def der_of(self, record: StoredCertificate) -> bytes | None:
        """The record's DER: from the configuration, else from memory (or None)."""
        return record.der if record.der is not None else self._memory.get(record.sha256)

    def remember(self, records: Iterable[StoredCertificate]) -> None:
        """Keep the DER of ``records`` (called before a save drops it from NVRAM)."""
        for r in records:
            if r.der is not None:
                self._memory[r.sha256] = r.der

    def keep(self, sha256: str, der: bytes) -> None:
        """Keep ``der``, fetched again for a fingerprint-only record."""
        self._memory[sha256] = der


@dataclass(frozen=True)
class ChainEntry:
    """One certificate of ``crypto pki certificate chain NAME``."""

    role: str
    serial_hex: str
    der: bytes


def chain(records: Iterable[StoredCertificate], tp: str, held: HeldDer) -> list[ChainEntry]:
    """The certificates of trustpoint ``tp`` whose DER is at hand, in IOS's order."""
    entries = []
    for record in ordered(records, tp):
        der = held.der_of(record)
        if der is not None:
            entries.append(ChainEntry(record.role, serial_hex(serial_number(der)), der))
    return entries
