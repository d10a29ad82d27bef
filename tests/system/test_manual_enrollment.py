"""Cut-and-paste enrollment (``enrollment terminal``) through ``pkitui exec`` against the real lab
CA: the request ``crypto pki enroll`` prints is signed by ``openssl x509 -req`` with the lab CA's
own key (micromdm's depot ``ca.pem``/``ca.key``), the certificate pasted back is accepted and
listed; a certificate for another key and one from another CA are refused, nothing stored."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkitui.core.certfields import serial_hex
from pkitui.core.scep.ca import fingerprints
from pkitui.lab.scepserver import ScepServer

ROOT = Path(__file__).resolve().parents[2]
PEM_REQUEST = re.compile(r"-----BEGIN CERTIFICATE REQUEST-----.*?-----END CERTIFICATE REQUEST-----\n", re.S)


def pkitui_exec(store: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``pkitui exec`` in a process (a script: nobody to answer a question)."""
    return subprocess.run([sys.executable, "-m", "pkitui", "exec", "--store", str(store), *args], input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def sign(csr: Path, ca_cert: Path, ca_key: Path, out: Path) -> Path:
    """``openssl x509 -req``: the CA signs the request as a CA administrator would (the lab's depot
    key is sealed with an empty password: scepserver ca -key-password ""; the serial file is kept
    beside the output, not in the depot)."""
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-passin", "pass:",
            "-CAserial", str(out.with_suffix(".srl")), "-CAcreateserial", "-days", "30", "-out", str(out))
    return out


def device(store: Path, scep: ScepServer) -> None:
    """A device whose trustpoint authenticated the lab CA over SCEP, then switched to cut-and-paste."""
    sha256 = fingerprints(x509.load_pem_x509_certificate(scep.ca_pem_path.read_bytes()).public_bytes(
        serialization.Encoding.DER))["sha256"]
    script = "\n".join(["hostname r1", "ip domain-name example.com", "crypto key generate rsa",
                        "crypto pki trustpoint lab", f" enrollment url {scep.url}", f" fingerprint {sha256}", "exit",
                        "crypto pki authenticate lab",
                        "crypto pki trustpoint lab", " no enrollment url", " enrollment terminal", "exit",
                        "write memory"])
    done = pkitui_exec(store, stdin=script)
    assert done.returncode == 0, done.stderr


def test_manual_enrollment_signed_by_openssl_as_the_lab_ca(scep_ca: ScepServer, tmp_path: Path) -> None:
    store = tmp_path / "store"
    device(store, scep_ca)
    enroll = pkitui_exec(store, "-c", "crypto pki enroll lab")
    assert enroll.returncode == 0, enroll.stderr
    out = enroll.stdout
    assert "% Start certificate enrollment .." in out
    assert "% The subject name in the certificate will include: hostname=r1.example.com,cn=r1.example.com" in out
    assert "Certificate Request follows:" in out and "---End - This line not part of the certificate request---" in out
    assert "crypto pki import lab certificate" in out
    [request] = PEM_REQUEST.findall(out)  # one key pair: one request
    csr = x509.load_pem_x509_csr(request.encode())
    # the FQDN as unstructuredName (IOS's hostname=) beside the CN, as IOS sends
    assert csr.is_signature_valid
    assert csr.subject.rfc4514_string() == "1.2.840.113549.1.9.2=r1.example.com,CN=r1.example.com"
    (tmp_path / "r1.csr").write_text(request)
    ca_pem, ca_key = scep_ca.ca_pem_path, scep_ca.depot / "ca.key"
    issued = sign(tmp_path / "r1.csr", ca_pem, ca_key, tmp_path / "r1.pem")
    serial = serial_hex(x509.load_pem_x509_certificate(issued.read_bytes()).serial_number)

    # another CA signs the same request: refused, naming both issuers
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=Rogue CA", "-days", "30",
            "-keyout", str(tmp_path / "rogue.key"), "-out", str(tmp_path / "rogue.pem"))
    rogue = sign(tmp_path / "r1.csr", tmp_path / "rogue.pem", tmp_path / "rogue.key", tmp_path / "r1-rogue.pem")
    refused = pkitui_exec(store, "-c", "configure terminal", "-c", f"crypto pki import lab certificate {rogue}")
    assert refused.returncode != 0
    assert "not issued by the CA of lab" in refused.stderr and "Rogue CA" in refused.stderr, refused.stderr

    # the lab CA signs a request for a key this device does not hold: refused
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=someone-else", "-keyout",
            str(tmp_path / "other.key"), "-out", str(tmp_path / "other.csr"))
    other = sign(tmp_path / "other.csr", ca_pem, ca_key, tmp_path / "other.pem")
    refused = pkitui_exec(store, "-c", "configure terminal", "-c", f"crypto pki import lab certificate {other}")
    assert refused.returncode != 0 and "matches none of this device's key pairs" in refused.stderr, refused.stderr

    # the right one, pasted at the terminal: accepted, saved, listed
    pasted = "\n".join(["configure terminal", "crypto pki import lab certificate",
                        issued.read_text().strip(), "quit", "end", "write memory"]) + "\n"
    done = pkitui_exec(store, stdin=pasted)
    assert done.returncode == 0, done.stderr
    assert "% Router Certificate successfully imported" in done.stdout
    shown = pkitui_exec(store, "-c", "show crypto pki certificates lab")
    assert shown.returncode == 0, shown.stderr
    assert f"Certificate Serial Number (hex): {serial}" in shown.stdout
    assert "Status: Available" in shown.stdout and "Associated Trustpoints: lab" in shown.stdout


def test_enrollment_url_and_terminal_exclude_each_other(tmp_path: Path) -> None:
    store = tmp_path / "store"
    both = pkitui_exec(store, "-c", "crypto pki trustpoint lab", "-c", "enrollment url http://127.0.0.1/scep",
                       "-c", "enrollment terminal")
    assert both.returncode != 0
    assert "enrollment url and enrollment terminal exclude each other" in both.stderr
    assert "no enrollment url" in both.stderr
    other_way = pkitui_exec(store, "-c", "crypto pki trustpoint lab", "-c", "enrollment terminal",
                            "-c", "enrollment url http://127.0.0.1/scep")
    assert other_way.returncode != 0 and "no enrollment terminal" in other_way.stderr
