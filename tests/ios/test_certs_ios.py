"""The certificate and CRL commands through the IOS language (what ``pkitui exec`` runs)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from ios_support import recorder
from pkitui.core.records import StoredCertificate
from pkitui.lab.bigcrl import LabCa
from pkitui.lab.crl_http import CrlHttpServer
from revocation_support import DER, NOW, bundle, intermediate, issue, make_crl, pem


def _session(tmp_path: Path, ca: LabCa, **kw):  # type: ignore[no-untyped-def]
    rec = recorder(tmp_path / "store", **kw)
    rec.ok("hostname r1\nip domain-name example.com\ncrypto key generate rsa\ncrypto pki trustpoint lab\n"
           " revocation-check crl\nend")
    rec.pki.config.certificates.append(StoredCertificate.from_der("lab", "ca", ca.certificate.public_bytes(DER)))
    return rec


def test_show_certificates_ios_layout_and_json(tmp_path: Path, ca: LabCa) -> None:
    rec = _session(tmp_path, ca)
    [pair] = rec.pki.config.key_pairs.values()
    cert = issue(ca, "r1.example.com", 0x3D, cdp=["http://ca.example/ca.crl"], key=pair.private_key)
    rec.pki.config.certificates.append(StoredCertificate.from_der("lab", "device", cert.public_bytes(DER),
                                                                  key_id=pair.key_id))
    text = "\n".join(rec.ok("show crypto pki certificates lab"))
    assert text.index("Certificate\n  Status: Available") < text.index("CA Certificate")
    for expected in ("Certificate Serial Number (hex): 3D", "Certificate Usage: General Purpose",
                     "    Name: r1.example.com", "CRL Distribution Points:\n    http://ca.example/ca.crl",
                     "start date:", "end   date:", "Associated Trustpoints: lab", "Key Label: r1.example.com"):
        assert expected in text, expected
    data = rec.json("show crypto ca certificates")
    assert [d["role"] for d in data] == ["device", "ca"]
    assert data[0]["pem"].startswith("-----BEGIN CERTIFICATE-----") and data[0]["serial_hex"] == "3D"


def test_certificate_chain_no_certificate(tmp_path: Path, ca: LabCa) -> None:
    rec = _session(tmp_path, ca, force=True)
    rec.pki.config.certificates.append(
        StoredCertificate.from_der("lab", "device", issue(ca, "x", 0x0B0B).public_bytes(DER)))
    out = rec.ok("crypto pki certificate chain lab\nno certificate 0B0B\nend")
    assert any("0B0B removed" in line for line in out)
    assert [c.role for c in rec.pki.config.certificates] == ["ca"]
    rec.ok("crypto pki certificate chain lab")
    assert "No certificate with serial number 77" in rec.fail("no certificate 77")[0]


def test_no_certificate_asks_first(tmp_path: Path, ca: LabCa) -> None:
    rec = _session(tmp_path, ca)  # nobody to confirm: refused, nothing removed
    rec.ok("crypto pki certificate chain lab")
    rec.fail("no certificate 01")
    assert len(rec.pki.config.certificates) == 1


def test_import_pasted_and_from_a_file_then_remove(tmp_path: Path, ca: LabCa) -> None:
    rec = _session(tmp_path, ca)
    [pair] = rec.pki.config.key_pairs.values()
    text = pem(issue(ca, "r1", 0x61, key=pair.private_key)).decode()
    out = rec.ok("crypto pki import lab certificate\n" + text + "quit")
    assert any("Certificate 61 imported into trustpoint lab" in line for line in out)
    path = tmp_path / "other.pem"
    path.write_bytes(pem(issue(ca, "r1", 0x62, key=pair.private_key)))
    rec.ok(f"crypto pki import lab certificate {path}")
    assert sorted(i.serial_hex for i in rec.pki.certificates.list("lab") if i.role == "imported") == ["61", "62"]
    assert any("not a certificate" in e for e in rec.fail(f"crypto pki import lab certificate {tmp_path / 'nope'}")
               + rec.fail("crypto pki import lab certificate /etc/hostname"))
    rec.ok("no crypto pki import lab certificate")
    assert [i.role for i in rec.pki.certificates.list("lab")] == ["ca"]


def test_verify_and_crl_commands(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    (cdp.directory / "ca.crl").write_bytes(make_crl(ca, [0x99]))
    url = cdp.url_for("ca.crl")
    rec = _session(tmp_path, ca)
    good, bad = tmp_path / "good.pem", tmp_path / "bad.der"
    good.write_bytes(pem(issue(ca, "good", 0x98, cdp=[url])))
    bad.write_bytes(issue(ca, "bad", 0x99, cdp=[url]).public_bytes(DER))
    out = rec.ok(f"crypto pki verify {good}")
    assert out[0] == "% Certificate is VALID" and any("Revocation crl: good" in line for line in out)
    errors = rec.fail(f"crypto pki verify {bad} lab")
    assert "revocation check failed" in errors[0]
    assert rec.out[0] == "% Certificate is REVOKED (revocation)"
    rec.out.clear()
    verdict = rec.session
    verdict.json = True
    assert not verdict.execute(f"crypto pki verify {bad}")
    verdict.json = False
    assert '"status": "revoked"' in rec.out[-1]
    rec.out.clear()
    rec.pki.config.certificates.append(
        StoredCertificate.from_der("lab", "device", issue(ca, "r1", 5, cdp=[url]).public_bytes(DER)))
    out = rec.ok("crypto pki crl request lab")
    assert out == [f"% CRL received for trustpoint lab: 1 entries from CRL distribution point {url}"]
    shown = "\n".join(rec.ok("show crypto pki crls"))
    assert "CRL Issuer Name:" in shown and url in shown and "1 revoked certificate(s)" in shown
    [doc] = rec.json("show crypto pki crls lab")
    assert doc["entries"] == 1 and doc["location"] == "nvram"
    assert rec.ok("show crypto pki crls") and "No CRLs" not in shown


def test_verify_a_chain_bundle_names_the_revoked_intermediate(tmp_path: Path, ca: LabCa, cdp: CrlHttpServer) -> None:
    """crypto pki verify FILE with the peer and its intermediate CA (as IKE peers send them): each
    certificate is checked against its own issuer, and a revoked intermediate is named."""
    inter = intermediate(ca, "IOS Intermediate CA", 0x5A5A, cdp=[cdp.url_for("root.crl")])
    # the root's first CRL is past its nextUpdate: the next check downloads the root's CRL again
    (cdp.directory / "root.crl").write_bytes(make_crl(ca, [], this_update=NOW - timedelta(days=2),
                                                      next_update=NOW - timedelta(days=1)))
    (cdp.directory / "inter.crl").write_bytes(make_crl(inter, []))
    chain = tmp_path / "chain.pem"
    chain.write_bytes(bundle(issue(inter, "peer", 0x77, cdp=[cdp.url_for("inter.crl")]), inter.certificate))
    rec = _session(tmp_path, ca)
    out = rec.ok(f"crypto pki verify {chain} lab")
    name = inter.certificate.subject.rfc4514_string()
    assert out[0] == "% Certificate is VALID"
    assert any(line.startswith(f"  Revocation of intermediate {name} (serial 5A5A") and line.endswith(": good")
               for line in out), out
    assert any(line.startswith("  Revocation of peer CN=peer (serial 77") for line in out), out
    (cdp.directory / "root.crl").write_bytes(make_crl(ca, [0x5A5A], number=2))
    errors = rec.fail(f"crypto pki verify {chain}")
    assert errors[0] == f"% Peer certificate refused: revocation check failed ({name})"
    assert rec.out[0] == "% Certificate is REVOKED (revocation)"
    assert any(f"intermediate CA certificate {name} (serial 5A5A)" in line for line in rec.out), rec.out
    rec.out.clear()
    rec.session.json = True
    assert not rec.session.execute(f"crypto pki verify {chain}")
    rec.session.json = False
    doc = json.loads(rec.out[-1])
    assert doc["status"] == "revoked" and doc["revocation_subject"] == name
    assert [(p["role"], p["revocation"]["status"]) for p in doc["path"]] == [("peer", "good"),
                                                                             ("intermediate", "revoked")]


def test_running_config_lists_the_chain_and_feeds_back(tmp_path: Path, ca: LabCa) -> None:
    from pkitui.ios.show_commands import running_config_lines

    rec = _session(tmp_path, ca)
    [pair] = rec.pki.config.key_pairs.values()
    device = issue(ca, "r1.example.com", 0x3D, key=pair.private_key)
    rec.pki.config.certificates.append(StoredCertificate.from_der("lab", "device", device.public_bytes(DER),
                                                                  key_id=pair.key_id))
    lines = running_config_lines(rec.pki)
    text = "\n".join(lines)
    assert "crypto pki certificate chain lab\n certificate 3D\n" in text and " certificate ca " in text
    # the same lines on a store that has the key pair give the same certificates back
    rec.pki.save()
    again = recorder(tmp_path / "store")
    again.pki.config.certificates = []
    again.pki.config.trustpoints.clear()
    assert again.run("\n".join(lines)) == 0, again.err
    restored = {(c.role, c.sha256, c.key_id) for c in again.pki.config.certificates}
    assert restored == {(c.role, c.sha256, c.key_id) for c in rec.pki.config.certificates}
    bad = recorder(tmp_path / "other")
    bad.ok("crypto pki trustpoint lab\nexit\ncrypto pki certificate chain lab")
    start = lines.index(" certificate 3D") + 1
    hex_lines = lines[start:lines.index("  quit", start)]
    assert bad.run(" certificate 3E\n" + "\n".join(hex_lines) + "\n  quit") == 1
    assert "serial number is 3D" in "\n".join(bad.err)


def test_write_tells_when_the_root_certificate_is_kept_as_fingerprint_only(tmp_path: Path, ca: LabCa) -> None:
    rec = _session(tmp_path, ca)
    rec.pki.set_capacity(2600)
    out = "\n".join(rec.ok("write memory"))
    assert "[OK]" in out and "% Kept as fingerprint only: lab ca" in out


def test_certificate_files_are_read_with_a_size_limit(tmp_path: Path, ca: LabCa) -> None:
    """crypto pki verify /dev/zero must not read forever: files are capped (a chain is a few kB)."""
    rec = recorder(tmp_path / "store")
    rec.ok("crypto pki trustpoint lab")
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    for line in (f"crypto pki verify {big}", f"crypto pki import lab certificate {big}"):
        assert any("larger than" in e for e in rec.fail(line))
    assert any("Cannot read" in e for e in rec.fail(f"crypto pki verify {tmp_path / 'missing.pem'}"))
