"""CRLs from an HTTP CRL distribution point (Python's http.server on 127.0.0.1): checks, reuse
until nextUpdate, re-download when expired, forged CRLs, the NVRAM budget and query mode."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from cryptography import x509

from pkitui.core.clock import FixedClock
from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate
from pkitui.lab.bigcrl import LabCa, build_crl_der, revoked_serials
from pkitui.lab.crl_http import CrlHttpServer
from revocation_support import DER, NOW, issue, make_crl, make_device, pem


def publish(server: CrlHttpServer, der: bytes, name: str = "ca.crl") -> str:
    (server.directory / name).write_bytes(der)
    return server.url_for(name)


def test_good_and_revoked_peers_through_the_cdp(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    url = publish(cdp, make_crl(ca, [0x66]))
    pki = make_device(tmp_path / "store", ca, ["crl"])
    good = pki.certificates.verify_peer(pem(issue(ca, "good-peer", 0x65, cdp=[url])))
    assert good.ok and good.status == "valid", good.reason
    assert good.revocation is not None and good.revocation.method == "crl"
    revoked = pki.certificates.verify_peer(pem(issue(ca, "bad-peer", 0x66, cdp=[url])), "lab")
    assert not revoked.ok and revoked.status == "revoked" and revoked.check == "revocation"
    assert "key_compromise" in revoked.reason
    # the CRL was downloaded once and reused for the second check (nextUpdate not reached)
    assert cdp.requests == ["/ca.crl"]
    [info] = pki.revocation.crls("lab")
    assert info.source == url and info.location == "nvram" and info.entries == 1


def test_expired_crl_is_downloaded_again_before_the_check(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    url = publish(cdp, make_crl(ca, [], this_update=NOW - timedelta(days=2), next_update=NOW - timedelta(days=1)))
    pki = make_device(tmp_path / "store", ca, ["crl"])
    peer = pem(issue(ca, "peer", 0x77, cdp=[url]))
    assert pki.certificates.verify_peer(peer).ok
    publish(cdp, make_crl(ca, [0x77], number=2))  # the CA revokes the peer in its next CRL
    verdict = pki.certificates.verify_peer(peer)
    assert verdict.status == "revoked", verdict.reason
    assert cdp.requests == ["/ca.crl", "/ca.crl"]
    [info] = pki.revocation.crls("lab")
    assert info.crl_number == 2 and not info.expired


def test_crl_signed_by_another_key_is_refused(tmp_path: Path, ca: LabCa, rogue_ca: LabCa, cdp: CrlHttpServer) -> None:
    url = publish(cdp, make_crl(rogue_ca, []))  # same issuer name, another key
    pki = make_device(tmp_path / "store", ca, ["crl"])
    verdict = pki.certificates.verify_peer(pem(issue(ca, "peer", 0x80, cdp=[url])))
    assert not verdict.ok and verdict.check == "revocation"
    assert "signature check failed" in verdict.reason
    assert pki.revocation.crls() == [] and pki.config.crls == []


def test_stopped_cdp_falls_through_to_none(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    url = publish(cdp, make_crl(ca, []))
    cdp.stop()
    pki = make_device(tmp_path / "store", ca, ["crl", "none"])
    peer = pem(issue(ca, "peer", 0x81, cdp=[url]))
    verdict = pki.certificates.verify_peer(peer)
    assert verdict.ok and verdict.revocation is not None and verdict.revocation.status == "unchecked"
    assert verdict.revocation.attempts[0].status == "failed" and "unreachable" in verdict.revocation.attempts[0].detail
    pki.trustpoints.get("lab").set_revocation_check(["crl"])
    strict = pki.certificates.verify_peer(peer)
    assert not strict.ok and "could not be determined" in strict.reason


def test_request_crl_uses_the_device_certificate_cdp_and_survives_a_reopen(
        tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    url = publish(cdp, make_crl(ca, [5, 6, 7]))
    pki = make_device(tmp_path / "store", ca)
    device = issue(ca, "r1.example.com", 0x42, cdp=[url])
    pki.config.certificates.append(StoredCertificate.from_der("lab", "device", device.public_bytes(DER)))
    info = pki.revocation.request_crl("lab")
    assert (info.source, info.entries, info.location) == (url, 3, "nvram")
    pki.save()
    assert len(list(pki.store.crl_dir.iterdir())) == 1
    again = Pki.open(tmp_path / "store")
    [held] = again.revocation.crls("lab")
    assert held.sha256 == info.sha256
    index = again.revocation.open_crl(held)
    assert len(index) == 3 and index.find(6) == 1
    use = again.nvram_usage()
    assert use.used["CRLs"] == info.size
    # a CRL request replaces the held one
    publish(cdp, make_crl(ca, [5], number=9))
    newer = again.revocation.request_crl("lab")
    assert [c.crl_number for c in again.revocation.crls("lab")] == [newer.crl_number] == [9]


def test_crl_too_large_for_nvram_goes_to_the_cache(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    big = build_crl_der(ca, revoked_serials(2000, seed=4))
    url = publish(cdp, big)
    pki = make_device(tmp_path / "store", ca, ["crl"])
    pki.set_capacity(8 * 1024)
    serial = revoked_serials(2000, seed=4)[1234]
    verdict = pki.certificates.verify_peer(pem(issue(ca, "peer", serial, cdp=[url])))
    assert verdict.status == "revoked"
    [info] = pki.revocation.crls()
    assert info.location == "cache" and info.size == len(big)
    pki.save()
    assert list(pki.store.crl_dir.iterdir()) == []
    assert len(list(pki.store.cache_dir.glob("*.crl"))) == 1
    use = pki.nvram_usage()
    assert use.used["CRLs"] == 0 and use.cached_outside and use.total <= use.capacity
    # the cache is gone: the next check downloads the CRL again
    for f in pki.store.cache_dir.glob("*.crl"):
        f.unlink()
    again = Pki.open(tmp_path / "store")
    assert again.certificates.verify_peer(pem(issue(ca, "peer", serial, cdp=[url]))).status == "revoked"
    assert len(cdp.requests) == 2


def test_request_crl_tells_when_the_crl_is_cached_outside_nvram(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    url = publish(cdp, build_crl_der(ca, revoked_serials(500, seed=2)))
    pki = make_device(tmp_path / "store", ca)
    pki.set_capacity(4096)
    pki.config.certificates.append(
        StoredCertificate.from_der("lab", "device", issue(ca, "r1", 9, cdp=[url]).public_bytes(DER)))
    info = pki.revocation.request_crl("lab")
    assert info.location == "cache" and "outside NVRAM" in info.notes[0]


def test_query_mode_keeps_crls_and_ca_certificates_out_of_nvram(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    url = publish(cdp, make_crl(ca, [0x99]))
    store = tmp_path / "store"
    pki = make_device(store, ca, ["crl"])
    peer = pem(issue(ca, "peer", 0x99, cdp=[url]))
    assert pki.certificates.verify_peer(peer).status == "revoked"
    pki.save()
    assert len(list(pki.store.crl_dir.iterdir())) == 1  # stored while query mode is off
    pki.set_query_mode(True)
    assert pki.nvram_usage().next_save_removes
    pki.save()  # stored ones are removed at the next save
    assert list(pki.store.crl_dir.iterdir()) == []
    saved = json.loads((store / "nvram.json").read_text())
    assert saved["crls"] == {}
    assert all(doc["der"] is None for doc in saved["certificates"].values())
    # still usable in this process (held in memory) ...
    assert pki.certificates.verify_peer(peer).status == "revoked"
    assert [i.location for i in pki.revocation.crls()] == ["memory"]
    assert list(pki.store.crl_dir.iterdir()) == [] and list(pki.store.cache_dir.glob("*.crl")) == []
    # ... and after a restart only the CA fingerprint is left: nothing to check against
    again = Pki.open(store)
    [ca_info] = again.certificates.list("lab")
    assert ca_info.status.startswith("Fingerprint only") and ca_info.serial_hex is None
    verdict = again.certificates.verify_peer(peer, "lab")
    assert not verdict.ok and verdict.check == "trustpoint" and "fetch" in verdict.reason


def test_a_stored_crl_changed_on_disk_is_not_used(tmp_path: Path, ca: LabCa, rogue_ca: LabCa,
                                                  cdp: CrlHttpServer) -> None:
    url = publish(cdp, make_crl(ca, [0x31]))
    pki = make_device(tmp_path / "store", ca, ["crl"])
    peer = pem(issue(ca, "peer", 0x31, cdp=[url]))
    assert pki.certificates.verify_peer(peer).status == "revoked"
    pki.save()
    [stored] = list(pki.store.crl_dir.iterdir())
    stored.write_bytes(make_crl(rogue_ca, []))  # someone swaps the file for a forged, empty CRL
    again = Pki.open(tmp_path / "store")
    assert again.certificates.verify_peer(peer).status == "revoked"
    assert cdp.requests == ["/ca.crl", "/ca.crl"]  # the damaged file was ignored, the CRL fetched again


def _partition(url: str) -> tuple[x509.ExtensionType, bool]:
    idp = x509.IssuingDistributionPoint([x509.UniformResourceIdentifier(url)], None, False, False, None, False, False)
    return idp, True


def test_partitioned_crls_each_cover_only_their_certificates(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    """Several CRLs per trustpoint (an RA's CA publishing partitions): a held CRL is used only for
    the certificates whose CRL distribution point it is (RFC 5280 issuingDistributionPoint)."""
    url_a, url_b = cdp.url_for("a.crl"), cdp.url_for("b.crl")
    publish(cdp, make_crl(ca, [], extensions=[_partition(url_a)]), "a.crl")
    publish(cdp, make_crl(ca, [0x92], extensions=[_partition(url_b)]), "b.crl")
    pki = make_device(tmp_path / "store", ca, ["crl"])
    assert pki.certificates.verify_peer(pem(issue(ca, "peer-a", 0x91, cdp=[url_a]))).ok
    verdict = pki.certificates.verify_peer(pem(issue(ca, "peer-b", 0x92, cdp=[url_b])))
    assert verdict.status == "revoked", verdict.reason
    assert sorted(i.source for i in pki.revocation.crls("lab")) == sorted([url_a, url_b])


def test_a_partition_named_for_other_certificates_is_not_used(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    url = publish(cdp, make_crl(ca, [], extensions=[_partition(cdp.url_for("other.crl"))]))
    pki = make_device(tmp_path / "store", ca, ["crl"])
    verdict = pki.certificates.verify_peer(pem(issue(ca, "peer", 0x93, cdp=[url])))
    assert not verdict.ok and "does not cover" in verdict.reason


def test_delta_and_unknown_critical_crls_are_refused(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    """A delta CRL lists only recent revocations: read as a complete CRL it would pass revoked peers."""
    url = publish(cdp, make_crl(ca, [], extensions=[(x509.DeltaCRLIndicator(1), True)]))
    pki = make_device(tmp_path / "store", ca, ["crl"])
    verdict = pki.certificates.verify_peer(pem(issue(ca, "peer", 0x94, cdp=[url])))
    assert not verdict.ok and "delta CRL" in verdict.reason, verdict.reason
    assert pki.config.crls == []
    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    publish(cdp, make_crl(ca, [], extensions=[(odd, True)]))
    verdict = pki.certificates.verify_peer(pem(issue(ca, "peer", 0x95, cdp=[url])))
    assert not verdict.ok and "does not understand" in verdict.reason, verdict.reason


def _device_at(store: Path, ca: LabCa, clock: FixedClock) -> Pki:
    """make_device, with the core's clock frozen (so 'minutes later' needs no waiting)."""
    pki = Pki.open(store, clock=clock)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pki.trustpoints.declare("lab").set_revocation_check(["crl"])
    pki.config.certificates.append(StoredCertificate.from_der("lab", "ca", ca.certificate.public_bytes(DER)))
    return pki


def test_crl_cache_none_fetches_for_every_check_and_keeps_nothing(tmp_path: Path, ca: LabCa,
                                                                  cdp: CrlHttpServer) -> None:
    """IOS's ``crl cache none``: the CRL serves the check it was fetched for, is not held, and the
    next check fetches it again (the default holds it until nextUpdate: one download)."""
    url = publish(cdp, make_crl(ca, []))
    pki = _device_at(tmp_path / "store", ca, FixedClock(NOW + timedelta(minutes=1)))
    pki.trustpoints.get("lab").set_crl_cache(None)  # crl cache none
    peer = pem(issue(ca, "peer", 0x65, cdp=[url]))
    assert pki.certificates.verify_peer(peer).ok
    assert pki.certificates.verify_peer(peer).ok
    assert cdp.requests == ["/ca.crl", "/ca.crl"]
    assert pki.config.crls == [], "crl cache none keeps no CRL in the configuration"
    pki.save()
    assert not list((pki.store.root / "crl").glob("*.crl"))


def test_crl_cache_delete_after_fetches_again_once_the_minutes_passed(tmp_path: Path, ca: LabCa,
                                                                      cdp: CrlHttpServer) -> None:
    url = publish(cdp, make_crl(ca, [], next_update=NOW + timedelta(days=7)))
    clock = FixedClock(NOW + timedelta(minutes=1))
    pki = _device_at(tmp_path / "store", ca, clock)
    pki.trustpoints.get("lab").set_crl_cache(10)
    peer = pem(issue(ca, "peer", 0x65, cdp=[url]))
    assert pki.certificates.verify_peer(peer).ok
    clock.advance(timedelta(minutes=9))
    assert pki.certificates.verify_peer(peer).ok
    assert cdp.requests == ["/ca.crl"], "within 10 minutes the held CRL serves"
    clock.advance(timedelta(minutes=2))
    publish(cdp, make_crl(ca, [0x65], number=2, next_update=NOW + timedelta(days=7)))  # revoked meanwhile
    verdict = pki.certificates.verify_peer(peer)
    assert verdict.status == "revoked", verdict.reason
    assert cdp.requests == ["/ca.crl", "/ca.crl"]
