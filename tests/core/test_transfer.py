"""pki.transfer against the real scepserver (enrolled material) and tftpd-hpa: every export read
back by openssl (pkey, pkcs12, key matches certificate, chain verifies), non-exportable keys refused,
imports into a new store (same key fingerprints, certificate held, CA trusted after its fingerprint),
wrong passwords, files 0600 and atomic, a TFTP round trip."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkitui.core.ca_trust import CaCandidate
from pkitui.core.config_copy import ConfigCopyError
from pkitui.core.errors import FingerprintMismatch, KeyPairError, TrustpointError
from pkitui.core.export import KeyNotExportable, TransferError
from pkitui.core.keys import key_fingerprints
from pkitui.core.pki import Pki
from pkitui.core.scep.ca import fingerprints
from pkitui.lab.scepserver import ScepServer
from pkitui.lab.tftpd import TftpServer
from scep_support import CHALLENGE

PW = "Exp0rt-pw"


def _ca_sha256(server: ScepServer) -> str:
    cert = x509.load_pem_x509_certificate(server.ca_pem_path.read_bytes())
    return fingerprints(cert.public_bytes(serialization.Encoding.DER))["sha256"]


def _enrolled(store: Path, server: ScepServer, *, usage_keys: bool) -> Pki:
    pki = Pki.open(store)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pki.keys.generate(label="vpn", usage_keys=usage_keys, exportable=True)
    tp = pki.trustpoints.declare("lab")
    tp.set_enrollment_url(server.url)
    tp.set_password(CHALLENGE)
    tp.set_fingerprint(_ca_sha256(server))
    tp.set_rsakeypair("vpn")
    pki.scep.seconds_per_retry_minute = 0.01
    assert pki.ca_trust.authenticate("lab").accepted
    pki.scep.enroll("lab")
    return pki


@pytest.fixture(scope="module")
def general(scep_ca: ScepServer, tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A device enrolled at the real scepserver with an exportable general-purpose key pair."""
    return _enrolled(tmp_path_factory.mktemp("general"), scep_ca, usage_keys=False)


@pytest.fixture(scope="module")
def usage(scep_ca: ScepServer, tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """The same with usage keys (a signature and an encryption pair, two certificates)."""
    return _enrolled(tmp_path_factory.mktemp("usage"), scep_ca, usage_keys=True)


@pytest.fixture(scope="module")
def tftp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TftpServer]:
    """tftpd-hpa on 127.0.0.1 accepting uploads (fails, not skips, without in.tftpd or root)."""
    with TftpServer(tmp_path_factory.mktemp("tftp"), allow_create=True) as server:
        yield server


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)


def _public_from_key(path: Path, password: str = PW) -> str:
    proc = openssl("pkey", "-passin", f"pass:{password}", "-in", str(path), "-pubout")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _public_from_cert(path: Path) -> str:
    proc = openssl("x509", "-in", str(path), "-noout", "-pubkey")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _new_device(store: Path, fingerprint: str | None = None) -> Pki:
    pki = Pki.open(store)
    tp = pki.trustpoints.declare("lab")
    if fingerprint:
        tp.set_fingerprint(fingerprint)
    return pki


def _spkis(pki: Pki) -> list[str]:
    return sorted(key_fingerprints(p.public_der)["sha256"] for p in pki.config.key_pairs.values())


@pytest.mark.parametrize("cipher, dek", [("3des", "DES-EDE3-CBC"), ("aes", "AES-256-CBC")])
def test_pem_export_to_files_is_read_by_openssl(general: Pki, tmp_path: Path, cipher: str, dek: str) -> None:
    base = tmp_path / "out" / "r1"
    base.parent.mkdir()
    written = general.transfer.export_pem_to("lab", str(base), cipher, PW)  # type: ignore[arg-type]
    assert [str(c.url) for c in written] == [f"file:{base}.ca", f"file:{base}.prv", f"file:{base}.crt"]
    assert sorted(p.name for p in base.parent.iterdir()) == ["r1.ca", "r1.crt", "r1.prv"]  # no temporary left
    for path in base.parent.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    prv = Path(f"{base}.prv")
    assert f"DEK-Info: {dek}," in prv.read_text()
    assert openssl("pkey", "-passin", f"pass:{PW}", "-in", str(prv), "-noout").returncode == 0
    assert openssl("pkey", "-passin", "pass:wrong", "-in", str(prv), "-noout").returncode != 0
    assert _public_from_key(prv) == _public_from_cert(Path(f"{base}.crt"))  # the key matches the certificate
    verify = openssl("verify", "-CAfile", f"{base}.ca", f"{base}.crt")
    assert verify.returncode == 0, verify.stderr


