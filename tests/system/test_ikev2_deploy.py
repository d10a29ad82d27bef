"""Issue 11's end-to-end proof: certificates enrolled by ``pkitui exec`` against the lab CA
(micromdm scepserver) bring up a real strongSwan IKEv2 tunnel between two network namespaces
(tests/ikev2_support.py), a ping crosses it, and once the CA revokes gw2 and gw1 holds the new
CRL, gw1's charon refuses gw2. The time from the CA's revocation to the refusal is printed (-s)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from ikev2_support import Gateway, IkePair

from pkitui.core.pki import Pki
from pkitui.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
TP = "vpn"
# What gw1's charon logs when it refuses gw2 for its revoked certificate.
REVOKED = r"certificate was revoked on .*"
REFUSED = r"(constraint check failed: RULE_CRL_VALIDATION|no trusted RSA public key found for 'gw2.example.com')"


def pkitui(*args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real ``pkitui`` in a process."""
    done = subprocess.run([sys.executable, "-m", "pkitui", *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, f"pkitui {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


def enroll(store: Path, gw: Gateway, lab: Lab, *extra: str) -> None:
    """A gateway's store enrolled at the lab CA by ``pkitui exec``: its IKE identity as hostname,
    domain and DNS subjectAltName; the lab's CRL over HTTP as ``crl query``; ``extra`` trustpoint lines."""
    host, domain = gw.ike_id.split(".", 1)
    script = ["hostname " + host, "ip domain-name " + domain, "crypto key generate rsa modulus 2048",
              f"crypto pki trustpoint {TP}", f" enrollment url {lab.scep.url}", f" fingerprint {lab.fingerprint}",
              f" password {lab.challenge}", f" subject-alt-name {gw.ike_id}", f" crl query {lab.crl_url()}",
              " revocation-check crl", *extra, "exit",
              f"crypto pki authenticate {TP}", f"crypto pki enroll {TP}", "end", "write memory"]
    pkitui("exec", "--store", str(store), stdin="\n".join(script) + "\n")


def device_certificate(pki: Pki) -> x509.Certificate:
    [info] = [i for i in pki.certificates.list(TP) if i.role == "device"]
    assert info.der is not None
    return x509.load_der_x509_certificate(info.der)


def place_by_hand(store: Path, gw: Gateway) -> x509.Certificate:
    """What ``deploy swanctl`` writes, taken from the store through the Python API (key as PKCS#8)."""
    pki = Pki.open(store)
    infos = {i.role: i for i in pki.certificates.list(TP)}
    device, ca = infos["device"], infos["ca"]
    assert device.pem and ca.pem and device.key_label
    key = pki.keys.get(device.key_label, "general").private_key
    d = gw.swanctl_dir
    (d / "x509" / f"{TP}.pem").write_text(device.pem)
    (d / "x509ca" / f"{TP}-ca.pem").write_text(ca.pem)
    private = d / "private" / f"{TP}.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    private.chmod(0o600)
    return device_certificate(pki)


def place_crl_by_hand(store: Path, gw: Gateway) -> None:
    """``crypto pki crl request`` through the API, the CRL held written as ``x509crl/TP.crl``."""
    pki = Pki.open(store)
    pki.revocation.request_crl(TP)
    _info, parsed = pki.revocation.crl_for(TP, device_certificate(pki))
    (gw.swanctl_dir / "x509crl" / f"{TP}.crl").write_bytes(parsed.der)


def tunnel_up(pair: IkePair) -> None:
    """gw1 initiates; the CHILD_SA is up on both and a ping crosses it."""
    started = pair.initiate(pair.gw1)
    assert started.returncode == 0, started.stdout + started.stderr + pair.gw1.log_text()[-3000:]
    assert "ESTABLISHED" in pair.list_sas(pair.gw2)
    ping = pair.ping()
    assert ping.returncode == 0 and " 0% packet loss" in ping.stdout, ping.stdout + ping.stderr


def refused_after_revocation(pair: IkePair, lab: Lab, gw2_cert: x509.Certificate,
                             refresh: Callable[[], None]) -> float:
    """The CA revokes gw2 and publishes its CRL; ``refresh()`` brings the CRL to gw1's charon; a new
    IKE_SA from gw2 is refused by gw1 for that reason. Returns the seconds from revocation to refusal."""
    pair.terminate_ike(pair.gw2)
    mark = len(pair.gw1.log_text())
    revoked_at = time.monotonic()
    lab.scep.revoke(gw2_cert.serial_number)
    lab.publish_crl()  # as the lab's watcher would within 2 s: the CA publishes at once
    refresh()
    attempt = pair.initiate(pair.gw2, timeout=10)
    pair.wait_log(pair.gw1, REFUSED, since=mark, timeout=10)
    refused_after = time.monotonic() - revoked_at
    assert attempt.returncode != 0, attempt.stdout
    pair.wait_log(pair.gw1, REVOKED, since=mark, timeout=1)  # the reason, not merely a failure
    assert "ESTABLISHED" not in pair.list_sas(pair.gw1)
    ping = pair.ping(count=1)
    assert ping.returncode != 0, "no tunnel, no ping"
    return refused_after


def test_lab_crl_names_its_ca_by_key_identifier(lab: Lab) -> None:
    """strongSwan matches a CRL to its CA by the authorityKeyIdentifier alone (without it, every
    peer is refused with revocation = strict): the lab's CRL carries the CA's key identifier."""
    crl = x509.load_der_x509_crl(lab.publish_crl())
    ca = x509.load_der_x509_certificate(lab.ca_der)
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == x509.SubjectKeyIdentifier.from_public_key(ca.public_key()).digest or \
        aki.key_identifier == ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def test_enrolled_certificates_bring_up_ikev2_and_revocation_refuses_the_peer(
        lab: Lab, ike_pair: IkePair, tmp_path: Path) -> None:
    """Files placed from the stores through the Python API (the reference for what ``deploy
    swanctl`` must write): tunnel, ping, and gw2 refused once gw1 holds the CRL revoking it."""
    pair = ike_pair
    certs = {}
    for gw in pair.gateways:
        store = tmp_path / gw.name
        enroll(store, gw, lab)
        certs[gw.name] = place_by_hand(store, gw)
        place_crl_by_hand(store, gw)
        san = certs[gw.name].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert gw.ike_id in san.get_values_for_type(x509.DNSName), "the IKE identity is a DNS SAN"
        pair.load_creds(gw)
        pair.load_conns(gw)
    tunnel_up(pair)

    def refresh() -> None:
        place_crl_by_hand(tmp_path / "gw1", pair.gw1)
        pair.load_creds(pair.gw1, flush_crls=True)

    seconds = refused_after_revocation(pair, lab, certs["gw2"], refresh)
    print(f"\nIKEv2 (files placed by hand): CA revocation to charon refusing gw2: {seconds:.2f} s")
