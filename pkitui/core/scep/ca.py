"""The CA certificate offered by GetCACert: fingerprints, warnings, RA certificates.

A :class:`CaCandidate` is what ``crypto pki authenticate`` shows before anything is stored.
Fingerprints are digests of the whole DER certificate (not its TBS part), as IOS shows them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pkitui.core.errors import CertificateError, ScepError
from pkitui.core.fingerprint import digest_of, grouped
from pkitui.core.keys import key_fingerprints
from pkitui.core.trustpoint_values import normalize_fingerprint

MIN_CA_KEY_BITS = 2048
_WEAK_HASHES = {"md5": "MD5", "sha1": "SHA-1"}


def fingerprints(der: bytes) -> dict[str, str]:
    """MD5, SHA-1 and SHA-256 of a whole DER certificate (upper-case hex, no separators)."""
    return key_fingerprints(der)


def ios_grouping(hexs: str) -> str:
    """IOS's fingerprint layout: groups of 8 hex digits separated by spaces."""
    return grouped(hexs)


def der_of(cert: x509.Certificate) -> bytes:
    """DER encoding of ``cert``."""
    return cert.public_bytes(serialization.Encoding.DER)


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def is_ca(cert: x509.Certificate) -> bool:
    """True when the certificate says it is a CA (basicConstraints CA:TRUE)."""
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


@dataclass
class CaCandidate:
    """A CA certificate (and RA certificates) offered for authentication; nothing stored yet."""

    certificate: x509.Certificate
    ra_certificates: list[x509.Certificate] = field(default_factory=list)
    chain: list[x509.Certificate] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    subject: str = ""
    issuer: str = ""
    not_before: datetime.datetime | None = None
    not_after: datetime.datetime | None = None
    key_size: int = 0
    warnings: list[str] = field(default_factory=list)
    accepted: bool = False

    @property
    def der(self) -> bytes:
        """The CA certificate's DER."""
        return der_of(self.certificate)

    def grouped(self, alg: str) -> str:
        """Fingerprint ``alg`` (md5, sha1, sha256) in IOS's grouping."""
        return grouped(self.fingerprints[digest_of(alg)])

    def matches(self, fingerprint: str) -> bool:
        """True when ``fingerprint`` (MD5, SHA-1 or SHA-256; separators and case ignored) is ours."""
        return normalize_fingerprint(fingerprint) in self.fingerprints.values()

    @property
    def ra_encryption(self) -> x509.Certificate | None:
        """The RA certificate to encrypt requests to (keyEncipherment allowed)."""
        return _pick(self.ra_certificates, "key_encipherment")

    @property
    def ra_signature(self) -> x509.Certificate | None:
        """The RA certificate that signs replies (digitalSignature allowed)."""
        return _pick(self.ra_certificates, "digital_signature")

    def ra_role(self, cert: x509.Certificate) -> str:
        """Store role of an RA certificate: ra-encryption, ra-signature, or ra (both)."""
        enc, sig = cert is self.ra_encryption, cert is self.ra_signature
        return "ra" if enc == sig else ("ra-encryption" if enc else "ra-signature")


def _pick(certs: list[x509.Certificate], usage: str) -> x509.Certificate | None:
    without_ku = None
    for cert in certs:
        ku = _key_usage(cert)
        if ku is None:
            without_ku = without_ku or cert
        elif getattr(ku, usage):
            return cert
    return without_ku


