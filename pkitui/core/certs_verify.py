"""``crypto pki verify``: the check IKE does when a peer presents its certificate.

1. the path to a trustpoint's CA (cryptography's x509.verification with our own store; its
   web-PKI extension policy is relaxed, as a peer certificate of an IPsec PKI often has no
   subjectAltName and a CA no keyUsage: the CA policy requires basicConstraints instead);
2. validity dates, given as their own reason;
3. key usage: the peer signs IKE authentication, so keyUsage (when present) must allow
   digitalSignature;
4. revocation, in the trustpoint's ``revocation-check`` order (:mod:`pkitui.core.revocation.check`),
   of every certificate on the path below the trustpoint CA (the peer, then each intermediate CA
   the peer sent), each against its own issuer: its CRL must be signed by that issuer and its OCSP
   CertID names that issuer. A revoked intermediate makes the peer revoked; the verdict names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification

from pkitui.core.certfields import serial_hex
from pkitui.core.certmaps import CertificateMaps
from pkitui.core.clock import SYSTEM_CLOCK
from pkitui.core.errors import PkiError
from pkitui.core.revocation.check import RevocationOutcome
from pkitui.core.trustpoints import Trustpoint


class RevocationChecker(Protocol):
    """What peer verification asks of the revocation service (``pki.revocation``)."""

    def note_path(self, tp: str, chain: list[x509.Certificate]) -> None:
        """Remember the intermediate CAs of a path just verified to ``tp``'s CA."""

    def check(self, tp: str, cert: x509.Certificate, issuer: x509.Certificate) -> RevocationOutcome:
        """``tp``'s revocation-check methods, in order, for ``cert`` issued by ``issuer``."""
        ...


@dataclass
class PathCheck:
    """The revocation outcome of one certificate of the path, checked against its issuer."""

    role: str  # "peer" | "intermediate"
    subject: str
    serial_hex: str
    issuer: str
    revocation: RevocationOutcome

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"role": self.role, "subject": self.subject, "serial_hex": self.serial_hex, "issuer": self.issuer,
                "revocation": self.revocation.as_json()}


@dataclass
class Verdict:
    """The answer of ``crypto pki verify``: ``ok``, the failed ``check`` (None when ok) and why."""

    ok: bool
    check: str | None
    reason: str
    subject: str
    serial_hex: str
    trustpoint: str | None = None
    chain: list[str] = field(default_factory=list)
    revocation: RevocationOutcome | None = None
    # the certificate the revocation verdict is about (the peer, or the intermediate that failed)
    revocation_subject: str | None = None
    path: list[PathCheck] = field(default_factory=list)
    checked_at: datetime = field(default_factory=lambda: SYSTEM_CLOCK.now())

    @property
    def status(self) -> str:
        """One word: valid, revoked or invalid."""
        if self.ok:
            return "valid"
        return "revoked" if self.check == "revocation" and self.revocation and self.revocation.status == "revoked" \
            else "invalid"

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"ok": self.ok, "status": self.status, "check": self.check, "reason": self.reason,
                "subject": self.subject, "serial_hex": self.serial_hex, "trustpoint": self.trustpoint,
                "chain": self.chain, "checked_at": self.checked_at.isoformat(),
                "revocation": self.revocation.as_json() if self.revocation else None,
                "revocation_subject": self.revocation_subject,
                "path": [c.as_json() for c in self.path]}


def _policies() -> tuple[verification.ExtensionPolicy, verification.ExtensionPolicy]:
    ca_policy = verification.ExtensionPolicy.permit_all().require_present(
        x509.BasicConstraints, verification.Criticality.AGNOSTIC, _require_ca)
    return ca_policy, verification.ExtensionPolicy.permit_all()


def _require_ca(policy: Any, cert: x509.Certificate, bc: x509.BasicConstraints | None) -> None:
    if bc is None or not bc.ca:
        raise ValueError("an issuer in the chain is not a CA (basicConstraints CA:FALSE)")


def _build_path(leaf: x509.Certificate, extra: list[x509.Certificate], ca: x509.Certificate,
                now: datetime) -> list[x509.Certificate]:
    ca_policy, ee_policy = _policies()
    verifier = (verification.PolicyBuilder().store(verification.Store([ca])).time(now)
                .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy).build_client_verifier())
    return list(verifier.verify(leaf, extra).chain)