def test_pkcs12_export_is_read_by_openssl(general: Pki, tmp_path: Path) -> None:
    p12 = tmp_path / "r1.p12"
    general.transfer.export_pkcs12_to("lab", f"file:{p12}", PW)
    assert stat.S_IMODE(p12.stat().st_mode) == 0o600
    assert openssl("pkcs12", "-info", "-passin", f"pass:{PW}", "-in", str(p12), "-noout").returncode == 0
    bad = openssl("pkcs12", "-info", "-passin", "pass:wrong", "-in", str(p12), "-noout")
    assert bad.returncode != 0 and "mac verify error" in bad.stderr.lower()
    key = openssl("pkcs12", "-in", str(p12), "-passin", f"pass:{PW}", "-nocerts", "-nodes")
    cert = openssl("pkcs12", "-in", str(p12), "-passin", f"pass:{PW}", "-clcerts", "-nokeys")
    cas = openssl("pkcs12", "-in", str(p12), "-passin", f"pass:{PW}", "-cacerts", "-nokeys")
    (tmp_path / "k.pem").write_text(key.stdout)
    (tmp_path / "c.pem").write_text(cert.stdout)
    assert _public_from_key(tmp_path / "k.pem") == _public_from_cert(tmp_path / "c.pem")
    assert "BEGIN CERTIFICATE" in cas.stdout  # the CA certificate travels with it


def test_usage_keys_are_exported_as_ios_names_them(usage: Pki, tmp_path: Path) -> None:
    base = tmp_path / "u"
    usage.transfer.export_pem_to("lab", str(base), "aes", PW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u-encr.crt", "u-encr.prv", "u-sign.crt", "u-sign.prv",
                                                        "u.ca"]
    for kind in ("sign", "encr"):
        assert _public_from_key(tmp_path / f"u-{kind}.prv") == _public_from_cert(tmp_path / f"u-{kind}.crt")
    with pytest.raises(TransferError, match="usage keys"):
        usage.transfer.export_pkcs12("lab", PW)
    # and they come back as a signature and an encryption pair, each with its certificate
    new = _new_device(tmp_path / "new", _ca_sha256_of(usage))
    result = new.transfer.import_pem_from("lab", str(base), PW, confirm=None)
    assert result.accepted and _spkis(new) == _spkis(usage)
    assert sorted(p.usage for p in new.config.key_pairs.values()) == ["encryption", "signature"]
    own = {c.key_id for c in new.config.certificates if c.role in ("device", "imported")}
    assert own == {"lab#signature", "lab#encryption"}
    # pasted as the terminal export prints it, the headers name each pair's usage
    bundle = usage.transfer.export_pem("lab", "3des", PW)
    text = "\n".join([bundle.ca_pem] + [f"% Key name: vpn\n   Usage: {p.usage_text}\n{p.private_pem}"
                                        f"% Certificate:\n{p.certificate_pem}" for p in reversed(bundle.key_pairs)])
    pasted = _new_device(tmp_path / "pasted")
    assert pasted.transfer.import_pem("lab", text, PW, confirm=lambda c: True).accepted
    def by_usage(pki: Pki) -> dict[str, str]:
        return {p.usage: key_fingerprints(p.public_der)["sha256"] for p in pki.config.key_pairs.values()}

    assert by_usage(pasted) == by_usage(usage)


def _ca_sha256_of(pki: Pki) -> str:
    return key_fingerprints(pki.certificates.ca_certificate("lab").public_bytes(serialization.Encoding.DER))["sha256"]


def test_key_export_and_import_round_trip(general: Pki, tmp_path: Path) -> None:
    written = general.transfer.export_key_to("vpn", str(tmp_path / "k"), "3des", PW)
    assert [c.url.path for c in written] == [f"{tmp_path}/k.pub", f"{tmp_path}/k.prv"]
    new = Pki.open(tmp_path / "new")
    with pytest.raises(TransferError, match="The password does not decrypt"):
        new.transfer.import_key_from("copy", str(tmp_path / "k"), "wrong")
    assert not new.config.key_pairs
    pairs = new.transfer.import_key_from("copy", str(tmp_path / "k"), PW)
    assert [p.key_id for p in pairs] == ["copy"] and not pairs[0].exportable
    assert _spkis(new) == _spkis(general)
    with pytest.raises(KeyNotExportable, match="RSA keypair copy is not exportable"):
        new.transfer.export_key("copy", "aes", PW)
    new.save()
    assert _spkis(Pki.open(tmp_path / "new")) == _spkis(general)  # kept in NVRAM


