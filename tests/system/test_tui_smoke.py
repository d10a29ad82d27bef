"""The real ``pkitui`` (and ``pkitui lab``) in a real terminal: tmux runs them, send-keys types,
capture-pane reads the screen; each starts, shows its screens and quits cleanly on ctrl+q."""

from __future__ import annotations

import os
import time
from pathlib import Path

from terminal_support import PKITUI, Tmux, processes_mentioning, start


def test_console_starts_and_quits_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    start(tmux, [*PKITUI, "--store", str(tmp_path / "store")], env)
    tmux.wait_for("Trustpoints")
    tmux("send-keys", "-t", "t", "2")
    tmux.wait_for("Select or declare a trustpoint")
    tmux("send-keys", "-t", "t", ":")
    tmux.wait_for("IOS command")
    # The line starts in user exec (Device>), as a router's console: enable, configure terminal.
    for line, prompt in (("enable", "Device#"), ("configure terminal", "Device(config)#"), ("hostname smoke1", None)):
        tmux("send-keys", "-t", "t", "-l", line)
        tmux("send-keys", "-t", "t", "Enter")
        if prompt:
            tmux.wait_for(prompt)
    # Wait for the header, not for "smoke1": the typed command itself shows that word before
    # Enter has been handled. "unsaved changes" must be visible even at 80x24.
    shown = tmux.wait_for("unsaved changes")
    assert "smoke1" in shown
    tmux("send-keys", "-t", "t", "C-s")
    tmux.wait_for("✓ saved")
    tmux("send-keys", "-t", "t", "C-q")
    assert tmux.wait_exited() == 0
    assert "Traceback" not in tmux.screen()
    from pkitui.core.pki import Pki

    assert Pki.open(tmp_path / "store").config.identity.hostname == "smoke1"


def test_lab_starts_prints_fingerprint_and_stops_everything(tmux: Tmux, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    start(tmux, [*PKITUI, "lab", "--store", str(tmp_path / "store")], env)
    shown = tmux.wait_for("Lab CA")
    assert "CA SHA-256" in shown
    lab_dir = tmp_path / "store-lab"
    assert processes_mentioning(str(lab_dir)), "the lab's servers should be running"
    # The lab saved its own changes (trustpoint lab with the CA's fingerprint): ctrl+q quits at
    # once, with no warning about changes the user never made.
    tmux("send-keys", "-t", "t", "C-q")
    assert tmux.wait_exited() == 0
    assert "Unsaved changes" not in tmux.screen()
    from pkitui.core.pki import Pki

    saved = Pki.open(tmp_path / "store").trustpoints.get("lab")
    assert saved.fingerprint and saved.enrollment_url and saved.password
    deadline = time.monotonic() + 10
    while processes_mentioning(str(lab_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_mentioning(str(lab_dir)), "quitting must stop every lab server"
    scep_log = (lab_dir / "scep" / "scepserver.log")
    assert scep_log.exists(), os.listdir(lab_dir)


def test_lab_without_the_debian_packages_names_them_and_opens_the_console(tmux: Tmux, tmp_path: Path) -> None:
    """With no scepserver/socat/unshare on PATH, ``pkitui lab`` says what to install and still
    opens the console on the local store."""
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    no_path = ["/usr/bin/env", f"PATH={tmp_path / 'empty-path'}"]  # tmux resets PATH given with -e
    start(tmux, [*no_path, *PKITUI, "lab", "--store", str(tmp_path / "store")], env)
    tmux.wait_for("Trustpoints")
    tmux("send-keys", "-t", "t", "C-q")
    deadline = time.monotonic() + 5  # exits at once, or warns first if the store is unsaved
    while time.monotonic() < deadline and "pane is dead" not in tmux.screen().lower():
        if "% Unsaved changes:" in tmux.screen():
            tmux("send-keys", "-t", "t", "C-q")
            break
        time.sleep(0.2)
    assert tmux.wait_exited() == 0
    shown = tmux.screen()
    assert "apt-get install -y" in shown and "scep" in shown and "socat" in shown
    assert "Opening the console on the local store without the lab" in shown