def candidate(cert: x509.Certificate, ra_certificates: list[x509.Certificate] | None = None,
              chain: list[x509.Certificate] | None = None, now: datetime.datetime | None = None) -> CaCandidate:
    """A candidate for ``cert`` with its fingerprints and the warnings a person should see
    (validity judged at ``now``, default the system clock)."""
    der = der_of(cert)
    key = cert.public_key()
    key_size = key.key_size if isinstance(key, rsa.RSAPublicKey) else 0
    warnings = []
    if isinstance(key, rsa.RSAPublicKey) and key_size < MIN_CA_KEY_BITS:
        warnings.append(f"The CA key is only {key_size} bits (under {MIN_CA_KEY_BITS}): it can be broken.")
    elif not isinstance(key, rsa.RSAPublicKey):
        warnings.append("The CA key is not RSA: SCEP enrollment needs an RSA CA or RA key.")
    hash_alg = cert.signature_hash_algorithm
    if hash_alg is not None and hash_alg.name in _WEAK_HASHES:
        warnings.append(f"The CA certificate is signed with {_WEAK_HASHES[hash_alg.name]}, a weak digest.")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if cert.not_valid_after_utc < now:
        warnings.append("The CA certificate has expired.")
    elif cert.not_valid_before_utc > now:
        warnings.append("The CA certificate is not valid yet (check the clock).")
    if not is_ca(cert):
        warnings.append("The certificate does not say it is a CA (no basicConstraints CA:TRUE).")
    ras = ra_certificates or []
    cand = CaCandidate(certificate=cert, ra_certificates=ras, chain=chain or [], fingerprints=fingerprints(der),
                       subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
                       not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
                       key_size=key_size, warnings=warnings)
    if ras and (cand.ra_encryption is None or cand.ra_signature is None):
        warnings.append("The RA certificates allow neither keyEncipherment nor digitalSignature as needed.")
    return cand


def parse_ca_reply(body: bytes, content_type: str = "", now: datetime.datetime | None = None) -> CaCandidate:
    """GetCACert's body: one DER (or PEM) certificate, or a PKCS#7 certs-only with RA certificates."""
    if not body:
        raise ScepError("GetCACert: the CA sent an empty reply")
    if content_type != "application/x-x509-ca-ra-cert":
        try:
            if body.lstrip().startswith(b"-----BEGIN"):
                return candidate(x509.load_pem_x509_certificate(body), now=now)
            return candidate(x509.load_der_x509_certificate(body), now=now)
        except ValueError:
            pass  # maybe a PKCS#7 after all
    try:
        info = cms.ContentInfo.load(body)
        certs = [x509.load_der_x509_certificate(c.chosen.dump())
                 for c in info["content"]["certificates"] if c.name == "certificate"]
    except (ValueError, TypeError, KeyError) as exc:
        raise CertificateError(f"GetCACert: the reply is neither a certificate nor a PKCS#7 chain ({exc})") from None
    return from_chain(certs, now)


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s key signed ``cert`` (and the names chain)."""
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def from_chain(certs: list[x509.Certificate], now: datetime.datetime | None = None) -> CaCandidate:
    """Pick the issuing CA and the RA certificates out of a GetCACert chain.

    Only the issuing CA is confirmed (by its fingerprint), so everything else is kept only when
    a signature ties it to that CA: RA certificates the CA signed, and the CA's own issuers up to
    a root. Anything else (a forged RA naming the CA as issuer, a stray CA) is dropped with a warning.
    """
    cas = [c for c in certs if is_ca(c)]
    others = [c for c in certs if not is_ca(c)]
    if not cas:
        if len(certs) == 1:
            return candidate(certs[0], now=now)
        raise CertificateError("GetCACert: the chain holds no CA certificate (basicConstraints CA:TRUE)")
    issuing = [ca for ca in cas if any(r.issuer == ca.subject for r in others)] or \
              [ca for ca in cas if not any(o is not ca and o.issuer == ca.subject for o in cas)] or cas
    ca = issuing[0]
    ras = [r for r in others if r.issuer == ca.subject and signed_by(r, ca)]
    above: list[x509.Certificate] = []
    top = ca
    while top.issuer != top.subject:
        parent = next((c for c in cas if c is not top and c not in above and c.subject == top.issuer
                       and signed_by(top, c)), None)
        if parent is None:
            break
        above.append(parent)
        top = parent
    cand = candidate(ca, ras, above, now)
    dropped = len(certs) - 1 - len(ras) - len(above)
    if dropped:
        cand.warnings.append(f"{dropped} certificate(s) in the CA's reply are not signed by the CA or its "
                             "issuers and were ignored.")
    return cand
