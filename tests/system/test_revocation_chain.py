"""Revocation along a whole chain, trustpoint CA (root) -> intermediate CA -> peer, as IKE peers
send it: every certificate below the root is checked against its own issuer, through a real
http.server CRL distribution point and real ``openssl ocsp`` responders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pkitui.core.errors import RevocationError
from pkitui.core.pki import Pki
from pkitui.lab.bigcrl import LabCa
from pkitui.lab.crl_http import CrlHttpServer
from pkitui.lab.ocsp import OcspResponder, index_line
from revocation_support import NOW, bundle, intermediate, issue, key_pem, make_crl, make_device, pem

INTER_SERIAL, PEER, REVOKED_PEER = 0x7A01, 0x7B01, 0x7B02
INTER_NAME = "Revocation Test Intermediate CA"


@pytest.fixture(scope="module")
def inter_key() -> rsa.RSAPrivateKey:
    """The intermediate CA's key (one per module: key generation is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _chain(ca: LabCa, cdp: CrlHttpServer, key: rsa.RSAPrivateKey, peer_serial: int = PEER) -> tuple[LabCa, bytes]:
    """The intermediate (CDP: the root's CRL) and a bundle peer + intermediate (peer CDP: the
    intermediate's CRL)."""
    inter = intermediate(ca, INTER_NAME, INTER_SERIAL, cdp=[cdp.url_for("root.crl")], key=key)
    peer = issue(inter, "peer.example.com", peer_serial, cdp=[cdp.url_for("inter.crl")])
    return inter, bundle(peer, inter.certificate)


def test_good_chain_checks_each_certificate_against_its_own_issuer(
        tmp_path: Path, ca: LabCa, cdp: CrlHttpServer, inter_key: rsa.RSAPrivateKey) -> None:
    inter, chain = _chain(ca, cdp, inter_key)
    (cdp.directory / "root.crl").write_bytes(make_crl(ca, [0x1234]))
    (cdp.directory / "inter.crl").write_bytes(make_crl(inter, [REVOKED_PEER]))
    store = tmp_path / "store"
    pki = make_device(store, ca, ["crl"])
    verdict = pki.certificates.verify_peer(chain)
    assert verdict.ok and verdict.status == "valid", verdict.reason
    assert [(c.role, c.subject, c.revocation.status) for c in verdict.path] == [
        ("peer", "CN=peer.example.com", "good"), ("intermediate", inter.certificate.subject.rfc4514_string(), "good")]
    assert verdict.path[0].issuer == inter.certificate.subject.rfc4514_string()
    assert verdict.path[1].issuer == ca.certificate.subject.rfc4514_string()
    assert len(verdict.chain) == 3 and "intermediate" in verdict.reason
    assert sorted(cdp.requests) == ["/inter.crl", "/root.crl"]
    assert sorted(i.issuer for i in pki.revocation.crls("lab")) == sorted(
        [inter.certificate.subject.rfc4514_string(), ca.certificate.subject.rfc4514_string()])
    # the same chain given as peer + separate intermediates; both CRLs are reused (nextUpdate not reached)
    peer_pem = chain[: chain.index(b"-----END CERTIFICATE-----") + 26]
    assert pki.certificates.verify_peer(peer_pem, "lab", intermediates=pem(inter.certificate)).ok
    assert len(cdp.requests) == 2
    # after a restart the intermediate's stored CRL is verified with the intermediate's key, not the root's
    pki.save()
    again = Pki.open(store)
    assert again.certificates.verify_peer(chain).ok
    assert len(cdp.requests) == 2
    doc = verdict.as_json()
    assert ([p["role"] for p in doc["path"]] == ["peer", "intermediate"]
            and doc["revocation_subject"] == "CN=peer.example.com")


