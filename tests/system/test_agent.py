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
    """The lab CA publishes a new CRL (its number is the second it was made in)."""
    time.sleep(1.1)
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
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
        assert time.monotonic() - started < 1.0
        assert proc.returncode == 0, err
        assert err == "" and "Traceback" not in out
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
