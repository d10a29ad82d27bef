"""Snapshot tests (pytest-textual-snapshot): every screen at 120x40 with fixed data, a frozen
clock and no cursor blink; every screen at 80x24 too (``each_size``), the smallest terminal
the console must stay readable in. Update with ``pytest tests/test_tui_snapshots.py --snapshot-update``
after checking the new pictures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from textual.widgets import Input

from pkitui.core.scep.enroll import EnrollmentEvent
from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.certificates import CertificatesPane
from pkitui.tui.screens.crls import CrlsPane
from pkitui.tui.screens.enrollment import EnrollmentEventReceived, EnrollmentScreen
from pkitui.tui.screens.fingerprint import FingerprintDialog
from tui_support import add_fixed_crl, each_size, fixed_chain, fixed_pki, freeze_cursors, frozen_app


def scripted(*keys: str, then: Callable[[PkiConsole], Any] | None = None) -> Callable[[Any], Any]:
    """A run_before that presses keys, waits for the workers, runs ``then`` and stops blinking."""
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        while len(app.panes()) < 6:  # hidden tabs mount just after the first frame
            await pilot.pause(0.02)
        app.query_one(CrlsPane).show_timings = False  # machine-dependent numbers stay out
        for key in keys:
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
        if then is not None:
            result = then(app)
            if hasattr(result, "__await__"):
                await result
            await app.workers.wait_for_complete()
            await pilot.pause()
        freeze_cursors(app)
        await pilot.pause()
    return run_before


@each_size
def test_home(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(fixed_pki()), terminal_size=size, run_before=scripted())


@each_size
def test_trustpoint_editor_with_invalid_field(snap_compare: Any, size: tuple[int, int]) -> None:
    def type_bad(app: PkiConsole) -> None:
        app.screen.query_one("#f-enrollment_url", Input).value = "ftp://ca.example.com"
        app.screen.query_one("#f-enrollment_retry_period", Input).value = "90"
    assert snap_compare(frozen_app(fixed_pki()), terminal_size=size, run_before=scripted("2", then=type_bad))


@each_size
def test_key_manager(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(fixed_pki()), terminal_size=size, run_before=scripted("3"))


@each_size
def test_certificate_browser(snap_compare: Any, size: tuple[int, int]) -> None:
    def select_device(app: PkiConsole) -> None:
        tree = app.screen.query_one("#cert-tree")
        tree.focus()
        tree.move_cursor_to_line(2)
    assert snap_compare(frozen_app(fixed_pki()), terminal_size=size, run_before=scripted("4", then=select_device))


@each_size
def test_crl_viewer(snap_compare: Any, size: tuple[int, int]) -> None:
    pki = fixed_pki()
    add_fixed_crl(pki)

    def open_first(app: PkiConsole) -> None:
        app.screen.query_one("#crl-list").focus()
        app.screen.query_one(CrlsPane).action_open()
    assert snap_compare(frozen_app(pki), terminal_size=size, run_before=scripted("5", then=open_first))


@each_size
def test_nvram_gauge(snap_compare: Any, size: tuple[int, int]) -> None:
    pki = fixed_pki()
    add_fixed_crl(pki)
    pki.set_query_mode(True)
    assert snap_compare(frozen_app(pki), terminal_size=size, run_before=scripted("6"))


@each_size
def test_fingerprint_dialog_mismatch(snap_compare: Any, size: tuple[int, int]) -> None:
    pki = fixed_pki(certificates=False)
    ca, _dev = fixed_chain()
    candidate = pki.ca_trust.candidate_from_der("lab", ca.public_bytes(Encoding.DER))

    async def show_and_type_wrong(app: PkiConsole) -> None:
        await app.push_screen(FingerprintDialog(candidate))
        good = candidate.fingerprints["sha256"]
        app.screen.query_one("#fp-input", Input).value = good[:20] + ("0" if good[20] != "0" else "1") + good[21:]
    assert snap_compare(frozen_app(pki), terminal_size=size, run_before=scripted(then=show_and_type_wrong))


@each_size
def test_enrollment_progress(snap_compare: Any, size: tuple[int, int]) -> None:
    async def show(app: PkiConsole) -> None:
        screen = EnrollmentScreen("lab")
        await app.push_screen(screen)
        for ev in (EnrollmentEvent("lab", "r1.example.com#signature", "issued", "certificate issued, serial 2"),
                   EnrollmentEvent("lab", "r1.example.com#encryption", "pending", "the CA has not decided yet",
                                   polls_left=4),
                   EnrollmentEvent("lab", "r1.example.com#other", "failed", "the CA refused the request",
                                   fail_info="badRequest")):
            app.call_later(screen.post_message, EnrollmentEventReceived(ev))
    assert snap_compare(frozen_app(fixed_pki()), terminal_size=size, run_before=scripted(then=show))


@each_size
def test_help(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(fixed_pki()), terminal_size=size, run_before=scripted("question_mark"))


@each_size
def test_export_dialog(snap_compare: Any, size: tuple[int, int]) -> None:
    """The chain browser's export of trustpoint lab (issue 11): form, cipher, URL, the password
    twice (typed differently: the reason shows and Export stays disabled)."""
    def open_export(app: PkiConsole) -> None:
        app.screen.query_one("#cert-tree").focus()
        app.query_one(CertificatesPane).action_export()

    def mistype(app: PkiConsole) -> None:
        app.screen.query_one("#transfer-url", Input).value = "/tmp/exports/r1"
        app.screen.query_one("#transfer-password", Input).value = "secret"
        app.screen.query_one("#transfer-again", Input).value = "secreT"
        app.screen.query_one("#transfer-again", Input).focus()  # where typing ends (the URL field had it)
    pki = fixed_pki()
    for pair in pki.config.key_pairs.values():
        pair.exportable = True  # else the export is refused before the dialog opens
    assert snap_compare(frozen_app(pki), terminal_size=size,
                        run_before=scripted("4", then=lambda app: _then_all(app, open_export, mistype)))


@each_size
def test_import_dialog(snap_compare: Any, size: tuple[int, int]) -> None:
    """The key manager's import of a key pair (issue 11): label, URL, password, exportable."""
    assert snap_compare(frozen_app(fixed_pki()), terminal_size=size, run_before=scripted("3", "i"))


async def _then_all(app: PkiConsole, *steps: Callable[[PkiConsole], None]) -> None:
    for step in steps:
        step(app)
        await app.workers.wait_for_complete()
        await asyncio.sleep(0.05)
