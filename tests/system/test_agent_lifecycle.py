"""``pkitui agent --once`` as real processes over the lifecycle (issue 11): expiry warnings given
once per point across runs, the CA's next certificate fetched (GetNextCACert) then switched to,
renewal at the auto-enroll point and its deployment, a renewal that would loop held back, a
pending request polled, a failing deployment command reported and run again. The core's clock is
moved with the test-only PKITUI_CLOCK.

The real lab CA (micromdm scepserver) serves renewal, expiry and deployment. The stand-in
responder (tests/servers/scep_responder.py) serves only what micromdm cannot show: GetNextCACert
(micromdm answers HTTP 500), PENDING (micromdm never answers it) and a certificate living one
hour (micromdm's validity is whole days)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from pkitui.core.pki import Pki
from pkitui.core.scep.ca import fingerprints
from pkitui.core.trustpoint_options import OPTIONS_BY_KEY
from pkitui.lab.scepserver import ScepServer
from scep_support import make_device
from servers.scep_responder import ScepResponder

DER = serialization.Encoding.DER
UTC = datetime.timezone.utc


def _agent(store: Path, clock: datetime.datetime, *args: str) -> tuple[int, list[str]]:
    """``pkitui agent --once`` at ``clock``: its exit status and %PKI lines (stderr must be empty)."""
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    env["PKITUI_CLOCK"] = clock.isoformat()
    proc = subprocess.run([sys.executable, "-m", "pkitui", "agent", "--store", str(store), "--once", *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.stderr == "", proc.stderr
    return proc.returncode, proc.stdout.splitlines()


def _with(lines: list[str], mnemonic: str) -> list[str]:
    return [line for line in lines if line.split(":", 1)[0].endswith(f"-{mnemonic}")]


def _device_cert(store: Path) -> x509.Certificate:
    [rec] = [c for c in Pki.open(store).config.certificates if c.role == "device" and c.trustpoint == "lab"]
    assert rec.der is not None
    return x509.load_der_x509_certificate(rec.der)


def _enrolled(store: Path, url: str, ca_der: bytes, auto_enroll: str | None = None) -> x509.Certificate:
    """A device enrolled at ``url`` (trustpoint 'lab'), saved; its certificate."""
    pki = make_device(store, url, fingerprint=fingerprints(ca_der)["sha256"])
    if auto_enroll is not None:
        OPTIONS_BY_KEY["auto_enroll"].parse(pki.trustpoints.get("lab"), auto_enroll)
    pki.ca_trust.authenticate("lab")
    [result] = pki.scep.enroll("lab")
    assert result.ok, result.message
    pki.save()
    return _device_cert(store)


def _lab_ca_der(server: ScepServer) -> bytes:
    return x509.load_pem_x509_certificate(server.ca_pem_path.read_bytes()).public_bytes(DER)


# -- expiry warnings (one rule with show crypto pki timers, remembered across runs) -------------
def test_expiry_warning_once_per_point_across_runs(scep_ca: ScepServer, tmp_path: Path) -> None:
    store = tmp_path / "store"
    cert = _enrolled(store, scep_ca.url, _lab_ca_der(scep_ca))
    end = cert.not_valid_after_utc
    status, lines = _agent(store, end - datetime.timedelta(days=40))
    assert status == 0 and lines == [], lines  # before the 30-day point: nothing
    status, lines = _agent(store, end - datetime.timedelta(days=5))
    [warning] = _with(lines, "CERT_EXPIRY_WARNING")
    assert status == 0 and warning.startswith("%PKI-4-") and "expires in 5 day(s)" in warning, lines
    # cron's next run, 15 minutes later: the 7-day point was warned of already
    status, lines = _agent(store, end - datetime.timedelta(days=5) + datetime.timedelta(minutes=15))
    assert status == 0 and lines == [], lines
    state = json.loads((store / "agent" / "state.json").read_text())
    assert state["warned"] == {cert.fingerprint(hashes.SHA256()).hex(): (end - datetime.timedelta(days=7)).isoformat()}
    assert (store / "agent" / "state.json").stat().st_mode & 0o777 == 0o600
    # the 1-day point: warned once more, then not again; at expiry: expired, once
    assert len(_with(_agent(store, end - datetime.timedelta(hours=20))[1], "CERT_EXPIRY_WARNING")) == 1
    assert _agent(store, end - datetime.timedelta(hours=19)) == (0, [])
    status, lines = _agent(store, end + datetime.timedelta(minutes=1))
    assert status == 1 and len(_with(lines, "CERT_EXPIRED")) == 1, lines
    assert _agent(store, end + datetime.timedelta(minutes=16)) == (0, [])


# -- the CA's next certificate (stand-in: micromdm has no GetNextCACert) -------------------------
def _authenticated(store: Path, r: ScepResponder) -> None:
    """A trustpoint that authenticated the responder's CA (its GetCACaps held), saved; no device
    certificate (nothing else for the agent to do)."""
    pki = make_device(store, r.url, fingerprint=fingerprints(r.ca_cert.public_bytes(DER))["sha256"])
    pki.ca_trust.authenticate("lab")
    pki.save()
    assert "GETNEXTCACERT" in pki.config.ca_caps_seen["lab"]


def _held_roles(store: Path) -> dict[str, bytes | None]:
    return {c.role: c.der for c in Pki.open(store).config.certificates if c.trustpoint == "lab"}


def test_next_ca_fetched_in_the_last_weeks_then_switched_at_the_old_ones_end(tmp_path: Path) -> None:
    """Stand-in responder: micromdm answers GetNextCACert with HTTP 500."""
    store = tmp_path / "store"
    with ScepResponder(ra=False, next_ca="current") as r:
        _authenticated(store, r)
        end = r.ca_cert.not_valid_after_utc
        # 10 % of the CA certificate's year is 36.5 days (> 30): not asked 40 days before its end
        assert _agent(store, end - datetime.timedelta(days=40)) == (0, [])
        assert "GetNextCACert" not in r.requests
        status, lines = _agent(store, end - datetime.timedelta(days=20))
        [installed] = _with(lines, "CERT_SHADOW_INSTALL")
        assert status == 0 and installed.startswith("%PKI-6-") and f"{r.next_ca_cert.serial_number:X}" in installed
        assert _held_roles(store)["ca-next"] == r.next_ca_cert.public_bytes(DER)
        assert _agent(store, end - datetime.timedelta(seconds=1)) == (0, [])  # held, not yet due
        assert r.requests.count("GetNextCACert") == 1
        status, lines = _agent(store, end)
        [active] = _with(lines, "CERT_ROLLOVER_ACTIVE")
        assert status == 0 and active.startswith("%PKI-6-"), lines
        held = _held_roles(store)
        assert held["ca"] == r.next_ca_cert.public_bytes(DER) and "ca-next" not in held


def test_next_ca_not_offered_yet_is_quiet_and_asked_again_a_day_later(tmp_path: Path) -> None:
    """Stand-in responder: it advertises GetNextCACert but has no next certificate yet (HTTP 500)."""
    store = tmp_path / "store"
    with ScepResponder(ra=False, next_ca="later") as r:
        _authenticated(store, r)
        when = r.ca_cert.not_valid_after_utc - datetime.timedelta(days=20)
        status, lines = _agent(store, when)  # nothing about the next CA certificate: only the CA's expiry
        [warning] = lines
        assert status == 0 and warning.startswith("%PKI-4-CERT_EXPIRY_WARNING: The CA certificate of trustpoint "
                                                  "lab") and "no next CA certificate held" in warning, lines
        assert r.requests.count("GetNextCACert") == 1 and "ca-next" not in _held_roles(store)
        r.next_ca = "current"
        assert _agent(store, when + datetime.timedelta(hours=23)) == (0, [])  # at most once a day
        assert r.requests.count("GetNextCACert") == 1
        status, lines = _agent(store, when + datetime.timedelta(days=1))
        assert status == 0 and _with(lines, "CERT_SHADOW_INSTALL") == lines and len(lines) == 1, lines
        assert _held_roles(store)["ca-next"] == r.next_ca_cert.public_bytes(DER)


def test_next_ca_signed_by_another_key_is_refused_and_nothing_kept(tmp_path: Path) -> None:
    """Stand-in responder: its GetNextCACert reply is signed by a key that is not the CA's."""
    store = tmp_path / "store"
    with ScepResponder(ra=False, next_ca="other-key") as r:
        _authenticated(store, r)
        before = _held_roles(store)
        when = r.ca_cert.not_valid_after_utc - datetime.timedelta(days=20)
        status, lines = _agent(store, when)
        [refused] = _with(lines, "CERT_ROLLOVER_FAIL")
        assert status == 1 and refused.startswith("%PKI-3-") and "does not verify with the current CA" in refused
        assert _held_roles(store) == before
        assert _agent(store, when + datetime.timedelta(minutes=15)) == (0, [])  # not asked again today
        assert r.requests.count("GetNextCACert") == 1


