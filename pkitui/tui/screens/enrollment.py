"""Enrollment progress: one row per request (sent, PENDING with the next poll countdown and the
polls left, issued, failed with failInfo in words), Cancel, and a notification per certificate.

The rows come from the ``EnrollmentEvent`` stream of ``pki.scep.enroll(on_event=...)``.
:func:`run_enrollment` is the console's one way to enroll: the trustpoint pane's Enroll and the
``:`` line's ``crypto pki enroll NAME`` both run it in a worker, so they check, ask, lock and show
the same.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import NoActiveWorker, Worker, get_current_worker

from pkitui.core.errors import PkiError
from pkitui.core.scep.plan import (ADDRESS_PROMPT, QUESTIONS, EnrollmentPlan, RequestAnswers, challenge_password,
                                   resolve_request_address)
from pkitui.core.scep.plan import EnrollmentQuestion as Q
from pkitui.tui import console_log
from pkitui.tui.bridge import ask_from_thread, describe_error
from pkitui.tui.messages import CommandOutputWritten, ConfigChanged, CoreCallFailed
from pkitui.tui.screens.dialogs import ConfirmDialog, InfoDialog, SecretDialog
from pkitui.tui.tones import Tone, tone_classes, toned
from pkitui.tui.waits import wait_text

if TYPE_CHECKING:
    from pkitui.core.scep.enroll import EnrollmentEvent, EnrollmentResult
    from pkitui.tui.app import PkiConsole

# The tone of each request state the SCEP client reports (the states are the client's words).
STATE_TONES = {"sent": Tone.NOTE, "pending": Tone.WARNING, "issued": Tone.OK_STRONG, "failed": Tone.ERROR_STRONG}


@dataclass
class EnrollmentEventReceived(Message):
    """An EnrollmentEvent arrived from the worker."""

    event: EnrollmentEvent


@dataclass
class EnrollmentFinished(Message):
    """The enrollment call returned (results) or raised (error)."""

    results: list[EnrollmentResult]
    error: BaseException | None


class EnrollmentScreen(ModalScreen[None]):
    """The progress of ``crypto pki enroll`` for one trustpoint; states and the outcome are
    coloured by tone: ``enrollment--ok-strong``, … (styles/widgets.tcss)."""

    COMPONENT_CLASSES = tone_classes("enrollment")

    BINDINGS = [
        Binding("c", "cancel", "Cancel enrollment", id="enroll_cancel", tooltip="Stop sending and polling"),
        Binding("escape", "close", "Close", id="enroll_close", tooltip="Close (only once finished; else cancel)"),
    ]

    def __init__(self, trustpoint: str, title: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.trustpoint = trustpoint
        self.title_text = title or f"Enrolling with trustpoint {trustpoint}"
        self.cancel_event = threading.Event()
        self.rows: dict[str, EnrollmentEvent] = {}  # the latest event of each key pair's request
        self._deadlines: dict[str, float] = {}  # when a PENDING request is polled next (time.time())
        self.finished = False
        self.summary = ""  # what the toast says once the dialog is closed
        self.worker: Worker[object] | None = None  # the enrollment's worker: its network wait is shown
        self._tick = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(id="enroll-table")
            yield Static("Contacting the CA…", id="enroll-status")
            wait = Static(id="enroll-wait")
            wait.display = False  # until a network exchange of this enrollment lasts
            yield wait
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel", variant="error")
                yield Button("Close", id="close", disabled=True)

    def on_mount(self) -> None:
        self.render_rows()
        self.set_interval(1.0, self.render_rows)  # the PENDING countdown
        self.set_interval(0.1, self.render_wait)  # the spinner and the elapsed time of a network wait

    @on(EnrollmentEventReceived)
    def _event(self, message: EnrollmentEventReceived) -> None:
        ev = message.event
        key = ev.key_id
        before = self.rows.get(key)
        self.rows[key] = ev
        if before is None or before.state != ev.state:  # one console message per change, not per poll
            logged = console_log.enrollment_event(ev)
            if logged is not None:
                self.app.post_message(logged)
        if ev.next_poll_at:  # ISO 8601, written by the core
            self._deadlines[key] = datetime.fromisoformat(ev.next_poll_at).timestamp()
        else:
            self._deadlines.pop(key, None)
        # No toast per certificate issued: the row says so, the log has %PKI-6-CERTRET, and at
        # 80x24 a toast covered the dialog's Cancel and Close buttons.
        self.render_rows()

    def detail(self, key: str) -> str:
        """The detail column of one request: message, failInfo, next poll countdown, polls left."""
        ev = self.rows[key]
        detail = ev.message
        if ev.fail_info:
            detail = f"{detail} (failInfo: {ev.fail_info})".strip()
        if ev.state == "pending":
            if key in self._deadlines:
                left = max(0, int(self._deadlines[key] - time.time()))
                detail += f"  next poll in {left // 60}:{left % 60:02d}"
            if ev.polls_left is not None:
                detail += f"  polls left: {ev.polls_left}"
        return detail

    def toned(self, text: str, tone: Tone | None) -> Text:
        """``text`` in ``tone``, as the CSS colours it on this screen."""
        return toned(self, "enrollment", text, tone)

    def render_rows(self) -> None:
        """Redraw the table (and the countdowns)."""
        table = Table(expand=True)
        for col in ("key pair", "state", "detail"):
            table.add_column(col)
        for key, ev in self.rows.items():
            table.add_row(key, self.toned(ev.state, STATE_TONES.get(ev.state)), self.detail(key))
        if not self.rows:
            table.add_row(self.toned("waiting for the first request…", Tone.MUTED), "", "")
        self.query_one("#enroll-table", Static).update(table)

    def render_wait(self) -> None:
        """The network exchange in progress: spinner, what it waits for, elapsed of the deadline."""
        self._tick += 1
        waits = getattr(self.app, "network_waits", None)
        wait = waits.of_worker(self.worker) if waits is not None and self.worker is not None else None
        line = self.query_one("#enroll-wait", Static)
        line.display = wait is not None and not self.finished
        if wait is not None:
            line.update(self.toned(wait_text(wait, self._tick, key_hint=False) + "   c cancels", Tone.ACCENT))

    @on(EnrollmentFinished)
    def _finished(self, message: EnrollmentFinished) -> None:
        self.finished = True
        status = self.query_one("#enroll-status", Static)
        if message.error is not None:
            text, hint = describe_error(message.error)
            status.update(self.toned(text + (f"\n{hint}" if hint else ""), Tone.ERROR_STRONG))
        else:
            issued = sum(1 for r in message.results if r.certificate is not None)
            if issued:  # told once the dialog is closed: a toast now would cover its buttons
                self.summary = f"{issued} certificate(s) issued for {self.trustpoint}"
            status.update(self.toned(f"Finished: {issued} of {len(message.results)} certificate(s) issued.",
                                     Tone.OK_STRONG if issued else Tone.WARNING))
        self.query_one("#cancel", Button).disabled = True
        close = self.query_one("#close", Button)
        close.disabled = False
        close.focus()

    def report(self, event: EnrollmentEvent) -> None:
        """The enrollment's ``on_event`` (called from the worker's thread)."""
        self.post_message(EnrollmentEventReceived(event))

    def action_cancel(self) -> None:
        """Ask the worker to stop (threading.Event checked by the SCEP client between steps)."""
        if not self.finished:
            self.cancel_event.set()
            waits = getattr(self.app, "network_waits", None)
            wait = waits.of_worker(self.worker) if waits is not None and self.worker is not None else None
            if waits is not None and wait is not None:
                waits.cancel(wait)  # cut the exchange in progress now, not at its deadline
            self.query_one("#enroll-status", Static).update(self.toned("Cancelling…", Tone.ACCENT))

    def action_close(self) -> None:
        """Close once finished; before that Escape cancels."""
        if self.finished:
            self.dismiss(None)
            if self.summary:
                self.app.notify(self.summary, title="Enrollment")
        else:
            self.action_cancel()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.action_cancel()
        else:
            self.action_close()


class AddressDialog(SecretDialog):
    """IOS's "Enter Interface name or IP Address" after yes to including an address: typed in
    clear (an address is no secret); Escape: not answered."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.prompt, classes="dialog-title")
            yield Input(id="secret", placeholder="e.g. 192.0.2.1 or eth0", select_on_focus=False)


