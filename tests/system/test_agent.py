"""``pkitui agent`` as a real process on a store enrolled against the real lab CA (micromdm
scepserver, its CRL over HTTP): --once refreshes a CRL whose nextUpdate is near (the core's clock
frozen by the test-only PKITUI_CLOCK) and prints %PKI and JSON lines; the foreground agent idles
without using the CPU and ends 0 on SIGTERM; a pkitui exec saving at the same time loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pkitui.core.pki import Pki
from pkitui.lab import Lab


def _enrolled(lab: Lab, store: Path) -> datetime:
    """A store enrolled against the lab, holding its CRL fetched over HTTP (crl query http://...);
    the CRL's nextUpdate."""
    pki = Pki.open(store)
    lab.configure(pki)
    pki.set_hostname("agent-test")
    pki.trustpoints.get("lab").set_crl_query(str(lab.crl_url()))
    pki.keys.generate()
    pki.ca_trust.authenticate("lab")
    [result] = pki.scep.enroll("lab")
    assert result.ok, result.message
    info = pki.revocation.request_crl("lab")
    pki.save()
    assert info.next_update is not None
    return info.next_update


def _publish_newer_crl(lab: Lab) -> int:
    """The lab CA publishes a new CRL (its number is the second it was made in).

    First wait out the lab's depot watcher (it republishes within 2 s of the CA's index changing,
    e.g. after the enrollment just made): a republish after ours would carry a higher number."""
    time.sleep(2.5)
    from cryptography import x509

    return x509.load_der_x509_crl(lab.publish_crl()).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def _agent(store: Path, *args: str, clock: datetime | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    if clock is not None:
        env["PKITUI_CLOCK"] = clock.isoformat()
    return subprocess.Popen([sys.executable, "-m", "pkitui", "agent", "--store", str(store), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _held_crl_number(store: Path) -> int | None:
    [info] = Pki.open(store).revocation.crls("lab")
    return info.crl_number


@pytest.fixture
def enrolled(lab: Lab, tmp_path: Path) -> tuple[Path, datetime]:
    store = tmp_path / "store"
    return store, _enrolled(lab, store)


def test_once_refreshes_the_crl_before_next_update(lab: Lab, enrolled: tuple[Path, datetime]) -> None:
    store, next_update = enrolled
    number = _publish_newer_crl(lab)
    near = next_update - timedelta(minutes=30)
    proc = _agent(store, "--once", clock=near)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert err == ""
    lines = out.splitlines()
    assert f"%PKI-6-CRLHTTPFETCH: CRL request for trustpoint lab from {lab.crl_url()}: " in out, out
    assert all(line.startswith("%PKI-") for line in lines), lines
    assert f"number {number}" in out
    assert _held_crl_number(store) == number  # saved: a new session reads it
    # Run again: the CA has nothing newer; --json says so on one JSON document per line.
    proc = _agent(store, "--once", "--json", clock=near)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    crl = [d for d in docs if d["event"] == "crl_not_newer"]
    assert len(crl) == 1, docs
    assert crl[0]["severity"] == 6 and crl[0]["mnemonic"] == "CRL_NOT_NEWER" and crl[0]["trustpoint"] == "lab"
    assert crl[0]["data"]["crl_number"] == number and crl[0]["line"].startswith("%PKI-6-CRL_NOT_NEWER: ")


def test_once_exits_1_when_the_crl_cannot_be_fetched(lab: Lab, enrolled: tuple[Path, datetime]) -> None:
    store, next_update = enrolled
    pki = Pki.open(store)
    pki.trustpoints.get("lab").set_crl_query(str(lab.crl_url()).replace("lab.crl", "missing.crl"))
    pki.save()
    proc = _agent(store, "--once", clock=next_update - timedelta(minutes=30))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    assert "%PKI-3-CRL_FETCH_FAIL: CRL fetch for trustpoint lab failed. Reason: " in out, out


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _rss_kib(pid: int) -> int:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1])


def test_foreground_agent_idles_and_stops_on_sigterm(enrolled: tuple[Path, datetime]) -> None:
    store, _ = enrolled
    proc = _agent(store)
    try:
        time.sleep(4)  # start-up and the first run (nothing is due: the CRL is fresh)
        assert proc.poll() is None, proc.communicate()
        before = _cpu_ticks(proc.pid)
        time.sleep(5)
        idle = _cpu_ticks(proc.pid) - before
        rss = _rss_kib(proc.pid)
        print(f"idle agent: {idle} CPU ticks in 5 s, RSS {rss} KiB")
        assert idle <= 1, f"the idle agent used {idle} ticks of CPU in 5 s"
        proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
        assert time.monotonic() - started < 1.0
        assert proc.returncode == 0, err
        assert err == "" and "Traceback" not in out
        # It says it started (store, trustpoints, the next timer and when), SIGHUP and SIGTERM.
        lines = out.splitlines()
        assert lines[0].startswith(f"%PKI-6-AGENT_START: PKI agent started (store {store}, 1 trustpoint); "
                                   "next timer: "), out
        assert " of trustpoint lab at " in lines[0] and " UTC (in " in lines[0], out
        assert lines[1:] == ["%PKI-6-AGENT_RUN_NOW: SIGHUP received: running the PKI timers now",
                             "%PKI-6-AGENT_STOP: SIGTERM received: PKI agent stopping"], out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_agent_and_exec_saving_together_lose_nothing(lab: Lab, enrolled: tuple[Path, datetime]) -> None:
    """The agent saves the refreshed CRL while pkitui exec saves a new trustpoint, and a session
    opened before both (the console) saves its own change last: all three are in the store."""
    store, next_update = enrolled
    console = Pki.open(store, writer="the console")
    console.trustpoints.declare("console-tp").set_enrollment_url("http://ca.example.com")
    number = _publish_newer_crl(lab)
    agent = _agent(store, "--once", clock=next_update - timedelta(minutes=30))
    script = subprocess.Popen([sys.executable, "-m", "pkitui", "exec", "--store", str(store),
                               "-c", "crypto pki trustpoint exec-tp", "-c", " enrollment url http://ca2.example.com",
                               "-c", "exit", "-c", "write memory"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    assert "CRLHTTPFETCH" in out
    s_out, s_err = script.communicate(timeout=60)
    assert script.returncode == 0, s_err
    console.save()
    final = Pki.open(store)
    assert {"lab", "console-tp", "exec-tp"} <= set(final.config.trustpoints)
    assert _held_crl_number(store) == number
    assert [c.role for c in final.config.certificates if c.trustpoint == "lab"].count("device") == 1


def _once(store: Path, clock: datetime) -> tuple[int, list[str]]:
    proc = _agent(store, "--once", clock=clock)
    out, err = proc.communicate(timeout=120)
    assert err == "", err
    return proc.returncode, out.splitlines()


def test_a_revoked_certificate_is_reported_once_per_crl_and_not_renewed(lab: Lab,
                                                                         enrolled: tuple[Path, datetime]) -> None:
    """The CA revoked our certificate (auto-enroll on): the agent does not enroll again (the CA
    meant it; IOS would not either) and says so once per CRL, with what to do, not at every run;
    the CA certificate and CRL are still deployed (peers need the CRL)."""
    from cryptography import x509

    from pkitui.core.agent import Agent
    from pkitui.core.clock import FixedClock

    store, _ = enrolled
    pki = Pki.open(store)
    tp = pki.trustpoints.get("lab")
    tp.set_auto_enroll(1)
    tp.set_deploy_pem(str(store.parent / "pem"))
    [rec] = [c for c in pki.config.certificates if c.role == "device"]
    assert rec.der is not None
    cert = x509.load_der_x509_certificate(rec.der)
    lab.scep.revoke(cert.serial_number)
    deadline = time.monotonic() + 15
    while (info := pki.revocation.request_crl("lab")) and \
            pki.revocation.open_crl(info).find(cert.serial_number) is None:
        assert time.monotonic() < deadline, "the lab never republished its CRL"
        time.sleep(0.5)
    pki.save()
    past_renewal = cert.not_valid_before_utc + (cert.not_valid_after_utc - cert.not_valid_before_utc) / 2
    assert not [t for t in Agent(Pki.open(store), FixedClock(past_renewal)).timers() if t.kind == "renew"]
    # show crypto pki timers says the same: no RENEW for a revoked certificate, not due for renewal
    shown = Pki.open(store, clock=FixedClock(past_renewal))
    assert not [t for t in shown.timers.list(past_renewal) if t.kind == "renew"]
    assert shown.renewal.due("lab") is None
    status, lines = _once(store, past_renewal)
    refused = [line for line in lines if line.startswith("%PKI-3-DEPLOY_REFUSED: ")]
    assert status == 1 and len(refused) == 1, lines
    assert refused[0].startswith("%PKI-3-DEPLOY_REFUSED: Deployment of trustpoint lab refused: our certificate serial ")
    assert " is revoked since " in refused[0] and refused[0].endswith("; enroll again: crypto pki enroll lab")
    assert not [line for line in lines if "RENEW" in line or "CERTRET" in line], lines  # no re-enrollment
    assert (store.parent / "pem/lab.crl.pem").exists() and not (store.parent / "pem/lab.key").exists()
    status, lines = _once(store, past_renewal + timedelta(minutes=15))  # said already: not again
    assert status == 0 and not [ln for ln in lines if "DEPLOY" in ln or "RENEW" in ln], lines
    # A newer CRL (still revoking us) is a new fact: said once more.
    _publish_newer_crl(lab)
    next_update = Pki.open(store).revocation.crls("lab")[0].next_update
    assert next_update is not None
    status, lines = _once(store, next_update - timedelta(minutes=30))
    assert status == 1 and len([ln for ln in lines if "DEPLOY_REFUSED" in ln]) == 1, lines
    assert any("CRLHTTPFETCH" in ln for ln in lines), lines