def _validity_problem(cert: x509.Certificate, now: datetime) -> str | None:
    if cert.not_valid_after_utc < now:
        return f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    if cert.not_valid_before_utc > now:
        return f"the certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC (check the clock)"
    return None


def _key_usage_problem(cert: x509.Certificate) -> str | None:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if not usage.digital_signature:
        return "keyUsage does not allow digitalSignature (the peer could not sign IKE authentication)"
    return None


def verify_peer(certs: list[x509.Certificate], tp: str | None, *, trustpoints: list[str],
                ca_certificate: Callable[[str], x509.Certificate], revocation: RevocationChecker,
                now: datetime, trustpoint: Callable[[str], Trustpoint] | None = None,
                certificate_maps: CertificateMaps | None = None) -> Verdict:
    """Verify ``certs[0]`` (the peer; the rest are intermediates) at ``now`` against ``tp`` or
    every trustpoint (of ``trustpoints``) holding a CA certificate; the first trustpoint that
    builds a path decides. With ``trustpoint`` (the settings by name): ``match certificate MAP``
    refuses a peer matching no sequence of the map (``certificate_maps``), and ``chain-validation
    continue [PARENT]`` carries the path on from the trustpoint's CA to its parent's CA (that CA
    checked for validity and revocation too), ``stop`` (and by default) it ends there."""
    leaf, extra = certs[0], certs[1:]
    base: dict[str, Any] = {"subject": leaf.subject.rfc4514_string(), "serial_hex": serial_hex(leaf.serial_number),
                            "checked_at": now}
    names = [tp] if tp else trustpoints
    path_errors: list[str] = []
    for name in names:
        try:
            ca = ca_certificate(name)
        except PkiError as exc:
            if tp:
                return Verdict(False, "trustpoint", exc.message, trustpoint=name, **base)
            continue
        if leaf.public_bytes(serialization.Encoding.DER) == ca.public_bytes(serialization.Encoding.DER):
            path_errors.append(f"{name}: the certificate is the CA certificate itself, not a peer's")
            continue
        expiry = _validity_problem(leaf, now)
        if expiry:
            if _issued_under(leaf, extra, ca):
                return Verdict(False, "validity", expiry, trustpoint=name, **base)
            path_errors.append(f"{name}: not issued by this CA")
            continue
        try:
            chain = _build_path(leaf, extra, ca, now)
        except verification.VerificationError as exc:
            path_errors.append(f"{name}: {exc}")
            continue
        chain_names = [c.subject.rfc4514_string() for c in chain]
        problem = _key_usage_problem(leaf)
        if problem:
            return Verdict(False, "key usage", problem, trustpoint=name, chain=chain_names, **base)
        settings = trustpoint(name) if trustpoint is not None else None
        if settings is not None and settings.match_certificate:
            maps = certificate_maps
            if maps is None:
                raise ValueError("verify_peer: a trustpoint names a certificate map but no maps were given")
            mapped = maps.match(settings.match_certificate, leaf)
            if not mapped.matched:
                return Verdict(False, "certificate map", f"refused by trustpoint {name}'s match certificate "
                               f"{mapped.label}: {mapped.reason}", trustpoint=name, chain=chain_names, **base)
        revocation.note_path(name, chain)
        owners = [name] * (len(chain) - 1)  # whose revocation-check judges each certificate below an anchor
        if settings is not None and trustpoint is not None:
            try:
                above, above_owners = _continued(name, chain[-1], trustpoint, trustpoints, ca_certificate, now)
            except _PathEnds as exc:
                return Verdict(False, "chain", exc.reason, trustpoint=name, chain=chain_names, **base)
            chain, owners = chain + above, owners + above_owners
            chain_names = [c.subject.rfc4514_string() for c in chain]
        checks: list[PathCheck] = []
        for i, cert in enumerate(chain[:-1]):  # the last one is the last trustpoint CA: a trust anchor
            outcome = revocation.check(owners[i], cert, chain[i + 1])
            check = PathCheck("peer" if i == 0 else "intermediate", cert.subject.rfc4514_string(),
                              serial_hex(cert.serial_number), chain[i + 1].subject.rfc4514_string(), outcome)
            checks.append(check)
            if outcome.accepted:
                continue
            what = "" if i == 0 else f"the intermediate CA certificate {check.subject} (serial {check.serial_hex}): "
            reason = f"revoked: {what}{outcome.detail}" if outcome.status == "revoked" else f"{what}{outcome.detail}"
            return Verdict(False, "revocation", reason, trustpoint=name, chain=chain_names, revocation=outcome,
                           revocation_subject=check.subject, path=checks, **base)
        how = "; ".join(_how(c) for c in checks)
        return Verdict(True, None, f"chain to {ca.subject.rfc4514_string()} verified; valid until "
                       f"{leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC; {how}",
                       trustpoint=name, chain=chain_names, revocation=checks[0].revocation,
                       revocation_subject=checks[0].subject, path=checks, **base)
    if not names:
        reason = "no trustpoint is configured"
    elif not path_errors:
        reason = "no trustpoint has an authenticated CA certificate"
    else:
        reason = "no path to a trusted CA: " + "; ".join(path_errors)
    return Verdict(False, "chain", reason, trustpoint=tp, **base)