def ask_questions(console: PkiConsole, plan: EnrollmentPlan) -> RequestAnswers | None:
    """IOS's questions before a new request, as dialogs, in the order and with the words the
    IOS session asks them (:func:`pkitui.ios.scep_commands.ask_questions`); None when declined.
    The challenge password is typed twice (Enter alone: none; a mismatch raises ConfigError)."""
    name, answers, asked = plan.trustpoint, RequestAnswers(), set(plan.questions)
    if Q.REENROLL in asked and not ask_from_thread(console, ConfirmDialog(
            f"{QUESTIONS[Q.REENROLL]} (trustpoint {name})", yes="Re-enroll")):
        return None
    if Q.PASSWORD in asked:
        first = ask_from_thread(console, SecretDialog(f"{QUESTIONS[Q.PASSWORD]} Password (Enter alone: none):"))
        again = None if first is None else ask_from_thread(console, SecretDialog("Re-enter password:"))
        if first is None or again is None:
            return None
        answers.password = challenge_password(first, again)
    if Q.SERIAL_NUMBER in asked:
        answers.serial_number = ask_from_thread(console, ConfirmDialog(QUESTIONS[Q.SERIAL_NUMBER])) is True
    if Q.IP_ADDRESS in asked and ask_from_thread(console, ConfirmDialog(QUESTIONS[Q.IP_ADDRESS])):
        address = ask_from_thread(console, AddressDialog(f"{ADDRESS_PROMPT}:"))
        if address is None:
            return None
        answers.ip_address = resolve_request_address(address)
    final, yes = (Q.DISPLAY, "Display") if plan.terminal else (Q.REQUEST, "Request")
    if not ask_from_thread(console, ConfirmDialog(f"{QUESTIONS[final]} (trustpoint {name})", plan.details(), yes=yes)):
        return None
    return answers


