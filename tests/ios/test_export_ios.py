"""crypto pki export | import and crypto key export | import rsa through the IOS session, with
material enrolled at the real scepserver: IOS's terminal layout pasted back into a new store, the
refusal of a non-exportable key in IOS's words, passwords never echoed in error lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ios_support import Recorder, recorder
from pkitui.core.keys import key_fingerprints
from pkitui.core.scep.ca import fingerprints
from pkitui.lab.scepserver import ScepServer
from scep_support import CHALLENGE

PW = "s3cr3t-Exp"


def _sha256(server: ScepServer) -> str:
    cert = x509.load_pem_x509_certificate(server.ca_pem_path.read_bytes())
    return fingerprints(cert.public_bytes(serialization.Encoding.DER))["sha256"]


@pytest.fixture(scope="module")
def enrolled(scep_ca: ScepServer, tmp_path_factory: pytest.TempPathFactory) -> Recorder:
    """A session whose trustpoint lab is enrolled with an exportable key pair, and a
    non-exportable label 'fixed' besides."""
    rec = recorder(tmp_path_factory.mktemp("r1"))
    rec.ok("\n".join(["hostname r1", "ip domain-name example.com",
                      "crypto key generate rsa label vpn exportable", "crypto key generate rsa label fixed",
                      "crypto pki trustpoint lab", f" enrollment url {scep_ca.url}", f" password {CHALLENGE}",
                      f" fingerprint {_sha256(scep_ca)}", " rsakeypair vpn", "exit"]))
    rec.pki.scep.seconds_per_retry_minute = 0.01
    rec.ok("crypto pki authenticate lab\ncrypto pki enroll lab")
    return rec


def _spkis(rec: Recorder) -> list[str]:
    return sorted(key_fingerprints(p.public_der)["sha256"] for p in rec.pki.config.key_pairs.values())


def test_terminal_export_pasted_into_a_new_store(enrolled: Recorder, tmp_path: Path) -> None:
    out = enrolled.ok(f"crypto pki export lab pem terminal 3des password {PW}")
    assert out[:2] == ["% The specified key and certificates will be exported in PEM format:", "% CA certificate:"]
    key_at = out.index("% Key name: vpn")
    assert out[key_at + 1:key_at + 4] == ["   Usage: General Purpose Key", "-----BEGIN RSA PRIVATE KEY-----",
                                          "Proc-Type: 4,ENCRYPTED"]
    assert out[key_at + 4].startswith("DEK-Info: DES-EDE3-CBC,")
    assert "% Certificate:" in out[key_at:] and out[-1] == "-----END CERTIFICATE-----"
    answers: list[str] = []
    new = recorder(tmp_path, confirm=lambda prompt: answers.append(prompt) or True)
    new.ok("crypto pki trustpoint lab\nexit")
    lines = new.ok("\n".join([f"crypto pki import lab pem terminal password {PW}", *out, "quit"]))
    assert answers == ["% Do you accept this certificate? [yes/no]: "]  # the CA's fingerprint was asked about
    assert "% Trustpoint lab imported successfully." in lines
    assert "% Key pair lab: General Purpose Key, 2048 bits" in lines
    want = {key_fingerprints(enrolled.pki.config.key_pairs["vpn"].public_der)["sha256"]}
    assert set(_spkis(new)) == want
    shown = new.ok("show crypto pki certificates lab")
    assert "Certificate" in shown and "  Key Label: lab" in shown


def test_url_export_and_import(enrolled: Recorder, tmp_path: Path) -> None:
    enrolled.ok(f"crypto pki export lab pem url {tmp_path}/r1 aes password {PW}")
    prv = tmp_path / "r1.prv"
    assert subprocess.run(["openssl", "pkey", "-passin", f"pass:{PW}", "-in", str(prv), "-noout"]).returncode == 0
    new = recorder(tmp_path / "new", force=True)
    new.ok(f"crypto pki trustpoint lab\n fingerprint {_sha256_of(enrolled)}\nexit")
    lines = new.ok(f"crypto pki import lab pem url {tmp_path}/r1 password {PW} exportable")
    assert "% Key pair lab: General Purpose Key, 2048 bits, exportable" in lines
    err = new.fail(f"crypto pki import lab pem url {tmp_path}/none password {PW}")
    assert err[0].startswith("% Cannot read") and "Traceback" not in "\n".join(err)


def _sha256_of(rec: Recorder) -> str:
    der = rec.pki.certificates.ca_certificate("lab").public_bytes(serialization.Encoding.DER)
    return key_fingerprints(der)["sha256"]


def test_pkcs12_and_key_commands(enrolled: Recorder, tmp_path: Path) -> None:
    lines = enrolled.ok(f"crypto pki export lab pkcs12 {tmp_path}/r1.p12 password {PW}")
    assert lines[0] == f"!Writing file to file:{tmp_path}/r1.p12"
    new = recorder(tmp_path / "new", confirm=lambda prompt: True)
    assert "% Trustpoint copy imported successfully." in new.ok(
        f"crypto pki import copy pkcs12 {tmp_path}/r1.p12 password {PW}")
    err = new.fail(f"crypto pki import other pkcs12 {tmp_path}/r1.p12 password wrong")
    assert err[0] == "% The PKCS#12 file cannot be opened: wrong password, or not a PKCS#12 file"
    out = enrolled.ok(f"crypto key export rsa vpn pem terminal aes {PW}")
    assert out[:3] == ["% Key name: vpn", "   Usage: General Purpose Key", "% Public key:"]
    keys = recorder(tmp_path / "keys")
    lines = keys.ok("\n".join([f"crypto key import rsa moved pem terminal {PW}", *out, "quit"]))
    assert lines[-1] == "% Key pair import succeeded."
    assert _spkis(keys) == [key_fingerprints(enrolled.pki.config.key_pairs["vpn"].public_der)["sha256"]]


def test_non_exportable_keys_are_refused_in_ios_words(enrolled: Recorder, tmp_path: Path) -> None:
    err = enrolled.fail(f"crypto key export rsa fixed pem url {tmp_path}/f 3des {PW}")
    assert err[0] == "% RSA keypair fixed is not exportable."
    assert list(tmp_path.iterdir()) == []


def test_passwords_are_not_echoed_in_error_lines(enrolled: Recorder) -> None:
    err = enrolled.fail(f"crypto key export rsa vpn pem terminal blowfish {PW}")
    assert not any(PW in line or "blowfish" in line for line in err), err
    err = enrolled.fail(f"crypto pki export lab pem terminal aes password {PW} extra")
    assert not any(PW in line for line in err), err


def test_a_short_export_password_is_refused(enrolled: Recorder, tmp_path: Path) -> None:
    err = enrolled.fail(f"crypto pki export lab pkcs12 {tmp_path}/r1.p12 password P")
    assert err[0] == "% A PKCS#12 export needs a password of at least 8 characters", err
    err = enrolled.fail("crypto key export rsa vpn pem terminal aes short")
    assert err[0] == "% Exporting a private key needs a password of at least 8 characters", err
    assert list(tmp_path.iterdir()) == []


def test_an_imported_key_is_shown_as_imported(enrolled: Recorder, tmp_path: Path) -> None:
    out = enrolled.ok(f"crypto key export rsa vpn pem terminal aes {PW}")
    keys = recorder(tmp_path / "keys")
    keys.ok("\n".join([f"crypto key import rsa moved pem terminal {PW}", *out, "quit"]))
    shown = keys.ok("show crypto key mypubkey rsa moved")
    assert shown[0].startswith("% Key pair was imported at: "), shown
    err = keys.fail(f"crypto key export rsa moved pem terminal aes {PW}")
    assert err[0] == "% RSA keypair moved is not exportable." and "imported without 'exportable'" in err[1], err
    assert enrolled.ok("show crypto key mypubkey rsa vpn")[0].startswith("% Key pair was generated at: ")


def test_pem_terminal_import_as_ios_asks_for_it(enrolled: Recorder, tmp_path: Path) -> None:
    enrolled.ok(f"crypto pki export lab pem url {tmp_path}/r1 3des password {PW}")
    ca, prv, crt = ((tmp_path / f"r1.{ext}").read_text().splitlines() for ext in ("ca", "prv", "crt"))
    new = recorder(tmp_path / "new", confirm=lambda prompt: True)
    new.ok("crypto pki trustpoint lab\nexit")
    lines = new.ok("\n".join([f"crypto pki import lab pem terminal password {PW}", *ca, "quit", *prv, "quit",
                              *crt, "quit"]))
    assert lines[:2] == ["% Enter PEM-formatted CA certificate.", '% End with "quit" on a line by itself.']
    assert "% Enter PEM-formatted encrypted private General Purpose key." in lines
    assert "% Enter PEM-formatted General Purpose certificate." in lines
    assert "% Trustpoint lab imported successfully." in lines
    assert _spkis(new) == [key_fingerprints(enrolled.pki.config.key_pairs["vpn"].public_der)["sha256"]]
    # each paste must be what was asked for: a certificate where the key was asked is refused, nothing stored
    other = recorder(tmp_path / "other", confirm=lambda prompt: True)
    other.ok("crypto pki trustpoint lab\nexit")
    other.err.clear()
    assert other.run("\n".join([f"crypto pki import lab pem terminal password {PW}", *ca, "quit", *crt, "quit",
                                *crt, "quit"])) == 1
    assert "% What was pasted for the general purpose private key is not one private key" in other.err, other.err
    assert not other.pki.config.key_pairs
