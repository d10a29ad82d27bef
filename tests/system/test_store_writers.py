"""Several processes on one store, for real: concurrent ``pkitui exec`` writers lose nothing, and a
PENDING reply followed by SIGKILL keeps the transaction without saving anything else."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pkitui.core.pki import Pki
from pkitui.core.scep.ca import fingerprints
from scep_support import make_device
from servers.scep_responder import ScepResponder

PAIRS = 20


def _exec(store: Path, *lines: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "pkitui", "exec", "--store", str(store)]
    for line in lines:
        args += ["-c", line]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _writer(store: Path, name: str) -> subprocess.Popen[str]:
    """One run: a key pair and a trustpoint of its own, then save."""
    return _exec(store, f"crypto key generate rsa general-keys label {name} modulus 1024",
                 f"crypto pki trustpoint {name}", f" enrollment url http://{name}.example.com", "exit",
                 "copy system:running-config nvram:startup-config")


def test_concurrent_exec_writers_lose_nothing(tmp_path: Path) -> None:
    """20 pairs of `pkitui exec` runs started together, each generating a key pair and adding a
    trustpoint, then saving: every key pair, key file and trustpoint is in NVRAM at the end (the
    old save lost one key file in 5 of 5 tries)."""
    store = tmp_path / "store"
    assert _exec(store, "hostname r1", "ip domain-name example.com", "write memory").wait(60) == 0
    names = []
    for i in range(PAIRS):
        pair = [f"a{i}", f"b{i}"]
        procs = [_writer(store, name) for name in pair]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "[OK]" in out
        names += pair
    final = Pki.open(store)
    assert sorted(final.keys.labels()) == sorted(names)
    assert sorted(final.config.trustpoints) == sorted(names)
    assert sorted(p.name.split(".")[0] for p in (store / "private").glob("*.p8")) == sorted(names)
    assert final.config.identity.hostname == "r1"
    assert json.loads((store / "nvram.json").read_text())["meta"]["1"]["generation"] == 2 * PAIRS + 1


def test_pending_then_sigkill_keeps_the_transaction_and_nothing_else(tmp_path: Path) -> None:
    """The responder in tests/servers stands in for a CA that answers PENDING (scepserver never
    does). The killed process had unsaved changes besides the enrollment: none of them is in
    NVRAM afterwards, and the transaction resumes in a new process."""
    with ScepResponder(pending_polls=2, ra=False) as r:
        fp = fingerprints(r.ca_cert.public_bytes(serialization.Encoding.DER))["sha256"]
        pki = make_device(tmp_path, r.url, fingerprint=fp)
        pki.ca_trust.authenticate("lab")
        pki.save()
        child = subprocess.Popen([sys.executable, "-c", (
            "import sys; from pkitui.core.pki import Pki\n"
            "pki = Pki.open(sys.argv[1]); pki.scep.seconds_per_retry_minute = 3600\n"
            "pki.set_hostname('unsaved-name')\n"
            "pki.trustpoints.declare('unsaved').set_enrollment_url('http://unsaved.example.com')\n"
            "pki.keys.generate(label='lab-key', modulus=1024)\n"
            "pki.trustpoints.get('lab').set_rsakeypair('lab-key')\n"
            "pki.scep.enroll('lab')\n"), str(tmp_path)])
        try:
            deadline = time.monotonic() + 30
            while not list((tmp_path / "pending").glob("*.json")):
                assert child.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        saved = json.loads((tmp_path / "nvram.json").read_text())
        assert saved["device"]["1"]["hostname"] == "r1"
        assert [d["name"] for d in saved["trustpoints"].values()] == ["lab"]
        assert [d["label"] for d in saved["key_pairs"].values()] == ["r1.example.com"]
        assert "pending" not in saved
        again = Pki.open(tmp_path)
        assert [p.key_id for p in again.config.pending] == ["lab-key"]
        assert "unsaved" not in again.config.trustpoints
        again.scep.seconds_per_retry_minute = 0.01
        (result,) = again.scep.resume_pending()
        assert result.state == "issued"
        final = Pki.open(tmp_path)
        assert not final.config.pending and not list((tmp_path / "pending").glob("*.json"))
        assert [c.key_id for c in final.config.certificates if c.role == "device"] == ["lab-key"]
        assert sorted(final.keys.labels()) == ["lab-key", "r1.example.com"]
        assert final.config.identity.hostname == "r1" and "unsaved" not in final.config.trustpoints
