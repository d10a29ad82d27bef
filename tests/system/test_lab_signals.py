"""``pkitui lab`` in a real terminal (tmux, a shell prompt) stopped by SIGTERM, SIGHUP or SIGINT
sent to its process, as ``kill`` does: no process of its own is left (scepserver, slapd, the
socat relays, any descendant), the terminal is restored (alternate screen left, echo and
canonical mode back) and the status is 128 + the signal's number. Also while the servers are
still starting, and (the second line of defence) after a SIGKILL nobody can handle.
Needs the real lab (root for the network namespaces); fails, never skips, without it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from terminal_support import PKITUI, Tmux, processes_mentioning

PROMPT = "shell-ready$ "


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc/PID/task/*/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> dict[int, bytes]:
    """Every descendant of ``pid``: PID → command line."""
    out: dict[int, bytes] = {}
    todo = children(pid)
    while todo:
        child = todo.pop()
        try:
            out[child] = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        todo += children(child)
    return out


def alive(pid: int, cmdline: bytes) -> bool:
    """True while ``pid`` runs the same command line (not a zombie, not a reused PID)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z" and Path(f"/proc/{pid}/cmdline").read_bytes() == cmdline
    except OSError:
        return False


def start_shell(tmux: Tmux, tmp_path: Path, args: tuple[str, ...] = ("lab",), exit_marker: str = "lab-exit") -> None:
    """A shell in tmux that runs ``pkitui ARGS --store TMP/store``, then echoes ``EXIT_MARKER=status``."""
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "TERM": "xterm-256color"}
    extra = [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]
    tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", *extra, "/bin/sh")
    tmux("send-keys", "-t", "t", "-l", f"PS1='{PROMPT}'")
    tmux("send-keys", "-t", "t", "Enter")
    tmux.wait_for(PROMPT)
    command = " ".join(f"'{a}'" for a in [*PKITUI, *args, "--store", str(tmp_path / "store")])
    tmux("send-keys", "-t", "t", "-l", f"{command}; echo \"{exit_marker}=$?\"")
    tmux("send-keys", "-t", "t", "Enter")


def lab_process(tmux: Tmux, timeout: float = 20.0) -> int:
    """The PID of ``pkitui lab`` (the shell's child running python)."""
    shell = int(tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, cmd in descendants(shell).items():
            if b"pkitui\0lab" in cmd:
                return pid
        time.sleep(0.05)
    raise AssertionError(f"pkitui lab did not start; the screen was:\n{tmux.screen()}")


def assert_all_gone(procs: dict[int, bytes], lab_dir: Path, timeout: float = 10.0) -> float:
    """Wait until none of ``procs`` and nothing naming ``lab_dir`` runs; returns the seconds taken."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        left = {p: c for p, c in procs.items() if alive(p, c)}
        if not left and not processes_mentioning(str(lab_dir)):
            return time.monotonic() - start
        time.sleep(0.05)
    names = sorted({c.split(b"\0")[0].decode() for p, c in procs.items() if alive(p, c)})
    raise AssertionError(f"left running after {timeout} s: {names} {processes_mentioning(str(lab_dir))}")


def assert_terminal_restored(tmux: Tmux, tmp_path: Path) -> None:
    alternate = tmux("display-message", "-p", "-t", "t", "#{alternate_on}").strip()
    assert alternate == "0", "still on the alternate screen"
    stty = tmp_path / "stty.txt"
    tmux("send-keys", "-t", "t", "-l", f"stty -a > {stty}")
    tmux("send-keys", "-t", "t", "Enter")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (stty.exists() and stty.read_text().strip()):
        time.sleep(0.1)
    words = stty.read_text().split()
    for mode in ("icanon", "echo", "isig", "icrnl", "opost"):
        assert mode in words and f"-{mode}" not in words, f"terminal mode {mode} not restored: {words}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_stop_signal_stops_every_server_and_restores_the_terminal(
        tmux: Tmux, tmp_path: Path, sig: signal.Signals) -> None:  # noqa: F811
    start_shell(tmux, tmp_path)
    lab = lab_process(tmux)
    tmux.wait_for("Lab CA")
    tmux.wait_for("Trustpoints")
    procs = descendants(lab)
    names = {Path(c.split(b"\0")[0].decode()).name for c in procs.values()}
    assert {"scepserver", "socat", "slapd"} <= names, names
    assert any(b"UNIX-LISTEN" in c for c in procs.values()), "the relay inside the namespace should run too"
    os.kill(lab, sig)
    took = assert_all_gone({**procs, lab: Path(f"/proc/{lab}/cmdline").read_bytes()}, tmp_path / "store-lab")
    print(f"{sig.name}: {len(procs)} descendants gone in {took:.2f} s")
    shown = tmux.wait_for(f"lab-exit={128 + sig}")
    assert "Traceback" not in shown
    assert f"stopped by {sig.name}" in shown
    assert_terminal_restored(tmux, tmp_path)


def test_sigterm_while_the_servers_start_leaves_nothing(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    """SIGTERM as soon as the first lab process appears (the CA is being created or started)."""
    start_shell(tmux, tmp_path)
    lab = lab_process(tmux)
    lab_dir = tmp_path / "store-lab"
    deadline = time.monotonic() + 30
    while not processes_mentioning(str(lab_dir)):
        assert time.monotonic() < deadline, tmux.screen()
        time.sleep(0.01)
    procs = descendants(lab)
    os.kill(lab, signal.SIGTERM)
    assert_all_gone({**procs, lab: Path(f"/proc/{lab}/cmdline").read_bytes()}, lab_dir)
    shown = tmux.wait_for(f"lab-exit={128 + signal.SIGTERM}")
    assert "Traceback" not in shown and "Lab CA" not in shown
    assert_terminal_restored(tmux, tmp_path)


def test_sigkill_of_the_lab_still_takes_its_servers_along(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    """Nothing runs in a KILLed process: the servers go because they run under setpriv
    --pdeathsig KILL (the relay in the namespace dies with its server the same way)."""
    start_shell(tmux, tmp_path)
    lab = lab_process(tmux)
    tmux.wait_for("Trustpoints")
    procs = descendants(lab)
    assert len(procs) >= 3
    os.kill(lab, signal.SIGKILL)
    assert_all_gone({**procs, lab: b""}, tmp_path / "store-lab")
    tmux.wait_for(f"lab-exit={128 + signal.SIGKILL}")


def test_sigterm_ends_the_plain_console_and_restores_the_terminal(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    """``pkitui`` (no lab) on SIGTERM: quits as ctrl+q does, even with unsaved changes, status 143."""
    start_shell(tmux, tmp_path, (), exit_marker="console-exit")
    tmux.wait_for("Trustpoints")
    shell = int(tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())
    (console,) = [p for p, c in descendants(shell).items() if b"pkitui" in c]
    tmux("send-keys", "-t", "t", ":")
    tmux.wait_for("IOS command")
    for line, prompt in (("enable", "Device#"), ("configure terminal", "Device(config)#"), ("hostname unsaved1", None)):
        tmux("send-keys", "-t", "t", "-l", line)  # the line starts in user exec, as a router's console
        tmux("send-keys", "-t", "t", "Enter")
        if prompt:
            tmux.wait_for(prompt)
    tmux.wait_for("unsaved changes")
    os.kill(console, signal.SIGTERM)
    shown = tmux.wait_for(f"console-exit={128 + signal.SIGTERM}")
    assert "Traceback" not in shown
    assert_terminal_restored(tmux, tmp_path)
