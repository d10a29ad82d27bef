"""The trustpoint pane's Enroll and the ``:`` line's ``crypto pki enroll`` are one enrollment
(issue 9): against the real lab CA and the PENDING test responder, both post the same
EnrollmentEvents, ask the same questions (confirmation, challenge password) and leave the core's
lock free while a PENDING poll waits, so ctrl+s saves at once. On a trustpoint whose CA is not
authenticated both say what is missing and ask nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.screen import Screen
from textual.widgets import Button, Input

from pkitui.core.errors import PkiError
from pkitui.core.pki import Pki
from pkitui.core.scep.enroll import EnrollmentState
from pkitui.lab import Lab
from pkitui.tui.app import PkiConsole
from pkitui.tui.messages import ConfigSaved, CoreCallFailed
from pkitui.tui.screens.dialogs import ConfirmDialog, SecretDialog
from pkitui.tui.screens.enrollment import EnrollmentEventReceived, EnrollmentFinished, EnrollmentScreen
from scep_support import make_device
from servers.scep_responder import ScepResponder
from tui_support import SIZE, Messages, ready, wait_for

Start = Callable[[PkiConsole, Any], Awaitable[None]]


async def from_the_pane(app: PkiConsole, pilot: Any) -> None:
    """The trustpoint pane's Enroll (``e``)."""
    await pilot.press("2")
    app.screen.query_one("#tp-list").focus()
    await pilot.press("e")


async def from_the_command_line(app: PkiConsole, pilot: Any) -> None:
    """``:crypto pki enroll lab`` (after enable and configure terminal: the line starts at Device>)."""
    await pilot.press("colon")
    cmd = app.query_one("#cmdline", Input)
    for line in ("enable", "configure terminal", "crypto pki enroll lab"):
        cmd.value = line
        await cmd.action_submit()


@dataclass
class Run:
    """What one enrollment showed: the dialogs in order, the events, the messages."""

    messages: Messages
    dialogs: list[tuple[str, ...]] = field(default_factory=list)

    def states(self) -> list[tuple[EnrollmentState, str]]:
        """(state, key pair) of every EnrollmentEvent posted, in order."""
        return [(m.event.state, m.event.key_id) for m in self.messages.of(EnrollmentEventReceived)]

    def errors(self) -> list[tuple[str, str | None]]:
        """(message, hint) of every error shown."""
        errors = [m.error for m in self.messages.of(CoreCallFailed)]
        return [(e.message, e.hint) if isinstance(e, PkiError) else (repr(e), None) for e in errors]


async def answer_dialogs(app: PkiConsole, pilot: Any, run: Run, password: str,
                         until: Callable[[Screen[Any]], bool]) -> None:
    """Answer every dialog the enrollment shows (yes, but no to IOS's optional "Include ..."
    questions; the password), recording each, until ``until(app.screen)``."""
    seen: set[int] = set()

    def next_step() -> bool:
        screen = app.screen
        return until(screen) or (isinstance(screen, (ConfirmDialog, SecretDialog)) and id(screen) not in seen)

    while True:
        await wait_for(pilot, next_step)
        screen = app.screen
        if until(screen):
            return
        seen.add(id(screen))
        await wait_for(pilot, lambda s=screen: bool(s.query("#yes, #secret")))  # composed
        if isinstance(screen, ConfirmDialog):
            run.dialogs.append(("confirm", screen.question, *screen.details))
            screen.query_one("#no" if screen.question.startswith("Include") else "#yes", Button).press()
        elif isinstance(screen, SecretDialog):
            run.dialogs.append(("password", screen.prompt))
            secret = screen.query_one("#secret", Input)
            secret.value = password
            await secret.action_submit()


def enrollment_done(app: PkiConsole) -> bool:
    """No enrollment worker (the pane's, or the command line's) is running. Not
    workers.wait_for_complete(): a pane's exclusive load worker replaced by a newer one is
    cancelled, and waiting for it raises WorkerCancelled."""
    return not any(w.is_running and w.name in ("_enroll", "run_command_queue") for w in app.workers)


def lab_device(lab: Lab, store: Path) -> Pki:
    """A device of the lab with keys and the CA authenticated, and no challenge password
    configured (so both paths must ask for it)."""
    pki = Pki.open(store)
    lab.configure(pki)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pki.keys.generate()
    tp = pki.trustpoints.get("lab")
    tp.set_fingerprint(lab.fingerprint)
    pki.ca_trust.authenticate("lab")
    tp.password = None
    return pki


async def enroll_with_the_lab(lab: Lab, store: Path, start: Start) -> Run:
    pki = lab_device(lab, store)
    run = Run(Messages())
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE, message_hook=run.messages) as pilot:
        await ready(pilot)
        await start(app, pilot)
        await answer_dialogs(app, pilot, run, lab.challenge,
                             lambda s: isinstance(s, EnrollmentScreen) and s.finished)
        await pilot.pause()
    assert [c.role for c in pki.config.certificates if c.role == "device"] == ["device"]
    return run


