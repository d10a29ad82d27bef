"""OCSP (RFC 6960): a request with a nonce (unless ``ocsp disable-nonce``), the response's
signature, nonce and status checked.

The responder may sign with the CA's key or with a delegated responder certificate that the CA
issued with the id-kp-OCSPSigning extended key usage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from pkitui.core import net
from pkitui.core.deadline import deadline_for
from pkitui.core.errors import RevocationError

TIMEOUT: float | None = None  # None: deadline_for() (the run's --timeout, the trustpoint's, or 30 s)
MAX_RESPONSE_BYTES = net.SMALL_REPLY_BYTES
CLOCK_SKEW = timedelta(minutes=5)


class OcspUnreachable(RevocationError):
    """The responder did not answer (connection refused, timeout, HTTP error)."""


@dataclass(frozen=True)
class OcspAnswer:
    """A verified OCSP answer: good, revoked or unknown (with the revocation details)."""

    status: str
    url: str
    this_update: datetime
    revocation_time: datetime | None = None
    reason: str | None = None


def _verify_signature(key: object, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None) -> None:
    if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
        key.verify(signature, data, ec.ECDSA(algorithm))
    else:
        key.verify(signature, data)  # type: ignore[attr-defined]  # Ed25519 / Ed448


def _responder_certificate(resp: ocsp.OCSPResponse, issuer: x509.Certificate, now: datetime) -> x509.Certificate:
    """The certificate that must have signed ``resp``: the CA itself or a delegated responder (valid ``now``)."""
    ca_key_hash = _key_hash(issuer)
    if ((resp.responder_name is not None and resp.responder_name == issuer.subject)
            or resp.responder_key_hash == ca_key_hash):
        return issuer
    for cert in resp.certificates:
        if resp.responder_name is not None and cert.subject != resp.responder_name:
            continue
        if resp.responder_key_hash is not None and _key_hash(cert) != resp.responder_key_hash:
            continue
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise RevocationError("OCSP responder certificate was not issued by the CA") from None
        try:
            eku = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
        except x509.ExtensionNotFound:
            eku = []
        if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
            raise RevocationError("OCSP responder certificate lacks the OCSPSigning extended key usage")
        if not cert.not_valid_before_utc - CLOCK_SKEW <= now <= cert.not_valid_after_utc + CLOCK_SKEW:
            raise RevocationError("OCSP responder certificate is not valid now")
        return cert
    raise RevocationError("OCSP response signed by an unknown responder (neither the CA nor a delegate it issued)")


def _key_hash(cert: x509.Certificate) -> bytes:
    """SHA-1 of the subject public key BIT STRING (the ResponderID byKey form)."""
    return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def _check_nonce(resp: ocsp.OCSPResponse, sent: bytes, url: str) -> None:
    """RevocationError unless ``resp`` echoes the nonce ``sent``."""
    try:
        echoed = resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        raise RevocationError(f"OCSP nonce check failed: {url} did not echo the request's nonce",
                              "If this responder never echoes nonces: ocsp disable-nonce") from None
    if echoed != sent:
        raise RevocationError(f"OCSP nonce check failed: {url} returned another nonce (a replayed answer?)")


def query(url: str, cert: x509.Certificate, issuer: x509.Certificate, timeout: float | None = TIMEOUT,
          now: datetime | None = None, *, nonce: bool = True) -> OcspAnswer:
    """Ask ``url`` about ``cert``; OcspUnreachable when it does not answer (within one deadline, a
    1 MiB answer, no redirect to another host), RevocationError when the answer fails a check
    (signature, nonce, certificate id, dates, judged at ``now``: default the system clock).
    ``nonce=False`` (``ocsp disable-nonce``): the request carries no nonce and none is checked,
    for responders that answer from pre-signed responses."""
    now = now or datetime.now(timezone.utc)
    sent = os.urandom(16) if nonce else None
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())
    if sent is not None:
        builder = builder.add_extension(x509.OCSPNonce(sent), critical=False)
    request = builder.build()
    op = net.Operation("OCSP query", "the OCSP responder", OcspUnreachable)
    reply = net.fetch(op, url, method="POST", data=request.public_bytes(serialization.Encoding.DER),
                      seconds=timeout or deadline_for(), max_bytes=MAX_RESPONSE_BYTES,
                      headers={"Content-Type": "application/ocsp-request"})
    if reply.status != 200:
        raise OcspUnreachable(f"OCSP responder {url} answered HTTP {reply.status}")
    try:
        resp = ocsp.load_der_ocsp_response(reply.body)
    except ValueError as exc:
        raise RevocationError(f"OCSP response from {url} is malformed: {exc}") from None
    if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OcspUnreachable(f"OCSP responder {url} refused: {resp.response_status.name}")
    signer = _responder_certificate(resp, issuer, now)
    try:
        _verify_signature(signer.public_key(), resp.signature, resp.tbs_response_bytes, resp.signature_hash_algorithm)
    except (InvalidSignature, ValueError, TypeError):
        raise RevocationError(f"OCSP response signature check failed ({url})",
                              "The response was refused: it was not signed by the CA "
                              "or its delegated responder.") from None
    if sent is not None:
        _check_nonce(resp, sent, url)
    single = next((r for r in resp.responses if r.serial_number == cert.serial_number
                   and r.issuer_key_hash == request.issuer_key_hash), None)
    if single is None:
        raise RevocationError(f"OCSP response from {url} does not answer for this certificate")
    if single.this_update_utc > now + CLOCK_SKEW:
        raise RevocationError(f"OCSP response from {url} is dated in the future (check the clock)")
    if single.next_update_utc is not None and single.next_update_utc + CLOCK_SKEW < now:
        raise RevocationError(f"OCSP response from {url} is stale (nextUpdate has passed)")
    status = single.certificate_status
    if status == ocsp.OCSPCertStatus.REVOKED:
        reason = single.revocation_reason.name if single.revocation_reason else None
        return OcspAnswer("revoked", url, single.this_update_utc, single.revocation_time_utc, reason)
    return OcspAnswer("good" if status == ocsp.OCSPCertStatus.GOOD else "unknown", url, single.this_update_utc)
