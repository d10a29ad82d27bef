"""Certificates held under trustpoints: list (IOS fields), delete by serial, manual import,
CA certificates re-fetched when only their fingerprint is kept, and peer verification.

``pki.certificates`` is a :class:`CertificateService`.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from pkitui.core.certfields import (crl_distribution_points, load_certificates, normalize_serial, ocsp_urls,
                                    serial_hex)
from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig
from pkitui.core.errors import CertificateError, TrustpointError
from pkitui.core.held import HeldDer, ordered
from pkitui.core.keys import key_fingerprints
from pkitui.core.records import OWN_ROLES, CertRole, OwnRevocation, StoredCertificate, key_id_parts
from pkitui.core.trustpoints import Trustpoint

if TYPE_CHECKING:
    from pkitui.core.certs_verify import Verdict
    from pkitui.core.revocation.check import RevocationOutcome
    from pkitui.core.revocation.crl import ParsedCrl
    from pkitui.core.revocation.crl_info import CrlInfo

__all__ = ["CaSources", "CertificateInfo", "CertificateService", "OwnRevocation", "crl_distribution_points",
           "info_for", "load_certificates", "normalize_serial", "ocsp_urls", "serial_hex"]


class Revocation(Protocol):
    """What the certificate service asks of the revocation service (``pki.revocation``)."""

    def note_path(self, tp: str, chain: list[x509.Certificate]) -> None:
        """Remember the intermediate CAs of a path just verified to ``tp``'s CA."""

    def check(self, tp: str, cert: x509.Certificate, issuer: x509.Certificate) -> RevocationOutcome:
        """``tp``'s revocation-check methods, in order, for ``cert`` issued by ``issuer``."""

    @property
    def store(self) -> HeldCrls:
        """The CRLs held."""


class HeldCrls(Protocol):
    """What :meth:`CertificateService.own_revocation` reads of the CRLs held (``CrlStore``)."""

    def newest_held(self, tp: str, cert: x509.Certificate,
                    signer: x509.Certificate) -> tuple[CrlInfo, ParsedCrl] | None:
        """The newest CRL held covering ``cert`` signed by ``signer``; never fetches."""

# Where a trustpoint's CA certificate can be fetched again: (name, fetch DER) in order.
CaSources = Callable[[Trustpoint], list[tuple[str, Callable[[], bytes]]]]

ROLE_TITLES = {
    "ca": "CA Certificate",
    "ca-next": "Rollover CA Certificate",  # IOS's heading for the shadow CA certificate
    "ra-signature": "RA Signature Certificate",
    "ra-encryption": "RA KeyEncipher Certificate",
    "ra": "RA Certificate",
    "device": "Certificate",
    "imported": "Certificate",
}

