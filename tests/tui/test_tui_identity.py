"""Identity (issue 10, point 9): hostname and ip domain-name edited from Home (i) and from the
palette, checked as typed by the core's rule, applied with Pki.set_hostname / set_domain_name;
Help's typical flow starts with them."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Label

from pkitui.core.pki import Pki
from pkitui.tui.app import PkiConsole
from pkitui.tui.commands import palette_entries
from pkitui.tui.screens.dialogs import HelpScreen
from pkitui.tui.screens.identity import IdentityDialog
from tui_support import SIZE, ready, wait_for


async def test_identity_from_home_checked_as_typed_and_applied(tmp_path: Path) -> None:
    pki = Pki.open(tmp_path / "store")
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, IdentityDialog))
        host = app.screen.query_one("#hostname", Input)
        assert host.has_focus
        await pilot.press(*"bad host")
        error = app.screen.query_one("#hostname-error", Label)
        assert "✗" in str(error.render())
        await pilot.press("enter")
        assert isinstance(app.screen, IdentityDialog), "an invalid hostname is not applied"
        host.value = ""
        await pilot.press(*"gw1", "tab", *"Example.COM", "enter")
        await wait_for(pilot, lambda: pki.fqdn == "gw1.example.com")
        assert not isinstance(app.screen, IdentityDialog)
        await wait_for(pilot, lambda: "gw1.example.com" in str(app.query_one("#status").render()))


async def test_identity_is_in_the_palette_on_every_screen_and_first_in_help(tmp_path: Path) -> None:
    app = PkiConsole(pki=Pki.open(tmp_path / "store"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for tab in ("home", "keys", "crls"):
            titles = [e.title for e in palette_entries(app, tab)]
            assert titles.count("Hostname and domain") == 1, titles
            assert "Home: Identity" not in titles, "one entry per thing"
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        intro = next(str(s.render()) for s in app.screen.query("Static") if "Typical flow" in str(s.render()))
        flow = intro[intro.index("Typical flow"):]
        assert flow.index("hostname") < flow.index("Trustpoints"), flow