def test_a_held_intermediate_crl_opens_after_a_restart_only_with_a_verified_issuer(
        tmp_path: Path, ca: LabCa, rogue_ca: LabCa, cdp: CrlHttpServer, inter_key: rsa.RSAPrivateKey) -> None:
    """show crypto pki crls / the CRL viewer after a restart: the intermediate's CRL is verified
    with the intermediate's certificate kept from the verified path, and only if it still chains."""
    inter, chain = _chain(ca, cdp, inter_key)
    (cdp.directory / "root.crl").write_bytes(make_crl(ca, []))
    (cdp.directory / "inter.crl").write_bytes(make_crl(inter, [5, 6]))
    store = tmp_path / "store"
    pki = make_device(store, ca, ["crl"])
    assert pki.certificates.verify_peer(chain).ok
    pki.save()
    name = inter.certificate.subject.rfc4514_string()
    [held] = [i for i in Pki.open(store).revocation.crls("lab") if i.issuer == name]
    again = Pki.open(store)
    index = again.revocation.open_crl(held)
    assert len(index) == 2 and index.find(6) == 1
    # the kept intermediate replaced by one naming the trustpoint CA as issuer but signed by another key
    [kept] = list(again.store.cache_dir.glob("issuer-*.pem"))
    kept.write_bytes(pem(intermediate(rogue_ca, INTER_NAME, 9, key=inter_key).certificate))
    with pytest.raises(RevocationError, match="intermediate CA whose certificate is not held"):
        Pki.open(store).revocation.open_crl(held)


def test_peer_revoked_on_the_intermediates_crl(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer,
                                               inter_key: rsa.RSAPrivateKey) -> None:
    inter, chain = _chain(ca, cdp, inter_key, REVOKED_PEER)
    (cdp.directory / "root.crl").write_bytes(make_crl(ca, []))
    (cdp.directory / "inter.crl").write_bytes(make_crl(inter, [REVOKED_PEER]))
    pki = make_device(tmp_path / "store", ca, ["crl"])
    verdict = pki.certificates.verify_peer(chain, "lab")
    assert not verdict.ok and verdict.status == "revoked", verdict.reason
    assert verdict.revocation_subject == "CN=peer.example.com" and "key_compromise" in verdict.reason
    assert "intermediate CA certificate" not in verdict.reason
    assert [c.role for c in verdict.path] == ["peer"]


def test_intermediate_revoked_on_the_roots_crl(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer,
                                               inter_key: rsa.RSAPrivateKey) -> None:
    inter, chain = _chain(ca, cdp, inter_key)
    (cdp.directory / "root.crl").write_bytes(make_crl(ca, [INTER_SERIAL]))
    (cdp.directory / "inter.crl").write_bytes(make_crl(inter, []))
    pki = make_device(tmp_path / "store", ca, ["crl"])
    verdict = pki.certificates.verify_peer(chain)
    assert not verdict.ok and verdict.status == "revoked" and verdict.check == "revocation", verdict.reason
    name = inter.certificate.subject.rfc4514_string()
    assert verdict.revocation_subject == name
    assert f"intermediate CA certificate {name} (serial 7A01)" in verdict.reason and "key_compromise" in verdict.reason
    assert [(c.role, c.revocation.status) for c in verdict.path] == [("peer", "good"), ("intermediate", "revoked")]
    assert verdict.as_json()["revocation_subject"] == name


def test_intermediates_crl_signed_by_another_key_is_refused(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer,
                                                            inter_key: rsa.RSAPrivateKey) -> None:
    inter, chain = _chain(ca, cdp, inter_key)
    rogue = intermediate(ca, INTER_NAME, INTER_SERIAL + 1)  # same name, another key
    (cdp.directory / "root.crl").write_bytes(make_crl(ca, []))
    (cdp.directory / "inter.crl").write_bytes(make_crl(rogue, []))
    pki = make_device(tmp_path / "store", ca, ["crl"])
    verdict = pki.certificates.verify_peer(chain)
    assert not verdict.ok and verdict.check == "revocation" and verdict.status == "invalid"
    assert "signature check failed" in verdict.reason, verdict.reason
    assert pki.config.crls == [] and pki.revocation.crls() == []
    # the genuine CRL, once published, is used; the root's one must verify with the root's key
    (cdp.directory / "inter.crl").write_bytes(make_crl(inter, []))
    assert pki.certificates.verify_peer(chain).ok


