"""A real terminal for the console tests: a private tmux server runs ``pkitui``, ``send-keys``
types, ``capture-pane`` reads the screen (the ``tmux`` fixture is in conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PKITUI = [sys.executable, "-m", "pkitui"]


class Tmux:
    """A private tmux server (its own socket), killed by that socket at the end."""

    def __init__(self) -> None:
        binary = shutil.which("tmux")
        assert binary, "tmux is missing: apt-get install tmux"
        self.argv = [binary, "-L", f"pkitui-test-{uuid.uuid4().hex[:8]}"]

    def __call__(self, *args: str) -> str:
        return subprocess.run([*self.argv, *args], capture_output=True, text=True, timeout=20).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def wait_exited(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = self("display-message", "-p", "-t", "t", "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}")
            state, status, signal = (dead.strip().split(":") + ["", "", ""])[:3]
            if state == "1":
                assert not signal, f"pkitui was killed by signal {signal}"
                return int(status or 0)
            time.sleep(0.2)
        raise AssertionError(f"pkitui did not exit; the screen was:\n{self.screen()}")


def processes_mentioning(text: str) -> list[int]:
    """PIDs whose command line mentions ``text`` (the lab's servers all name their work dir)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if text.encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    t = Tmux()
    yield t
    t("kill-server")


def start(tmux: Tmux, argv: list[str], env: dict[str, str]) -> None:
    command = " ".join(f"'{a}'" for a in argv)
    extra = [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]
    tmux("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", *extra,
         "-e", "TERM=xterm-256color", "/bin/sh", "-c", command)
    tmux("set-option", "-t", "t", "remain-on-exit", "on")