# -- renewal through the agent ---------------------------------------------------------------------
def test_agent_renews_at_the_auto_enroll_point_and_deploys_the_new_certificate(scep_ca: ScepServer,
                                                                                tmp_path: Path) -> None:
    store, out = tmp_path / "store", tmp_path / "pem"
    old = _enrolled(store, scep_ca.url, _lab_ca_der(scep_ca), auto_enroll="50")
    pki = Pki.open(store)
    pki.trustpoints.get("lab").set_deploy_pem(str(out))
    pki.save()
    due = pki.renewal.due("lab")
    assert due is not None
    status, lines = _agent(store, due - datetime.timedelta(minutes=1))
    assert status == 0 and not _with(lines, "CERTRENEWAUTO"), lines  # not yet: only the first deployment
    assert x509.load_pem_x509_certificate((out / "lab.crt").read_bytes()) == old
    status, lines = _agent(store, due + datetime.timedelta(minutes=1))
    assert status == 0, lines
    [renewing] = _with(lines, "CERTRENEWAUTO")
    assert renewing.startswith("%PKI-6-CERTRENEWAUTO: Renewing the router certificate for trustpoint lab")
    [issued] = _with(lines, "CERTRET")
    new = _device_cert(store)  # saved: a new session reads it
    assert new.serial_number != old.serial_number and f"serial {new.serial_number:X}" in issued
    [deployed] = _with(lines, "DEPLOYED")
    assert str(out / "lab.crt") in deployed
    assert x509.load_pem_x509_certificate((out / "lab.crt").read_bytes()) == new
    # The lab CA dates the new certificate by the real clock, a year behind the agent's: its own
    # auto-enroll point has passed already, so the next run would renew again. It is held back.
    [held] = _with(lines, "CERTRENEW_HELD")
    assert held.startswith("%PKI-4-")
    status, lines = _agent(store, due + datetime.timedelta(minutes=16))
    assert status == 0 and lines == [], lines
    assert _device_cert(store) == new


