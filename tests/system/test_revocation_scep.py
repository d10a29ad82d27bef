"""CRLs over SCEP GetCRL, and an end-to-end run against the real scepserver.

micromdm's scepserver 2.1.0 does not implement GetCRL (HTTP 500 "operation not implemented"),
so GetCRL itself is tested against the SCEP engineer's test responder (tests/servers), and the
scepserver run takes the CRL from ``crl query`` (slapd; as in IOS, GetCRL is used only when there
is neither a CRL distribution point nor a ``crl query``), and OCSP answers from scepserver's own
index through ``openssl ocsp``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkitui.core.errors import RevocationError
from pkitui.core.pki import Pki
from pkitui.core.scep.ca import fingerprints
from pkitui.lab.bigcrl import LabCa
from pkitui.lab.ocsp import OcspResponder
from pkitui.lab.scepserver import ScepServer
from pkitui.lab.slapd import SlapdServer
from revocation_support import DER, issue, key_pem, make_crl, pem
from scep_support import CHALLENGE, make_device
from servers.scep_responder import ScepResponder


def _responder_device(tmp_path: Path, r: ScepResponder, ra: bool):  # type: ignore[no-untyped-def]
    pki = make_device(tmp_path / "store", r.url, fingerprint=fingerprints(r.ca_cert.public_bytes(DER))["sha256"], ra=ra)
    pki.ca_trust.authenticate("lab")
    assert pki.scep.enroll("lab")[0].state == "issued"
    return pki


def test_crl_over_scep_getcrl_when_no_ra(tmp_path: Path) -> None:
    with ScepResponder(ra=False) as r:
        pki = _responder_device(tmp_path, r, ra=False)
        info = pki.revocation.request_crl("lab")
        assert info.source == f"scep {r.url}" and info.entries == 0
        ca = LabCa(key=r.ca_key, certificate=r.ca_cert)
        verdict = pki.certificates.verify_peer(pem(issue(ca, "peer", 0x4242)))
        assert verdict.ok and verdict.revocation is not None and verdict.revocation.method == "crl"


def test_getcrl_with_a_crl_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from pkitui.core.errors import VerificationError

    with ScepResponder(ra=False) as r:
        pki = _responder_device(tmp_path, r, ra=False)
        rogue, real = rsa.generate_private_key(65537, 2048), r.ca_key

        def forged() -> bytes:  # the reply is signed by the CA, the CRL inside by another key
            r.ca_key = rogue
            try:
                return ScepResponder._crl_only(r)
            finally:
                r.ca_key = real

        r._crl_only = forged  # type: ignore[method-assign]
        with pytest.raises(VerificationError, match="not signed by the authenticated CA"):
            pki.scep.get_crl("lab")
        with pytest.raises(RevocationError):
            pki.revocation.request_crl("lab")
        assert pki.config.crls == []


def test_no_getcrl_with_an_ra(tmp_path: Path) -> None:
    with ScepResponder(ra=True) as r:
        pki = _responder_device(tmp_path, r, ra=True)
        with pytest.raises(RevocationError, match="No CRL source"):
            pki.revocation.request_crl("lab")


def _depot_ca(server: ScepServer) -> LabCa:
    # micromdm writes ca.key 3DES-encrypted with an empty password, which cryptography cannot
    # take (an empty password counts as none): openssl decrypts it for the test.
    plain = subprocess.run(["openssl", "rsa", "-in", str(server.depot / "ca.key"), "-passin", "pass:"],
                           capture_output=True, check=True).stdout
    key = serialization.load_pem_private_key(plain, password=None)
    cert = x509.load_pem_x509_certificate(server.ca_pem_path.read_bytes())
    return LabCa(key=key, certificate=cert)  # type: ignore[arg-type]


def test_scepserver_end_to_end_crl_query_before_getcrl_and_ocsp(tmp_path: Path) -> None:
    with ScepServer(tmp_path / "scep", CHALLENGE) as server:
        ca_der = server.ca_pem_path.read_bytes()
        cert = x509.load_pem_x509_certificate(ca_der)
        pki = make_device(tmp_path / "store", server.url,
                          fingerprint=fingerprints(cert.public_bytes(DER))["sha256"])
        pki.ca_trust.authenticate("lab")
        [first] = pki.scep.enroll("lab")
        [second] = pki.scep.enroll("lab")  # same DN again: scepserver marks the first one R
        assert first.certificate is not None and second.certificate is not None
        depot_ca = _depot_ca(server)
        crl = make_crl(depot_ca, [first.certificate.serial_number])
        with SlapdServer(tmp_path / "slapd", crl, cert.public_bytes(DER)) as directory:
            tp = pki.trustpoints.get("lab")
            tp.set_crl_query(directory.crl_query_url)
            info = pki.revocation.request_crl("lab")  # crl query first: GetCRL (HTTP 500 here) is not tried
            assert info.source == directory.crl_query_url
            assert pki.certificates.verify_peer(pem(first.certificate)).status == "revoked"
            assert pki.certificates.verify_peer(pem(second.certificate)).ok
        index = (server.depot / "index.txt").read_text()
        with OcspResponder(tmp_path / "ocsp", pem(cert), key_pem(depot_ca.key), index) as responder:
            tp.set_ocsp_url(responder.url)
            tp.set_revocation_check(["ocsp"])
            assert pki.certificates.verify_peer(pem(first.certificate)).status == "revoked"
            assert pki.certificates.verify_peer(pem(second.certificate)).ok


def test_query_mode_fetches_the_ca_certificate_again_over_scep(tmp_path: Path) -> None:
    with ScepResponder(ra=False) as r:
        pki = _responder_device(tmp_path, r, ra=False)
        pki.set_query_mode(True)
        pki.save()
        again = Pki.open(tmp_path / "store")
        ca_record = next(c for c in again.config.certificates if c.role == "ca")
        assert ca_record.der is None
        before = r.requests.count("GetCACert")
        assert again.certificates.ca_certificate("lab") == r.ca_cert
        assert r.requests.count("GetCACert") == before + 1
        again.certificates.ca_certificate("lab")  # cached in memory now
        assert r.requests.count("GetCACert") == before + 1
        assert again.certificates.list("lab")[-1].serial_hex is not None
