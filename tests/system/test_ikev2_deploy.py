"""Issue 11's end-to-end proof: certificates enrolled by ``pkitui exec`` against the lab CA
(micromdm scepserver) bring up a real strongSwan IKEv2 tunnel between two network namespaces
(tests/ikev2_support.py), a ping crosses it, and once the CA revokes gw2 and gw1 holds the new
CRL, gw1's charon refuses gw2. The time from the CA's revocation to the refusal is printed (-s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import ikev2_support
import pytest
from cryptography import x509
from ikev2_support import Gateway, IkePair

from pkitui.core.deploy_values import swanctl_commands
from pkitui.core.pki import Pki
from pkitui.lab import Lab
from pkitui.lab.process import LabError

ROOT = Path(__file__).resolve().parents[2]
PKITUI_CLOCK = "PKITUI_CLOCK"  # pkitui.cli.CLOCK_ENV: the core's clock frozen there (tests only)
TP = "vpn"
# What gw1's charon logs when it refuses gw2 for its revoked certificate (strongSwan 5.9): the CRL
# check, then no usable key for the peer's identity, then AUTHENTICATION_FAILED in the reply.
REFUSED = (r"checking certificate status of \"CN=gw2\.example\.com\"\n(?:.*\n)*?"
           r".*certificate was revoked on [^\n]*\n(?:.*\n)*?"
           r".*no trusted RSA public key found for 'gw2\.example\.com'\n(?:.*\n)*?"
           r".*generating IKE_AUTH response 1 \[ N\(AUTH_FAILED\) \]")


def pkitui(*args: str, stdin: str | None = None, timeout: float = 120,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``pkitui`` in a process."""
    done = subprocess.run([sys.executable, "-m", "pkitui", *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=dict(os.environ, **(env or {})))
    assert done.returncode == 0, f"pkitui {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


def enroll(store: Path, gw: Gateway, lab: Lab, *extra: str) -> None:
    """A gateway's store enrolled at the lab CA by ``pkitui exec``: its IKE identity as hostname,
    domain and DNS subjectAltName; the lab's CRL over HTTP as ``crl query`` (and fetched); deployed
    to the gateway's charon with the swanctl preset; ``extra`` trustpoint lines."""
    host, domain = gw.ike_id.split(".", 1)
    script = ["hostname " + host, "ip domain-name " + domain, "crypto key generate rsa modulus 2048",
              f"crypto pki trustpoint {TP}", f" enrollment url {lab.scep.url}", f" fingerprint {lab.fingerprint}",
              f" password {lab.challenge}", f" subject-alt-name {gw.ike_id}", f" crl query {lab.crl_url()}",
              " revocation-check crl", f" deploy swanctl {gw.swanctl_dir} uri {gw.vici_uri}", *extra, "exit",
              f"crypto pki authenticate {TP}", f"crypto pki enroll {TP}", f"crypto pki crl request {TP}",
              "end", "write memory"]
    pkitui("exec", "--store", str(store), stdin="\n".join(script) + "\n")


def device_certificate(store: Path) -> x509.Certificate:
    [info] = [i for i in Pki.open(store).certificates.list(TP) if i.role == "device"]
    assert info.der is not None
    return x509.load_der_x509_certificate(info.der)


def agent_once(store: Path, clock: datetime | None = None) -> list[dict[str, Any]]:
    """``pkitui agent --once --json --store STORE`` (a real process; ``clock``: the core's clock
    frozen there, PKITUI_CLOCK); its events."""
    env = {PKITUI_CLOCK: clock.isoformat()} if clock else {}
    done = pkitui("agent", "--once", "--json", "--store", str(store), env=env)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def deployed(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The one deployment the agent reports (the files written, the commands run)."""
    [event] = [e for e in events if e["event"] == "deployed"]
    assert not [e for e in events if e["severity"] <= 3], events
    return event


def charon_revoked(pair: IkePair, gw: Gateway, cert: x509.Certificate) -> bool:
    """Whether a CRL ``gw``'s charon holds lists ``cert`` (swanctl prints serials as colon hex)."""
    digits = f"{cert.serial_number:x}"
    digits = "0" * (len(digits) % 2) + digits
    serial = ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))
    return f"\n    {serial}: " in pair.swanctl(gw, "--list-certs", "--type", "x509crl").stdout


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
    assert "ESTABLISHED" not in pair.list_sas(pair.gw1)
    ping = pair.ping(count=1)
    assert ping.returncode != 0, "no tunnel, no ping"
    return refused_after


