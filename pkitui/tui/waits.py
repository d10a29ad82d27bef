"""Network waits in the console: every network operation (authenticate, enroll, CRL request and
fetch, verify with revocation, a ``:`` command that goes to a server) shows a spinner, what it
waits for, the elapsed time and its real deadline, and can be cancelled at once.

The core tells when a deadline starts and ends (:func:`pkitui.core.deadline.watch`), on the
operation's own thread: :class:`NetworkWaits` maps that thread to its Textual worker, so one
operation (several HTTP exchanges, each under its deadline) is one wait, and a Cancel cuts the
running exchange (:meth:`Deadline.cancel`) and every later one of the same worker.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static
from textual.worker import NoActiveWorker, Worker, get_current_worker

from pkitui.tui.tones import Tone, tone_classes, toned

if TYPE_CHECKING:
    from pkitui.core.deadline import Deadline

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
# A worker's wait is shown once it has lasted this long (a quick exchange does not flash the bar).
SHOW_AFTER = 0.3
# The key that cancels (the footer and the message say it; PkiConsole.BINDINGS binds it).
CANCEL_KEY = "ctrl+x"


@dataclass(eq=False)
class Wait:
    """One operation waiting for the network: its worker (None outside a worker), what it is,
    the deadline running now (None between two exchanges of the same operation)."""

    key: int
    worker: Worker[object] | None
    what: str
    started: float = field(default_factory=time.monotonic)
    deadline: Deadline | None = None
    seconds: float = 0.0
    peers: list[str] = field(default_factory=list)
    cancelled_at: float | None = None

    def finished(self) -> bool:
        """The operation is over (its worker ended; outside a worker: its deadline ended)."""
        if self.worker is not None:
            return self.worker.is_finished
        return self.deadline is None

    def elapsed(self) -> float:
        """Seconds since the operation's first network exchange started."""
        return time.monotonic() - self.started


def describe_worker(worker: Worker[object] | None) -> str:
    """A worker as a person reads it: ``_request_crl('lab')`` -> ``request crl lab``."""
    if worker is None:
        return "network operation"
    found = re.match(r"_*(\w+)\((.*)\)$", worker.description or worker.name or "")
    if not found:
        return worker.description or worker.name or "network operation"
    name, args = found.groups()
    words = [name.replace("_", " ")] + [a.strip().strip("'\"") for a in args.split(",") if a.strip()]
    return " ".join(w for w in words if w and not w.startswith("<"))


class NetworkWaits:
    """The operations waiting for the network now, by worker (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waits: dict[int, Wait] = {}
        self._labels: dict[int, str] = {}
        self._unwatch: object = None

    def start(self) -> None:
        """Listen to the core's deadlines."""
        from pkitui.core.deadline import watch

        self._unwatch = watch(self.deadline_changed)

    def stop(self) -> None:
        """Stop listening (the console is quitting)."""
        if callable(self._unwatch):
            self._unwatch()

    @staticmethod
    def _current() -> tuple[int, Worker[object] | None]:
        try:
            worker: Worker[object] | None = get_current_worker()
        except NoActiveWorker:
            worker = None
        return (id(worker) if worker is not None else threading.get_ident()), worker

    def label(self, what: str) -> None:
        """From a worker: name the operation it starts now (e.g. a ``:`` line), instead of its
        method; a worker running one operation after another starts a new wait for each."""
        key, _worker = self._current()
        with self._lock:
            self._labels[key] = what
            self._waits.pop(key, None)

    def deadline_changed(self, deadline: Deadline, started: bool) -> None:
        """The core's listener, on the operation's thread."""
        key, worker = self._current()
        with self._lock:
            wait = self._waits.get(key)
            if wait is not None and wait.finished() and wait.worker is not worker:
                wait = None
            if started:
                if wait is None:
                    wait = Wait(key, worker, self._labels.get(key) or describe_worker(worker))
                    self._waits[key] = wait
                wait.deadline = deadline
                wait.seconds = deadline.seconds
                if wait.cancelled_at is not None:
                    deadline.cancel()  # cancelled: every later exchange of the operation ends at once
            elif wait is not None and wait.deadline is deadline:
                wait.peers = deadline.peers() or wait.peers
                wait.deadline = None

    def current(self) -> list[Wait]:
        """The operations still waiting (finished ones are forgotten)."""
        with self._lock:
            for key, wait in list(self._waits.items()):
                if wait.finished():
                    del self._waits[key]
                    self._labels.pop(key, None)
                elif wait.deadline is not None:
                    wait.peers = wait.deadline.peers() or wait.peers
            return list(self._waits.values())

    def of_worker(self, worker: Worker[object] | None) -> Wait | None:
        """The wait of one worker, if it waits."""
        return next((w for w in self.current() if w.worker is worker), None)

    def cancel(self, wait: Wait | None = None) -> list[Wait]:
        """Cancel one wait (default: every wait). Returns the ones cancelled."""
        with self._lock:
            chosen = [wait] if wait is not None else list(self._waits.values())
            for one in chosen:
                one.cancelled_at = time.monotonic()
                if one.deadline is not None:
                    one.deadline.cancel()  # the operation ends with OperationCancelled, reported as any error
        return chosen


def wait_text(wait: Wait, tick: int, *, key_hint: bool = True) -> str:
    """``⠋ request crl lab: waiting for 10.0.0.5:80, 3.2 s of the 30 s deadline`` (the deadline is
    the trustpoint's enrollment timeout: the Cancelled message and the timeout's hint say so)."""
    spin = SPINNER[tick % len(SPINNER)]
    peer = f" for {', '.join(wait.peers)}" if wait.peers else ""
    if wait.cancelled_at is not None:
        return f"{spin} {wait.what}: cancelling…"
    text = f"{spin} {wait.what}: waiting{peer}, {wait.elapsed():.1f} s of the {wait.seconds:g} s deadline"
    return text + (f"   {CANCEL_KEY} cancels" if key_hint else "")


class WaitBar(Horizontal):
    """The bar above the footer while operations wait for the network: one line each, Cancel."""

    COMPONENT_CLASSES = tone_classes("wait")

    def __init__(self, waits: NetworkWaits, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.waits = waits
        self._tick = 0

    def compose(self) -> ComposeResult:
        yield Static(id="wait-text")
        yield Button("Cancel", id="wait-cancel", variant="error", compact=True)

    def on_mount(self) -> None:
        self.display = False
        self.set_interval(0.1, self.refresh_waits)

    def refresh_waits(self) -> None:
        """Redraw (spinner, elapsed time); hide when nothing waits long enough to be worth a line."""
        self._tick += 1
        shown = [w for w in self.waits.current()
                 if w.elapsed() >= SHOW_AFTER and (w.deadline is not None or w.cancelled_at is not None)]
        if self.display != bool(shown):
            self.display = bool(shown)
        if shown:
            lines = Text("\n").join(toned(self, "wait", wait_text(w, self._tick), Tone.ACCENT_STRONG)
                                    for w in shown)
            self.query_one("#wait-text", Static).update(lines)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "wait-cancel":
            event.stop()
            await self.app.run_action("cancel_wait")
