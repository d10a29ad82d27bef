"""The IOS SCEP commands (crypto pki authenticate / enroll, show crypto pki enrollments) against
the real scepserver and the test responder."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ios_support import recorder
from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate
from pkitui.core.scep.ca import fingerprints
from pkitui.lab.scepserver import ScepServer
from scep_support import CHALLENGE, snapshot
from servers.scep_responder import ScepResponder


def _script(url: str, fingerprint: str | None, password: str | None = CHALLENGE) -> str:
    lines = ["hostname r1", "ip domain-name example.com", "crypto key generate rsa",
             "crypto pki trustpoint lab", f" enrollment url {url}"]
    if fingerprint:
        lines.append(f" fingerprint {fingerprint}")
    if password:
        lines.append(f" password {password}")
    return "\n".join(lines + ["exit"])


def _sha256(server: ScepServer) -> str:
    cert = x509.load_pem_x509_certificate(server.ca_pem_path.read_bytes())
    return fingerprints(cert.public_bytes(serialization.Encoding.DER))["sha256"]


def test_authenticate_and_enroll_script(scep_ca: ScepServer, tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok(_script(scep_ca.url, _sha256(scep_ca)))
    out = rec.ok("crypto pki authenticate lab")
    assert any(line.strip().startswith("Fingerprint MD5:") for line in out)
    assert "Trustpoint CA certificate accepted." in out
    out = rec.ok("crypto pki enroll lab")
    assert any("Certificate received from Certificate Authority" in line and "DES-CBC" in line for line in out)
    assert [c.role for c in rec.pki.config.certificates] == ["ca", "device"]


def test_script_without_fingerprint_is_refused_even_with_force(scep_ca: ScepServer, tmp_path: Path) -> None:
    rec = recorder(tmp_path, force=True)
    rec.ok(_script(scep_ca.url, None))
    rec.pki.save()
    before = snapshot(tmp_path)
    err = rec.fail("crypto pki authenticate lab")
    assert any("fingerprint" in line for line in err)
    assert snapshot(tmp_path) == before


def test_interactive_accept(scep_ca: ScepServer, tmp_path: Path) -> None:
    prompts: list[str] = []
    rec = recorder(tmp_path, confirm=lambda p: prompts.append(p) or True)
    rec.ok(_script(scep_ca.url, None))
    out = rec.ok("crypto pki authenticate lab")
    assert prompts and "accept" in prompts[0]
    assert any("Fingerprint SHA256" in line for line in out)


def test_wrong_challenge_is_an_error(scep_ca: ScepServer, tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok(_script(scep_ca.url, _sha256(scep_ca), password="nope"))
    rec.ok("crypto pki authenticate lab")
    err = rec.fail("crypto pki enroll lab")
    assert any("badRequest" in line for line in err)


def test_pending_shows_in_enrollments_and_resumes(tmp_path: Path) -> None:
    with ScepResponder(pending_polls=2, ra=False) as r:
        fp = fingerprints(r.ca_cert.public_bytes(serialization.Encoding.DER))["sha1"]
        rec = recorder(tmp_path)
        rec.ok(_script(r.url, fp) + "\ncrypto pki trustpoint lab\n enrollment retry count 1\nend")
        rec.pki.scep.seconds_per_retry_minute = 0.01
        rec.ok("crypto pki authenticate lab")
        out = rec.ok("crypto pki enroll lab")
        assert any("still pending" in line for line in rec.err)  # on stderr: pkitui exec exits 4
        data = rec.json("show crypto pki enrollments")
        assert len(data) == 1 and data[0]["trustpoint"] == "lab"
        # a restarted process resumes instead of re-enrolling
        again = recorder(tmp_path)
        again.pki.scep.seconds_per_retry_minute = 0.01
        out = again.ok("crypto pki enroll lab")
        assert out[0].startswith("% Resuming") and any("Certificate received" in line for line in out)
        # already in NVRAM (it used to say "Save with: copy ..." although nothing was left to save)
        assert not again.pki.dirty and not any("Save with" in line for line in out)
        assert any("saved in NVRAM" in line for line in out)
        assert again.json("show crypto pki enrollments") == []
        assert Pki.open(tmp_path).config.pending == []


def test_enroll_checks_its_prerequisites_before_asking_for_the_password(tmp_path: Path) -> None:
    """An operator must not type a challenge password for a request that cannot be sent."""
    asked: list[str] = []
    rec = recorder(tmp_path, ask_secret=lambda prompt: asked.append(prompt) or "secret")
    rec.ok("crypto pki trustpoint lab\n enrollment url http://127.0.0.1:1/scep\nexit")
    errors = rec.fail("crypto pki enroll lab")
    assert "not yet authenticated" in errors[0] and not asked and not rec.out
    rec.pki.config.certificates.append(StoredCertificate.from_der("lab", "ca", ScepResponder().ca_cert.public_bytes(
        serialization.Encoding.DER)))
    errors = rec.fail("crypto pki enroll lab")
    assert "hostname" in errors[0] and not asked and not rec.out


def test_enroll_asks_before_sending_when_someone_can_answer(scep_ca: ScepServer, tmp_path: Path) -> None:
    """Interactive: the plan's subject, key pair, CA and URL, then 'Request certificate from CA?';
    No sends nothing. A script (nobody to ask) is not asked: it said crypto pki enroll."""
    asked: list[str] = []
    rec = recorder(tmp_path, confirm=lambda prompt: asked.append(prompt) or prompt.startswith("% Do you accept"))
    rec.ok(_script(scep_ca.url, _sha256(scep_ca)))
    rec.ok("crypto pki authenticate lab")
    out = rec.ok("crypto pki enroll lab")
    assert asked == ["% Include the router serial number in the subject name? [yes/no]: ",
                     "% Include an IP address in the subject name? [no]: ", "Request certificate from CA? [yes/no]: "]
    assert out[0] == "% Start certificate enrollment .."
    assert "% The subject name in the certificate will include: hostname=r1.example.com,cn=r1.example.com" in out
    assert "% Key pair(s): r1.example.com" in out and any(line.startswith("% CA: ") for line in out)
    assert out[-1] == "% Certificate request not sent."
    assert not [c for c in rec.pki.config.certificates if c.role == "device"]
