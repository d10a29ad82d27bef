"""Safety and honesty of the console (issue 10, points 1 and 3 to 6), without servers: our own
revoked certificate shows as revoked; no action fires while an input has focus, Escape leaves any
input, ':' gives the focus back, ctrl+o jumps; a new trustpoint can be applied at once, Apply
always says what it did, unapplied edits survive a reload; zeroize says when the keys leave NVRAM
and can remove the orphaned certificates; enrolling an unauthenticated trustpoint asks nothing."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from textual.widgets import Button, Input, ListView, Static, TabbedContent

from pkitui.core.records import OwnRevocation
from pkitui.core.revocation.crl import parse_crl
from pkitui.lab.bigcrl import LabCa, build_crl_der
from pkitui.tui.app import PkiConsole
from pkitui.tui.messages import CommandOutputWritten, ConfigChanged, CoreCallFailed
from pkitui.tui.screens.certificates import CertificatesPane
from pkitui.tui.screens.dialogs import InfoDialog
from pkitui.tui.screens.jump import JumpScreen
from pkitui.tui.screens.keys import ZeroizeDialog
from pkitui.tui.screens.trustpoints import TrustpointsPane
from tui_support import (SIZE, Messages, device, fixed_chain, fixed_keys, fixed_pki, frozen_app, plain, ready,
                         wait_for)


def _revoke_our_certificate(pki) -> None:  # type: ignore[no-untyped-def]
    """Hold a CRL of the fixed CA that lists the fixed device certificate (serial 2)."""
    ca_key, _ = fixed_keys()
    ca, dev = fixed_chain()
    der = build_crl_der(LabCa(ca_key, ca), [0x77, dev.serial_number],
                        this_update=datetime(2026, 3, 19, tzinfo=timezone.utc),
                        next_update=datetime(2026, 3, 26, tzinfo=timezone.utc))
    pki.revocation.store.keep("lab", "http://127.0.0.1:8081/lab.crl", parse_crl(der))


async def test_our_revoked_certificate_shows_as_revoked(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")
    _revoke_our_certificate(pki)
    app = frozen_app(pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: "1 REVOKED" in plain(app.query_one("#home-body", Static).content))
        await pilot.press("4")
        pane = app.query_one(CertificatesPane)
        await wait_for(pilot, lambda: bool(pane.views))
        [mine] = [v for v in pane.views if v.role == "device"]
        assert mine.revocation is OwnRevocation.REVOKED and mine.status == "Revoked"
        tree = app.query_one("#cert-tree")
        labels = [str(n.label) for n in tree.root.children[0].children[0].children]  # type: ignore[attr-defined]
        assert any("REVOKED" in label for label in labels), labels
        pane.show_detail(mine)
        detail = plain(app.query_one("#cert-detail", Static).content)
        assert "Revoked" in detail and "revoked: since" in detail and "http://127.0.0.1:8081/lab.crl" in detail


async def test_without_a_crl_the_certificate_pane_says_so(tmp_path: Path) -> None:
    app = frozen_app(fixed_pki(tmp_path / "store"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: "no CRL held" in plain(app.query_one("#home-body", Static).content))
        await pilot.press("4")
        pane = app.query_one(CertificatesPane)
        await wait_for(pilot, lambda: bool(pane.views))
        [mine] = [v for v in pane.views if v.role == "device"]
        assert mine.revocation is OwnRevocation.NO_CRL and "crypto pki crl request lab" in mine.revocation_note


async def test_no_action_fires_while_an_input_has_focus(tmp_path: Path) -> None:
    pki = device(tmp_path)
    pki.trustpoints.declare("gw")
    app = PkiConsole(pki=pki)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("2")
        pane = app.query_one(TrustpointsPane)
        assert not app.query_one("#tp-form").focusable, "the form container is a Tab stop of its own"
        field = app.query_one("#f-ocsp_url", Input)
        field.focus()
        await pilot.pause()
        messages.clear()
        await pilot.press(*"t:4e1azdnru?")
        await pilot.pause()
        assert field.value == "t:4e1azdnru?"
        assert app.query_one("#tabs", TabbedContent).active == "trustpoints"
        assert app.screen is app.screen_stack[0] and len(app.screen_stack) == 1
        assert not app.query_one("#cmdbar").display
        assert not messages.of(CoreCallFailed) and not messages.of(ConfigChanged)
        assert not [w for w in app.workers if w.node is pane]
        # Escape leaves the input, to the list where the pane's keys act
        await pilot.press("escape")
        assert app.focused is app.query_one("#tp-list", ListView)
        await pilot.press("n")
        assert app.focused is app.query_one("#tp-new", Input)


async def test_the_command_line_gives_the_focus_back(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        tp_list = app.query_one("#tp-list", ListView)
        tp_list.focus()
        await pilot.press("colon")
        assert app.focused is app.query_one("#cmdline", Input)
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is tp_list


async def test_ctrl_o_jumps_to_any_field(tmp_path: Path) -> None:
    pki = device(tmp_path)
    pki.trustpoints.declare("gw")
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        app.query_one("#tp-new", Input).focus()
        await pilot.press("ctrl+o")  # from inside an input too
        await wait_for(pilot, lambda: isinstance(app.screen, JumpScreen))
        jump = app.screen
        assert isinstance(jump, JumpScreen)
        target = next(t for t in jump.targets if t.title == "ocsp url")
        await pilot.press(target.key)
        await pilot.pause()
        assert app.focused is app.query_one("#f-ocsp_url", Input)


async def test_a_new_trustpoint_can_be_applied_at_once(tmp_path: Path) -> None:
    pki = device(tmp_path)
    pki.trustpoints.declare("first")
    app = PkiConsole(pki=pki)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("2")
        app.query_one("#tp-list", ListView).focus()
        await pilot.press("n", *"gw2", "enter")
        url = app.query_one("#f-enrollment_url", Input)
        await wait_for(pilot, lambda: app.focused is url)
        await pilot.press(*"http://ca.example.com/scep", "f2")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: pki.config.trustpoints["gw2"].enrollment_url == "http://ca.example.com/scep")
        assert pki.config.trustpoints["first"].enrollment_url in (None, "")
        assert "trustpoint gw2 updated: enrollment url" in [m.text for m in messages.of(CommandOutputWritten)]
        await pilot.pause()
        view = app.query_one("#tp-list", ListView)
        assert view.highlighted_child is not None and view.highlighted_child.name == "gw2"
        # Apply again with nothing changed: it says so
        messages.clear()
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: any("nothing to apply" in m.text for m in messages.of(CommandOutputWritten)))


async def test_unapplied_edits_are_marked_and_kept_when_the_form_reloads(tmp_path: Path) -> None:
    pki = device(tmp_path)
    pki.trustpoints.declare("gw")
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        pane = app.query_one(TrustpointsPane)
        field = app.query_one("#f-crl_query", Input)
        field.focus()
        await pilot.press(*"ldap://ldap.example.com")
        assert field.has_class("-edited")
        assert "unapplied edits" in plain(app.query_one("#tp-title", Static).content)
        app.post_message(ConfigChanged("authenticate"))  # another action reloads every pane
        await pilot.pause()
        pane.reload()
        await pilot.pause()
        assert field.value == "ldap://ldap.example.com" and field.has_class("-edited")
        assert pki.config.trustpoints["gw"].crl_query in (None, "")
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: not field.has_class("-edited"))
        assert pki.config.trustpoints["gw"].crl_query == "ldap://ldap.example.com"


async def test_zeroize_says_when_and_can_remove_the_orphaned_certificates(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")
    app = frozen_app(pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        app.query_one("#keys-table").focus()
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, ZeroizeDialog))
        dialog = app.screen
        assert isinstance(dialog, ZeroizeDialog)
        text = "\n".join(dialog.details)
        assert "cannot be undone" not in dialog.question + text
        assert "erased from NVRAM at the next save" in text
        assert dialog.focused is not None and dialog.focused.id == "no"
        assert "remove 1 certificate" in str(dialog.query_one("#remove", Button).label)
        await pilot.click("#remove")
        await wait_for(pilot, lambda: isinstance(app.screen, InfoDialog))
        assert not pki.config.key_pairs
        assert not [c for c in pki.config.certificates if c.role == "device"]
        assert any("next save" in line for line in app.screen.lines)  # type: ignore[attr-defined]


async def test_enrolling_an_unauthenticated_trustpoint_asks_nothing(tmp_path: Path) -> None:
    pki = device(tmp_path)
    pki.keys.generate(modulus=1024)
    pki.trustpoints.declare("gw").set_enrollment_url("http://127.0.0.1:9/scep")
    app = PkiConsole(pki=pki)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("2")
        app.query_one("#tp-list", ListView).focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: bool(messages.of(CoreCallFailed)) or len(app.screen_stack) > 1)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.screen_stack) == 1, f"asked {type(app.screen).__name__} before checking the CA"
        assert any("not yet authenticated" in str(m.error) for m in messages.of(CoreCallFailed))
