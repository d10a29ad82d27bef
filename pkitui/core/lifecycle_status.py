"""A trustpoint's own state, as ``show crypto pki trustpoints status`` and ``crypto pki cert
validate`` report it: which CA and device certificates it holds, its key pair, pending requests,
the renewal and CRL times; and whether its own certificate chain is valid now.

:func:`trustpoint_state` reads the running configuration only (no network); :func:`validate_chain`
checks each device certificate's path to the trustpoint's CA (and on to the parent trustpoint's
CA with ``chain-validation continue PARENT``): signatures, validity at the core's clock, then,
when the trustpoint's ``revocation-check`` has ``crl``, revocation against the CRL held
(``CertificateService.own_revocation``: nothing is fetched, the answer is as new as that CRL; a
revoked certificate fails, no CRL held is said). A device certificate without its key pair
(``StoredCertificate.key_pair_missing``) is shown by the status and makes validate fail when it
is the only one: it is not a chain the router can present.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pkitui.core.config import RunningConfig
from pkitui.core.errors import PkiError
from pkitui.core.held import serial_hex
from pkitui.core.keys import key_fingerprints
from pkitui.core.records import OWN_ROLES, CertRole, OwnRevocation, StoredCertificate
from pkitui.core.trustpoints import Trustpoint

if TYPE_CHECKING:
    from cryptography import x509

    from pkitui.core.certs import CertificateInfo

# The certificates of a trustpoint as ``pki.certificates.list`` gives them (own ones with their
# revocation per the CRL held).
CertificateList = Callable[[str], list["CertificateInfo"]]


def revocation_text(state: OwnRevocation, note: str) -> str:
    """An own certificate's revocation, as status and validate say it: ``revoked since ...``,
    ``not revoked (not listed on the CRL from ...)``, ``no CRL held (fetch one with ...)``."""
    if state is OwnRevocation.REVOKED:
        return f"revoked {note}"
    return f"{state.value} ({note})" if note else state.value


@dataclass(frozen=True)
class HeldCertificate:
    """One certificate the trustpoint holds, as the status shows it."""

    role: str  # CertRole value
    key_id: str | None
    subject_der: bytes | None  # the subject Name's DER (None when only the fingerprint is held)
    md5: str
    sha1: str
    not_after: datetime | None
    renew_at: datetime | None = None  # auto-enroll's renewal time (device certificates)
    key_pair_missing: str = ""  # StoredCertificate.key_pair_missing (device certificates)
    revocation: OwnRevocation | None = None  # per the CRL held (device certificates)
    revocation_note: str = ""

    def as_json(self) -> dict[str, Any]:
        """JSON-ready (fingerprints in hex, times ISO 8601)."""
        from pkitui.core.dn import ios_dn_parts

        return {"role": self.role, "key_id": self.key_id,
                "subject": ",".join(ios_dn_parts(self.subject_der)) if self.subject_der else None,
                "md5": self.md5, "sha1": self.sha1,
                "not_after": self.not_after.isoformat() if self.not_after else None,
                "renew_at": self.renew_at.isoformat() if self.renew_at else None,
                "key_pair_missing": self.key_pair_missing,
                "revocation": self.revocation.value if self.revocation else None,
                "revocation_note": self.revocation_note}


@dataclass
class TrustpointState:
    """What ``show crypto pki trustpoints NAME status`` reports of one trustpoint."""

    name: str
    ca: HeldCertificate | None
    device: list[HeldCertificate]
    key_label: str | None
    key_usages: list[str]  # "general", or "signature" and "encryption"; empty: no keys
    exportable: bool
    pending: int
    crls: list[dict[str, Any]] = field(default_factory=list)  # issuer, this_update, next_update

    @property
    def keys_generated(self) -> bool:
        """True when the trustpoint's key pair exists."""
        return bool(self.key_usages)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"trustpoint": self.name, "ca_certificate": self.ca.as_json() if self.ca else None,
                "device_certificates": [c.as_json() for c in self.device], "key_label": self.key_label,
                "keys_generated": self.keys_generated, "key_usages": self.key_usages, "exportable": self.exportable,
                "ca_authenticated": self.ca is not None, "pending_requests": self.pending, "crls": self.crls}


def trustpoint_state(config: RunningConfig, tp: Trustpoint,
                     renew_at: Callable[[Trustpoint], dict[str, datetime]],
                     certificates: CertificateList | None = None) -> TrustpointState:
    """``tp``'s state (``renew_at``: the renewal time per key pair, ``pki.renewal.due_by_key``;
    ``certificates``: ``pki.certificates.list``, for the device certificates' revocation per the
    CRL held). A device certificate whose key pair is not in this store is listed, saying so."""
    from cryptography import x509

    due = renew_at(tp)
    revocations = {i.der: (i.revocation, i.revocation_note) for i in (certificates(tp.name) if certificates else [])
                   if i.role in OWN_ROLES and i.der is not None}
    ca: HeldCertificate | None = None
    device: list[HeldCertificate] = []
    for rec in config.certificates:
        if rec.trustpoint != tp.name or (rec.orphaned and rec.role not in OWN_ROLES):
            continue
        if rec.role not in (CertRole.CA, CertRole.DEVICE, CertRole.IMPORTED):
            continue
        cert = x509.load_der_x509_certificate(rec.der) if rec.der is not None else None
        fps = key_fingerprints(rec.der) if rec.der is not None else {"md5": "", "sha1": ""}
        revocation, note = revocations.get(rec.der, (None, "")) if rec.der is not None else (None, "")
        held = HeldCertificate(rec.role, rec.key_id, cert.subject.public_bytes() if cert else None,
                               fps["md5"], fps["sha1"], cert.not_valid_after_utc if cert else None,
                               due.get(rec.key_id or "") if rec.role == CertRole.DEVICE and not rec.orphaned else None,
                               rec.key_pair_missing, revocation, note)
        if rec.role == CertRole.CA:
            ca = ca or held
        else:
            device.append(held)
    label = tp.rsakeypair or config.identity.fqdn
    pairs = [p for p in config.key_pairs.values() if p.label == label]
    crls = [{"issuer": c.issuer, "this_update": c.this_update, "next_update": c.next_update}
            for c in config.crls if c.trustpoint == tp.name]
    return TrustpointState(tp.name, ca, device, label, [p.usage for p in pairs], any(p.exportable for p in pairs),
                           sum(1 for p in config.pending if p.trustpoint == tp.name), crls)


