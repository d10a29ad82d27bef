"""Start-up budget: each command imports only what it needs (bench/exec_seed_flow.py times it).

``python -X importtime`` lists every module a real ``pkitui exec`` process imported: a show
command needs neither the console, nor any network library, nor cryptography's X.509 and key
serialisation layers (the store's records are read as they are; keys are decrypted on first use).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

NEVER_FOR_A_SHOW = ("textual", "rich", "requests", "urllib3", "http.client", "ldap3", "asn1crypto", "tftpy",
                    "cryptography.x509", "cryptography.hazmat.primitives.serialization")


def imported_by(store: Path, *commands: str) -> set[str]:
    argv = [sys.executable, "-X", "importtime", "-m", "pkitui", "exec", "--store", str(store)]
    for command in commands:
        argv += ["-c", command]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


def loaded(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def self_signed_der(cn: str, serial: int) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(now).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_a_show_command_imports_no_ui_network_or_x509_code(tmp_path: Path) -> None:
    store = tmp_path / "store"
    setup = imported_by(store, "hostname r1", "ip domain-name example.com", "crypto key generate rsa modulus 1024",
                        "crypto pki trustpoint ca1", "enrollment url http://ca.example.com", "exit", "write memory")
    assert loaded(setup, "cryptography"), "generating a key pair did import cryptography: the probe works"
    from pkitui.core.pki import Pki
    from pkitui.core.records import StoredCertificate

    pki = Pki.open(store)
    pki.config.certificates.append(StoredCertificate.from_der("ca1", "ca", self_signed_der("Test CA", 0x3D)))
    pki.save()
    shown = imported_by(store, "show running-config", "show crypto pki trustpoints")
    assert "pkitui.core.pki" in shown
    offending = sorted(p for p in NEVER_FOR_A_SHOW if loaded(shown, p))
    assert offending == [], f"a show command imported {offending}"


def test_running_config_prints_the_certificate_serial_read_from_the_der(tmp_path: Path) -> None:
    """The chain's serial comes from the DER's shape (pkitui.core.der), not from cryptography: it
    must be the serial cryptography reads, negative and long ones included."""
    from pkitui.core.der import serial_number

    for serial in (1, 0x3D, 0x80, 2**64 + 5, 2**158 - 1):
        assert serial_number(self_signed_der("x", serial)) == serial
    from pkitui.core.pki import Pki
    from pkitui.core.records import StoredCertificate

    pki = Pki.open(tmp_path / "store")
    pki.trustpoints.declare("ca1")
    pki.config.certificates.append(StoredCertificate.from_der("ca1", "ca", self_signed_der("Test CA", 0x3D)))
    pki.save()
    result = subprocess.run([sys.executable, "-m", "pkitui", "exec", "--store", str(tmp_path / "store"),
                             "-c", "show running-config"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert " certificate ca 3D" in result.stdout, result.stdout + result.stderr