class _PathEnds(Exception):
    """``chain-validation continue`` could not carry the path on (the reason says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _continued(name: str, ca: x509.Certificate, trustpoint: Callable[[str], Trustpoint], names: list[str],
               ca_certificate: Callable[[str], x509.Certificate],
               now: datetime) -> tuple[list[x509.Certificate], list[str]]:
    """The CA certificates above ``name``'s CA that ``chain-validation continue`` adds (each
    parent's CA, while its own setting continues), and for each certificate below one of them the
    trustpoint whose revocation-check judges it (the parent's). ``stop``, the default, or a
    self-signed CA without a named parent ends the path."""
    added: list[x509.Certificate] = []
    owners: list[str] = []
    seen = {name.lower()}
    while True:
        setting = trustpoint(name).chain_validation
        if setting is None or setting == "stop":
            return added, owners
        parent = trustpoint(name).chain_parent or _issuing_trustpoint(ca, name, names, ca_certificate)
        if parent is None:
            if ca.issuer == ca.subject:
                return added, owners  # a root: nothing above it
            raise _PathEnds(f"trustpoint {name} has chain-validation continue, but no trustpoint holds the CA "
                            f"that issued its CA ({ca.issuer.rfc4514_string()})")
        if parent.lower() in seen:
            raise _PathEnds(f"chain-validation loops back to trustpoint {parent}")
        seen.add(parent.lower())
        try:
            parent_ca = ca_certificate(parent)
        except PkiError as exc:
            raise _PathEnds(f"trustpoint {name} continues to {parent}: {exc.message}") from None
        try:
            ca.verify_directly_issued_by(parent_ca)
        except (ValueError, TypeError, InvalidSignature):
            raise _PathEnds(f"trustpoint {name}'s CA was not issued by trustpoint {parent}'s CA "
                            f"({parent_ca.subject.rfc4514_string()})") from None
        expiry = _validity_problem(ca, now)
        if expiry:
            raise _PathEnds(f"trustpoint {name}'s CA certificate: {expiry.removeprefix('the certificate ')}")
        added.append(parent_ca)
        owners.append(parent)
        name, ca = parent, parent_ca


def _issuing_trustpoint(ca: x509.Certificate, name: str, names: list[str],
                        ca_certificate: Callable[[str], x509.Certificate]) -> str | None:
    """Another trustpoint whose CA issued ``ca`` (None for a self-signed CA or when none does)."""
    if ca.issuer == ca.subject:
        return None
    for other in names:
        if other.lower() == name.lower():
            continue
        try:
            candidate = ca_certificate(other)
            ca.verify_directly_issued_by(candidate)
        except (PkiError, ValueError, TypeError, InvalidSignature):
            continue
        return other
    return None


def _how(check: PathCheck) -> str:
    """How one certificate of the path passed the revocation check."""
    outcome = check.revocation
    text = f"not revoked ({outcome.detail})" if outcome.status == "good" else outcome.detail
    return text if check.role == "peer" else f"intermediate {check.subject}: {text}"


def _issued_under(leaf: x509.Certificate, extra: list[x509.Certificate], ca: x509.Certificate) -> bool:
    """True when ``leaf`` (or its last intermediate) names ``ca`` as issuer and the signature holds."""
    top = extra[-1] if extra else leaf
    try:
        top.verify_directly_issued_by(ca)
        return True
    except Exception:  # noqa: BLE001 - any failure means 'not under this CA'
        return False
