"""Certificate maps (issue 12): ``crypto pki certificate map LABEL SEQ`` with subject-name and
issuer-name lines, ``match certificate MAP`` in a trustpoint, honoured by ``crypto pki verify``,
shown in ``show running-config`` in IOS's layout and rebuilt from it; and ``chain-validation``."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from ios_support import recorder
from pkitui.core.certmaps import CertificateMaps
from pkitui.core.pki import Pki
from pkitui.ios.show_commands import running_config_lines
from pkitui.lab.bigcrl import LabCa
from revocation_support import bundle, intermediate, issue, make_device, pem

MAP_SCRIPT = """configure terminal
crypto pki certificate map PEERS 10
 subject-name co vpn
 issuer-name eq CN=Revocation Test CA, O=pkitui lab
crypto pki certificate map PEERS 20
 subject-name eq cn=hub.example.com
exit
crypto pki trustpoint lab
 match certificate PEERS
end"""


def _device(tmp_path: Path, ca: LabCa) -> Pki:
    pki = make_device(tmp_path / "store", ca, ["none"])
    pki.save()
    return pki


def test_verify_refuses_a_peer_matching_no_sequence_naming_the_map(tmp_path: Path, ca: LabCa) -> None:
    _device(tmp_path, ca)
    rec = recorder(tmp_path / "store")
    rec.ok(MAP_SCRIPT)
    certs = rec.pki.certificates
    ok = certs.verify_peer(pem(issue(ca, "vpn-r7.example.com", 0x71)))
    assert ok.ok, ok.reason
    hub = certs.verify_peer(pem(issue(ca, "HUB.example.com", 0x72)))  # eq ignores case, as IOS
    assert hub.ok, hub.reason
    refused = certs.verify_peer(pem(issue(ca, "branch.example.com", 0x73)), "lab")
    assert not refused.ok and refused.check == "certificate map"
    assert "PEERS" in refused.reason and "cn=branch.example.com" in refused.reason


def test_nc_and_ne_and_a_missing_map(tmp_path: Path, ca: LabCa) -> None:
    pki = _device(tmp_path, ca)
    maps = CertificateMaps(pki.config)
    entry = maps.declare("NOTLAB", 1)
    maps.add_rule(entry, "subject-name", "nc", "LAB")
    maps.add_rule(entry, "issuer-name", "ne", "cn=other ca")
    assert maps.match("NOTLAB", issue(ca, "peer", 0x74)).matched
    assert not maps.match("NOTLAB", issue(ca, "lab-peer", 0x75)).matched
    assert not maps.match("ABSENT", issue(ca, "peer", 0x76)).matched
    pki.trustpoints.get("lab").set_match_certificate("ABSENT")
    verdict = pki.certificates.verify_peer(pem(issue(ca, "peer", 0x77)))
    assert not verdict.ok and "certificate map ABSENT is not configured" in verdict.reason


def test_running_config_layout_round_trip_and_no_forms(tmp_path: Path, ca: LabCa) -> None:
    _device(tmp_path, ca)
    rec = recorder(tmp_path / "store")
    rec.ok(MAP_SCRIPT)
    lines = running_config_lines(rec.pki)
    start = lines.index("crypto pki certificate map PEERS 10")
    assert lines[start:start + 5] == ["crypto pki certificate map PEERS 10", " subject-name co vpn",
                                      " issuer-name eq CN=Revocation Test CA, O=pkitui lab", "!",
                                      "crypto pki certificate map PEERS 20"]
    assert " match certificate PEERS" in lines
    rec.pki.save()
    again = recorder(tmp_path / "other")
    again.ok("\n".join(lines))
    assert [e.to_doc() for e in again.pki.config.certificate_maps] == \
        [e.to_doc() for e in rec.pki.config.certificate_maps]
    reopened = Pki.open(tmp_path / "store")  # saved as its own record kind and loaded back
    assert len(reopened.config.certificate_maps) == 2
    rec.ok("configure terminal\ncrypto pki certificate map PEERS 10\nno subject-name co vpn\nexit\n"
           "no crypto pki certificate map PEERS 20\nend")
    assert [(e.seq, e.rules) for e in rec.pki.config.certificate_maps] == [
        (10, [["issuer-name", "eq", "CN=Revocation Test CA, O=pkitui lab"]])]
    assert rec.fail("configure terminal\nno crypto pki certificate map NOPE")


def test_certificate_map_mode_prompt_and_exit(tmp_path: Path) -> None:
    rec = recorder(tmp_path / "store")
    rec.ok("configure terminal\ncrypto pki certificate map M 5")
    assert rec.session.prompt.endswith("(ca-certificate-map)#")
    rec.ok("exit")
    assert rec.session.prompt.endswith("(config)#")


def test_chain_validation_continue_checks_the_subordinate_ca_against_its_parent(tmp_path: Path, ca: LabCa) -> None:
    sub = intermediate(ca, "Sub CA", 0x501)
    pki = make_device(tmp_path / "store", sub, ["none"], name="sub")
    root = pki.trustpoints.declare("root")
    root.set_revocation_check(["none"])
    from pkitui.core.records import StoredCertificate

    pki.config.certificates.append(StoredCertificate.from_der("root", "ca", ca.certificate.public_bytes(Encoding.DER)))
    peer = pem(issue(sub, "peer.example.com", 0x502))
    stopped = pki.certificates.verify_peer(peer, "sub")
    assert stopped.ok and len(stopped.chain) == 2  # by default (stop) the sub CA is the anchor
    pki.trustpoints.get("sub").set_chain_validation(stop=False, parent="root")
    continued = pki.certificates.verify_peer(peer, "sub")
    assert continued.ok, continued.reason
    assert continued.chain[-1] == ca.certificate.subject.rfc4514_string() and len(continued.chain) == 3
    pki.trustpoints.get("sub").set_chain_validation(stop=False)  # continue: the issuing trustpoint is found
    assert len(pki.certificates.verify_peer(peer, "sub").chain) == 3
    # A parent whose CA did not issue this CA ends the path with a reason.
    other = intermediate(ca, "Other CA", 0x503)
    pki.config.certificates = [c for c in pki.config.certificates if c.trustpoint != "root"]
    other_der = other.certificate.public_bytes(Encoding.DER)
    pki.config.certificates.append(StoredCertificate.from_der("root", "ca", other_der))
    pki.trustpoints.get("sub").set_chain_validation(stop=False, parent="root")
    refused = pki.certificates.verify_peer(bundle(issue(sub, "peer.example.com", 0x504)), "sub")
    assert not refused.ok and refused.check == "chain" and "not issued by trustpoint root's CA" in refused.reason
