"""Revocation sources in IOS's order and one held CRL per issuer and scope (issue 8, point 11).

Real servers: Python's http.server as the CRL distribution point, OpenLDAP slapd for ``crl
query``, and for SCEP GetCRL the test responder in tests/servers (micromdm's scepserver answers
HTTP 500 to GetCRL, so it cannot show that path). Each server's request log shows which source
was used: the responder logs GetCRL as a ``PKIOperation``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pkitui.core.pki import Pki
from pkitui.core.records import CrlRecord, StoredCertificate
from pkitui.core.scep.ca import fingerprints
from pkitui.lab.bigcrl import LabCa
from pkitui.lab.crl_http import CrlHttpServer
from pkitui.lab.slapd import SlapdServer
from revocation_support import DER, NOW, issue, make_crl, pem
from revocation_support import make_device as make_ca_device
from scep_support import make_device as make_scep_device
from servers.scep_responder import ScepResponder


def publish(server: CrlHttpServer, der: bytes, name: str = "ca.crl") -> str:
    (server.directory / name).write_bytes(der)
    return server.url_for(name)


def _scep_device(tmp_path: Path, r: ScepResponder) -> tuple[Pki, LabCa]:
    """A device enrolled with the responder (no RA: GetCRL is available), and the responder's CA."""
    fingerprint = fingerprints(r.ca_cert.public_bytes(DER))["sha256"]
    pki = make_scep_device(tmp_path / "store", r.url, fingerprint=fingerprint)
    pki.ca_trust.authenticate("lab")
    assert pki.scep.enroll("lab")[0].state == "issued"
    return pki, LabCa(key=r.ca_key, certificate=r.ca_cert)


def _get_crls(r: ScepResponder) -> int:
    return r.requests.count("PKIOperation")


def _crl_without_number(authority: LabCa, revoked: list[int], this_update: timedelta) -> bytes:
    """A CRL with no CRL number (its thisUpdate alone tells which is newer)."""
    b = (x509.CertificateRevocationListBuilder().issuer_name(authority.certificate.subject)
         .last_update(NOW - this_update).next_update(NOW + timedelta(days=7)))
    for serial in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(NOW - timedelta(hours=3)).build())
    return b.sign(authority.key, hashes.SHA256()).public_bytes(DER)


def _device_cert(pki: Pki, authority: LabCa, cdp_url: str, serial: int) -> None:
    """Give trustpoint 'lab' a device certificate whose CRL distribution point is ``cdp_url``."""
    pki.config.certificates = [c for c in pki.config.certificates if c.role != "device"]
    cert = issue(authority, "r1.example.com", serial, cdp=[cdp_url])
    pki.config.certificates.append(StoredCertificate.from_der("lab", "device", cert.public_bytes(DER)))


# -- order -----------------------------------------------------------------------------------------
def test_the_certificate_cdp_is_used_before_getcrl(tmp_path: Path, cdp: CrlHttpServer) -> None:
    with ScepResponder(ra=False) as r:
        pki, authority = _scep_device(tmp_path, r)
        url = publish(cdp, make_crl(authority, [0x501]))  # GetCRL's CRL would revoke nothing
        before = _get_crls(r)
        verdict = pki.certificates.verify_peer(pem(issue(authority, "peer", 0x501, cdp=[url])), "lab")
        assert verdict.status == "revoked", verdict.reason
        assert cdp.requests == ["/ca.crl"] and _get_crls(r) == before  # the CDP only, no GetCRL
        [info] = pki.revocation.crls("lab")
        assert info.source == url


def test_getcrl_is_used_when_the_certificate_has_no_cdp(tmp_path: Path) -> None:
    with ScepResponder(ra=False) as r:
        pki, authority = _scep_device(tmp_path, r)
        before = _get_crls(r)
        verdict = pki.certificates.verify_peer(pem(issue(authority, "peer", 0x502)), "lab")
        assert verdict.ok and verdict.revocation is not None and verdict.revocation.method == "crl"
        assert _get_crls(r) == before + 1
        [info] = pki.revocation.crls("lab")
        assert info.source == f"scep {r.url}"


def test_crl_request_uses_the_device_certificate_cdp_before_getcrl(tmp_path: Path, cdp: CrlHttpServer) -> None:
    with ScepResponder(ra=False) as r:
        pki, authority = _scep_device(tmp_path, r)
        url = publish(cdp, make_crl(authority, [1, 2]))
        cert = issue(authority, "imported", 0x503, cdp=[url])
        pki.config.certificates.append(StoredCertificate.from_der("lab", "imported", cert.public_bytes(DER)))
        before = _get_crls(r)
        info = pki.revocation.request_crl("lab")
        assert (info.source, info.entries) == (url, 2)
        assert cdp.requests == ["/ca.crl"] and _get_crls(r) == before


