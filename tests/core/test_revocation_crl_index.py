"""The CRL parser, signature check and serial index, against cryptography's own reading."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from pkitui.core.errors import RevocationError
from pkitui.core.revocation.crl import parse_crl, verify_crl
from pkitui.core.revocation.crl_index import SCANS_BEFORE_INDEX, CrlIndex, serial_octets
from pkitui.lab.bigcrl import LabCa, build_crl_der, revoked_serials
from revocation_support import NOW, make_crl

PEM_HEADER = b"-----BEGIN X509 CRL-----"


@given(st.integers(min_value=-(2**160), max_value=2**160))
def test_serial_octets_match_asn1crypto(serial: int) -> None:
    assert serial_octets(serial) == core.Integer(serial).contents


def test_index_agrees_with_cryptography_on_every_entry(ca: LabCa) -> None:
    serials = revoked_serials(3000, seed=3)
    der = build_crl_der(ca, serials)
    crl = parse_crl(der)
    verify_crl(crl, ca.certificate)
    reference = x509.load_der_x509_crl(der)
    index = crl.index
    assert len(index) == len(reference) == 3000
    for i in range(0, 3000, 7):
        row, entry = index.row(i), reference[i]
        assert row.serial == entry.serial_number
        assert row.revocation_date == entry.revocation_date_utc
    assert index.row(-1).serial == serials[-1]
    # scan path first, then the dict: same answers, and absent serials stay absent
    rng = random.Random(5)
    probes = rng.sample(range(3000), 40)
    for n, i in enumerate(probes):
        assert index.find(serials[i]) == i
        assert index.find(serials[i] + 1) is None or serials[i] + 1 in serials
        if n == SCANS_BEFORE_INDEX:
            assert index.indexed
    assert index.find(-5) is None


def test_reason_and_header_fields(ca: LabCa) -> None:
    der = make_crl(ca, [0x10, 0x0FFF, 2**100], number=42)
    crl = parse_crl(der)
    assert crl.crl_number == 42
    assert crl.issuer_der == ca.certificate.subject.public_bytes()
    assert crl.next_update is not None and crl.next_update > NOW
    assert not crl.expired()
    assert crl.expired(NOW + timedelta(days=8))
    row = crl.index.lookup(2**100)
    assert row is not None and row.reason == "key_compromise"
    assert crl.index.lookup(0x11) is None


def test_empty_crl_has_no_entries(ca: LabCa) -> None:
    crl = parse_crl(make_crl(ca, []))
    verify_crl(crl, ca.certificate)
    assert len(crl.index) == 0
    assert crl.index.find(1) is None


def test_pem_crl_is_accepted(ca: LabCa) -> None:
    der = make_crl(ca, [7])
    pem = x509.load_der_x509_crl(der).public_bytes(serialization.Encoding.PEM)
    assert pem.startswith(PEM_HEADER)
    assert parse_crl(pem).index.find(7) == 0


def test_crl_signed_by_another_key_is_refused(ca: LabCa, rogue_ca: LabCa) -> None:
    forged = parse_crl(make_crl(rogue_ca, [1, 2, 3]))
    with pytest.raises(RevocationError, match="signature check failed"):
        verify_crl(forged, ca.certificate)


def test_tampered_crl_is_refused(ca: LabCa) -> None:
    der = bytearray(build_crl_der(ca, revoked_serials(50, seed=9)))
    der[300] ^= 0x01  # inside an entry: the signed bytes change
    with pytest.raises(RevocationError):
        verify_crl(parse_crl(bytes(der)), ca.certificate)


def test_crl_of_another_issuer_is_refused(ca: LabCa) -> None:
    other = LabCa.create("Some Other CA", key_size=1024)
    with pytest.raises(RevocationError, match="is not the CA"):
        verify_crl(parse_crl(make_crl(other, [1])), ca.certificate)


def test_garbage_is_refused_with_a_message() -> None:
    with pytest.raises(RevocationError, match="not a CRL"):
        parse_crl(b"\x30\x03\x02\x01\x01")
    with pytest.raises(RevocationError):
        parse_crl(b"<html>not found</html>")


def test_malformed_entry_region_is_refused(ca: LabCa) -> None:
    der = build_crl_der(ca, revoked_serials(10, seed=1))
    crl = parse_crl(der)
    start, end = crl.region
    with pytest.raises(RevocationError, match="malformed"):
        len(CrlIndex(der, start, end - 3))


def test_crl_dated_in_the_future_is_refused(ca: LabCa) -> None:
    crl = parse_crl(make_crl(ca, [], this_update=NOW + timedelta(hours=2), next_update=NOW + timedelta(days=3)))
    with pytest.raises(RevocationError, match="in the future"):
        verify_crl(crl, ca.certificate)


def test_warm_look_ups_take_under_ten_microseconds(ca: LabCa) -> None:
    import time

    serials = revoked_serials(100_000, seed=21)
    index = parse_crl(build_crl_der(ca, serials)).index
    index.build()
    probes = serials[::50] + [s + 1 for s in serials[::50]]
    start = time.perf_counter()
    found = sum(index.find(s) is not None for s in probes)
    per_lookup = (time.perf_counter() - start) / len(probes)
    assert found >= len(probes) // 2
    assert per_lookup < 10e-6, f"{per_lookup * 1e6:.2f} µs per look-up"


def test_ecdsa_and_rsa_pss_signed_crls(ca: LabCa) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    from revocation_support import DER as _DER

    def crl_signed(key, issuer, **kw):  # type: ignore[no-untyped-def]
        b = (x509.CertificateRevocationListBuilder().issuer_name(issuer).last_update(NOW - timedelta(hours=1))
             .next_update(NOW + timedelta(days=1))
             .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(77)
                                      .revocation_date(NOW - timedelta(hours=1)).build()))
        return b.sign(key, hashes.SHA384(), **kw).public_bytes(_DER)

    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_ca_cert = (x509.CertificateBuilder().subject_name(ca.certificate.subject).issuer_name(ca.certificate.subject)
                  .public_key(ec_key.public_key()).serial_number(5).not_valid_before(NOW - timedelta(days=1))
                  .not_valid_after(NOW + timedelta(days=9))
                  .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                  .sign(ec_key, hashes.SHA256()))
    ec_crl = parse_crl(crl_signed(ec_key, ec_ca_cert.subject))
    verify_crl(ec_crl, ec_ca_cert)
    assert ec_crl.index.find(77) == 0 and ec_crl.issuer == ec_ca_cert.subject.rfc4514_string()
    with pytest.raises(RevocationError):
        verify_crl(ec_crl, ca.certificate)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=padding.PSS.DIGEST_LENGTH)
    pss_crl = parse_crl(crl_signed(ca.key, ca.certificate.subject, rsa_padding=pss))
    verify_crl(pss_crl, ca.certificate)
    assert pss_crl.index.find(77) == 0
