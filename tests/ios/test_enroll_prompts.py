"""The questions IOS asks around ``crypto pki enroll`` and ``crypto pki authenticate`` (issue 12),
against the real scepserver: their order and words, a challenge password typed twice, the
re-enrollment question, an authenticated CA left alone, ``hostname Router`` as no hostname,
``rsakeypair LABEL SIZE`` generating a missing key pair, usage keys' two cut-and-paste requests."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from ios_support import recorder
from pkitui.core.scep.ca import fingerprints
from pkitui.lab.scepserver import ScepServer


def _sha256(server: ScepServer) -> str:
    cert = x509.load_pem_x509_certificate(server.ca_pem_path.read_bytes())
    return fingerprints(cert.public_bytes(serialization.Encoding.DER))["sha256"]


def _device(scep: ScepServer, extra: tuple[str, ...] = ()) -> str:
    return "\n".join(["hostname r1", "ip domain-name example.com", "crypto pki trustpoint lab",
                      f" enrollment url {scep.url}", f" fingerprint {_sha256(scep)}", *extra, "exit",
                      "crypto pki authenticate lab"])


def _device_certs(rec: object) -> list[x509.Certificate]:
    return [x509.load_der_x509_certificate(c.der) for c in rec.pki.config.certificates  # type: ignore[attr-defined]
            if c.role == "device" and c.der is not None]


def test_the_questions_in_ioss_order_and_the_answers_go_in_the_request(scep_ca: ScepServer, tmp_path: Path) -> None:
    asked: list[str] = []
    answers = {"% Include the router serial number in the subject name? [yes/no]: ": True}
    rec = recorder(tmp_path, confirm=lambda p: asked.append(p) or answers.get(p, True),
                   ask_secret=lambda p: asked.append(p) or scep_ca.challenge)
    rec.ok(_device(scep_ca) + "\ncrypto key generate rsa")
    asked.clear()
    answers["% Include an IP address in the subject name? [no]: "] = False
    out = rec.ok("crypto pki enroll lab")
    assert asked == ["Password: ", "Re-enter password: ",
                     "% Include the router serial number in the subject name? [yes/no]: ",
                     "% Include an IP address in the subject name? [no]: ", "Request certificate from CA? [yes/no]: "]
    assert out[:2] == ["% Start certificate enrollment ..", "% Create a challenge password."]
    assert "% The subject name in the certificate will include: hostname=r1.example.com,cn=r1.example.com" in out
    [cert] = _device_certs(rec)
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)  # yes: the serial number went in
    assert rec.pki.trustpoints.get("lab").serial_number is None  # an answer, not configuration (as IOS)

    # enrolled: IOS asks about re-enrollment first; No sends nothing
    asked.clear()
    answers["% You already have a certificate from this CA. Do you want to continue with re-enrollment? [yes/no]: "] \
        = False
    out = rec.ok("crypto pki enroll lab")
    assert asked == ["% You already have a certificate from this CA. Do you want to continue with re-enrollment? "
                     "[yes/no]: "]
    assert out == ["% Re-enrollment not requested."] and len(_device_certs(rec)) == 1


def test_challenge_passwords_that_differ_are_refused(scep_ca: ScepServer, tmp_path: Path) -> None:
    typed = iter(["one", "two"])
    rec = recorder(tmp_path, confirm=lambda p: True, ask_secret=lambda p: next(typed))
    rec.ok(_device(scep_ca) + "\ncrypto key generate rsa")
    err = rec.fail("crypto pki enroll lab")
    assert any("passwords do not match" in line for line in err) and not _device_certs(rec)


def test_a_script_does_not_reenroll_without_force_and_authenticate_twice_says_so(
        scep_ca: ScepServer, tmp_path: Path) -> None:
    rec = recorder(tmp_path)  # a script: nobody to ask
    rec.ok(_device(scep_ca, (" password " + scep_ca.challenge,)) + "\ncrypto key generate rsa")
    rec.ok("crypto pki enroll lab")
    err = rec.fail("crypto pki enroll lab")
    assert any("re-enrollment" in line for line in err) and any("--force" in line for line in err)
    assert len(_device_certs(rec)) == 1
    first = _device_certs(rec)
    rec.session.force = True  # pkitui exec --force
    rec.ok("crypto pki enroll lab")
    assert len(_device_certs(rec)) == 1 and _device_certs(rec) != first
    out = rec.ok("crypto pki authenticate lab")
    assert out[0] == "% Certificate for trustpoint lab already exists: its CA is authenticated. Nothing fetched."


def test_hostname_router_is_no_hostname(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok("hostname Router\nip domain-name example.com")
    assert rec.pki.config.identity.fqdn is None
    err = rec.fail("crypto key generate rsa")
    assert any("Please define a hostname other than Router" in line for line in err)
    rec.ok("hostname r1")
    assert rec.pki.config.identity.fqdn == "r1.example.com"


def test_rsakeypair_with_a_size_generates_the_missing_key_pair(scep_ca: ScepServer, tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok(_device(scep_ca, (" password " + scep_ca.challenge, " rsakeypair vpn 1024")))
    assert not rec.pki.config.key_pairs
    plan = rec.pki.scep.prepare_enrollment("lab")
    assert plan.ready and plan.generate == ["vpn (1024 bits)"] and plan.key_ids == ["vpn"]
    out = rec.ok("crypto pki enroll lab")
    assert any("Generating vpn (1024 bits)" in line for line in out)
    assert rec.pki.config.key_pairs["vpn"].modulus == 1024 and len(_device_certs(rec)) == 1


def test_usage_keys_print_two_requests_for_cut_and_paste(scep_ca: ScepServer, tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok(_device(scep_ca) + "\ncrypto key generate rsa usage-keys modulus 1024"
           "\ncrypto pki trustpoint lab\n no enrollment url\n enrollment terminal\nexit")
    out = rec.ok("crypto pki enroll lab")
    assert out.count("Certificate Request follows:") == 2
    assert "Signature key certificate request -" in out and "Encryption key certificate request -" in out
    assert out.count("-----BEGIN CERTIFICATE REQUEST-----") == 2
    assert not rec.pki.config.pending and not _device_certs(rec)  # nothing sent, nothing stored


def test_the_address_question_is_typed_in_clear(scep_ca: ScepServer, tmp_path: Path) -> None:
    """IOS's "Enter Interface name or IP Address[]:" is no secret: it is asked with ask_text (in
    clear at a terminal), never through the hidden password prompt."""
    texts: list[str] = []
    secrets: list[str] = []
    rec = recorder(tmp_path, confirm=lambda p: "IP address" in p or p.startswith("Request"),
                   ask_secret=lambda p: secrets.append(p) or scep_ca.challenge,
                   ask_text=lambda p: texts.append(p) or "192.0.2.7")
    rec.ok(_device(scep_ca) + "\ncrypto key generate rsa")
    rec.ok("crypto pki enroll lab")
    assert len(texts) == 1 and "IP Address" in texts[0]
    assert not any("IP Address" in p for p in secrets)
