"""Pilot tests of the console without servers: tabs, help, palette, trustpoint editor, keys,
command line, save, the fingerprint dialog, and responsiveness during a slow core call.

A test that drives an action records the Messages the console posts (``message_hook`` with
:class:`tui_support.Messages`) and asserts the typed Message and its payload, not only the
text the action left on screen."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from textual.widgets import Button, Input, Label, TabbedContent

from pkitui.core.pki import Pki
from pkitui.tui.app import PkiConsole
from pkitui.tui.messages import (CommandOutputWritten, ConfigChanged, ConfigSaved, KeyPairsGenerated, KeyPairZeroized,
                                 StoreRefreshed, TrustpointDeclared)
from pkitui.tui.tabs import pane_classes
from pkitui.tui.tones import Tone
from pkitui.tui.commands import palette_entries
from pkitui.tui.screens.certificates import CertificatesLoaded, CertificatesPane
from pkitui.tui.screens.dialogs import ConfirmDialog, GenerateKeysDialog, HelpScreen, InfoDialog
from pkitui.tui.screens.keys import ZeroizeDialog
from pkitui.core.fingerprint import compare
from tui_support import (FAKE_CA, SIZE, Messages, device, fixed_pki, frozen_app, ready, show_fingerprint_dialog,
                         wait_for)


def said(messages: Messages) -> list[str]:
    """The log lines the console was asked to write (CommandOutputWritten), in order."""
    return [m.text for m in messages.of(CommandOutputWritten)]


def changes(messages: Messages) -> list[str]:
    """What each ConfigChanged said changed, in order."""
    return [m.what for m in messages.of(ConfigChanged)]


async def test_quit_with_unsaved_changes_asks_for_a_second_ctrl_q(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.pki.dirty
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running, "unsaved changes: the first ctrl+q must only warn"
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_quit_after_save_is_immediate(tmp_path: Path) -> None:
    pki = device(tmp_path)
    pki.save()
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_tabs_help_and_status(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for i, (tab, _title, _cls) in enumerate(pane_classes()):
            await pilot.press(str(i + 1))
            assert app.query_one("#tabs", TabbedContent).active == tab
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        assert "unsaved changes" in str(app.query_one("#status").render())


def test_palette_lists_every_action(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    titles = [t for t, _h, _c in palette_entries(app)]
    for _tab, title, cls in pane_classes():
        for binding in cls.BINDINGS:
            if not binding.action.startswith("app."):  # an app action (a tab switch) is listed once, as the app's
                assert f"{title}: {binding.description}" in titles
    assert "Save" in titles and "Command" in titles
    for cls in [c for _t, _n, c in pane_classes()] + [PkiConsole]:
        for binding in cls.BINDINGS:
            assert binding.id and binding.tooltip, binding


async def test_trustpoint_editor_validates_live_and_applies(tmp_path: Path) -> None:
    pki = device(tmp_path)
    app = PkiConsole(pki=pki)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("2", "n")
        await pilot.press(*"ka", "enter")
        await wait_for(pilot, lambda: bool(messages.of(TrustpointDeclared)))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert messages.one(TrustpointDeclared).name == "ka" and "ka" in pki.config.trustpoints
        assert "crypto pki trustpoint ka" in said(messages) and "trustpoint" in changes(messages)
        assert app.screen.focused is not None and app.screen.focused.id == "f-enrollment_url"  # the form is open
        url = app.screen.query_one("#f-enrollment_url", Input)
        url.focus()
        await pilot.press(*"ftp://ca")
        err = app.screen.query_one("#err-enrollment_url", Label)
        assert err.display and "scheme 'ftp' is not supported" in str(err.render())
        url.value = ""
        await pilot.press(*"http://ca.example.com:81")
        await pilot.pause()
        assert not err.display
        count = app.screen.query_one("#f-enrollment_retry_count", Input)
        count.value = "500"
        await pilot.pause()
        assert "out of range" in str(app.screen.query_one("#err-enrollment_retry_count", Label).render())
        count.value = "5"
        messages.clear()
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        tp = pki.trustpoints.get("ka")
        assert tp.enrollment_url == "http://ca.example.com:81" and tp.enrollment_retry_count == 5
        assert said(messages) == ["trustpoint ka updated: enrollment url, enrollment retry count (0: ∞)"]
        assert changes(messages)[:1] == ["trustpoint"]


async def test_delete_trustpoint_lists_what_goes(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")
    app = PkiConsole(pki=pki)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("2")
        app.screen.query_one("#tp-list").focus()
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        text = " ".join(app.screen.details)
        assert "ca certificate" in text and "device certificate" in text
        assert app.screen.focused is not None and app.screen.focused.id == "no"  # the safe answer
        messages.clear()
        await pilot.click("#yes")
        await wait_for(pilot, lambda: "lab" not in pki.config.trustpoints)
        assert not [c for c in pki.config.certificates if c.trustpoint == "lab"]
        await app.workers.wait_for_complete()
        await pilot.pause()
        removed = [line for line in said(messages) if line.startswith("removed: ")]
        assert len(removed) == 1 and "trustpoint lab" in removed[0], said(messages)
        assert "trustpoint" in changes(messages)


async def test_generate_zeroize_and_save(tmp_path: Path) -> None:
    pki = device(tmp_path)
    app = PkiConsole(pki=pki)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("3", "g")
        assert isinstance(app.screen, GenerateKeysDialog)
        await pilot.click("#generate")
        await wait_for(pilot, lambda: bool(messages.of(KeyPairsGenerated)))
        await app.workers.wait_for_complete()
        await pilot.pause()
        generated = messages.one(KeyPairsGenerated).pairs
        assert [(p.label, p.modulus) for p in generated] == [("r1.example.com", 2048)]
        assert list(pki.config.key_pairs) == ["r1.example.com"]
        assert "keys" in changes(messages)
        assert "r1.example.com" in str(app.screen.query_one("#keys-table").get_row_at(0))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(messages.of(ConfigSaved)))
        await wait_for(pilot, lambda: not pki.dirty)
        usage = messages.one(ConfigSaved).usage
        assert 0 < usage.total <= usage.capacity and usage.used["own keys"] > 0
        await wait_for(pilot, lambda: "saved" in changes(messages))
        assert "✓ saved" in str(app.query_one("#status").render())
        assert Pki.open(tmp_path / "store").config.key_pairs  # a new process sees the saved key
        await pilot.press("z")
        assert isinstance(app.screen, ZeroizeDialog) and "r1.example.com" in app.screen.question
        await pilot.click("#yes")
        await wait_for(pilot, lambda: isinstance(app.screen, InfoDialog))
        zeroized = messages.one(KeyPairZeroized)
        assert zeroized.label == "r1.example.com" and zeroized.result.removed == ["r1.example.com"]
        assert any("revoke" in step for step in zeroized.result.follow_ups)
        assert any("revoke" in line for line in app.screen.lines)  # the seed's follow-ups
        assert not pki.config.key_pairs
        assert "unsaved changes" in str(app.query_one("#status").render())


async def test_command_line_runs_ios_commands(tmp_path: Path) -> None:
    pki = device(tmp_path)
    app = PkiConsole(pki=pki)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("colon")
        assert app.focused is not None and app.focused.id == "cmdline"
        await pilot.press(*"hostname r8", "enter")  # user exec, as a router's console starts: refused
        await pilot.press(*"en", "enter")  # enable (IOS resolves 'en' by mode)
        await pilot.press(*"conf t", "enter")
        await pilot.press(*"hostname r9", "enter")
        await wait_for(pilot, lambda: pki.config.identity.hostname == "r9")
        await pilot.press(*"end", "enter")
        await pilot.press(*"show crypto pki trustpoints | include ^Trustpoint", "enter")
        await pilot.press(*"bogus command", "enter")
        await wait_for(pilot, lambda: changes(messages).count("command") == 7)  # one per line run
        await app.workers.wait_for_complete()
        await pilot.pause()
        log = "\n".join(str(line.text) for line in app.query_one("#log").lines)
        assert "hostname r9" in log and "Invalid input" in log
        output = messages.of(CommandOutputWritten)
        echoes = [m.text for m in output if m.tone is Tone.NOTE_STRONG]  # each line echoed with its prompt
        assert echoes == ["r1> hostname r8", "r1> en", "r1# conf t", "r1(config)# hostname r9", "r9(config)# end",
                          "r9# show crypto pki trustpoints | include ^Trustpoint", "r9# bogus command"]
        assert any("Invalid input" in m.text for m in output if m.tone is Tone.ERROR)
        assert any("type enable first" in m.text for m in output if m.tone is Tone.ERROR)


async def test_slow_core_call_keeps_keys_answered(tmp_path: Path, monkeypatch) -> None:
    """A core call held for up to 30 s in a worker: tab switches are handled while it runs, each
    well within the hold (a blocked event loop would take the whole hold per key; the bound is loose
    so a loaded machine does not fail it)."""
    pki = device(tmp_path)
    release = threading.Event()

    def slow_generate(**_kw):  # stands in for a slow CA or a slow key generation
        release.wait(30)
        return []

    monkeypatch.setattr(pki.keys, "generate", slow_generate)
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "g")
        await pilot.click("#generate")
        await pilot.pause()
        worker = next(w for w in app.workers if w.group == "keygen")
        assert worker.is_running
        tabs = app.query_one("#tabs", TabbedContent)
        for key, tab in (("1", "home"), ("6", "nvram"), ("2", "trustpoints")):
            start = time.perf_counter()
            await pilot.press(key)
            assert tabs.active == tab
            assert time.perf_counter() - start < 5
        assert worker.is_running
        release.set()
        await app.workers.wait_for_complete()


def test_fingerprint_matching_rules() -> None:
    fps = FAKE_CA.fingerprints
    assert compare("", fps).state == "empty"
    assert compare("19:de:28", fps).state == "partial"
    assert compare("bb45 c943 bf86 0ea5 a480 e481 cc25 7b5c", fps).matched
    wrong = compare("19DE283EAAC992A7BBFEE8987557ADAE22634DF8123755AABF84F1F3593D7DE2", fps)
    assert wrong.state == "mismatch" and wrong.first_bad == 7 and wrong.digest == "sha256"
    assert compare("E408D2FF", fps).first_bad == 0


async def test_fingerprint_dialog_right_wrong_reject(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    results: list[bool] = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        dialog = await show_fingerprint_dialog(pilot, results)
        assert dialog.focused is not None and dialog.focused.id == "fp-input"  # not Accept
        await pilot.press(*"19DE283EAAC992A7BBFEE8987557ADAE22634DF8123755AABF84F1F3593D7DE0")
        assert dialog.query_one("#accept", Button).disabled
        assert "MISMATCH at group 8" in str(dialog.query_one("#fp-match").render())
        await pilot.press("enter")  # Enter does not accept
        assert app.screen is dialog and dialog.focused.id == "reject"
        await pilot.press("enter")
        assert results == [False]
        await show_fingerprint_dialog(pilot, results)
        app.screen.query_one("#fp-input", Input).value = FAKE_CA.fingerprints["sha256"]
        await pilot.pause()
        assert "MATCH" in str(app.screen.query_one("#fp-match").render())
        await pilot.click("#accept")
        assert results == [False, True]


async def test_certificate_browser_and_expiry_colour(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")
    now = {"t": frozen_app(pki).clock()}
    app = PkiConsole(pki=pki, clock=lambda: now["t"])
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("4")
        await wait_for(pilot, lambda: bool(messages.of(CertificatesLoaded)))
        await app.workers.wait_for_complete()
        await pilot.pause()
        loaded = messages.of(CertificatesLoaded)[-1].views
        assert sorted((v.trustpoint, v.role) for v in loaded) == [("lab", "ca"), ("lab", "device")]
        tree = app.screen.query_one("#cert-tree")
        labels = []

        def walk(node):
            for child in node.children:
                labels.append(child.label)
                walk(child)

        walk(tree.root)
        device_label = next(label for label in labels if "device" in label.plain)
        pane = app.screen.query_one(CertificatesPane)  # the days left are in the tone CSS colours
        assert "21d" in device_label.plain and device_label.spans[0].style == pane.tone(Tone.WARNING)
        from datetime import timedelta

        now["t"] = now["t"] + timedelta(days=22)  # the device certificate expires while open
        await pilot.pause(1.3)
        labels.clear()
        walk(tree.root)
        device_label = next(label for label in labels if "device" in label.plain)
        assert "expired" in device_label.plain and device_label.spans[0].style == pane.tone(Tone.ERROR_STRONG)
        tree.focus()
        await pilot.press("down", "down")
        detail = app.screen.query_one("#cert-detail")
        assert detail.view is not None
        await pilot.press("p")
        assert "BEGIN CERTIFICATE" in str(detail.render())


async def test_delete_certificate_by_serial(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.screen.query_one("#cert-tree")
        tree.focus()
        from pkitui.tui.screens.certificates import _walk

        device = next(n for n in _walk(tree.root) if n.data is not None and n.data.role == "device")
        tree.move_cursor(device)
        await pilot.pause()
        assert app.screen.query_one("#cert-detail").view.role == "device"
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmDialog) and any("serial 02" in d for d in app.screen.details)
        await pilot.click("#yes")
        await wait_for(pilot, lambda: not [c for c in pki.config.certificates if c.role == "device"])
        assert [c.role for c in pki.config.certificates] == ["ca"]


async def test_export_public_key_and_query_mode(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")
    app = PkiConsole(pki=pki)
    target = tmp_path / "r1.pub.pem"
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "x")
        from pkitui.tui.screens.dialogs import ExportKeyDialog

        await wait_for(pilot, lambda: isinstance(app.screen, ExportKeyDialog) and bool(app.screen.query("#path")))
        assert app.screen.query_one("#path", Input).value == "~/r1.example.com.pub.pem", "home, not the cwd"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.click("#save")
        await wait_for(pilot, target.exists)
        assert target.read_text().startswith("-----BEGIN PUBLIC KEY-----")
        await pilot.press("6", "q")
        await wait_for(pilot, lambda: pki.config.query_mode)
        await pilot.pause()
        from rich.console import Console

        console = Console(width=250, record=True, file=open("/dev/null", "w"))
        console.print(app.screen.query_one("#nvram-gauge").content)
        text = console.export_text()
        assert "Query mode (crypto ca certificate query): ON" in text and "depend on the CA" in text
        assert "The next save removes" in text and "ca certificate" in text.lower()


async def test_slow_ca_keeps_the_console_responsive(tmp_path: Path) -> None:
    """A CA that accepts the connection and never answers: while Authenticate waits for it in a
    worker the tabs still switch; the time-out then arrives as a clear error, not a traceback."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    pki = device(tmp_path)
    pki.trustpoints.declare("slow").set_enrollment_url(f"http://127.0.0.1:{port}/scep")
    pki.scep.timeout = 8.0  # long enough that the worker still waits while the tabs switch, even on a loaded machine
    app = PkiConsole(pki=pki)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("2")
            app.screen.query_one("#tp-list").focus()
            await pilot.press("a")
            await wait_for(pilot, lambda: bool(accepted))  # the request reached the silent CA
            tabs = app.query_one("#tabs", TabbedContent)
            for key, tab in (("1", "home"), ("3", "keys"), ("2", "trustpoints")):
                start = time.perf_counter()
                await pilot.press(key)
                assert tabs.active == tab and time.perf_counter() - start < 5
                assert any(w.is_running and w.name == "_authenticate" for w in app.workers)
            await wait_for(pilot, lambda: any(n.severity == "error" for n in app._notifications), timeout=40)
            message = next(n.message for n in app._notifications if n.severity == "error")
            assert "Traceback" not in message and ("time" in message.lower() or "respond" in message.lower())
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


