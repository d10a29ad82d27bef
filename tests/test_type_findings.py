"""Regression tests for the real bugs the mypy run (tests/test_types.py) found."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button

from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.dialogs import ConfirmDialog
from tui_support import SIZE, fixed_pki, ready, wait_for


async def test_trustpoint_pane_buttons_run_their_action(tmp_path: Path) -> None:
    """The Apply/Authenticate/Enroll/Request CRL/Delete buttons called the coroutine
    ``run_action`` without awaiting it, so pressing one did nothing."""
    pki = fixed_pki(tmp_path / "store")
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        app.screen.query_one("#tp-list").focus()
        await pilot.pause()
        app.screen.query_one("#delete", Button).press()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=5)
        await pilot.click("#yes")
        await wait_for(pilot, lambda: "lab" not in pki.config.trustpoints)