def run_enrollment(console: PkiConsole, name: str) -> list[EnrollmentResult] | None:
    """``crypto pki enroll NAME`` in the console (in a worker thread, NOT holding the core's lock:
    the core takes it to send and store, and leaves it free while a PENDING poll waits).

    The core's plan comes first: what is missing is reported (each error with its hint, as
    :class:`CoreCallFailed`) and nothing is asked. Then the plan's questions, as IOS asks them
    (:func:`ask_questions`: re-enrollment, challenge password twice, serial number, address, and
    the request confirmed with the plan's subject, key pair(s), CA and URL); Escape or No sends
    nothing. A saved PENDING request is resumed without asking. The progress screen shows the
    events; an ``enrollment terminal`` trustpoint's requests are shown for cut-and-paste instead.
    Returns the results, or None when nothing was sent.
    """
    pki = console.pki
    try:
        with console.core_lock:
            plan = pki.scep.prepare_enrollment(name)
    except Exception as exc:  # an unknown trustpoint (or a bug): shown where every error is
        console.post_message(CoreCallFailed(exc))
        return None
    if not plan.ready:
        for error in plan.missing:
            console.post_message(CoreCallFailed(error))
        return None
    answers = None
    if not plan.resuming:
        try:
            answers = ask_questions(console, plan)
        except PkiError as exc:  # the passwords differ, an address that is not one
            console.post_message(CoreCallFailed(exc))
            return None
        if answers is None:
            console.post_message(CommandOutputWritten(f"Enrollment of trustpoint {name} not requested", Tone.WARNING))
            return None
    if plan.terminal:
        try:
            with console.core_lock:
                requests = pki.scep.manual_requests(name, answers)
        except Exception as exc:
            console.post_message(CoreCallFailed(exc))
            return None
        lines = [line for r in requests for line in (f"{r.usage} key ({r.key_id}):", *r.pem.splitlines(), "")]
        console.call_from_thread(console.push_screen, InfoDialog(
            f"Certificate request(s) of trustpoint {name}: give them to the CA, then paste the certificate "
            f"with crypto pki import {name} certificate", lines))
        console.post_message(ConfigChanged("enroll"))
        return None

    title = f"Resuming the pending enrollment of trustpoint {name}" if plan.resuming else None
    screen = EnrollmentScreen(name, title=title)
    try:
        screen.worker = get_current_worker()
    except NoActiveWorker:
        screen.worker = None
    console.network_waits.label(f"crypto pki enroll {name}")
    console.call_from_thread(console.push_screen, screen)
    try:
        results = pki.scep.enroll(name, answers=answers, on_event=screen.report, cancel=screen.cancel_event)
    except Exception as exc:
        screen.post_message(EnrollmentFinished([], exc))
        console.post_message(console_log.enroll_fail(name, describe_error(exc)[0]))
        console.post_message(CoreCallFailed(exc))
        console.post_message(ConfigChanged("enroll"))
        return None
    screen.post_message(EnrollmentFinished(results, None))
    for warning in dict.fromkeys(w for r in results for w in r.warnings):
        console.post_message(CommandOutputWritten(f"% Warning: {warning}", Tone.WARNING))
    console.post_message(ConfigChanged("enroll"))
    return results