def test_non_exportable_keys_are_refused_by_every_export(general: Pki, tmp_path: Path) -> None:
    pair = general.config.key_pairs["vpn"]
    pair.exportable = False
    try:
        for export in (lambda: general.transfer.export_pem_to("lab", str(tmp_path / "a"), "aes", PW),
                       lambda: general.transfer.export_pem("lab", "3des", PW),
                       lambda: general.transfer.export_pkcs12_to("lab", str(tmp_path / "b.p12"), PW),
                       lambda: general.transfer.export_key_to("vpn", str(tmp_path / "c"), "aes", PW),
                       lambda: general.transfer.check_export("lab"),  # what a front end asks before a password
                       lambda: general.transfer.check_key_export("vpn")):
            with pytest.raises(KeyNotExportable, match="RSA keypair vpn is not exportable"):
                export()
    finally:
        pair.exportable = True
    assert list(tmp_path.iterdir()) == []  # nothing written
    general.transfer.check_export("lab")  # exportable again: no refusal
    general.transfer.check_key_export("vpn")


def test_pem_import_into_a_new_store(general: Pki, tmp_path: Path) -> None:
    general.transfer.export_pem_to("lab", str(tmp_path / "r1"), "aes", PW)
    fingerprint = _ca_sha256_of(general)
    # nobody to ask and no fingerprint: refused, nothing stored
    new = _new_device(tmp_path / "new")
    with pytest.raises(TrustpointError, match="nobody to ask"):
        new.transfer.import_pem_from("lab", str(tmp_path / "r1"), PW, confirm=None)
    assert not new.config.key_pairs and not new.config.certificates
    # a person says no: nothing stored
    asked: list[CaCandidate] = []
    result = new.transfer.import_pem_from("lab", str(tmp_path / "r1"), PW,
                                          confirm=lambda c: asked.append(c) or False)
    assert not result.accepted and asked[0].fingerprints["sha256"] == fingerprint
    assert not new.config.key_pairs and not new.config.certificates
    # a wrong password: a clear error, nothing stored
    with pytest.raises(TransferError, match="The password does not decrypt"):
        new.transfer.import_pem_from("lab", str(tmp_path / "r1"), "wrong", confirm=lambda c: True)
    # the pre-configured fingerprint decides alone
    new.trustpoints.get("lab").set_fingerprint(fingerprint)
    result = new.transfer.import_pem_from("lab", str(tmp_path / "r1"), PW, confirm=None)
    assert result.accepted and _spkis(new) == _spkis(general)
    assert new.trustpoints.get("lab").rsakeypair == "lab"  # the key pair is named after the trustpoint
    new.save()
    again = Pki.open(tmp_path / "new")
    assert _spkis(again) == _spkis(general)
    assert {c.role for c in again.config.certificates} == {"ca", "imported"}
    own = next(c for c in again.config.certificates if c.role == "imported")
    theirs = next(c for c in general.config.certificates if c.role == "device")
    assert own.sha256 == theirs.sha256 and own.key_id == "lab"
    assert next(c for c in again.config.certificates if c.role == "ca").sha256 == fingerprint  # the CA is trusted
    # a mismatching fingerprint refuses
    other = _new_device(tmp_path / "other", "AB" * 32)
    with pytest.raises(FingerprintMismatch):
        other.transfer.import_pem_from("lab", str(tmp_path / "r1"), PW, confirm=None)


def test_pem_terminal_import_reads_what_export_printed(general: Pki, tmp_path: Path) -> None:
    bundle = general.transfer.export_pem("lab", "3des", PW)
    text = "\n".join(["% CA certificate:", bundle.ca_pem, "% Key name: vpn", "   Usage: General Purpose Key",
                      bundle.key_pairs[0].private_pem, "% Certificate:", bundle.key_pairs[0].certificate_pem or ""])
    new = _new_device(tmp_path / "new")
    result = new.transfer.import_pem("lab", text, PW, confirm=lambda c: True, exportable=True)
    assert result.accepted and _spkis(new) == _spkis(general) and result.key_pairs[0].exportable
    with pytest.raises(TransferError, match="No PEM block"):
        new.transfer.import_pem("lab", "nothing here", PW, confirm=None)


