"""Helpers for the auto-enroll, timers and status tests: a device whose certificates are made
here with fixed dates (a CA, its device certificates, a CRL record), under a FixedClock."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from pkitui.core.clock import FixedClock
from pkitui.core.pki import Pki
from pkitui.core.records import CertRole, StoredCertificate

DER = serialization.Encoding.DER
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)  # every certificate here starts then
_CA_KEY = rsa.generate_private_key(65537, 2048)
_OTHER_KEY = rsa.generate_private_key(65537, 2048)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def certificate(subject: str, public_key: rsa.RSAPublicKey, *, days: float, ca: bool = False,
                start: datetime.datetime = T0, issuer_key: rsa.RSAPrivateKey = _CA_KEY,
                issuer: str = "Lifecycle CA") -> x509.Certificate:
    """A certificate valid from ``start`` for ``days``, signed by the test CA (or ``issuer_key``)."""
    return (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))


CA_CERT = certificate("Lifecycle CA", _CA_KEY.public_key(), days=3650, ca=True)


def device(store: Path, clock: FixedClock, *, usage_keys: bool = False, days: tuple[float, ...] = (100,),
           auto_enroll: str | None = "80", foreign: bool = False) -> Pki:
    """A device with trustpoint 'lab' holding the test CA and one certificate per key pair (valid
    ``days[i]`` from T0; ``foreign``: signed by another CA), ``auto-enroll`` as given."""
    from pkitui.core.trustpoint_options import OPTIONS_BY_KEY

    pki = Pki.open(store, clock=clock)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pairs = pki.keys.generate(usage_keys=usage_keys, modulus=1024)
    tp = pki.trustpoints.declare("lab")
    tp.set_enrollment_url("http://127.0.0.1:9/scep")
    if auto_enroll is not None:
        OPTIONS_BY_KEY["auto_enroll"].parse(tp, auto_enroll)
    pki.config.certificates.append(StoredCertificate.from_der("lab", CertRole.CA, CA_CERT.public_bytes(DER)))
    for pair, lifetime in zip(pairs, days * len(pairs) if len(days) == 1 else days, strict=True):
        cert = certificate("r1.example.com", pair.public_key, days=lifetime,
                           issuer_key=_OTHER_KEY if foreign else _CA_KEY)
        pki.config.certificates.append(StoredCertificate.from_der("lab", CertRole.DEVICE, cert.public_bytes(DER),
                                                                  key_id=pair.key_id))
    return pki


def hold_crl(pki: Pki, revoked: list[x509.Certificate], *, tp: str = "lab") -> None:
    """Hold a CRL of the test CA for ``tp`` revoking ``revoked`` (as after crypto pki crl request),
    dated from the device's clock."""
    from pkitui.core.revocation.crl import parse_crl

    now = pki.clock.now()
    builder = (x509.CertificateRevocationListBuilder().issuer_name(name("Lifecycle CA"))
               .last_update(now - datetime.timedelta(hours=1)).next_update(now + datetime.timedelta(days=7))
               .add_extension(x509.CRLNumber(1), critical=False))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
            .revocation_date(now - datetime.timedelta(hours=2))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False).build())
    der = builder.sign(_CA_KEY, hashes.SHA256()).public_bytes(DER)
    pki.revocation.store.keep(tp, "http://ca.example/lab.crl", parse_crl(der))
