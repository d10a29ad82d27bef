"""Helpers and fixtures for the certificate and revocation tests: a test CA made with
cryptography, peers it issues, CRLs it signs, a device (Pki) trusting it, and the real servers
(http.server CDP, slapd, openssl ocsp, tftpd-hpa) from pkitui.lab."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate
from pkitui.lab.bigcrl import LabCa
from pkitui.lab.crl_http import CrlHttpServer

DER = serialization.Encoding.DER
PEM = serialization.Encoding.PEM
NOW = datetime.now(timezone.utc)
_PEER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ca() -> LabCa:
    """The test CA (one per session: RSA key generation is the slow part)."""
    return LabCa.create("Revocation Test CA")


@pytest.fixture(scope="session")
def rogue_ca() -> LabCa:
    """Another CA with the same name but another key (for 'signed by another key' tests)."""
    return LabCa.create("Revocation Test CA")


def issue(ca: LabCa, cn: str, serial: int, *, cdp: list[str] | None = None, ocsp: str | None = None,
          days: int = 30, not_before: datetime | None = None, key_usage: str = "sign",
          key: rsa.RSAPrivateKey | None = None, eku: bool = False) -> x509.Certificate:
    """A peer certificate issued by ``ca`` (no SAN, like a router's), with optional CDP and AIA."""
    start = not_before or NOW - timedelta(days=1)
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
         .issuer_name(ca.certificate.subject).public_key((key or _PEER_KEY).public_key())
         .serial_number(serial).not_valid_before(start).not_valid_after(start + timedelta(days=days)))
    if key_usage == "sign":
        b = b.add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
    elif key_usage == "encrypt-only":
        b = b.add_extension(x509.KeyUsage(False, False, True, False, False, False, False, False, False), critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
    if cdp:
        b = b.add_extension(x509.CRLDistributionPoints([
            x509.DistributionPoint([x509.UniformResourceIdentifier(u) for u in cdp], None, None, None)]),
            critical=False)
    if ocsp:
        b = b.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp))]),
            critical=False)
    return b.sign(ca.key, hashes.SHA256())


def make_crl(ca: LabCa, revoked: list[int], *, next_update: datetime | None = None,
             this_update: datetime | None = None, number: int = 1,
             extensions: list[tuple[x509.ExtensionType, bool]] | None = None) -> bytes:
    """A CRL signed by ``ca`` (cryptography's builder: an encoder independent of pkitui's);
    ``extensions``: more (extension, critical) pairs."""
    last = this_update or NOW - timedelta(hours=1)
    b = (x509.CertificateRevocationListBuilder().issuer_name(ca.certificate.subject).last_update(last)
         .next_update(next_update or NOW + timedelta(days=7))
         .add_extension(x509.CRLNumber(number), critical=False))
    for ext, critical in extensions or []:
        b = b.add_extension(ext, critical=critical)
    for serial in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - timedelta(hours=2))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False).build())
    return b.sign(ca.key, hashes.SHA256()).public_bytes(DER)


def make_device(store: Path, ca: LabCa, methods: list[str] | None = None, *, name: str = "lab") -> Pki:
    """A Pki whose trustpoint ``name`` holds ``ca``'s certificate (as after authenticate)."""
    pki = Pki.open(store)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    tp = pki.trustpoints.declare(name)
    if methods:
        tp.set_revocation_check(methods)
    pki.config.certificates.append(StoredCertificate.from_der(name, "ca", ca.certificate.public_bytes(DER)))
    return pki


def pem(cert: x509.Certificate) -> bytes:
    """PEM of ``cert``."""
    return cert.public_bytes(PEM)


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM of ``key`` (for openssl ocsp)."""
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture
def cdp(tmp_path: Path) -> Iterator[CrlHttpServer]:
    """An HTTP CRL distribution point serving ``cdp.directory``."""
    with CrlHttpServer(tmp_path / "cdp") as server:
        yield server


def intermediate(ca: LabCa, name: str, serial: int, *, cdp: list[str] | None = None, ocsp: str | None = None,
                 key: rsa.RSAPrivateKey | None = None) -> LabCa:
    """An intermediate CA issued by ``ca`` (basicConstraints CA, keyCertSign + cRLSign), with the CDP
    and AIA where ``ca`` publishes its own CRL / answers OCSP; as a LabCa it can issue peers and CRLs."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pkitui lab")]))
         .issuer_name(ca.certificate.subject).public_key(key.public_key()).serial_number(serial)
         .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=365))
         .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
         .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False))
    if cdp:
        b = b.add_extension(x509.CRLDistributionPoints([
            x509.DistributionPoint([x509.UniformResourceIdentifier(u) for u in cdp], None, None, None)]),
            critical=False)
    if ocsp:
        b = b.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp))]),
            critical=False)
    return LabCa(key=key, certificate=b.sign(ca.key, hashes.SHA256()))


def bundle(*certs: x509.Certificate) -> bytes:
    """A PEM bundle, peer first then its intermediates, as IKE peers send a chain."""
    return b"".join(pem(c) for c in certs)