@dataclass
class ChainValidation:
    """The answer of ``crypto pki cert validate TP``."""

    trustpoint: str
    ok: bool
    reason: str  # why it failed ("" when valid)
    certificates: int = 0  # the length of the longest chain checked (device certificate to the last CA)
    chains: list[list[str]] = field(default_factory=list)  # subjects, device certificate first
    notes: list[str] = field(default_factory=list)  # each router certificate's revocation, what was not checked

    def as_json(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"trustpoint": self.trustpoint, "valid": self.ok, "reason": self.reason,
                "certificates": self.certificates, "chains": self.chains, "notes": self.notes}


def validate_chain(config: RunningConfig, tp: Trustpoint, *, ca_certificate: Callable[[str], x509.Certificate],
                   trustpoint: Callable[[str], Trustpoint], now: datetime,
                   certificates: CertificateList) -> ChainValidation:
    """``crypto pki cert validate TP``: every device certificate of ``tp`` (with its key pair) has
    a valid path to its CA (and beyond, per ``chain-validation``) at ``now`` and, when ``tp``'s
    ``revocation-check`` has ``crl``, is not revoked per the CRL held (``certificates``:
    ``pki.certificates.list``). Never raises for a bad chain."""
    from cryptography import x509

    from pkitui.core.certmaps import CertificateMaps
    from pkitui.core.certs_verify import verify_peer
    from pkitui.core.revocation.check import RevocationOutcome, RevocationStatus

    class _NotChecked:
        def note_path(self, tp: str, chain: list[x509.Certificate]) -> None:
            return None

        def check(self, tp: str, cert: x509.Certificate, issuer: x509.Certificate) -> RevocationOutcome:
            return RevocationOutcome(RevocationStatus.UNCHECKED, None, "not checked by cert validate")

    held = [rec for rec in config.certificates if rec.trustpoint == tp.name
            and rec.role in (CertRole.DEVICE, CertRole.IMPORTED) and rec.der is not None]
    own = [rec for rec in held if not rec.orphaned]
    if not own and held:
        keyless = held[-1]
        assert keyless.der is not None
        serial = serial_hex(x509.load_der_x509_certificate(keyless.der).serial_number)
        return ChainValidation(tp.name, False, f"the router certificate (serial {serial}) cannot be used: "
                                               f"{keyless.key_pair_missing}")
    if not own:
        return ChainValidation(tp.name, False, "can't get local certificate chain")
    try:
        ca_certificate(tp.name)
    except PkiError as exc:
        return ChainValidation(tp.name, False, exc.message)
    result = ChainValidation(tp.name, True, "")
    for rec in own:
        assert rec.der is not None
        leaf = x509.load_der_x509_certificate(rec.der)
        verdict = verify_peer([leaf], tp.name, trustpoints=list(config.trustpoints), ca_certificate=ca_certificate,
                              revocation=_NotChecked(), now=now, trustpoint=trustpoint,
                              certificate_maps=CertificateMaps(config))
        # The chain is built before key usage and certificate maps are judged: those judge a peer
        # (an encryption-only certificate of usage keys signs nothing), not our own chain.
        if not verdict.ok and verdict.check not in ("key usage", "certificate map"):
            return ChainValidation(tp.name, False, verdict.reason, len(verdict.chain), result.chains + [verdict.chain])
        result.chains.append(verdict.chain)
        result.certificates = max(result.certificates, len(verdict.chain))
    return _own_revocation(result, tp, own, certificates)


def _own_revocation(result: ChainValidation, tp: Trustpoint, own: list[StoredCertificate],
                    certificates: CertificateList) -> ChainValidation:
    """Revocation of the router certificates of a valid chain, per ``revocation-check``: with
    ``crl``, the CRL held says (revoked: not valid); without, it is said not to be checked."""
    if "crl" not in tp.revocation_check:
        result.notes.append(f"Revocation not checked: revocation-check {' '.join(tp.revocation_check)} "
                            "(crypto pki verify checks a certificate with it)")
        return result
    ders = {rec.der for rec in own}
    for info in certificates(tp.name):
        if info.der not in ders:
            continue
        text = revocation_text(info.revocation, info.revocation_note)
        if info.revocation is OwnRevocation.REVOKED:
            result.ok = False
            result.reason = f"certificate serial {info.serial_hex} is {text}"
            return result
        result.notes.append(f"Revocation of certificate serial {info.serial_hex}: {text}")
    return result