async def test_command_palette_runs_a_screen_action(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")  # the palette lists the actions of the screen shown
        await pilot.press("ctrl+p")
        await pilot.press(*"Keys: Generate")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GenerateKeysDialog))
        assert app.query_one("#tabs", TabbedContent).active == "keys"


async def test_command_lines_run_in_order_when_typed_fast_or_pasted(tmp_path: Path) -> None:
    """Lines submitted before the previous one has run are queued, not cancelled (the worker was
    exclusive: a quick second Enter dropped the first line), and a pasted block runs line by line
    (Input keeps only a paste's first line)."""
    from textual import events

    pki = device(tmp_path)
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon")
        cmd = app.query_one("#cmdline", Input)
        for line in ("enable", "configure terminal", "crypto pki trustpoint fast1", "exit",
                     "crypto pki trustpoint fast2"):
            cmd.value = line
            await cmd.action_submit()
        await wait_for(pilot, lambda: {"fast1", "fast2"} <= set(pki.config.trustpoints))
        cmd.post_message(events.Paste("end\nconfigure terminal\nhostname pasted\ncrypto pki trustpoint fast3\n"))
        await wait_for(pilot, lambda: "fast3" in pki.config.trustpoints)
        assert pki.config.identity.hostname == "pasted"
        assert cmd.value == ""

        def log() -> str:
            return "\n".join(str(line.text) for line in app.query_one("#log").lines)

        # Each line echoed with its own prompt (the echoes are messages: wait for them to be handled).
        await wait_for(pilot, lambda: "pasted(config)# crypto pki trustpoint fast3" in log())
        assert (log().index("r1(config)# crypto pki trustpoint fast2")
                < log().index("pasted(config)# crypto pki trustpoint fast3"))