@dataclass
class CertificateInfo:
    """One certificate as ``show crypto pki certificates`` prints it (and ``--json`` emits it)."""

    trustpoint: str
    role: str
    serial_hex: str | None
    subject: str | None
    issuer: str | None
    not_before: datetime | None
    not_after: datetime | None
    status: str
    usage: str
    key_label: str | None
    crl_distribution_points: list[str] = field(default_factory=list)
    ocsp_urls: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    pem: str | None = None
    der: bytes | None = field(default=None, repr=False)
    source: str = "scep"
    orphaned: bool = False  # its key pair is not in this store (key_pair_missing says why)
    key_pair_missing: str = ""  # StoredCertificate.key_pair_missing: "" or why its key pair is not here
    revocation: OwnRevocation = OwnRevocation.NOT_CHECKED  # our own certificates: against the CRL held
    revocation_note: str = ""  # which CRL said it, or what to do when none is held

    @property
    def title(self) -> str:
        """IOS's heading: Certificate, CA Certificate, RA Signature Certificate ..."""
        return ROLE_TITLES.get(self.role, "Certificate")

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates ISO 8601, PEM instead of DER)."""
        return {
            "trustpoint": self.trustpoint, "role": self.role, "title": self.title, "serial_hex": self.serial_hex,
            "subject": self.subject, "issuer": self.issuer,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "status": self.status, "usage": self.usage, "key_label": self.key_label,
            "crl_distribution_points": self.crl_distribution_points, "ocsp_urls": self.ocsp_urls,
            "fingerprints": self.fingerprints, "source": self.source, "pem": self.pem,
            "revocation": self.revocation.value, "revocation_note": self.revocation_note,
        }


def _usage(record: StoredCertificate, cert: x509.Certificate | None) -> str:
    if record.role in ("ca", "ra-signature"):
        return "Signature"
    if record.role == "ra-encryption":
        return "Encryption"
    usage = key_id_parts(record.key_id)[1]
    return "General Purpose" if usage == "general" else usage.capitalize()


def info_for(record: StoredCertificate, der: bytes | None, now: datetime | None = None) -> CertificateInfo:
    """The display record of a stored certificate (``der`` may come from the memory cache)."""
    key_label = key_id_parts(record.key_id)[0]
    if der is None:
        return CertificateInfo(trustpoint=record.trustpoint, role=record.role, serial_hex=None, subject=None,
                               issuer=None, not_before=None, not_after=None,
                               status="Fingerprint only (fetched again when needed)",
                               usage=_usage(record, None), key_label=key_label,
                               fingerprints={"sha256": record.sha256}, source=record.source,
                               orphaned=record.orphaned, key_pair_missing=record.key_pair_missing)
    cert = x509.load_der_x509_certificate(der)
    now = now or datetime.now(timezone.utc)
    if record.orphaned:
        status = f"Available ({record.key_pair_missing})"
    elif cert.not_valid_after_utc < now:
        status = "Expired"
    elif cert.not_valid_before_utc > now:
        status = "Not yet valid"
    else:
        status = "Available"
    return CertificateInfo(
        trustpoint=record.trustpoint, role=record.role, serial_hex=serial_hex(cert.serial_number),
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, status=status,
        usage=_usage(record, cert), key_label=key_label, crl_distribution_points=crl_distribution_points(cert),
        ocsp_urls=ocsp_urls(cert),
        fingerprints=key_fingerprints(der),
        pem=cert.public_bytes(serialization.Encoding.PEM).decode(), der=der, source=record.source,
        orphaned=record.orphaned, key_pair_missing=record.key_pair_missing)


class CertificateService:
    """``pki.certificates``: the certificate chains of every trustpoint."""

    def __init__(self, config: RunningConfig, trustpoint: Callable[[str], Trustpoint], clock: Clock, *,
                 ca_sources: CaSources, revocation: Callable[[], Revocation], held: HeldDer) -> None:
        """``ca_sources`` re-fetch a CA certificate kept as a fingerprint only; ``revocation``
        gives the revocation checker peer verification uses (on first use)."""
        self._config = config
        self._trustpoint = trustpoint
        self._clock = clock
        self._ca_sources = ca_sources
        self._revocation = revocation
        # DER of certificates whose record keeps only the fingerprint (query mode, small NVRAM):
        # fetched again when needed and held in memory only.
        self._held = held

    # -- reading ---------------------------------------------------------------------------
    def _records(self, tp: str | None) -> list[StoredCertificate]:
        if tp is not None:
            self._trustpoint(tp)
        return ordered(self._config.certificates, tp)

    def der_of(self, record: StoredCertificate) -> bytes | None:
        """The record's DER: from the configuration, else from the memory cache (or None)."""
        return self._held.der_of(record)

    def remember(self, records: list[StoredCertificate]) -> None:
        """Keep the DER of ``records`` in memory (called before a save drops it from NVRAM)."""
        self._held.remember(records)

    def list(self, tp: str | None = None) -> list[CertificateInfo]:
        """Every certificate (of trustpoint ``tp``): device, RA, then CA, as IOS orders them; our own
        certificates checked against the CRL held of their issuer (:meth:`own_revocation`)."""
        now = self._clock.now()
        infos = [info_for(r, self.der_of(r), now) for r in self._records(tp)]
        for info in infos:
            if info.role in OWN_ROLES and info.der is not None:
                self.own_revocation(info)
        return infos

    def newest_own_revoked(self, tp: str) -> bool:
        """True when the newest certificate of ours under ``tp`` (the signature one of usage keys)
        is revoked per the CRL held: it is not renewed (the CA revoked it on purpose; IOS does not
        enroll again either) and not deployed."""
        now = self._clock.now()
        infos = [info_for(r, self.der_of(r), now) for r in self._records(tp)
                 if r.role in OWN_ROLES and not r.orphaned and _usage(r, None) != "Encryption"]
        newest = max(infos, key=lambda i: (i.not_before is not None, i.not_before), default=None)
        if newest is None or newest.der is None:
            return False
        self.own_revocation(newest)  # only the newest one is checked against the CRL held
        return newest.revocation is OwnRevocation.REVOKED

    def own_revocation(self, info: CertificateInfo) -> None:
        """Set ``info.revocation`` (and its note, and the status when revoked) from the newest CRL
        held of its issuer, the trustpoint's CA: nothing is fetched (a listing must not wait on the
        network), so the answer is only as new as that CRL, and the note says when none is held."""
        tp = info.trustpoint
        try:
            ca = self.ca_certificate(tp, fetch=False)
        except (TrustpointError, CertificateError):
            info.revocation = OwnRevocation.NOT_CHECKED
            info.revocation_note = "the CA certificate is not held, so no CRL can be verified"
            return
        assert info.der is not None
        cert = x509.load_der_x509_certificate(info.der)
        if cert.issuer.public_bytes() != ca.subject.public_bytes():
            info.revocation = OwnRevocation.NOT_CHECKED
            info.revocation_note = "issued by a CA other than the trustpoint's: its CRL is not held"
            return
        held = self._revocation().store.newest_held(tp, cert, ca)
        if held is None:
            info.revocation = OwnRevocation.NO_CRL
            info.revocation_note = f"fetch one with crypto pki crl request {tp}"
            return
        crl, parsed = held
        row = parsed.index.lookup(cert.serial_number)
        dated = f"CRL from {crl.source}, this update {crl.this_update:%Y-%m-%d %H:%M} UTC"
        if row is not None:
            why = f", reason {row.reason}" if row.reason else ""
            info.revocation = OwnRevocation.REVOKED
            info.revocation_note = f"since {row.revocation_date:%Y-%m-%d %H:%M:%S} UTC{why} ({dated})"
            info.status = "Revoked"
            return
        info.revocation = OwnRevocation.NOT_REVOKED
        stale = parsed.expired(self._clock.now())
        info.revocation_note = f"not listed on the {dated}" + (
            f"; that CRL is past its next update: crypto pki crl request {tp}" if stale else "")

    def ca_certificate(self, tp: str, *, fetch: bool = True) -> x509.Certificate:
        """The CA certificate of ``tp``; fetched again (and checked against the kept fingerprint)
        when only the fingerprint is stored. TrustpointError when the trustpoint is not authenticated."""
        trustpoint = self._trustpoint(tp)
        record = next((c for c in self._config.certificates if c.trustpoint == tp and c.role == "ca"), None)
        if record is None:
            raise TrustpointError(f"Trustpoint {tp} has no CA certificate",
                                  f"Authenticate the CA first: crypto pki authenticate {tp}")
        der = self.der_of(record)
        if der is None and fetch:
            der = self._refetch_ca(trustpoint, record)
        if der is None:
            raise CertificateError(f"The CA certificate of {tp} is not held (fingerprint only)")
        return x509.load_der_x509_certificate(der)

    def _refetch_ca(self, trustpoint: Trustpoint, record: StoredCertificate) -> bytes:
        """Get the CA certificate again (TFTP root, else SCEP GetCACert) and match the fingerprint."""
        errors = []
        for name, fetch in self._ca_sources(trustpoint):
            try:
                der = fetch()
            except Exception as exc:  # noqa: BLE001 - every source failure is reported together below
                errors.append(f"{name}: {getattr(exc, 'message', exc)}")
                continue
            if hashlib.sha256(der).hexdigest().upper() != record.sha256:
                errors.append(f"{name}: the certificate fetched does not match the kept SHA-256 fingerprint")
                continue
            self._held.keep(record.sha256, der)
            return der
        raise CertificateError(
            f"Cannot fetch the CA certificate of {trustpoint.name} again"
            + (f" ({'; '.join(errors)})" if errors else " (no enrollment url or root tftp configured)"),
            "Only its fingerprint is kept (query mode or small NVRAM); the CA must be reachable.")

    # -- changing --------------------------------------------------------------------------
    def _key_id_for(self, cert: x509.Certificate) -> str | None:
        """The key pair whose public key ``cert`` holds (None: none of this device's)."""
        spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
        return next((p.key_id for p in self._config.key_pairs.values() if p.public_der == spki), None)

    def delete(self, tp: str, serial: str) -> builtins.list[CertificateInfo]:
        """``no certificate SERIAL`` in ``crypto pki certificate chain TP``; returns what was removed."""
        wanted = normalize_serial(serial)
        config = self._config
        gone = [r for r in self._records(tp) if (d := self.der_of(r)) is not None
                and serial_hex(x509.load_der_x509_certificate(d).serial_number) == wanted]
        if not gone:
            raise CertificateError(f"No certificate with serial number {wanted} under trustpoint {tp}",
                                   f"List them with: show crypto pki certificates {tp}")
        infos = [info_for(r, self.der_of(r), self._clock.now()) for r in gone]
        config.certificates = [c for c in config.certificates if not any(c is g for g in gone)]
        return infos

    def import_certificate(self, tp: str, data: bytes) -> CertificateInfo:
        """``crypto pki import TP certificate``: add a certificate obtained by hand (PEM or DER),
        e.g. the reply to an ``enrollment terminal`` request.

        It must be issued by the trustpoint's CA (signature checked: authenticate the CA first) and
        hold the public key of one of this device's key pairs. On an ``enrollment terminal``
        trustpoint it is the trustpoint's certificate for that key (replacing the previous one, as
        an enrollment does); elsewhere it is kept beside what SCEP brought (role imported)."""
        trustpoint = self._trustpoint(tp)
        cert = load_certificates(data)[0]
        der = cert.public_bytes(serialization.Encoding.DER)
        try:
            ca = self.ca_certificate(tp)
        except TrustpointError:
            raise CertificateError(f"Trustpoint {tp} has no CA certificate to check the certificate against",
                                   f"Authenticate the CA first: crypto pki authenticate {tp}") from None
        try:
            cert.verify_directly_issued_by(ca)
        except (InvalidSignature, ValueError, TypeError) as exc:
            raise CertificateError(
                f"The certificate was not issued by the CA of {tp}: its issuer is {cert.issuer.rfc4514_string()!r}, "
                f"the CA is {ca.subject.rfc4514_string()!r}"
                + (" (the signature does not verify)" if isinstance(exc, InvalidSignature) else f" ({exc})"),
                "Import the certificate the trustpoint's CA issued for this device's request.") from None
        key_id = self._key_id_for(cert)
        if key_id is None:
            raise CertificateError("The certificate's public key matches none of this device's key pairs",
                                   "Import the certificate issued for one of the keys in show crypto key mypubkey rsa.")
        role = CertRole.DEVICE if trustpoint.enrollment_terminal else CertRole.IMPORTED
        record = StoredCertificate.from_der(tp, role, der, key_id=key_id, source="import")
        if any(c.sha256 == record.sha256 and c.trustpoint == tp for c in self._config.certificates):
            raise CertificateError(f"This certificate is already held under trustpoint {tp}")
        if role == CertRole.DEVICE:  # the key pair's new certificate replaces its previous one
            self._config.certificates = [c for c in self._config.certificates if not (
                c.trustpoint == tp and c.role == CertRole.DEVICE and c.key_id == key_id)]
        self._config.certificates.append(record)
        return info_for(record, der, self._clock.now())

    def remove_imported(self, tp: str) -> builtins.list[CertificateInfo]:
        """``no crypto pki import TP certificate``: remove the certificates imported by hand."""
        gone = [r for r in self._records(tp) if r.role == "imported" or r.source == "import"]
        if not gone:
            raise CertificateError(f"No imported certificate under trustpoint {tp}")
        config = self._config
        config.certificates = [c for c in config.certificates if not any(c is g for g in gone)]
        return [info_for(r, self.der_of(r), self._clock.now()) for r in gone]

    def restore(self, tp: str, role: str, serial: str, der: bytes) -> CertificateInfo:
        """``certificate [ca | ra-…] SERIAL`` + hex in ``crypto pki certificate chain TP``: put back a
        certificate listed by ``show running-config`` (the serial must match the certificate)."""
        self._trustpoint(tp)
        if role not in ROLE_TITLES:
            raise CertificateError(f"Unknown certificate role {role!r}")
        cert = load_certificates(der)[0]
        if serial_hex(cert.serial_number) != normalize_serial(serial):
            raise CertificateError(f"The certificate's serial number is {serial_hex(cert.serial_number)}, "
                                   f"not {normalize_serial(serial)}", "Paste the hex of the certificate named.")
        der = cert.public_bytes(serialization.Encoding.DER)
        key_id = self._key_id_for(cert) if role in ("device", "imported") else None
        record = StoredCertificate.from_der(tp, role, der, key_id=key_id, orphaned=role == "device" and key_id is None,
                                            source="import" if role == "imported" else "config")
        config = self._config
        config.certificates = [c for c in config.certificates if not (c.trustpoint == tp and c.sha256 == record.sha256)]
        config.certificates.append(record)
        return info_for(record, der, self._clock.now())

    # -- peers -------------------------------------------------------------------------------
    def verify_peer(self, data: bytes, tp: str | None = None, *, intermediates: bytes | None = None) -> Verdict:
        """``crypto pki verify FILE [TP]``: chain, validity, key usage and revocation of a peer's
        certificate (PEM, leaf first then optional intermediate CAs as IKE peers send them, or DER);
        ``intermediates``: more intermediate CA certificates (PEM bundle or DER). Revocation is
        checked for the peer and every intermediate, each against its own issuer. Returns the
        verdict; never raises for a bad certificate (the verdict says why), only for unusable input."""
        from pkitui.core.certs_verify import verify_peer

        certs = load_certificates(data)
        if intermediates:
            certs += load_certificates(intermediates)
        from pkitui.core.certmaps import CertificateMaps

        return verify_peer(certs, tp, trustpoints=list(self._config.trustpoints), ca_certificate=self.ca_certificate,
                           revocation=self._revocation(), now=self._clock.now(), trustpoint=self._trustpoint,
                           certificate_maps=CertificateMaps(self._config))