def test_a_missing_strongswan_binary_fails_the_test_naming_its_package(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture fails (never skips) when a binary is missing, and says which package to install."""
    monkeypatch.setitem(ikev2_support.BINARIES, "charon-not-installed", "charon-systemd")
    with pytest.raises(LabError, match="charon-not-installed not found") as raised:
        IkePair(tmp_path / "ike", TP)
    assert raised.value.hint == "Install the Debian package: apt-get install charon-systemd"


def test_lab_crl_names_its_ca_by_key_identifier(lab: Lab) -> None:
    """strongSwan matches a CRL to its CA by the authorityKeyIdentifier alone (without it, every
    peer is refused with revocation = strict): the lab's CRL carries the CA's key identifier."""
    crl = x509.load_der_x509_crl(lab.publish_crl())
    ca = x509.load_der_x509_certificate(lab.ca_der)
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    try:
        ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        ski = x509.SubjectKeyIdentifier.from_public_key(ca.public_key())
    assert aki.key_identifier == ski.digest


def test_agent_deploys_to_strongswan_and_a_revoked_peer_is_refused(lab: Lab, ike_pair: IkePair,
                                                                   tmp_path: Path) -> None:
    """Issue 11's proof: each store enrolled by ``pkitui exec``, its credentials placed by ``pkitui
    agent --once`` (swanctl preset: files, then swanctl --load-creds through the gateway's vici
    socket); the tunnel comes up and a ping crosses it. The CA revokes gw2 and publishes its CRL;
    at gw1's next CRL refresh (its agent run with the clock at the held CRL's refresh point, as a
    timer would fire) the agent fetches the CRL, deploys it (flush, load), and gw1's charon refuses
    gw2's new IKE_SA for it, with no other step in between."""
    pair = ike_pair
    for gw in pair.gateways:
        store = tmp_path / gw.name
        enroll(store, gw, lab)
        cert = device_certificate(store)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert gw.ike_id in san.get_values_for_type(x509.DNSName), "the IKE identity is a DNS SAN"
        event = deployed(agent_once(store))
        d = gw.swanctl_dir
        written = {Path(p) for p in event["data"]["changed"]}
        assert written == {d / "private" / f"{TP}.pem", d / "x509" / f"{TP}.pem", d / "x509ca" / f"{TP}-ca.pem",
                           d / "x509crl" / f"{TP}.crl"}, event
        assert (d / "private" / f"{TP}.pem").stat().st_mode & 0o077 == 0, "the key is the owner's alone"
        loaded = pair.swanctl(gw, "--list-certs", "--type", "x509crl").stdout
        assert "authKeyId:" in loaded and not charon_revoked(pair, gw, cert), loaded  # the agent loaded it
        pair.load_conns(gw)
    tunnel_up(pair)
    assert not [e for e in agent_once(tmp_path / "gw1") if e["event"] == "deployed"], "nothing changed: no deployment"

    held = Pki.open(tmp_path / "gw1").revocation.crls(TP)
    assert len(held) == 1 and held[0].next_update is not None
    refresh_point = held[0].next_update - timedelta(minutes=30)  # past its refresh timer, before nextUpdate
    assert refresh_point > datetime.now(timezone.utc)
    gw2_cert = device_certificate(tmp_path / "gw2")
    agent_took: list[float] = []

    def refresh() -> None:
        started = time.monotonic()
        events = agent_once(tmp_path / "gw1", clock=refresh_point)
        agent_took.append(time.monotonic() - started)
        assert [e["event"] for e in events] == ["crl_fetched", "deployed"], events
        assert Path(deployed(events)["data"]["changed"][0]) == pair.gw1.swanctl_dir / "x509crl" / f"{TP}.crl"
        ran = " ; ".join(" ".join(c) for c in deployed(events)["data"]["commands"])
        assert "--flush-certs --type x509_crl" in ran, ran
        # swanctl exits 0 even when charon refuses the flush's type: charon's own reply says it took it.
        flush = swanctl_commands(str(pair.gw1.swanctl_dir), None, True)[0][0]
        reply = pair.swanctl(pair.gw1, *flush[1:], "--raw").stdout
        assert "success=yes" in reply, reply

    seconds = refused_after_revocation(pair, lab, gw2_cert, refresh)
    assert charon_revoked(pair, pair.gw1, gw2_cert)
    print(f"\nIKEv2: from the CA revoking gw2 to gw1's charon refusing it: {seconds:.2f} s "
          f"(of which pkitui agent --once, a new process fetching and deploying the CRL: {agent_took[0]:.2f} s)")


def test_agent_renews_deploys_and_the_tunnel_comes_up_with_the_new_certificate(lab: Lab, ike_pair: IkePair,
                                                                               tmp_path: Path) -> None:
    """auto-enroll at work: gw1 has ``auto-enroll 70 regenerate``; its agent, with the core's clock
    past 70% of the certificate's lifetime, renews at the lab CA (new key pair), deploys the new key
    and certificate, and the tunnel comes up again with them. Proof that charon uses the new one:
    the CA then revokes gw1's old certificate and gw2 (holding that CRL) still accepts gw1."""
    pair = ike_pair
    for gw in pair.gateways:
        enroll(tmp_path / gw.name, gw, lab, *([" auto-enroll 70 regenerate"] if gw is pair.gw1 else []))
        deployed(agent_once(tmp_path / gw.name))
        pair.load_conns(gw)
    tunnel_up(pair)

    gw1_store = tmp_path / "gw1"
    old = device_certificate(gw1_store)
    old_key = (pair.gw1.swanctl_dir / "private" / f"{TP}.pem").read_bytes()
    renew_at = old.not_valid_before_utc + (old.not_valid_after_utc - old.not_valid_before_utc) * 0.75
    events = agent_once(gw1_store, clock=renew_at)
    kinds = [e["event"] for e in events]
    assert "cert_issued" in kinds and "deployed" in kinds, events
    new = device_certificate(gw1_store)
    assert new.serial_number != old.serial_number and new.public_key() != old.public_key()
    assert (pair.gw1.swanctl_dir / "private" / f"{TP}.pem").read_bytes() != old_key, "the new key is deployed"
    assert x509.load_pem_x509_certificate((pair.gw1.swanctl_dir / "x509" / f"{TP}.pem").read_bytes()) == new

    pair.terminate_ike(pair.gw1)
    # no --load-conns: the swanctl preset's --load-creds alone puts the new certificate in use
    lab.scep.revoke(old.serial_number)
    lab.publish_crl()
    crl_at = Pki.open(tmp_path / "gw2").revocation.crls(TP)[0].next_update
    assert crl_at is not None
    events = agent_once(tmp_path / "gw2", clock=crl_at - timedelta(minutes=30))
    assert [e["event"] for e in events] == ["crl_fetched", "deployed"], events
    assert charon_revoked(pair, pair.gw2, old) and not charon_revoked(pair, pair.gw2, new)
    tunnel_up(pair)