def test_pkcs12_import_declares_the_trustpoint(general: Pki, tmp_path: Path) -> None:
    general.transfer.export_pkcs12_to("lab", str(tmp_path / "r1.p12"), PW)
    new = Pki.open(tmp_path / "new")
    with pytest.raises(TransferError, match="wrong password"):
        new.transfer.import_pkcs12_from("vpn-id", str(tmp_path / "r1.p12"), "wrong", confirm=lambda c: True)
    result = new.transfer.import_pkcs12_from("vpn-id", str(tmp_path / "r1.p12"), PW, confirm=lambda c: True)
    assert result.accepted and result.trustpoint == "vpn-id" and _spkis(new) == _spkis(general)
    assert [c.role for c in new.config.certificates] == ["ca", "imported"]
    assert new.trustpoints.get("vpn-id").rsakeypair == "vpn-id"
    # refused at the CA question: the trustpoint the import declared is gone again
    refused = Pki.open(tmp_path / "refused")
    assert not refused.transfer.import_pkcs12_from("x", str(tmp_path / "r1.p12"), PW, confirm=lambda c: False).accepted
    assert "x" not in refused.config.trustpoints and not refused.config.key_pairs


def test_tftp_export_and_import(general: Pki, tftp: TftpServer, tmp_path: Path) -> None:
    url = f"tftp://{tftp.server}/r1"
    written = general.transfer.export_pem_to("lab", url, "aes", PW)
    assert [str(c.url) for c in written] == [f"{url}.ca", f"{url}.prv", f"{url}.crt"]
    assert _public_from_key(tftp.root / "r1.prv") == _public_from_cert(tftp.root / "r1.crt")
    general.transfer.export_pkcs12_to("lab", f"{url}.p12", PW)
    assert openssl("pkcs12", "-info", "-passin", f"pass:{PW}", "-in", str(tftp.root / "r1.p12"),
                   "-noout").returncode == 0
    new = _new_device(tmp_path / "new", _ca_sha256_of(general))
    assert new.transfer.import_pem_from("lab", url, PW, confirm=None).accepted
    assert _spkis(new) == _spkis(general)