async def test_pane_and_command_line_enroll_alike_against_the_lab(lab: Lab, tmp_path: Path) -> None:
    pane = await enroll_with_the_lab(lab, tmp_path / "pane", from_the_pane)
    line = await enroll_with_the_lab(lab, tmp_path / "line", from_the_command_line)
    assert pane.states() == line.states() == [(EnrollmentState.SENT, "r1.example.com"),
                                              (EnrollmentState.ISSUED, "r1.example.com")]
    # the same questions, in IOS's order: the challenge password twice, the serial number, an
    # address, then the request confirmed with the plan's details
    assert pane.dialogs == line.dialogs
    assert [d[:2] for d in pane.dialogs[1:4]] == [
        ("password", "Re-enter password:"),
        ("confirm", "Include the router serial number in the subject name?"),
        ("confirm", "Include an IP address in the subject name?")]
    assert pane.dialogs[0][0] == "password" and pane.dialogs[0][1].startswith("Create a challenge password.")
    question, *details = pane.dialogs[4][1:]
    assert question == "Request certificate from CA? (trustpoint lab)"
    assert details[:2] == ["Subject: hostname=r1.example.com,cn=r1.example.com", "Key pair(s): r1.example.com"]
    assert details[2].startswith("CA: ") and details[3] == f"Enrollment URL: {lab.scep.url}"
    for run in (pane, line):
        finished = run.messages.one(EnrollmentFinished)
        assert finished.error is None and [r.state for r in finished.results] == [EnrollmentState.ISSUED]
        assert run.errors() == []


async def enroll_unauthenticated(lab: Lab, store: Path, start: Start) -> Run:
    """Enroll a trustpoint whose CA is not authenticated (and no password configured)."""
    pki = Pki.open(store)
    lab.configure(pki)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pki.keys.generate()
    pki.trustpoints.get("lab").password = None
    run = Run(Messages())
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE, message_hook=run.messages) as pilot:
        await ready(pilot)
        await start(app, pilot)
        await wait_for(pilot, lambda: bool(run.messages.of(CoreCallFailed)))
        await wait_for(pilot, lambda: enrollment_done(app))
        await pilot.pause()
        assert not isinstance(app.screen, (ConfirmDialog, SecretDialog, EnrollmentScreen))
        assert not run.messages.of(EnrollmentEventReceived)
    return run


async def test_an_unauthenticated_ca_is_reported_by_both_and_nothing_is_asked(lab: Lab, tmp_path: Path) -> None:
    pane = await enroll_unauthenticated(lab, tmp_path / "pane", from_the_pane)
    line = await enroll_unauthenticated(lab, tmp_path / "line", from_the_command_line)
    assert pane.errors() == line.errors() == [("CA certificate for trustpoint lab not yet authenticated",
                                               "Authenticate it first: crypto pki authenticate lab")]


async def pending_then_save(responder: ScepResponder, tmp_path: Path, start: Start) -> Run:
    """Enroll against the test responder, which stays PENDING; while the worker waits for the
    next poll (30 s away), the core's lock is free and ctrl+s saves at once; then Cancel."""
    pki = make_device(tmp_path / start.__name__, responder.url, ra=True, password=None)
    pki.ca_trust.authenticate("lab", confirm=lambda c: True)
    pki.trustpoints.get("lab").set_retry_count(10)
    pki.scep.seconds_per_retry_minute = 30.0
    run = Run(Messages())
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE, message_hook=run.messages) as pilot:
        await ready(pilot)
        await start(app, pilot)

        def polling(screen: Screen[Any]) -> bool:
            return isinstance(screen, EnrollmentScreen) and any(
                r.state == EnrollmentState.PENDING and r.next_poll_at for r in screen.rows.values())

        await answer_dialogs(app, pilot, run, "", polling)  # Enter alone: no challenge password
        screen = app.screen
        assert isinstance(screen, EnrollmentScreen) and not screen.finished
        assert pki.lock.acquire(blocking=False), "the core's lock is held while a PENDING poll waits"
        pki.lock.release()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(run.messages.of(ConfigSaved)), timeout=5)
        assert not screen.finished  # saved during the wait, not after it
        await pilot.press("c")
        await wait_for(pilot, lambda: screen.finished, timeout=10)
        await wait_for(pilot, lambda: enrollment_done(app))
    return run


async def test_the_lock_is_free_while_either_path_waits_for_a_pending_poll(tmp_path: Path) -> None:
    with ScepResponder(pending_polls=1000) as responder:
        pane = await pending_then_save(responder, tmp_path, from_the_pane)
        line = await pending_then_save(responder, tmp_path, from_the_command_line)
    assert pane.states() == line.states()
    assert [s for s, _key in pane.states()] == [EnrollmentState.SENT, EnrollmentState.PENDING]
    assert pane.dialogs == line.dialogs
    assert [d[0] for d in pane.dialogs] == ["password", "password", "confirm", "confirm", "confirm"]
    for run in (pane, line):
        finished = run.messages.one(EnrollmentFinished)
        assert [r.state for r in finished.results] == [EnrollmentState.PENDING]  # cancelled, kept
