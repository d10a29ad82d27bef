"""Our own certificates against the CRL held of their issuer (issue 10): revoked, not revoked,
no CRL held, a CRL past its nextUpdate; nothing is fetched to say it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from pkitui.core.records import OwnRevocation
from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate
from pkitui.core.revocation.crl import parse_crl
from pkitui.lab.bigcrl import LabCa
from revocation_support import DER, NOW, make_crl, make_device


def _device_with_certificate(tmp_path: Path, ca: LabCa, serial: int) -> Pki:
    """A device trusting ``ca`` whose own certificate (serial ``serial``) ca issued for its key."""
    pki = make_device(tmp_path / "store", ca)
    [pair] = pki.keys.generate(modulus=1024)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "r1")]))
            .issuer_name(ca.certificate.subject).public_key(pair.public_key).serial_number(serial)
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
            .sign(ca.key, hashes.SHA256()))
    pki.config.certificates.append(StoredCertificate.from_der("lab", "device", cert.public_bytes(DER),
                                                              key_id=pair.key_id))
    return pki


def _own(pki: Pki) -> list[tuple[OwnRevocation, str, str]]:
    return [(i.revocation, i.status, i.revocation_note) for i in pki.certificates.list("lab") if i.role == "device"]


def test_without_a_crl_held_it_says_so(tmp_path: Path, ca: LabCa) -> None:
    pki = _device_with_certificate(tmp_path, ca, 0x5101)
    [(state, status, note)] = _own(pki)
    assert state is OwnRevocation.NO_CRL and status == "Available"
    assert "crypto pki crl request lab" in note
    ca_info = next(i for i in pki.certificates.list("lab") if i.role == "ca")
    assert ca_info.revocation is OwnRevocation.NOT_CHECKED and ca_info.revocation_note == ""


def test_our_revoked_certificate_is_revoked(tmp_path: Path, ca: LabCa) -> None:
    pki = _device_with_certificate(tmp_path, ca, 0x5102)
    pki.revocation.store.keep("lab", "http://cdp/lab.crl", parse_crl(make_crl(ca, [0x99, 0x5102])))
    [(state, status, note)] = _own(pki)
    assert state is OwnRevocation.REVOKED and status == "Revoked"
    assert "key_compromise" in note and "http://cdp/lab.crl" in note
    assert pki.certificates.list("lab")[0].as_json()["revocation"] == "revoked"


def test_not_on_the_crl_held_and_a_stale_crl_is_named(tmp_path: Path, ca: LabCa) -> None:
    pki = _device_with_certificate(tmp_path, ca, 0x5103)
    old = make_crl(ca, [0x99], this_update=NOW - timedelta(days=9), next_update=NOW - timedelta(days=2))
    pki.revocation.store.keep("lab", "http://cdp/lab.crl", parse_crl(old))
    [(state, status, note)] = _own(pki)
    assert state is OwnRevocation.NOT_REVOKED and status == "Available"
    assert "past its next update" in note
    pki.revocation.store.keep("lab", "http://cdp/lab.crl", parse_crl(make_crl(ca, [0x99], number=2)))
    [(state, _status, note)] = _own(pki)
    assert state is OwnRevocation.NOT_REVOKED and "past its next update" not in note


def test_the_listing_does_not_write_or_fetch(tmp_path: Path, ca: LabCa) -> None:
    """A CRL of the same CA held for another trustpoint answers, without being copied to ours."""
    pki = _device_with_certificate(tmp_path, ca, 0x5104)
    pki.trustpoints.declare("other")
    pki.config.certificates.append(StoredCertificate.from_der("other", "ca", ca.certificate.public_bytes(DER)))
    pki.revocation.store.keep("other", "http://cdp/lab.crl", parse_crl(make_crl(ca, [0x5104])))
    before = list(pki.config.crls)
    [(state, _status, _note)] = _own(pki)
    assert state is OwnRevocation.REVOKED
    assert pki.config.crls == before