def test_scep_and_crl_query_are_not_asked_for_an_intermediates_crl(tmp_path: Path, ca: LabCa,
                                                                   inter_key: rsa.RSAPrivateKey) -> None:
    """GetCRL and crl query give the trustpoint CA's CRL: never used for a certificate the
    intermediate issued (its CRL would be refused anyway)."""
    inter = intermediate(ca, INTER_NAME, INTER_SERIAL, key=inter_key)
    peer = issue(inter, "peer.example.com", PEER)  # no CDP
    pki = make_device(tmp_path / "store", ca, ["crl", "none"])
    pki.trustpoints.get("lab").set_crl_query("ldap://127.0.0.1:9")
    verdict = pki.certificates.verify_peer(bundle(peer, inter.certificate))
    assert verdict.ok and verdict.revocation is not None and verdict.revocation.status == "unchecked"
    [attempt] = verdict.revocation.attempts
    assert attempt.status == "failed" and "No CRL source for the intermediate CA" in attempt.detail, attempt.detail


# -- OCSP: one openssl ocsp responder per CA ---------------------------------------------------

@pytest.fixture(scope="module")
def ocsp_pair(tmp_path_factory: pytest.TempPathFactory, ca: LabCa,
              inter_key: rsa.RSAPrivateKey) -> Iterator[tuple[OcspResponder, OcspResponder, LabCa]]:
    """The root's responder (knows the intermediate: good) and the intermediate's responder (knows
    PEER good and REVOKED_PEER revoked)."""
    end = NOW + timedelta(days=30)
    root_index = index_line(INTER_SERIAL, end, f"/CN={INTER_NAME}")
    with OcspResponder(tmp_path_factory.mktemp("ocsp-root"), pem(ca.certificate), key_pem(ca.key), root_index) as r:
        inter = intermediate(ca, INTER_NAME, INTER_SERIAL, ocsp=r.url, key=inter_key)
        inter_index = (index_line(PEER, end, "/CN=peer")
                       + index_line(REVOKED_PEER, end, "/CN=bad", NOW - timedelta(hours=1)))
        with OcspResponder(tmp_path_factory.mktemp("ocsp-inter"), pem(inter.certificate), key_pem(inter_key),
                           inter_index) as i:
            yield r, i, inter


def test_ocsp_asks_each_issuers_responder_with_the_right_certid(
        tmp_path: Path, ocsp_pair: tuple[OcspResponder, OcspResponder, LabCa], ca: LabCa) -> None:
    root_responder, inter_responder, inter = ocsp_pair
    pki = make_device(tmp_path / "store", ca, ["ocsp"])
    good = pki.certificates.verify_peer(bundle(issue(inter, "peer", PEER, ocsp=inter_responder.url), inter.certificate))
    assert good.ok, good.reason
    assert [(c.role, c.revocation.method, c.revocation.status) for c in good.path] == [
        ("peer", "ocsp", "good"), ("intermediate", "ocsp", "good")]
    assert root_responder.url in good.path[1].revocation.detail
    bad = pki.certificates.verify_peer(bundle(issue(inter, "bad", REVOKED_PEER, ocsp=inter_responder.url),
                                              inter.certificate))
    assert bad.status == "revoked" and bad.revocation_subject == "CN=bad" and "OCSP" in bad.reason
    # the intermediate revoked at the root's responder: the peer is refused, naming the intermediate
    root_responder.set_index(index_line(INTER_SERIAL, NOW + timedelta(days=30), f"/CN={INTER_NAME}",
                                        NOW - timedelta(minutes=5)))
    try:
        verdict = pki.certificates.verify_peer(bundle(issue(inter, "peer", PEER, ocsp=inter_responder.url),
                                                      inter.certificate))
    finally:
        root_responder.set_index(index_line(INTER_SERIAL, NOW + timedelta(days=30), f"/CN={INTER_NAME}"))
    assert verdict.status == "revoked", verdict.reason
    assert verdict.revocation_subject == inter.certificate.subject.rfc4514_string()
    assert "intermediate CA certificate" in verdict.reason and root_responder.url in verdict.reason
