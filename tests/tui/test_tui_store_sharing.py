"""The console and `pkitui exec` on one store (Pilot + a real subprocess): the console notices
another process's save, takes it over, flags a conflicting unsaved edit, and its own ctrl+s keeps
both sides' work."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from textual.widgets import RichLog

from pkitui.core.pki import Pki
from pkitui.tui.app import PkiConsole
from tui_support import SIZE, ready, wait_for


def _exec(store: Path, *lines: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "pkitui", "exec", "--store", str(store)]
    for line in lines:
        args += ["-c", line]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def _log(app: PkiConsole) -> str:
    return "\n".join(line.text for line in app.query_one("#log", RichLog).lines)


async def test_console_and_exec_keep_both_sides_work(tmp_path: Path) -> None:
    store = tmp_path / "store"
    pki = Pki.open(store)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pki.trustpoints.declare("shared").set_enrollment_url("http://ca.example.com")
    pki.save()
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "g")  # the console generates a key pair and saves it
        await pilot.click("#generate")
        await wait_for(pilot, lambda: bool(pki.config.key_pairs))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not pki.dirty)

        # a script (cron) adds its own key pair and trustpoint, and saves
        proc = await asyncio.to_thread(
            _exec, store, "crypto key generate rsa general-keys label script modulus 1024",
            "crypto pki trustpoint script", " enrollment url http://script.example.com", "exit", "write memory")
        assert proc.returncode == 0, proc.stderr
        await wait_for(pilot, lambda: "script" in pki.config.trustpoints)
        assert "Another session saved the store" in _log(app) and "trustpoint script" in _log(app)
        assert "pkitui exec (pid" in _log(app)
        assert pki.keys.exists("script") and not pki.dirty

        # an unsaved edit here, the same trustpoint changed and saved there: flagged, ours kept
        pki.trustpoints.get("shared").set_enrollment_url("http://console.example.com")
        proc = await asyncio.to_thread(_exec, store, "crypto pki trustpoint shared",
                                       " enrollment url http://cron.example.com", "exit", "write memory")
        assert proc.returncode == 0, proc.stderr
        await wait_for(pilot, lambda: "% Conflict: trustpoint shared" in _log(app))
        assert pki.trustpoints.get("shared").enrollment_url == "http://console.example.com"
        assert Pki.open(store).trustpoints.get("shared").enrollment_url == "http://cron.example.com"

        await pilot.press("ctrl+s")  # the user was told: saving replaces theirs
        await wait_for(pilot, lambda: not pki.dirty)
    final = Pki.open(store)
    assert sorted(final.keys.labels()) == ["r1.example.com", "script"]
    assert sorted(final.config.trustpoints) == ["script", "shared"]
    assert final.trustpoints.get("shared").enrollment_url == "http://console.example.com"
    assert sorted(p.name.split(".")[0] for p in (store / "private").glob("*.p8")) == ["r1", "script"]