def test_urls_with_another_scheme_are_refused_not_taken_for_paths(general: Pki, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "http:" / "127.0.0.1"
    folder.mkdir(parents=True)  # where http://127.0.0.1/x.p12 lands if it is taken for a relative path
    for call in (lambda: general.transfer.export_pkcs12_to("lab", "http://127.0.0.1/x.p12", PW),
                 lambda: general.transfer.export_pem_to("lab", "http://127.0.0.1/x", "aes", PW),
                 lambda: general.transfer.export_key_to("vpn", "scp://127.0.0.1/x", "aes", PW),
                 lambda: general.transfer.import_pkcs12_from("lab", "http://127.0.0.1/x.p12", PW, confirm=None),
                 lambda: general.transfer.import_pem_from("lab", "flash:x", PW, confirm=None)):
        with pytest.raises(ConfigCopyError, match=r"^Unsupported URL scheme (http|scp|flash): use a path, "
                                                  r"file:PATH or tftp://HOST/FILE\n"):
            call()
    assert list(folder.iterdir()) == []
    # a bare name: the hint fits what is copied (a PKCS#12 file, a base name for PEM files)
    with pytest.raises(ConfigCopyError) as p12:
        general.transfer.export_pkcs12_to("lab", "relative.p12", PW)
    assert p12.value.message == "relative.p12 is not a place pkitui can copy an export to or from"
    assert "./vpn.p12" in (p12.value.hint or "") and "r1-confg" not in (p12.value.hint or "")
    with pytest.raises(ConfigCopyError) as pem:
        general.transfer.import_pem_from("lab", "relative", PW, confirm=None)
    assert "/root/vpn" in (pem.value.hint or "") and "an import" in pem.value.message
    assert list(tmp_path.iterdir()) == [tmp_path / "http:"]


def test_a_key_already_held_under_another_label_is_not_imported_again(general: Pki, tmp_path: Path) -> None:
    general.transfer.export_pkcs12_to("lab", str(tmp_path / "vpn.p12"), PW)
    general.transfer.export_key_to("vpn", str(tmp_path / "k"), "aes", PW)
    before = dict(general.config.key_pairs)
    with pytest.raises(KeyPairError) as refused:
        general.transfer.import_pkcs12_from("tp2", str(tmp_path / "vpn.p12"), PW, confirm=lambda c: True)
    assert refused.value.message == "This key pair is already on this device as RSA keys vpn: it is not imported " \
                                    "again as tp2."
    assert "rsakeypair vpn" in (refused.value.hint or "")
    with pytest.raises(KeyPairError, match="already on this device as RSA keys vpn"):
        general.transfer.import_key_from("copy", str(tmp_path / "k"), PW, exportable=False)
    # nothing changed: no second label for the key, no trustpoint tp2 whose rsakeypair names a pair it does not use
    assert general.config.key_pairs == before and "tp2" not in general.config.trustpoints


def test_an_export_password_needs_eight_characters(general: Pki, tmp_path: Path) -> None:
    for export in (lambda pw: general.transfer.export_pkcs12_to("lab", str(tmp_path / "x.p12"), pw),
                   lambda pw: general.transfer.export_pem_to("lab", str(tmp_path / "x"), "3des", pw),
                   lambda pw: general.transfer.export_pem("lab", "aes", pw),
                   lambda pw: general.transfer.export_key_to("vpn", str(tmp_path / "k"), "aes", pw)):
        for short in ("P", "1234567"):
            with pytest.raises(TransferError, match="needs a password of at least 8 characters"):
                export(short)
        with pytest.raises(TransferError, match="needs a password\n"):
            export("")
    assert list(tmp_path.iterdir()) == []  # nothing written
    general.transfer.export_pkcs12_to("lab", str(tmp_path / "x.p12"), "12345678")  # eight are enough


def test_an_imported_key_is_said_imported_and_its_refusal_says_import_it_again(general: Pki, tmp_path: Path) -> None:
    general.transfer.export_key_to("vpn", str(tmp_path / "k"), "aes", PW)
    new = Pki.open(tmp_path / "new")
    new.transfer.import_key_from("copy", str(tmp_path / "k"), PW)
    with pytest.raises(KeyNotExportable) as refused:
        new.transfer.check_key_export("copy")
    assert refused.value.message == "RSA keypair copy is not exportable."
    assert "imported without 'exportable'" in (refused.value.hint or "")
    assert "import it again with exportable" in (refused.value.hint or "")
    assert "generate" not in (refused.value.hint or "") and "enroll" not in (refused.value.hint or "")
    new.save()
    again = Pki.open(tmp_path / "new").config.key_pairs["copy"]  # how the pair came to be round-trips
    assert again.imported and not again.exportable
    assert not general.config.key_pairs["vpn"].imported  # generated here
    with pytest.raises(KeyNotExportable, match="generated without 'exportable'"):
        general.config.key_pairs["vpn"].exportable = False
        try:
            general.transfer.check_key_export("vpn")
        finally:
            general.config.key_pairs["vpn"].exportable = True


def test_pem_pasted_as_ios_asks_for_it_usage_keys(usage: Pki, tmp_path: Path) -> None:
    bundle = usage.transfer.export_pem("lab", "aes", PW)
    pairs = [(p.usage, p.private_pem, p.certificate_pem or "") for p in bundle.key_pairs]
    assert [u for u, _k, _c in pairs] == ["signature", "encryption"]
    new = _new_device(tmp_path / "new")
    swapped = [("signature", pairs[0][1], pairs[0][1]), pairs[1]]  # a key pasted where its certificate was asked
    with pytest.raises(TransferError, match="pasted for the signature certificate is not the device's certificate"):
        new.transfer.import_pem_parts("lab", bundle.ca_pem, swapped, PW, confirm=lambda c: True)  # type: ignore[arg-type]
    with pytest.raises(TransferError, match="No PEM block in what was pasted for the CA certificate"):
        new.transfer.import_pem_parts("lab", "quit", pairs, PW, confirm=lambda c: True)  # type: ignore[arg-type]
    assert not new.config.key_pairs
    result = new.transfer.import_pem_parts("lab", bundle.ca_pem, pairs, PW, confirm=lambda c: True)  # type: ignore[arg-type]
    assert result.accepted
    by_usage = {p.usage: key_fingerprints(p.public_der)["sha256"] for p in new.config.key_pairs.values()}
    assert by_usage == {p.usage: key_fingerprints(p.public_der)["sha256"] for p in usage.config.key_pairs.values()}