def test_a_renewal_due_again_at_once_is_held_back(tmp_path: Path) -> None:
    """Stand-in responder: it issues one-hour certificates (micromdm's validity is whole days); the
    agent's clock is 40 minutes ahead, past the new certificate's 50 % point as soon as it is issued."""
    store = tmp_path / "store"
    with ScepResponder(ra=False, lifetime=datetime.timedelta(hours=1)) as r:
        _enrolled(store, r.url, r.ca_cert.public_bytes(DER), auto_enroll="50")
        ahead = datetime.datetime.now(UTC) + datetime.timedelta(minutes=40)
        status, lines = _agent(store, ahead)
        assert status == 0, lines
        assert len(_with(lines, "CERTRENEWAUTO")) == 1 and len(_with(lines, "CERTRET")) == 1
        [held] = _with(lines, "CERTRENEW_HELD")
        assert held.startswith("%PKI-4-") and "not renewed again before" in held
        assert len(r.issued) == 2
        # cron's next runs: no renewal until 10 % of the new lifetime (6 minutes) has passed, said once
        status, lines = _agent(store, ahead + datetime.timedelta(minutes=5))
        assert status == 0 and not _with(lines, "CERTRENEWAUTO") and not _with(lines, "CERTRENEW_HELD"), lines
        assert len(r.issued) == 2
        status, lines = _agent(store, ahead + datetime.timedelta(minutes=7))
        assert len(_with(lines, "CERTRENEWAUTO")) == 1 and len(r.issued) == 3, lines


