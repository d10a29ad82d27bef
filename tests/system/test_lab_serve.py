"""``pkitui lab --serve`` in a real terminal (tmux), without the console: a script enrolls against
it using only what ``--json`` printed, and ctrl+c stops every lab server (exit status 0)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from terminal_support import PKITUI, Tmux, processes_mentioning, start

ROOT = Path(__file__).resolve().parents[2]


def _facts(path: Path, timeout: float = 60.0) -> dict[str, Any]:
    """The JSON document ``pkitui lab --serve --json`` wrote, once complete."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            facts: dict[str, Any] = json.loads(path.read_text())
            return facts
        except (OSError, ValueError):
            time.sleep(0.2)
    raise AssertionError(f"no JSON from pkitui lab --serve in {path}: {path.read_text() if path.exists() else ''}")


def test_lab_serve_prints_what_a_script_enrolls_with_and_stops_on_ctrl_c(tmux: Tmux, tmp_path: Path) -> None:
    store, facts_file = tmp_path / "store", tmp_path / "facts.json"
    lab_dir = tmp_path / "store-lab"
    argv = [*PKITUI, "lab", "--serve", "--json", "--store", str(store)]
    # exec: pkitui itself is the pane's process (a shell waiting for it would die of the ctrl+c too)
    err_file = tmp_path / "stderr.txt"  # a file, not the pane: a dead pane may lose its last output
    start(tmux, ["/bin/sh", "-c", "exec " + " ".join(argv) + f" > {facts_file} 2> {err_file}"],
          {"PYTHONPATH": str(ROOT)})
    facts = _facts(facts_file)
    assert processes_mentioning(str(lab_dir)), "the lab's servers should be running"
    assert facts["scep_url"].startswith("http://127.0.0.1:") and facts["crl_http_url"] and facts["crl_ldap_url"]
    assert set(facts["ca_fingerprint"]) == {"sha256", "sha1", "md5"}
    challenge = Path(facts["challenge_file"]).read_text()
    assert challenge and challenge not in facts_file.read_text(), "the challenge is named by its file, not printed"

    # The lab's own store holds trustpoint lab, saved with the CA's fingerprint.
    from pkitui.core.pki import Pki

    saved = Pki.open(store).trustpoints.get("lab")
    assert saved.enrollment_url == facts["scep_url"]
    assert saved.fingerprint == facts["ca_fingerprint"]["sha256"].replace(" ", "")

    # A script on another store: the printed IOS lines in a shell heredoc, nothing else.
    other = tmp_path / "other"
    script = "\n".join([" ".join([*PKITUI, "exec", "--store", str(other), "<<IOS"]), *facts["ios"], "IOS", ""])
    ran = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    shown = subprocess.run([sys.executable, "-m", "pkitui", "exec", "--store", str(other), "--json",
                            "-c", "show crypto pki certificates"], capture_output=True, text=True, timeout=60,
                           env={"PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    certs = {c["role"]: c for c in json.loads(shown.stdout)}
    assert set(certs) == {"ca", "device"}, shown.stdout
    assert certs["ca"]["fingerprints"]["sha256"] == facts["ca_fingerprint"]["sha256"].replace(" ", "")
    assert certs["device"]["subject"] == "CN=lab-client.pkitui.lab"

    # ctrl+c is SIGINT to the lab process (sent to it alone: the terminal would also send it to
    # the wrapping shell, whose own death the pane then reports instead of pkitui's status)
    pane = int(tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())
    serving = [pid for pid in processes_mentioning("--serve")
               if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[1:3] == [b"-m", b"pkitui"]]
    assert serving, f"no pkitui lab --serve process under pane {pane}"
    for pid in serving:
        os.kill(pid, signal.SIGINT)
    assert tmux.wait_exited() == 0
    deadline = time.monotonic() + 10
    while processes_mentioning(str(lab_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_mentioning(str(lab_dir)), "ctrl+c must stop every lab server"
    assert "stopped by SIGINT" in err_file.read_text()
