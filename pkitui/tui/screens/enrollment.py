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
from textual.widgets import Button, Label, Static
from textual.worker import NoActiveWorker, Worker, get_current_worker

from pkitui.core.errors import TrustpointError
from pkitui.tui.bridge import ask_from_thread, describe_error
from pkitui.tui.messages import CommandOutputWritten, ConfigChanged, CoreCallFailed
from pkitui.tui.screens.dialogs import ConfirmDialog, SecretDialog
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
        self.worker: Worker[object] | None = None  # the enrollment's worker: its network wait is shown
        self._tick = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(id="enroll-table")
            yield Static("Contacting the CA…", id="enroll-status")
            yield Static(id="enroll-wait")
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
        self.rows[key] = ev
        if ev.next_poll_at:  # ISO 8601, written by the core
            self._deadlines[key] = datetime.fromisoformat(ev.next_poll_at).timestamp()
        else:
            self._deadlines.pop(key, None)
        if ev.state == "issued":
            self.notify(f"Certificate issued for {key}", title="Enrollment")
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
        else:
            self.action_cancel()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.action_cancel()
        else:
            self.action_close()


def run_enrollment(console: PkiConsole, name: str) -> list[EnrollmentResult] | None:
    """``crypto pki enroll NAME`` in the console (in a worker thread, NOT holding the core's lock:
    the core takes it to send and store, and leaves it free while a PENDING poll waits).

    The core's plan comes first: what is missing is reported (each error with its hint, as
    :class:`CoreCallFailed`) and nothing is asked. A new request is confirmed with the plan's
    subject, key pair(s), CA and URL; the challenge password, when none is configured, is asked
    by the core once the prerequisites pass (Enter alone: none; Escape cancels before anything
    is sent). A saved PENDING request is resumed without asking. The progress screen shows the
    events. Returns the results, or None when nothing was sent.
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
    if not plan.resuming:
        question = f"{plan.QUESTION} (trustpoint {name})"
        if not ask_from_thread(console, ConfirmDialog(question, plan.details(), yes="Request")):
            console.post_message(CommandOutputWritten(f"Enrollment of trustpoint {name} not requested", Tone.WARNING))
            return None

    def ask_password() -> str | None:
        answer = ask_from_thread(console, SecretDialog(
            f"Challenge password for {name} (the CA administrator gave it to you; Enter alone: none)"))
        if answer is None:
            raise TrustpointError("Enrollment cancelled: no challenge password was given",
                                  "Type it when asked (Enter alone sends none), or set it in the form (password).")
        return answer

    title = f"Resuming the pending enrollment of trustpoint {name}" if plan.resuming else None
    screen = EnrollmentScreen(name, title=title)
    try:
        screen.worker = get_current_worker()
    except NoActiveWorker:
        screen.worker = None
    console.network_waits.label(f"crypto pki enroll {name}")
    console.call_from_thread(console.push_screen, screen)
    try:
        results = pki.scep.enroll(name, ask_password=ask_password, on_event=screen.report,
                                  cancel=screen.cancel_event)
    except Exception as exc:
        screen.post_message(EnrollmentFinished([], exc))
        console.post_message(CoreCallFailed(exc))
        console.post_message(ConfigChanged("enroll"))
        return None
    screen.post_message(EnrollmentFinished(results, None))
    for warning in dict.fromkeys(w for r in results for w in r.warnings):
        console.post_message(CommandOutputWritten(f"% Warning: {warning}", Tone.WARNING))
    issued = [r for r in results if r.certificate is not None]
    if issued:
        console.notify(f"{len(issued)} certificate(s) issued for {name}", title="Enrollment")  # thread-safe
    console.post_message(ConfigChanged("enroll"))
    return results
