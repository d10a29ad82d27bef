"""The fingerprint dialog (issue 10, point 2): Accept stays disabled until the typed fingerprint
matches one of the CA's in full, or the separate "Verified another way…" step is confirmed;
Tab, Tab, Enter on an empty field imports nothing; coming back to the field after a mismatch
does not select its text; the dialog says when the CA is the one already trusted."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input, Static

from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.dialogs import ConfirmDialog
from pkitui.tui.screens.fingerprint import FingerprintDialog
from tui_support import FAKE_CA, SIZE, device, plain, ready, show_fingerprint_dialog, wait_for


async def test_accept_stays_disabled_until_a_full_match(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    results: list[bool] = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        dialog = await show_fingerprint_dialog(pilot, results)
        accept = dialog.query_one("#accept", Button)
        assert accept.disabled, "nothing typed: Accept must be disabled"
        sha256 = FAKE_CA.fingerprints["sha256"]
        await pilot.press(*sha256[:40])  # a correct beginning is not a match
        assert accept.disabled
        await pilot.press(*sha256[40:])
        assert not accept.disabled
        await pilot.press("backspace")
        assert accept.disabled
        # MD5 and SHA-1, in IOS's groups or with colons, are full matches too
        for typed in ("BB45C943 BF860EA5 A480E481 CC257B5C",
                      "e4:08:d2:80:b1:08:a3:d7:72:05:bb:2f:ec:dd:26:1f:91:58:dc:74"):
            dialog.query_one("#fp-input", Input).value = typed
            await pilot.pause()
            assert not accept.disabled, typed
        assert results == []


async def test_tab_tab_enter_on_an_empty_field_imports_nothing(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    results: list[bool] = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        dialog = await show_fingerprint_dialog(pilot, results)
        await pilot.press("tab", "tab", "enter")
        await pilot.pause()
        assert results == [], "Tab, Tab, Enter accepted the CA unseen"
        # The second Tab reached the override step, which only asks (No has the focus) ...
        assert isinstance(app.screen, ConfirmDialog)
        assert "without comparing its fingerprint" in app.screen.question
        assert app.screen.focused is not None and app.screen.focused.id == "no"
        await pilot.press("enter")  # ... and Enter answers Back
        await pilot.pause()
        assert app.screen is dialog and results == []
        await pilot.press("escape")
        assert results == [False]


async def test_verified_another_way_accepts_only_once_confirmed(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    results: list[bool] = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await show_fingerprint_dialog(pilot, results)
        await pilot.click("#override")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        details = "\n".join(app.screen.details)
        assert "every certificate the CA signs" in details and "19DE283E" in details
        await pilot.click("#yes")
        await wait_for(pilot, lambda: results == [True])


async def test_back_to_the_field_after_a_mismatch_keeps_the_text(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        dialog = await show_fingerprint_dialog(pilot)
        wrong = FAKE_CA.fingerprints["sha256"][:-1] + "0"
        await pilot.press(*wrong, "enter")  # a mismatch: Enter moves to Reject
        assert dialog.focused is not None and dialog.focused.id == "reject"
        await pilot.press("shift+tab")
        field = dialog.query_one("#fp-input", Input)
        assert dialog.focused is field
        assert field.selected_text == "", "re-entering the field selected all its text"
        await pilot.press("backspace", "1")
        assert field.value == wrong[:-1] + "1"


async def test_the_dialog_says_when_the_ca_is_already_trusted(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.push_screen(FingerprintDialog(FAKE_CA, trusted_sha256=FAKE_CA.fingerprints["sha256"].lower()))
        await pilot.pause()
        info = plain(app.screen.query_one("#fp-info", Static).content)
        assert "already trusts" in info
        await pilot.press("escape")
        other = "AB" * 32
        app.push_screen(FingerprintDialog(FAKE_CA, trusted_sha256=other))
        await pilot.pause()
        info = plain(app.screen.query_one("#fp-info", Static).content)
        assert "trusts another CA" in info and "ABABABAB ABABABAB" in info
