"""The PKI timers (``show crypto pki timers``: what fires, for which trustpoint, and when) as the
console shows them on Home and in the trustpoint pane: one widget, :class:`PkiTimers`, that lists
them itself.

The timers are the core's (:meth:`pkitui.core.timers.Timers.list`), listed in the widget's thread
worker (certificates are parsed) when its pane reloads (the configuration changed) and once a
minute (:data:`REFRESH_SECONDS`): the time left is shown to the minute, so nothing finer is needed.
Their names and the time left are the ios layer's (:mod:`pkitui.ios.format`), as ``show`` prints
the names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, cast

from rich import box
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.worker import Worker, WorkerState

from pkitui.core.timers import Timer
from pkitui.ios.format import TIMER_NAMES, ios_time, minutes_left
from pkitui.tui.messages import CoreCallFailed
from pkitui.tui.tones import Tone
from pkitui.tui.widgets.toned import TonedStatic, ToneStyles, tone

if TYPE_CHECKING:
    from pkitui.tui.app import PkiConsole

REFRESH_SECONDS = 60.0


@dataclass
class TimersListed(Message):
    """A worker listed the timers at ``now`` (soonest first)."""

    timers: list[Timer]
    now: datetime


def _left_text(timer: Timer, at: datetime, styles: ToneStyles, width: int = 0) -> Text:
    """The time left, warning when overdue (it fires at the agent's next run)."""
    left = timer.left(at)
    return Text(f"{minutes_left(left):>{width}}",
                style=tone(styles, Tone.WARNING if left.total_seconds() <= 0 else Tone.STRONG))


def timers_table(timers: list[Timer], at: datetime, styles: ToneStyles, limit: int | None = None) -> Table:
    """Every trustpoint's timers, the soonest ``limit`` of them: time left, what fires, for which
    trustpoint, and what it concerns (Home)."""
    table = Table(title="Timers (show crypto pki timers)", title_justify="left", expand=True,
                  box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("left", no_wrap=True, justify="right", min_width=9)  # up to "9999d 23h"
    table.add_column("fires", no_wrap=True)
    table.add_column("trustpoint", no_wrap=True)
    table.add_column("what", no_wrap=True, overflow="ellipsis", ratio=1)
    shown = timers if limit is None else timers[:limit]
    for timer in shown:
        table.add_row(_left_text(timer, at, styles), TIMER_NAMES[timer.kind], timer.trustpoint,
                      timer.text(ios_time))
    if len(timers) > len(shown):
        table.add_row("", "", "", Text(f"{len(timers) - len(shown)} more: :show crypto pki timers",
                                       style=tone(styles, Tone.MUTED)))
    if not timers:
        table.add_row("", "", "", Text("none: auto-enroll, a CRL held or a certificate sets one",
                                       style=tone(styles, Tone.MUTED)))
    return table


def trustpoint_timers(timers: list[Timer], at: datetime, styles: ToneStyles) -> Text:
    """One trustpoint's timers (already filtered), a line each: time left, what fires, what it
    concerns (the trustpoint pane)."""
    text = Text("Timers ", style=tone(styles, Tone.STRONG))
    if not timers:
        text.append("none (auto-enroll, a CRL held or a certificate sets one)", style=tone(styles, Tone.MUTED))
    for timer in timers:
        text.append("\n")
        text.append_text(_left_text(timer, at, styles, width=9))
        text.append("  ")
        text.append(f"{TIMER_NAMES[timer.kind]}: ", style=tone(styles, Tone.NOTE))
        text.append(timer.text(ios_time))
    return text


class PkiTimers(TonedStatic):
    """The core's PKI timers, soonest first, listed by the widget itself (a thread worker) when
    :meth:`reload` is called and once a minute.

    Every trustpoint's as a table (``limit``: the soonest ones only), or, with ``one_trustpoint``,
    the timers of the trustpoint :meth:`show_trustpoint` names, a line each (none named: nothing)."""

    COMPONENT_CLASSES = {"timers--warning", "timers--strong", "timers--note", "timers--muted"}

    def __init__(self, *, one_trustpoint: bool = False, limit: int | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self._one_trustpoint = one_trustpoint
        self._limit = limit
        self._trustpoint: str | None = None
        self._pki_timers: list[Timer] | None = None  # None until the worker first listed them
        self._at = datetime.now(timezone.utc)  # when they were listed (the countdowns' origin)

    @property
    def _pki_console(self) -> PkiConsole:
        return cast("PkiConsole", self.app)

    def on_mount(self) -> None:
        # TonedStatic.on_mount runs too (Textual calls each class's handler). Time passes: the
        # countdowns are listed again once a minute (they are shown to the minute).
        self.set_interval(REFRESH_SECONDS, self.reload)
        self.redraw()

    def reload(self) -> None:
        """List the timers again (the configuration changed, or a minute passed)."""
        if self._pki_console.pki_ready:
            self._list()

    def show_trustpoint(self, name: str | None) -> None:
        """With ``one_trustpoint``: show ``name``'s timers (None: nothing)."""
        if name != self._trustpoint:
            self._trustpoint = name
            self.redraw()

    @work(thread=True, exclusive=True, exit_on_error=False, group="timers")
    def _list(self) -> None:
        """The core's timers, under the core lock (parses certificates: not on the UI thread)."""
        console = self._pki_console
        now = console.clock()
        with console.core_lock:
            timers = console.pki.timers.list(now)
        self.post_message(TimersListed(timers, now))

    @on(TimersListed)
    def _listed(self, message: TimersListed) -> None:
        message.stop()
        self._pki_timers, self._at = message.timers, message.now
        self.redraw()

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed listing goes to the app's one error handler, as a pane's worker does."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self._pki_console.post_message(CoreCallFailed(event.worker.error))

    def redraw(self) -> None:
        timers = self._pki_timers
        if self._one_trustpoint:
            self.update("" if timers is None or self._trustpoint is None else
                        trustpoint_timers([t for t in timers if t.trustpoint == self._trustpoint],
                                          self._at, self.tone_styles()))
            return
        self.display = timers is not None  # Home: no table until they are listed
        if timers is not None:
            self.update(timers_table(timers, self._at, self.tone_styles(), self._limit))
