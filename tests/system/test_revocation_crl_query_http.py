"""``crl query http://...`` (our addition to IOS's LDAP-only ``crl query``: micromdm and many
CAs publish the CRL over HTTP with no CRL distribution point in their certificates), against the
lab's CRL HTTP server (pkitui.lab.crl_http, a real http.server on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate
from pkitui.core.revocation.crl_info import CrlVia
from pkitui.ios.cert_commands import crl_lines
from pkitui.lab.bigcrl import LabCa
from pkitui.lab.crl_http import CrlHttpServer
from revocation_support import DER, issue, make_crl, make_device, pem


def test_peers_without_a_cdp_are_checked_against_the_crl_query_http_server(
        tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    (cdp.directory / "ca.crl").write_bytes(make_crl(ca, [0x66]))
    url = cdp.url_for("ca.crl")
    pki = make_device(tmp_path / "store", ca, ["crl"])
    pki.trustpoints.get("lab").set_crl_query(url)
    good = pki.certificates.verify_peer(pem(issue(ca, "good-peer", 0x65)))  # no CDP in either peer
    assert good.ok and good.status == "valid", good.reason
    revoked = pki.certificates.verify_peer(pem(issue(ca, "bad-peer", 0x66)), "lab")
    assert revoked.status == "revoked" and url in revoked.reason
    assert cdp.requests == ["/ca.crl"]  # downloaded once, reused until nextUpdate
    [info] = pki.revocation.crls("lab")
    assert info.source == url and info.entries == 1


def test_crl_request_through_crl_query_http_and_the_store_keeps_the_url(
        tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    (cdp.directory / "ca.crl").write_bytes(make_crl(ca, [5, 6], number=4))
    url = cdp.url_for("ca.crl")
    pki = make_device(tmp_path / "store", ca)
    device = issue(ca, "r1.example.com", 0x42)  # the device certificate has no CDP either
    pki.config.certificates.append(StoredCertificate.from_der("lab", "device", device.public_bytes(DER)))
    pki.trustpoints.get("lab").set_crl_query(url)
    info = pki.revocation.request_crl("lab")
    assert (info.source, info.entries, info.crl_number) == (url, 2, 4)
    pki.save()
    again = Pki.open(tmp_path / "store")  # the store check accepts an http crl query
    assert again.trustpoints.get("lab").crl_query == url
    assert [c.sha256 for c in again.revocation.crls("lab")] == [info.sha256]


def test_crl_query_http_failures_are_named(tmp_path: Path, ca: LabCa, rogue_ca: LabCa, cdp: CrlHttpServer) -> None:
    pki = make_device(tmp_path / "store", ca, ["crl"])
    pki.trustpoints.get("lab").set_crl_query(cdp.url_for("missing.crl"))
    verdict = pki.certificates.verify_peer(pem(issue(ca, "peer", 0x70)))
    assert not verdict.ok and verdict.check == "revocation"
    assert "missing.crl" in verdict.reason and "HTTP 404" in verdict.reason
    assert "crl query http://" in verdict.reason and "distribution point" not in verdict.reason  # named as what it is
    (cdp.directory / "rogue.crl").write_bytes(make_crl(rogue_ca, []))  # same issuer name, another key
    pki.trustpoints.get("lab").set_crl_query(cdp.url_for("rogue.crl"))
    verdict = pki.certificates.verify_peer(pem(issue(ca, "peer", 0x71)))
    assert not verdict.ok and "signature check failed" in verdict.reason
    assert pki.revocation.crls() == []


def test_a_changed_crl_query_is_where_the_next_crl_request_fetches_from(
        tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    # The walkthrough's case: the same CA's CRL published at a new URL. The CRL fetched there is the
    # one held already (same number): the record must now name the configured crl query, not the old one.
    crl = make_crl(ca, [7], number=3)
    (cdp.directory / "lab.crl").write_bytes(crl)
    pki = make_device(tmp_path / "store", ca)
    device = issue(ca, "r1.example.com", 0x43)
    pki.config.certificates.append(StoredCertificate.from_der("lab", "device", device.public_bytes(DER)))
    tp = pki.trustpoints.get("lab")
    old = cdp.url_for("lab.crl")
    tp.set_crl_query(old)
    assert pki.revocation.request_crl("lab").source == old
    with CrlHttpServer(tmp_path / "new") as moved:
        (moved.directory / "r.crl").write_bytes(crl)
        new = moved.url_for("r.crl")
        tp.set_crl_query(new)
        assert pki.revocation.crl_sources("lab") == [new]
        info = pki.revocation.request_crl("lab")
        assert moved.requests == ["/r.crl"] and cdp.requests == ["/lab.crl"]
    assert info.source == new and info.notes == [] and info.where == f"crl query {new}"
    [held] = pki.revocation.crls("lab")
    assert held.source == new and held.via is CrlVia.CRL_QUERY
    # show crypto pki crls names the source as the crl query, not as a CRL distribution point
    lines = crl_lines(held)
    assert "    Retrieved via crl query:" in lines and f"      {new}" in lines
    assert not any("Distribution Point" in line for line in lines)
    pki.save()
    assert [c.source for c in Pki.open(tmp_path / "store").revocation.crls("lab")] == [new]
