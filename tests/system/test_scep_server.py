"""SCEP against the real CA: micromdm scepserver (Debian package scep) on 127.0.0.1."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkitui.core.errors import FingerprintMismatch, TrustpointError
from pkitui.core.pki import Pki
from pkitui.core.scep.ca import fingerprints
from pkitui.lab.proxy import HttpProxy
from pkitui.lab.scepserver import ScepServer
from scep_support import make_device, snapshot

SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


def _ca_fingerprint(server: ScepServer) -> dict[str, str]:
    cert = x509.load_pem_x509_certificate(server.ca_pem_path.read_bytes())
    return fingerprints(cert.public_bytes(serialization.Encoding.DER))


def _device_certs(pki, tp: str = "lab"):  # type: ignore[no-untyped-def]
    return [c for c in pki.config.certificates if c.trustpoint == tp and c.role == "device"]


def test_caps_are_read_case_insensitively(scep_ca: ScepServer, tmp_path: Path) -> None:
    pki = make_device(tmp_path, scep_ca.url)
    assert {"POSTPKIOPERATION", "SHA-256", "AES", "RENEWAL", "SCEPSTANDARD"} <= pki.ca_trust.caps("lab")


def test_authenticate_with_right_fingerprint_stores_ca(scep_ca: ScepServer, tmp_path: Path) -> None:
    sha1 = _ca_fingerprint(scep_ca)["sha1"]
    # separators and case are ignored
    pki = make_device(tmp_path, scep_ca.url, fingerprint=":".join(sha1[i:i + 2] for i in range(0, 40, 2)).lower())
    cand = pki.ca_trust.authenticate("lab")
    assert cand.accepted
    stored = [c for c in pki.config.certificates if c.role == "ca"]
    assert len(stored) == 1 and stored[0].der == cand.der
    assert cand.grouped("sha1") == " ".join(sha1[i:i + 8] for i in range(0, 40, 8))
    assert cand.key_size == 2048 and cand.warnings == []
    pki.save()


def test_authenticate_with_wrong_fingerprint_stores_nothing(scep_ca: ScepServer, tmp_path: Path) -> None:
    pki = make_device(tmp_path, scep_ca.url, fingerprint="AB" * 32)
    pki.save()
    before = snapshot(tmp_path)
    with pytest.raises(FingerprintMismatch) as err:
        pki.ca_trust.authenticate("lab", confirm=lambda c: True)  # the configured fingerprint decides alone
    assert "does not match" in err.value.message
    assert not pki.config.certificates and not pki.dirty
    assert snapshot(tmp_path) == before


def test_authenticate_without_fingerprint_non_interactive_is_refused(scep_ca: ScepServer, tmp_path: Path) -> None:
    pki = make_device(tmp_path, scep_ca.url)
    pki.save()
    before = snapshot(tmp_path)
    with pytest.raises(TrustpointError) as err:
        pki.ca_trust.authenticate("lab")
    assert "fingerprint" in (err.value.hint or "") and _ca_fingerprint(scep_ca)["sha256"] in err.value.hint
    assert snapshot(tmp_path) == before and not pki.config.certificates


def test_declined_certificate_is_not_stored(scep_ca: ScepServer, tmp_path: Path) -> None:
    pki = make_device(tmp_path, scep_ca.url)
    cand = pki.ca_trust.authenticate("lab", confirm=lambda c: False)
    assert not cand.accepted and not pki.config.certificates


def _authenticated(store: Path, server: ScepServer, **kw: object):  # type: ignore[no-untyped-def]
    pki = make_device(store, server.url, fingerprint=_ca_fingerprint(server)["sha256"], **kw)  # type: ignore[arg-type]
    pki.ca_trust.authenticate("lab")
    return pki


def test_enroll_general_purpose_keys(scep_ca: ScepServer, tmp_path: Path) -> None:
    pki = _authenticated(tmp_path, scep_ca)
    events = []
    results = pki.scep.enroll("lab", on_event=events.append)
    assert [r.state for r in results] == ["issued"]
    cert = results[0].certificate
    assert cert is not None
    assert cert.subject.rfc4514_string() == "CN=r1.example.com"  # micromdm keeps only the CN of what we ask
    assert (cert.public_key().public_bytes(serialization.Encoding.DER, SPKI)
            == pki.config.key_pairs["r1.example.com"].public_der)
    assert [e.state for e in events] == ["sent", "issued"]
    assert "SHA-256 / AES-128-CBC, POST" in results[0].algorithms and "DES-CBC" in results[0].algorithms
    (rec,) = _device_certs(pki)
    assert rec.key_id == "r1.example.com" and rec.der == cert.public_bytes(serialization.Encoding.DER)


def test_enroll_usage_keys_gives_two_certificates(scep_ca: ScepServer, tmp_path: Path) -> None:
    pki = _authenticated(tmp_path, scep_ca, usage_keys=True)
    results = pki.scep.enroll("lab")
    assert [r.state for r in results] == ["issued", "issued"]
    for result in results:
        pair = pki.config.key_pairs[result.key_id]
        assert result.certificate.public_key().public_bytes(serialization.Encoding.DER, SPKI) == pair.public_der
    assert {c.key_id for c in _device_certs(pki)} == {"r1.example.com#signature", "r1.example.com#encryption"}


def test_wrong_challenge_fails_clearly_and_stores_nothing(scep_ca: ScepServer, tmp_path: Path) -> None:
    pki = _authenticated(tmp_path, scep_ca)
    pki.save()
    before = snapshot(tmp_path)
    results = pki.scep.enroll("lab", password="wrong")
    assert results[0].state == "failed" and results[0].fail_info == "badRequest"
    assert "badRequest" in results[0].message
    assert not _device_certs(pki)
    assert snapshot(tmp_path) == before


def test_renewal_uses_renewal_req_and_replaces_the_certificate(scep_ca: ScepServer, tmp_path: Path) -> None:
    pki = _authenticated(tmp_path, scep_ca)
    first = pki.scep.enroll("lab")[0]
    second = pki.scep.enroll("lab")[0]
    assert (first.message_type, second.message_type) == ("PKCSReq", "RenewalReq")
    assert second.state == "issued" and second.certificate.serial_number != first.certificate.serial_number
    (rec,) = _device_certs(pki)
    assert rec.der == second.certificate.public_bytes(serialization.Encoding.DER)


def test_enroll_through_http_proxy(scep_ca: ScepServer, http_proxy: HttpProxy, tmp_path: Path) -> None:
    pki = make_device(tmp_path, scep_ca.url, fingerprint=_ca_fingerprint(scep_ca)["sha256"])
    pki.trustpoints.get("lab").set_http_proxy(http_proxy.host, http_proxy.port)
    pki.ca_trust.authenticate("lab")
    assert pki.scep.enroll("lab")[0].state == "issued"
    log = http_proxy.log_text()
    for operation in ("GetCACert", "GetCACaps", "PKIOperation"):
        assert f"http://127.0.0.1:{scep_ca.port}/scep?operation={operation}" in log


def test_openssl_verify_accepts_enrolled_certificate(scep_ca: ScepServer, tmp_path: Path) -> None:
    pki = _authenticated(tmp_path / "store", scep_ca)
    cert = pki.scep.enroll("lab")[0].certificate
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out = subprocess.run(["openssl", "verify", "-CAfile", str(scep_ca.ca_pem_path), str(leaf)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(": OK")


def test_url_without_path_uses_ios_default_and_enrollment_command_overrides(scep_ca: ScepServer,
                                                                            tmp_path: Path) -> None:
    from pkitui.core.errors import ScepError

    pki = make_device(tmp_path, f"http://127.0.0.1:{scep_ca.port}")
    with pytest.raises(ScepError) as err:
        pki.ca_trust.fetch_ca("lab")  # scepserver serves /scep only
    assert "/cgi-bin/pkiclient.exe" in err.value.message and "HTTP 404" in err.value.message
    pki.trustpoints.get("lab").set_enrollment_command("/scep")
    assert pki.ca_trust.fetch_ca("lab").fingerprints == _ca_fingerprint(scep_ca)


def test_enroll_by_get_with_percent_escaped_base64(scep_ca: ScepServer, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pkitui.core.scep.service import ScepService

    original = ScepService._exchange

    def without_post(self, tp):  # type: ignore[no-untyped-def]
        ex = original(self, tp)
        ex.post = False  # as if the CA did not advertise POSTPKIOperation
        return ex

    monkeypatch.setattr(ScepService, "_exchange", without_post)
    pki = _authenticated(tmp_path, scep_ca)
    result = pki.scep.enroll("lab")[0]
    assert result.state == "issued" and ", GET" in result.algorithms


def test_enroll_after_restart_in_query_mode_fetches_the_ca_again(scep_ca: ScepServer, tmp_path: Path) -> None:
    # Query mode keeps only the CA fingerprint in NVRAM; enrollment after a restart must fetch
    # the CA certificate again (checked against that fingerprint) instead of calling it unauthenticated.
    pki = _authenticated(tmp_path, scep_ca)
    pki.set_query_mode(True)
    pki.save()
    again = Pki.open(tmp_path)
    (ca_rec,) = [c for c in again.config.certificates if c.role == "ca"]
    assert ca_rec.der is None
    again.scep.seconds_per_retry_minute = 0.01
    results = again.scep.enroll("lab")
    assert [r.state for r in results] == ["issued"]


def test_lab_challenge_is_not_on_the_command_line(scep_ca: ScepServer) -> None:
    """ps shows every process's argv to every local user: the challenge must not be there."""
    assert scep_ca._server is not None
    cmdline = Path(f"/proc/{scep_ca._server.pid}/cmdline").read_bytes()
    assert b"scepserver" in cmdline and scep_ca.challenge and scep_ca.challenge.encode() not in cmdline