# -- pending ----------------------------------------------------------------------------------------
def test_a_pending_request_is_polled_by_the_agent(tmp_path: Path) -> None:
    """Stand-in responder: micromdm never answers PENDING."""
    store = tmp_path / "store"
    with ScepResponder(ra=False, pending_polls=5) as r:
        pki = make_device(store, r.url, fingerprint=fingerprints(r.ca_cert.public_bytes(DER))["sha256"])
        pki.trustpoints.get("lab").set_retry_count(1)
        pki.ca_trust.authenticate("lab")
        [result] = pki.scep.enroll("lab")
        assert result.state == "pending"
        pki.save()
        [pending] = Pki.open(store).scep.pending("lab")
        when = datetime.datetime.fromisoformat(pending.next_poll or pending.started) + datetime.timedelta(seconds=1)
        status, lines = _agent(store, when)
        [still] = _with(lines, "CERTPENDING")
        assert status == 0 and still.startswith("%PKI-6-CERTPENDING: "), lines
        assert r.txns[pending.transaction_id].polls == 2
        r.pending_polls = 0
        [pending] = Pki.open(store).scep.pending("lab")
        status, lines = _agent(store, datetime.datetime.fromisoformat(pending.next_poll or pending.started))
        [issued] = _with(lines, "CERTRET")
        assert status == 0 and issued.startswith("%PKI-6-CERTRET: Certificate received"), lines
        assert _device_cert(store) == r.issued[-1] and not Pki.open(store).scep.pending()


# -- deployment ------------------------------------------------------------------------------------
def test_a_failing_deployment_command_is_reported_and_run_again(scep_ca: ScepServer, tmp_path: Path) -> None:
    store, out, flag, log = tmp_path / "store", tmp_path / "pem", tmp_path / "fail", tmp_path / "runs.log"
    _enrolled(store, scep_ca.url, _lab_ca_der(scep_ca))
    script = tmp_path / "reload.py"
    script.write_text(f"import os, sys\nif os.path.exists({str(flag)!r}): sys.exit(3)\n"
                      f"open({str(log)!r}, 'a').write('ran\\n')\n")
    pki = Pki.open(store)
    tp = pki.trustpoints.get("lab")
    tp.set_deploy_pem(str(out))
    tp.set_deploy_command(f"{sys.executable} {script}")
    pki.save()
    flag.touch()
    now = datetime.datetime.now(UTC)
    status, lines = _agent(store, now)
    [failed] = _with(lines, "DEPLOY_FAIL")
    assert status == 1 and failed.startswith("%PKI-3-DEPLOY_FAIL: Deployment of trustpoint lab failed: ")
    assert failed.endswith(": exited with status 3; it runs again at the next deployment")  # said once
    assert failed.count("again") == 1 and (out / "lab.crt").exists() and not log.exists()
    status, lines = _agent(store, now + datetime.timedelta(minutes=15))  # still failing: said again
    assert status == 1 and len(_with(lines, "DEPLOY_FAIL")) == 1
    flag.unlink()
    status, lines = _agent(store, now + datetime.timedelta(minutes=30))
    [deployed] = _with(lines, "DEPLOYED")
    assert status == 0 and "ran " in deployed and log.read_text() == "ran\n", lines
    assert _agent(store, now + datetime.timedelta(minutes=45)) == (0, [])  # paid: nothing more