def test_an_unreachable_cdp_falls_through_to_crl_query_not_getcrl(tmp_path: Path, cdp: CrlHttpServer) -> None:
    with ScepResponder(ra=False) as r:
        pki, authority = _scep_device(tmp_path, r)
        url = publish(cdp, make_crl(authority, []))
        cdp.stop()
        peer = pem(issue(authority, "peer", 0x504, cdp=[url]))
        before = _get_crls(r)
        strict = pki.certificates.verify_peer(peer, "lab")  # the CDP is down; GetCRL is not a source
        assert not strict.ok and "unreachable" in strict.reason and _get_crls(r) == before
        crl = make_crl(authority, [0x504])
        with SlapdServer(tmp_path / "slapd", crl, r.ca_cert.public_bytes(DER)) as directory:
            pki.trustpoints.get("lab").set_crl_query(directory.crl_query_url)
            verdict = pki.certificates.verify_peer(peer, "lab")
            assert verdict.status == "revoked" and directory.crl_query_url in verdict.reason
        assert _get_crls(r) == before


# -- one held CRL per issuer and scope ---------------------------------------------------------
def test_the_same_crl_from_two_urls_is_held_once(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    der = make_crl(ca, [7, 8, 9])
    url_a, url_b = publish(cdp, der, "a.crl"), publish(cdp, der, "b.crl")
    pki = make_ca_device(tmp_path / "store", ca)
    _device_cert(pki, ca, url_a, 0x601)
    first = pki.revocation.request_crl("lab")
    _device_cert(pki, ca, url_b, 0x602)  # the CA moved its CDP (or the lab's port changed)
    again = pki.revocation.request_crl("lab")
    assert cdp.requests == ["/a.crl", "/b.crl"]
    assert again.sha256 == first.sha256 and len(pki.config.crls) == 1
    assert len(pki.revocation.crls("lab")) == 1
    use = pki.nvram_usage()
    assert use.used["CRLs"] == len(der)
    pki.save()
    assert len(list(pki.store.crl_dir.iterdir())) == 1
    assert Pki.open(tmp_path / "store").nvram_usage().used["CRLs"] == len(der)


def test_the_same_crl_over_http_and_ldap_is_held_once(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    der = make_crl(ca, [0x701])
    url = publish(cdp, der)
    pki = make_ca_device(tmp_path / "store", ca, ["crl"])
    assert pki.certificates.verify_peer(pem(issue(ca, "peer", 0x701, cdp=[url])), "lab").status == "revoked"
    with SlapdServer(tmp_path / "slapd", der, ca.certificate.public_bytes(DER)) as directory:
        pki.trustpoints.get("lab").set_crl_query(directory.crl_query_url)
        info = pki.revocation.request_crl("lab")  # no device certificate: crl query
        query = directory.crl_query_url
    [held] = pki.config.crls
    # Held once; the record names where it was fetched last (the crl query configured now), so a
    # changed source is not taken for a stale one.
    assert held.sha256 == info.sha256 and (held.source, held.via) == (query, "crl query")
    assert pki.nvram_usage().used["CRLs"] == len(der)


def test_two_trustpoints_of_one_ca_share_one_crl(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    der = make_crl(ca, [0x801])
    url = publish(cdp, der)
    pki = make_ca_device(tmp_path / "store", ca, ["crl"])
    pki.trustpoints.declare("lab2").set_revocation_check(["crl"])
    pki.config.certificates.append(StoredCertificate.from_der("lab2", "ca", ca.certificate.public_bytes(DER)))
    peer = pem(issue(ca, "peer", 0x801, cdp=[url]))
    assert pki.certificates.verify_peer(peer, "lab").status == "revoked"
    assert pki.certificates.verify_peer(peer, "lab2").status == "revoked"
    assert cdp.requests == ["/ca.crl"]  # lab2 used the CRL lab holds
    assert sorted(c.trustpoint for c in pki.config.crls) == ["lab", "lab2"]
    assert len({c.file for c in pki.config.crls}) == 1
    use = pki.nvram_usage()
    assert use.used["CRLs"] == len(der)
    pki.save()
    assert len(list(pki.store.crl_dir.iterdir())) == 1
    # a newer CRL fetched for one trustpoint replaces the older one held for the other
    publish(cdp, make_crl(ca, [0x801, 0x802], number=2))
    _device_cert(pki, ca, url, 0x803)
    assert pki.revocation.request_crl("lab").crl_number == 2
    assert sorted((c.trustpoint, c.crl_number) for c in pki.config.crls) == [("lab", 2), ("lab2", 2)]
    assert pki.nvram_usage().used["CRLs"] == pki.config.crls[0].size
    pki.save()
    assert len(list(pki.store.crl_dir.iterdir())) == 1


def test_a_newer_crl_replaces_and_an_older_never_does(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    pki = make_ca_device(tmp_path / "store", ca, ["crl"])
    _device_cert(pki, ca, publish(cdp, make_crl(ca, [0x901], number=5), "a.crl"), 0x900)
    assert pki.revocation.request_crl("lab").crl_number == 5
    # an older CRL (number 4), from the same URL or another one, does not replace number 5
    _device_cert(pki, ca, publish(cdp, make_crl(ca, [], number=4), "b.crl"), 0x900)
    older = pki.revocation.request_crl("lab")
    assert older.crl_number == 5 and "not newer" in older.notes[0], older.notes
    assert [c.crl_number for c in pki.config.crls] == [5]
    assert pki.certificates.verify_peer(pem(issue(ca, "peer", 0x901)), "lab").status == "revoked"
    # an equal one (number 5 again, from LDAP) leaves the held CRL as it is
    with SlapdServer(tmp_path / "slapd", make_crl(ca, [], number=5, this_update=NOW - timedelta(hours=5)),
                     ca.certificate.public_bytes(DER)) as directory:
        pki.config.certificates = [c for c in pki.config.certificates if c.role != "device"]
        pki.trustpoints.get("lab").set_crl_query(directory.crl_query_url)
        assert pki.revocation.request_crl("lab").crl_number == 5
        assert [c.entries for c in pki.config.crls] == [1]
        # a newer one from any source replaces it
        directory.replace_crl(make_crl(ca, [0x901, 0x902], number=6))
        newer = pki.revocation.request_crl("lab")
    assert (newer.crl_number, newer.entries, newer.source) == (6, 2, directory.crl_query_url)
    [held] = pki.config.crls
    assert held.crl_number == 6 and pki.nvram_usage().used["CRLs"] == held.size


def test_without_crl_numbers_the_later_this_update_wins(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    pki = make_ca_device(tmp_path / "store", ca)
    _device_cert(pki, ca, publish(cdp, _crl_without_number(ca, [1], timedelta(hours=1))), 0xA00)
    assert pki.revocation.request_crl("lab").entries == 1
    publish(cdp, _crl_without_number(ca, [], timedelta(hours=2)))  # older thisUpdate
    assert pki.revocation.request_crl("lab").entries == 1
    publish(cdp, _crl_without_number(ca, [1, 2, 3], timedelta(minutes=1)))  # later thisUpdate
    assert pki.revocation.request_crl("lab").entries == 3
    assert [c.entries for c in pki.config.crls] == [3]


def test_crl_record_identity() -> None:
    """``CrlRecord.key()`` names trustpoint, issuer and scope; records saved before scopes were
    recorded (no ``scope`` field) still load and are told apart by their source."""
    doc = {"trustpoint": "lab", "issuer": "CN=CA", "source": "http://a/ca.crl", "file": "x.crl",
           "sha256": "AB", "size": 10, "this_update": "2024-01-01T00:00:00+00:00", "crl_number": 3}
    old = CrlRecord.from_doc(doc)
    assert old.scope is None and old.issuer_key == "" and old.key() == "lab|CN=CA|source:http://a/ca.crl"
    new = CrlRecord.from_doc({**doc, "scope": "", "crl_number": 4, "this_update": "2023-01-01T00:00:00+00:00"})
    assert new.key() == "lab|CN=CA|" and new.newer_than(old) and not old.newer_than(new)
    unnumbered = CrlRecord.from_doc({**doc, "crl_number": None, "this_update": "2024-01-02T00:00:00+00:00"})
    assert unnumbered.newer_than(old) and not old.newer_than(unnumbered)


def test_records_from_a_store_without_scopes_are_replaced_not_doubled(tmp_path: Path, ca: LabCa,
                                                                     cdp: CrlHttpServer) -> None:
    """A record saved before scopes were recorded (scope None, no issuer key) is read from its file
    to learn its scope: the same CRL from another URL then replaces it instead of being held twice."""
    der = make_crl(ca, [1])
    pki = make_ca_device(tmp_path / "store", ca)
    _device_cert(pki, ca, publish(cdp, der, "a.crl"), 0xB00)
    pki.revocation.request_crl("lab")
    pki.save()
    [rec] = pki.config.crls
    rec.scope, rec.issuer_key = None, ""  # as loaded from an older store
    again = Pki.open(tmp_path / "store")
    for r in again.config.crls:
        r.scope, r.issuer_key = None, ""
    _device_cert(again, ca, publish(cdp, make_crl(ca, [1, 2], number=2), "b.crl"), 0xB01)
    assert again.revocation.request_crl("lab").crl_number == 2
    [held] = again.config.crls
    assert (held.crl_number, held.scope) == (2, "") and again.nvram_usage().used["CRLs"] == held.size