async def test_fingerprint_dialog_enter_after_a_match_goes_to_accept(tmp_path: Path) -> None:
    """After a verified match, Enter moves to Accept (it used to move to Reject, so Enter, Enter
    rejected the certificate just verified); Enter alone still never accepts."""
    app = PkiConsole(pki=device(tmp_path))
    results: list[bool] = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        dialog = await show_fingerprint_dialog(pilot, results)
        await pilot.press(*FAKE_CA.fingerprints["sha256"], "enter")
        assert app.screen is dialog and dialog.focused.id == "accept" and results == []
        await pilot.press("enter")
        assert results == [True]


async def test_enter_in_the_key_label_generates(tmp_path: Path) -> None:
    """Typing a label and pressing Enter generates (Enter used to do nothing in that field)."""
    pki = device(tmp_path)
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "g")
        assert isinstance(app.screen, GenerateKeysDialog)
        app.screen.query_one("#label", Input).focus()
        await pilot.press(*"vpn-key", "enter")
        await wait_for(pilot, lambda: "vpn-key" in pki.config.key_pairs)
        await app.workers.wait_for_complete()



async def test_another_sessions_save_is_taken_over(tmp_path: Path) -> None:
    """Another session saves the store while the console runs: the store watch reloads in a
    worker, which posts StoreRefreshed saying what it took over; the panes then reload."""
    pki = device(tmp_path)
    pki.save()
    app = PkiConsole(pki=pki)
    messages = Messages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        other = Pki.open(tmp_path / "store")
        other.trustpoints.declare("elsewhere").set_enrollment_url("http://ca.example.com")
        other.save()
        await wait_for(pilot, lambda: bool(messages.of(StoreRefreshed)))
        refresh = messages.one(StoreRefreshed).refresh
        assert refresh.taken == ["trustpoint elsewhere"] and not refresh.conflicts, refresh
        await wait_for(pilot, lambda: "store changed" in changes(messages))
        assert "elsewhere" in pki.config.trustpoints and not pki.dirty
