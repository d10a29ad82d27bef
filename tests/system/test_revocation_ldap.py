"""``crl query ldap://...`` against a real OpenLDAP slapd holding the CA's CRL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pkitui.core.errors import RevocationError
from pkitui.core.revocation import ldap
from pkitui.lab.bigcrl import LabCa
from pkitui.lab.slapd import SlapdServer
from revocation_support import DER, issue, make_crl, make_device, pem


@pytest.fixture
def directory(tmp_path: Path, ca: LabCa) -> Iterator[SlapdServer]:
    """slapd on 127.0.0.1 with ``cn=Lab CA,dc=example,dc=com`` holding a CRL revoking 0x2002."""
    with SlapdServer(tmp_path / "slapd", make_crl(ca, [0x2002]), ca.certificate.public_bytes(DER)) as server:
        yield server


def test_fetch_by_dn_and_by_search(directory: SlapdServer, ca: LabCa) -> None:
    [(source, der)] = ldap.fetch_crls(directory.crl_query_url)
    assert der == directory.crl_der and "certificateRevocationList;binary" in source
    # without a DN in the URL the directory is searched for an entry holding a CRL
    [(_, found)] = ldap.fetch_crls(directory.url)
    assert found == directory.crl_der


def test_good_and_revoked_peers_through_crl_query(tmp_path: Path, directory: SlapdServer, ca: LabCa) -> None:
    pki = make_device(tmp_path / "store", ca, ["crl"])
    pki.trustpoints.get("lab").set_crl_query(directory.url)
    assert pki.certificates.verify_peer(pem(issue(ca, "good", 0x2001))).ok
    verdict = pki.certificates.verify_peer(pem(issue(ca, "bad", 0x2002)))
    assert verdict.status == "revoked" and directory.url in verdict.reason
    [info] = pki.revocation.crls("lab")
    assert info.source == directory.url


def test_crl_request_picks_up_a_new_crl(tmp_path: Path, directory: SlapdServer, ca: LabCa) -> None:
    pki = make_device(tmp_path / "store", ca, ["crl"])
    pki.trustpoints.get("lab").set_crl_query(directory.crl_query_url)
    first = pki.revocation.request_crl("lab")
    assert first.entries == 1
    directory.replace_crl(make_crl(ca, [0x2002, 0x2003, 0x2004], number=2))
    newer = pki.revocation.request_crl("lab")
    assert (newer.entries, newer.crl_number) == (3, 2)
    assert pki.certificates.verify_peer(pem(issue(ca, "x", 0x2004))).status == "revoked"


def test_forged_crl_in_the_directory_is_refused(tmp_path: Path, directory: SlapdServer, ca: LabCa,
                                                rogue_ca: LabCa) -> None:
    directory.replace_crl(make_crl(rogue_ca, []))
    pki = make_device(tmp_path / "store", ca, ["crl"])
    pki.trustpoints.get("lab").set_crl_query(directory.crl_query_url)
    with pytest.raises(RevocationError, match="signature check failed"):
        pki.revocation.request_crl("lab")


def test_stopped_directory_falls_through(tmp_path: Path, directory: SlapdServer, ca: LabCa) -> None:
    url = directory.url
    directory.stop()
    with pytest.raises(RevocationError, match="unreachable"):
        ldap.fetch_crls(url)
    pki = make_device(tmp_path / "store", ca, ["crl", "none"])
    pki.trustpoints.get("lab").set_crl_query(url)
    verdict = pki.certificates.verify_peer(pem(issue(ca, "good", 0x2001)))
    assert verdict.ok and verdict.revocation is not None and verdict.revocation.status == "unchecked"


def test_ldap_cdp_without_a_server_is_read_from_the_crl_query_server(tmp_path: Path, directory: SlapdServer,
                                                                     ca: LabCa) -> None:
    cdp = "ldap:///cn=Lab%20CA,dc=example,dc=com?certificateRevocationList;binary?base"
    pki = make_device(tmp_path / "store", ca, ["crl"])
    peer = pem(issue(ca, "bad", 0x2002, cdp=[cdp]))
    assert not pki.certificates.verify_peer(peer).ok  # no server known: undetermined
    pki.trustpoints.get("lab").set_crl_query(directory.url)
    verdict = pki.certificates.verify_peer(peer)
    assert verdict.status == "revoked"
    [info] = pki.revocation.crls("lab")
    assert info.source.startswith(f"{directory.url}/cn=Lab%20CA")


def test_the_lab_directory_takes_a_large_crl(directory: SlapdServer, ca: LabCa) -> None:
    """publish_big_crl needs a modify over slapd's default 4 MiB limit for authenticated requests
    (it used to end in a broken pipe)."""
    from pkitui.lab.bigcrl import build_crl_der, revoked_serials

    der = build_crl_der(ca, revoked_serials(1_000_000))
    assert len(der) > 32 * 1024 * 1024
    directory.replace_crl(der)
    start = time.perf_counter()
    [(_, found)] = ldap.fetch_crls(directory.crl_query_url, timeout=300)
    took = time.perf_counter() - start
    assert found == der
    assert took < 10, f"fetching a 42 MB CRL over LDAP took {took:.1f} s"  # 0.5 s measured; was 108 s
