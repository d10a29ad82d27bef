"""pki.certificates: IOS fields, delete by serial, import, peer verification failures, the
fingerprint-only root certificate with a tiny NVRAM (re-fetched over TFTP from tftpd-hpa)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization

from pkitui.core.errors import CertificateError, FingerprintMismatch, TrustpointError
from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate
from pkitui.core.tftp import TftpError
from pkitui.lab.bigcrl import LabCa
from pkitui.lab.tftpd import TftpServer
from revocation_support import DER, NOW, issue, make_device, pem


@pytest.fixture(scope="module")
def tftp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TftpServer]:
    """tftpd-hpa on 127.0.0.1 (fails, not skips, without in.tftpd or root)."""
    with TftpServer(tmp_path_factory.mktemp("tftp")) as server:
        yield server


def device_with_key(tmp_path: Path, ca: LabCa) -> tuple[Pki, object]:
    pki = make_device(tmp_path / "store", ca, ["none"])
    [pair] = pki.keys.generate()
    return pki, pair


def test_list_gives_ios_fields(tmp_path: Path, ca: LabCa) -> None:
    pki, pair = device_with_key(tmp_path, ca)
    cert = issue(ca, "r1.example.com", 0x3D, cdp=["http://ca.example/ca.crl"], key=pair.private_key)
    pki.config.certificates.append(StoredCertificate.from_der("lab", "device", cert.public_bytes(DER),
                                                              key_id=pair.key_id))
    device, ca_info = pki.certificates.list("lab")
    assert (device.title, device.serial_hex, device.status, device.usage) == ("Certificate", "3D", "Available",
                                                                              "General Purpose")
    assert device.key_label == pair.label and device.crl_distribution_points == ["http://ca.example/ca.crl"]
    assert device.subject == "CN=r1.example.com" and device.issuer == ca_info.subject
    assert ca_info.title == "CA Certificate" and ca_info.usage == "Signature"
    assert set(ca_info.fingerprints) == {"md5", "sha1", "sha256"}
    doc = json.loads(json.dumps(device.as_json()))
    assert doc["pem"].startswith("-----BEGIN CERTIFICATE-----") and doc["serial_hex"] == "3D"
    with pytest.raises(TrustpointError):
        pki.certificates.list("nope")


def test_delete_by_serial(tmp_path: Path, ca: LabCa) -> None:
    pki, pair = device_with_key(tmp_path, ca)
    cert = issue(ca, "r1", 0x0ABC, key=pair.private_key)
    pki.config.certificates.append(StoredCertificate.from_der("lab", "device", cert.public_bytes(DER)))
    with pytest.raises(CertificateError, match="No certificate with serial number 0ABD"):
        pki.certificates.delete("lab", "abd")
    [gone] = pki.certificates.delete("lab", "0x0abc")
    assert gone.serial_hex == "0ABC"
    assert [c.role for c in pki.config.certificates] == ["ca"]


def test_import_and_remove_imported(tmp_path: Path, ca: LabCa, rogue_ca: LabCa) -> None:
    pki, pair = device_with_key(tmp_path, ca)
    mine = issue(ca, "r1", 0x51, key=pair.private_key)
    info = pki.certificates.import_certificate("lab", pem(mine))
    assert info.role == "imported" and info.key_label == pair.label
    with pytest.raises(CertificateError, match="already held"):
        pki.certificates.import_certificate("lab", mine.public_bytes(DER))
    with pytest.raises(CertificateError, match="not issued by the CA"):
        pki.certificates.import_certificate("lab", pem(issue(rogue_ca, "r1", 0x52, key=pair.private_key)))
    with pytest.raises(CertificateError, match="matches none of this device's key pairs"):
        pki.certificates.import_certificate("lab", pem(issue(ca, "other", 0x53)))
    with pytest.raises(CertificateError, match="not a certificate") as err:
        pki.certificates.import_certificate("lab", b"hello")
    assert "ParseError" not in err.value.message  # no Rust debug text for a user
    [removed] = pki.certificates.remove_imported("lab")
    assert removed.serial_hex == "51"
    with pytest.raises(CertificateError):
        pki.certificates.remove_imported("lab")


def test_removing_the_trustpoint_removes_its_certificates(tmp_path: Path, ca: LabCa) -> None:
    pki = make_device(tmp_path / "store", ca)
    pki.trustpoints.remove("lab")
    assert pki.certificates.list() == []


def test_peer_failures_name_the_check(tmp_path: Path, ca: LabCa, rogue_ca: LabCa) -> None:
    pki = make_device(tmp_path / "store", ca, ["none"])
    assert pki.certificates.verify_peer(pem(issue(ca, "ok", 0x60))).ok
    expired = pki.certificates.verify_peer(pem(issue(ca, "old", 0x61, not_before=NOW - timedelta(days=40))))
    assert (expired.ok, expired.check) == (False, "validity") and "expired" in expired.reason
    future = pki.certificates.verify_peer(pem(issue(ca, "new", 0x62, not_before=NOW + timedelta(days=2))))
    assert future.check == "validity" and "not valid before" in future.reason
    usage = pki.certificates.verify_peer(pem(issue(ca, "enc", 0x63, key_usage="encrypt-only")))
    assert usage.check == "key usage"
    other = pki.certificates.verify_peer(pem(issue(rogue_ca, "rogue", 0x64)))
    assert other.check == "chain" and "no path" in other.reason
    selfsigned = pki.certificates.verify_peer(pem(ca.certificate))
    assert selfsigned.check == "chain"
    with pytest.raises(CertificateError):
        pki.certificates.verify_peer(b"garbage")


def test_fingerprint_only_root_with_a_tiny_nvram_is_fetched_again_over_tftp(
        tmp_path: Path, ca: LabCa, tftp: TftpServer) -> None:
    store = tmp_path / "store"
    pki, _ = device_with_key(tmp_path, ca)
    tftp.publish("lab-ca.cer", pem(ca.certificate))
    pki.trustpoints.get("lab").set_root_tftp(tftp.server, "lab-ca.cer")
    pki.set_capacity(2600)  # room for the key and the configuration, not for the CA certificate
    use = pki.nvram_usage()
    assert use.dropped_for_capacity and any("NVRAM too small" in f for f in use.fingerprint_only)
    pki.save()
    saved = json.loads((store / "nvram.json").read_text())
    [doc] = saved["certificates"].values()
    assert doc["der"] is None and doc["sha256"]
    # the running process still has it in memory; a restarted one fetches it again
    assert pki.certificates.verify_peer(pem(issue(ca, "peer", 0x70))).ok
    again = Pki.open(store)
    assert again.certificates.list("lab")[0].status.startswith("Fingerprint only")
    verdict = again.certificates.verify_peer(pem(issue(ca, "peer", 0x70)))
    assert verdict.ok, verdict.reason
    # a different file on the server does not match the kept fingerprint
    third = Pki.open(store)
    tftp.publish("lab-ca.cer", pem(LabCa.create("Revocation Test CA", key_size=1024).certificate))
    with pytest.raises(CertificateError, match="does not match the kept SHA-256"):
        third.certificates.ca_certificate("lab")


def test_root_tftp_goes_through_the_fingerprint_confirmation(tmp_path: Path, ca: LabCa, tftp: TftpServer) -> None:
    tftp.publish("root.cer", ca.certificate.public_bytes(DER))
    pki = Pki.open(tmp_path / "store")
    tp = pki.trustpoints.declare("lab")
    tp.set_root_tftp(tftp.server, "root.cer")
    with pytest.raises(TrustpointError, match="nobody to ask"):
        pki.ca_trust.root_tftp("lab")
    assert pki.config.certificates == []
    shown = []
    cand = pki.ca_trust.root_tftp("lab", confirm=lambda c: shown.append(c) or False)
    assert not cand.accepted and shown and pki.config.certificates == []
    tp.set_fingerprint("00" * 32)
    with pytest.raises(FingerprintMismatch):
        pki.ca_trust.root_tftp("lab")
    tp.set_fingerprint(cand.fingerprints["sha256"])
    assert pki.ca_trust.root_tftp("lab").accepted
    assert pki.certificates.ca_certificate("lab").public_bytes(serialization.Encoding.DER) == \
        ca.certificate.public_bytes(DER)
    tp.set_root_tftp(tftp.server, "missing.cer")
    with pytest.raises(TftpError, match="not found"):
        pki.ca_trust.root_tftp("lab")


def test_python_api_authenticate_uses_root_tftp(tmp_path: Path, ca: LabCa, tftp: TftpServer) -> None:
    """pki.scep.authenticate is what every front end calls: with root tftp it reads TFTP, as IOS."""
    tftp.publish("api-ca.cer", ca.certificate.public_bytes(DER))
    pki = Pki.open(tmp_path / "store")
    tp = pki.trustpoints.declare("lab")  # no enrollment url: SCEP could not be used
    tp.set_root_tftp(tftp.server, "api-ca.cer")
    shown = []
    assert pki.ca_trust.authenticate("lab", confirm=lambda c: shown.append(c) or True).accepted
    assert shown and pki.certificates.ca_certificate("lab").public_bytes(serialization.Encoding.DER) == \
        ca.certificate.public_bytes(DER)


def test_authenticate_uses_root_tftp_from_the_ios_language(tmp_path: Path, ca: LabCa, tftp: TftpServer) -> None:
    from ios_support import recorder
    from pkitui.core.scep.ca import fingerprints

    tftp.publish("exec-ca.cer", pem(ca.certificate))
    sha = fingerprints(ca.certificate.public_bytes(DER))["sha256"]
    rec = recorder(tmp_path / "store")
    out = rec.ok(f"crypto pki trustpoint lab\n root tftp {tftp.server} exec-ca.cer\n fingerprint {sha}\n"
                 "exit\ncrypto pki authenticate lab")
    assert "Trustpoint CA certificate accepted." in out
    assert rec.pki.certificates.ca_certificate("lab").fingerprint(hashes.SHA256()).hex().upper() == sha
