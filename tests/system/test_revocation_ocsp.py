"""OCSP against the real ``openssl ocsp`` responder (in a private netns, relayed to 127.0.0.1),
and the revocation-check order across OCSP and CRL with a stopped server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pkitui.core.errors import RevocationError
from pkitui.core.revocation import ocsp
from pkitui.lab.bigcrl import LabCa
from pkitui.lab.crl_http import CrlHttpServer
from pkitui.lab.ocsp import OcspResponder, index_line
from revocation_support import NOW, issue, key_pem, make_crl, make_device, pem

GOOD, REVOKED, UNKNOWN = 0x1001, 0x1002, 0x1003


def _index(ca: LabCa) -> str:
    end = NOW + timedelta(days=30)
    return (index_line(GOOD, end, "/CN=good") + index_line(REVOKED, end, "/CN=revoked", NOW - timedelta(hours=3)))


@pytest.fixture(scope="module")
def responder(tmp_path_factory: pytest.TempPathFactory, ca: LabCa) -> Iterator[OcspResponder]:
    """openssl ocsp answering for ``ca`` from an index with one good and one revoked serial."""
    ca_pem = pem(ca.certificate)
    with OcspResponder(tmp_path_factory.mktemp("ocsp"), ca_pem, key_pem(ca.key), _index(ca)) as server:
        yield server


def test_good_revoked_unknown(responder: OcspResponder, ca: LabCa) -> None:
    good = ocsp.query(responder.url, issue(ca, "good", GOOD), ca.certificate)
    assert good.status == "good"
    revoked = ocsp.query(responder.url, issue(ca, "revoked", REVOKED), ca.certificate)
    assert revoked.status == "revoked" and revoked.revocation_time is not None
    assert ocsp.query(responder.url, issue(ca, "unknown", UNKNOWN), ca.certificate).status == "unknown"


def test_verify_peer_through_ocsp(tmp_path: Path, responder: OcspResponder, ca: LabCa) -> None:
    pki = make_device(tmp_path / "store", ca, ["ocsp"])
    ok = pki.certificates.verify_peer(pem(issue(ca, "good", GOOD, ocsp=responder.url)))
    assert ok.ok and ok.revocation is not None and ok.revocation.method == "ocsp"
    bad = pki.certificates.verify_peer(pem(issue(ca, "revoked", REVOKED, ocsp=responder.url)))
    assert bad.status == "revoked" and "OCSP" in bad.reason
    # a configured ocsp url wins over the certificate's AIA (here: none)
    pki.trustpoints.get("lab").set_ocsp_url(responder.url)
    assert pki.certificates.verify_peer(pem(issue(ca, "revoked", REVOKED))).status == "revoked"


def test_unknown_falls_through_to_none_only_when_configured(tmp_path: Path, responder: OcspResponder,
                                                            ca: LabCa) -> None:
    peer = pem(issue(ca, "unknown", UNKNOWN, ocsp=responder.url))
    pki = make_device(tmp_path / "store", ca, ["ocsp"])
    assert not pki.certificates.verify_peer(peer).ok
    pki.trustpoints.get("lab").set_revocation_check(["ocsp", "none"])
    assert pki.certificates.verify_peer(peer).ok


def test_response_from_a_responder_of_another_ca_is_refused(responder: OcspResponder, rogue_ca: LabCa) -> None:
    # the rogue CA has the same name: the response names the right responder but the key differs
    peer = issue(rogue_ca, "good", GOOD)
    with pytest.raises(RevocationError, match="signature check failed|unknown responder"):
        ocsp.query(responder.url, peer, rogue_ca.certificate)


def test_index_change_is_seen(tmp_path_factory: pytest.TempPathFactory, ca: LabCa) -> None:
    with OcspResponder(tmp_path_factory.mktemp("ocsp2"), pem(ca.certificate), key_pem(ca.key), _index(ca)) as r:
        peer = issue(ca, "good", GOOD)
        assert ocsp.query(r.url, peer, ca.certificate).status == "good"
        r.set_index(index_line(GOOD, NOW + timedelta(days=30), "/CN=good", NOW - timedelta(minutes=1)))
        assert ocsp.query(r.url, peer, ca.certificate).status == "revoked"


def test_delegated_responder(tmp_path_factory: pytest.TempPathFactory, ca: LabCa) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    delegate = issue(ca, "OCSP responder", 0x5555, key=key, eku=True, key_usage="sign")
    with OcspResponder(tmp_path_factory.mktemp("ocsp3"), pem(ca.certificate), key_pem(ca.key), _index(ca),
                       signer_pem=pem(delegate), signer_key_pem=key_pem(key)) as r:
        assert ocsp.query(r.url, issue(ca, "revoked", REVOKED), ca.certificate).status == "revoked"
    # a delegate without id-kp-OCSPSigning is refused
    plain = issue(ca, "not a responder", 0x5556, key=key)
    with OcspResponder(tmp_path_factory.mktemp("ocsp4"), pem(ca.certificate), key_pem(ca.key), _index(ca),
                       signer_pem=pem(plain), signer_key_pem=key_pem(key)) as r:
        with pytest.raises(RevocationError, match="OCSPSigning"):
            ocsp.query(r.url, issue(ca, "good", GOOD), ca.certificate)


def test_stopped_responder_falls_through_to_crl(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                                ca: LabCa, cdp: CrlHttpServer) -> None:
    (cdp.directory / "ca.crl").write_bytes(make_crl(ca, [REVOKED]))
    crl_url = cdp.url_for("ca.crl")
    with OcspResponder(tmp_path_factory.mktemp("ocsp5"), pem(ca.certificate), key_pem(ca.key), _index(ca)) as r:
        url = r.url
    pki = make_device(tmp_path / "store", ca, ["ocsp", "crl"])
    verdict = pki.certificates.verify_peer(pem(issue(ca, "revoked", REVOKED, ocsp=url, cdp=[crl_url])))
    assert verdict.status == "revoked" and verdict.revocation is not None
    assert [a.method for a in verdict.revocation.attempts] == ["ocsp", "crl"]
    assert verdict.revocation.attempts[0].status == "failed" and "unreachable" in verdict.revocation.attempts[0].detail
    assert pki.certificates.verify_peer(pem(issue(ca, "good", GOOD, ocsp=url, cdp=[crl_url]))).ok


def test_crl_first_then_ocsp_when_the_cdp_is_down(tmp_path: Path, responder: OcspResponder, ca: LabCa,
                                                  cdp: CrlHttpServer) -> None:
    crl_url = cdp.url_for("missing.crl")  # HTTP 404: the CRL method cannot answer
    pki = make_device(tmp_path / "store", ca, ["crl", "ocsp"])
    verdict = pki.certificates.verify_peer(pem(issue(ca, "revoked", REVOKED, ocsp=responder.url, cdp=[crl_url])))
    assert verdict.status == "revoked" and verdict.revocation is not None and verdict.revocation.method == "ocsp"


def test_disable_nonce_sends_none_and_checks_none(responder: OcspResponder, ca: LabCa,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``ocsp disable-nonce`` (issue 12): the request carries no nonce, the responder (which echoes
    one only when asked) sends none back, and the answer is still taken. The real fetch is only
    watched, to read the request that went out."""
    from cryptography import x509
    from cryptography.x509 import ocsp as x509_ocsp

    from pkitui.core import net

    sent: list[bytes] = []
    real_fetch = net.fetch

    def watched(*args: object, **kwargs: object) -> net.Reply:
        sent.append(kwargs["data"])  # type: ignore[arg-type]
        return real_fetch(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(net, "fetch", watched)
    assert ocsp.query(responder.url, issue(ca, "good", GOOD), ca.certificate, nonce=False).status == "good"
    assert ocsp.query(responder.url, issue(ca, "revoked", REVOKED), ca.certificate, nonce=False).status == "revoked"
    ocsp.query(responder.url, issue(ca, "good", GOOD), ca.certificate)
    without, _, with_nonce = (x509_ocsp.load_der_ocsp_request(d) for d in sent)
    with pytest.raises(x509.ExtensionNotFound):
        without.extensions.get_extension_for_class(x509.OCSPNonce)
    assert with_nonce.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
